import ArgumentParser
import B00tCore
import Foundation

struct DatumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datum",
        abstract: "List, show, query and check datums (_b00t_/<name>.<type>.toml); change them through the crew.",
        subcommands: [List.self, Show.self, Query.self, Check.self,
                      DatumMutate.self, DatumMutations.self, DatumHistory.self, DatumScript.self, DatumApply.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every datum on the search path.")
        @OptionGroup var options: DatumOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let catalog = options.loadCatalog()
            try printDatums(catalog.all, json: json)
            reportErrorsBriefly(catalog)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one datum as Markdown (or JSON).")
        @OptionGroup var options: DatumOptions
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "name.type, or a name that is unique") var name: String

        func run() throws {
            let catalog = options.loadCatalog()
            let datum: Datum
            do { datum = try catalog.lookup(name) } catch { throw CLIError(error.description) }
            if json { print(try jsonText(datum)) } else { print(datum, terminator: "") }
        }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Find datums: --type agent --skill rust, or an expression 'type:agent and (skill:rust or skill:go)'.")
        @OptionGroup var options: DatumOptions
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "Datum type.") var type: String?
        @Option(help: "Agent skill (repeat for several, all required).") var skill: [String] = []
        @Option(help: "Category.") var category: String?
        @Argument(help: "Query expression.") var expression: [String] = []

        func run() throws {
            var query: DatumQuery? = nil
            func add(_ q: DatumQuery) { query = query.map { .and($0, q) } ?? q }
            if !expression.isEmpty {
                do { add(try DatumQueryParser.parse(expression.joined(separator: " "))) }
                catch { throw CLIError("query: \(error.description)") }
            }
            if let type { add(.byType(DatumType(type))) }
            for s in skill { add(.bySkill(s)) }
            if let category { add(.byCategory(category)) }
            let catalog = options.loadCatalog()
            try printDatums(catalog.query(query ?? .all), json: json)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate every datum; list every problem; non-zero exit on errors.")
        @OptionGroup var options: DatumOptions
        @Flag(help: "Treat warnings (unknown keys, unknown types) as errors.") var strict = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let catalog = options.loadCatalog()
            // What `up` would refuse (missing dependencies, cycles) is an error here too.
            let check = DatumCheck(catalog)
            let diagnostics = check.diagnostics
            let errors = check.errors
            let failing = diagnostics.filter { $0.isError || strict }
            if json {
                print(try jsonText(CheckReport(datums: catalog.datums.count, diagnostics: diagnostics)))
            } else {
                for diagnostic in diagnostics { print(TerminalText.line(diagnostic.description)) }
                print(TerminalText.line("\(Doctor.count(catalog.datums.count, "datum", "datums")) loaded from \(options.searchPath.folders.joined(separator: ":")); "
                      + "\(Doctor.count(errors, "error", "errors")), \(Doctor.count(diagnostics.count - errors, "warning", "warnings"))"))
            }
            if !failing.isEmpty { throw ExitCode(1) }
        }
    }
}

struct CheckReport: Encodable {
    var datums: Int
    var diagnostics: [DatumDiagnostic]
}

func printDatums(_ datums: [Datum], json: Bool) throws {
    if json {
        print(try jsonText(datums))
        return
    }
    let rows = datums.map { [$0.id, $0.type.rawValue, $0.hint] }
    print(Table(headers: ["NAME", "TYPE", "HINT"], rows: rows).render(), terminator: "")
}

func reportErrorsBriefly(_ catalog: DatumCatalog) {
    let errors = catalog.errors
    guard !errors.isEmpty else { return }
    FileHandle.standardError.write(Data("\(errors.count) datum file(s) have errors; run `b00t datum check`\n".utf8))
}

package func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// A user-facing failure: printed as `Error: …` with exit code 1, no stack trace. The text is escaped for
/// the terminal: messages quote datum fields, bus text and service log tails.
package struct CLIError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = TerminalText.block(description) }
}

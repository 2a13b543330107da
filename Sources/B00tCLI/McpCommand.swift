import ArgumentParser
import B00tCore
import Foundation

/// `b00t mcp`: AI assistants join the crew over MCP (`serve`), and `mcp` datums become assistants' server
/// configs (`list`, `output`, `install`) or are called directly (`tools`, `execute`).
struct McpGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "MCP: serve the crew bus to an AI assistant, and use mcp datums as servers.",
        subcommands: [McpForward.Serve.self, McpList.self, McpOutput.self, McpInstall.self, McpForward.Tools.self, McpForward.Execute.self]
    )
}

/// The `mcp` datums named, or a clean error naming what is not one.
package func mcpDatums(_ names: [String], _ options: DatumOptions) throws -> [Datum] {
    let catalog = BuiltinDatums.adding(to: options.loadCatalog())
    return try names.map { name in
        let datum: Datum
        do { datum = try catalog.lookup(name) } catch let error as DatumLookupError { throw CLIError(error.description) }
        guard datum.type == .mcp || datum.mcp != nil else {
            throw CLIError(MCPClientError.notMCP(datum.id, type: datum.type.rawValue).description)
        }
        return datum
    }
}

struct McpList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the mcp datums: how each server is started or reached.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let catalog = options.loadCatalog()
        let datums = catalog.all.filter { $0.type == .mcp }
        if json {
            struct Row: Encodable {
                var name: String
                var hint: String
                var mcp: MCPServerSpec?
                var source: String?
            }
            print(try jsonText(datums.map { Row(name: $0.name, hint: $0.hint, mcp: $0.mcp, source: $0.source) }))
            return
        }
        let rows = datums.map { datum -> [String] in
            let how: String
            if let stdio = datum.mcp?.stdio.first {
                how = "stdio: " + ([stdio.command] + stdio.args).joined(separator: " ")
            } else if let http = datum.mcp?.http.first {
                how = "\(http.transport): \(http.url)"
            } else {
                how = "-"
            }
            return [datum.name, how, datum.hint]
        }
        print(Table(headers: ["NAME", "SERVER", "HINT"], rows: rows).render(), terminator: "")
        reportErrorsBriefly(catalog)
    }
}

struct McpOutput: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output", abstract: "Print the JSON block an assistant reads to start these servers.")
    @OptionGroup var options: DatumOptions
    @Flag(name: .customLong("mcpServers"), help: "Wrap the entries in {\"mcpServers\": {…}} (the .mcp.json shape).") var wrapped = false
    @Argument(help: "mcp datums (name or name.mcp).") var names: [String]

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one mcp datum: `b00t mcp output --mcpServers b00t-crew`") }
    }

    func run() throws {
        let datums = try mcpDatums(names, options)
        do { print(try MCPClientConfig.document(datums, wrapped: wrapped)) } catch let error as MCPClientError {
            throw CLIError(error.description)
        }
    }
}

struct McpInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Add mcp datums to an assistant's config: ./.mcp.json (merged, other servers kept) or stdout.")
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case dotmcpjson, stdout
    }
    @OptionGroup var options: DatumOptions
    @Option(help: "dotmcpjson (./.mcp.json, the default) or stdout.") var target: Target = .dotmcpjson
    @Option(help: "The file for --target dotmcpjson.") var file = ".mcp.json"
    @Argument(help: "mcp datums (name or name.mcp).") var names: [String]

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one mcp datum: `b00t mcp install b00t-crew`") }
    }

    func run() throws {
        let datums = try mcpDatums(names, options)
        do {
            switch target {
            case .stdout:
                print(try MCPClientConfig.document(datums, wrapped: true))
            case .dotmcpjson:
                let replaced = try MCPClientConfig.install(datums, into: file)
                for datum in datums {
                    print(TerminalText.line("\(replaced.contains(datum.name) ? "updated" : "added") \(datum.name) in \(file)"))
                }
            }
        } catch let error as MCPClientError {
            throw CLIError(error.description)
        } catch let error as MCPConfigFileError {
            throw CLIError(error.description)
        }
    }
}

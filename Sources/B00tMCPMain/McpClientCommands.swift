import ArgumentParser
import B00tCLI
import B00tCore
import B00tMCP
import Foundation
import MCP

/// Options of the commands that start an `mcp` datum's server and talk to it with the SDK's client.
struct McpClientOptions: ParsableArguments {
    @OptionGroup var datums: DatumOptions
    @Option(help: "Seconds to wait for each answer of the server (1–600).") var timeout = 30
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if !(1...600).contains(timeout) { throw ValidationError("--timeout must be 1–600 seconds, got \(timeout)") }
    }

    /// Starts the datum's server — after the orchestrator has brought up what it `depends_on` — and initializes.
    func open(_ name: String) async throws -> MCPClientSession {
        guard let datum = try mcpDatums([name], datums).first else { throw CLIError("no datum \(name)") }
        let environment = ProcessInfo.processInfo.environment
        do {
            let method = try (datum.mcp ?? MCPServerSpec()).choose(datum: datum.id, environment: environment)
            if !datum.dependsOn.isEmpty {
                let orchestrator = Orchestrator(catalog: BuiltinDatums.adding(to: datums.loadCatalog()))
                try await orchestrator.ensure(datum.dependsOn)
            }
            return try await MCPClientSession.start(method, environment: environment, paths: .standard(), timeout: .seconds(timeout))
        } catch let error as MCPClientError {
            throw CLIError(error.description)
        } catch let error as OrchestratorError {
            throw CLIError("cannot start what \(datum.id) depends on: \(error)")
        }
    }
}

struct McpTools: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools", abstract: McpForward.abstracts["tools"] ?? "")
    @OptionGroup var options: McpClientOptions
    @Argument(help: "The mcp datum (name or name.mcp).") var server: String

    func run() async throws {
        let session = try await options.open(server)
        let tools: [Tool]
        do { tools = try await session.tools() } catch {
            await session.close()
            throw CLIError("\(error)")
        }
        await session.close()
        if options.json {
            print(try jsonText(tools))
            return
        }
        for tool in tools {
            print(TerminalText.line("\(tool.name) — \(tool.description ?? "")"))
            let properties = tool.inputSchema.objectValue?["properties"]?.objectValue ?? [:]
            let required = Set(tool.inputSchema.objectValue?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            for name in properties.keys.sorted() {
                let schema = properties[name]?.objectValue ?? [:]
                let type = schema["type"]?.stringValue ?? "any"
                let help = schema["description"]?.stringValue ?? ""
                print(TerminalText.line("    \(name): \(type)\(required.contains(name) ? ", required" : "")\(help.isEmpty ? "" : " — \(help)")"))
            }
        }
    }
}

struct McpExecute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute", abstract: McpForward.abstracts["execute"] ?? "")
    @OptionGroup var options: McpClientOptions
    @Argument(help: "The mcp datum (name or name.mcp).") var server: String
    @Argument(help: "The tool.") var tool: String
    @Argument(help: "Its arguments as a JSON object (default {}).") var arguments = "{}"

    func run() async throws {
        let parsed: [String: Value]
        do { parsed = try Self.parseArguments(arguments) } catch { throw CLIError(error.description) }
        let session = try await options.open(server)
        let result: CallTool.Result
        do { result = try await session.call(tool, arguments: parsed) } catch {
            await session.close()
            throw CLIError("\(error)")
        }
        await session.close()
        if options.json {
            print(try jsonText(result))
        } else {
            for item in result.content { print(Self.render(item)) }
            if result.content.isEmpty, let structured = result.structuredContent { print(try jsonText(structured)) }
        }
        if result.isError == true {
            FileHandle.standardError.write(Data("b00t mcp: \(TerminalText.line(tool)) reported an error\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The arguments must be one JSON object; anything else is an error saying so.
    static func parseArguments(_ text: String) throws(MCPClientError) -> [String: Value] {
        let example = "give the arguments as one JSON object, like '{\"a\": 1, \"b\": 2}'"
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(text.utf8)) else {
            throw .badArguments("the tool arguments are not valid JSON; \(example)")
        }
        guard case .object(let object) = value else { throw .badArguments("the tool arguments must be a JSON object; \(example)") }
        return object
    }

    /// Text as it is (escaped for the terminal); other content described in one line.
    static func render(_ item: Tool.Content) -> String {
        switch item {
        case .text(let text, _, _): return TerminalText.block(text)
        case .image(let data, let mimeType, _, _): return TerminalText.line("[image \(mimeType), \(data.count) base64 characters]")
        case .audio(let data, let mimeType, _, _): return TerminalText.line("[audio \(mimeType), \(data.count) base64 characters]")
        case .resource(let resource, _, _):
            return resource.text.map(TerminalText.block) ?? TerminalText.line("[resource \(resource.uri)]")
        case .resourceLink(let uri, let name, _, _, _, _): return TerminalText.line("[link \(name): \(uri)]")
        }
    }
}

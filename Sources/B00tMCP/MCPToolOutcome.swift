import B00tCore
import Foundation
import MCP

/// What a tool call returns: a short human-readable text, the same facts as structured content, and whether
/// it was refused. A refusal (the bus said no, an argument was wrong, a service failed) is an outcome with
/// `isError`, never a protocol error: the assistant reads why and tries again.
public struct MCPToolOutcome: Sendable, Equatable {
    public var text: String
    public var structured: [String: Value]
    public var isError: Bool

    public init(_ text: String, _ structured: [String: Value] = [:], isError: Bool = false) {
        self.text = text
        self.structured = structured
        self.isError = isError
    }

    /// A refusal with the bus's (or the argument check's) own message and a stable code. The message may quote
    /// what a caller sent (an agent id, a datum name), so it is escaped like every text a terminal may show.
    public static func refused(_ message: String, code: String) -> MCPToolOutcome {
        let shown = TerminalText.block(message)
        return MCPToolOutcome(shown, ["error": .string(shown), "code": .string(code)], isError: true)
    }

    /// The refusal for any error a tool met: the bus's message for a `BusError`, the argument's for a bad
    /// argument, and the error's own description otherwise.
    public static func refusal(for error: Error) -> MCPToolOutcome {
        switch error {
        case let error as MCPArgumentError: return .refused(error.message, code: error.code)
        case let error as BusError: return .refused(error.description, code: MCPErrorCodes.code(for: error))
        case let error as BusClientError: return .refused(error.description, code: "bus_unreachable")
        case let error as DatumLookupError: return .refused(error.description, code: "datum_not_found")
        case let error as MutationError: return .refused(error.message, code: "mutation_\(error.code.rawValue)")
        case let error as GrokError: return .refused(error.description, code: error.code)
        case let error as OrchestratorError: return .refused("\(error)", code: "orchestrator")
        default: return .refused(ErrorText.describe(error), code: "failed")
        }
    }

    /// The SDK's result.
    public var result: CallTool.Result {
        CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)],
                        structuredContent: .object(structured), isError: isError)
    }
}

/// Stable codes for bus refusals: the bus's own (`BusError.code`), the same words the socket protocol uses.
public enum MCPErrorCodes {
    public static func code(for error: BusError) -> String { error.code }
}

/// Encodable values as MCP structured content, with the dates as the bus writes them (ms since 1970).
enum MCPValue {
    static func from<T: Encodable>(_ value: T) -> Value {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value), let decoded = try? JSONDecoder().decode(Value.self, from: data) else {
            return .null
        }
        return decoded
    }

    static func strings(_ list: [String]) -> Value { .array(list.map { .string($0) }) }

    static func numbers(_ map: [String: Double]) -> Value { .object(map.mapValues { .double($0) }) }

    /// A time as ms since 1970 (clamped: a hand-edited log may hold any date).
    static func milliseconds(_ date: Date) -> Value {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        guard ms.isFinite else { return .null }
        return .int(ms >= 9e15 ? Int(9e15) : ms <= -9e15 ? Int(-9e15) : Int(ms))
    }
}

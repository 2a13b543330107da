import B00tCore
import Foundation
import MCP

/// Why a tool call's arguments were refused. The message names the argument and says what it should be: an
/// assistant reads it and calls again, so it must be enough to fix the call.
public struct MCPArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var tool: String
    public var argument: String?
    public var message: String

    public var description: String { "\(tool): \(message)" }
    /// A stable code, for clients that branch on it.
    public var code: String { "invalid_arguments" }
}

/// A tool call's arguments, checked against the tool's `MCPToolSpec` as a whole before the tool runs (an
/// unknown, missing, mistyped or oversized argument is refused, and nothing reaches the bus), then read by
/// name with the types the spec promised.
public struct MCPArguments: Sendable {
    public let tool: String
    private let values: [String: Value]
    private let specs: [String: MCPArgumentSpec]

    public init(_ raw: [String: Value]?, spec: MCPToolSpec) throws(MCPArgumentError) {
        tool = spec.name
        let raw = raw ?? [:]
        specs = Dictionary(spec.arguments.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let names = spec.arguments.map(\.name)
        for key in raw.keys.sorted() where specs[key] == nil {
            let shown = TerminalText.line(String(key.prefix(64)))
            let hint = closestMatch(to: key, in: names).map { " (did you mean '\($0)'?)" } ?? ""
            let takes = names.isEmpty ? "it takes no arguments" : "it takes " + names.joined(separator: ", ")
            throw MCPArgumentError(tool: spec.name, argument: key, message: "unknown argument '\(shown)'\(hint); \(takes)")
        }
        var checked: [String: Value] = [:]
        for argument in spec.arguments {
            guard let value = raw[argument.name], !value.isNull else {
                if argument.required {
                    throw MCPArgumentError(tool: spec.name, argument: argument.name,
                                           message: "missing required argument '\(argument.name)': \(argument.expectation) (\(argument.help))")
                }
                continue
            }
            checked[argument.name] = try Self.check(value, against: argument, tool: spec.name)
        }
        values = checked
    }

    // MARK: Reading (after the check, so the types hold)

    public func has(_ name: String) -> Bool { values[name] != nil }

    public func string(_ name: String) -> String? { values[name]?.stringValue }

    public func int(_ name: String) -> Int? { values[name]?.intValue }

    public func double(_ name: String) -> Double? {
        switch values[name] {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: return nil
        }
    }

    public func bool(_ name: String) -> Bool? { values[name]?.boolValue }

    public func strings(_ name: String) -> [String]? { values[name]?.arrayValue?.compactMap(\.stringValue) }

    public func numbers(_ name: String) -> [String: Double]? {
        values[name]?.objectValue?.compactMapValues { value -> Double? in
            if case .double(let d) = value { return d }
            if case .int(let i) = value { return Double(i) }
            return nil
        }
    }

    /// A required string argument (the spec guarantees it is present once the check passed).
    public func required(_ name: String) throws(MCPArgumentError) -> String {
        guard let value = string(name) else {
            throw MCPArgumentError(tool: tool, argument: name, message: "missing required argument '\(name)'")
        }
        return value
    }

    /// A refusal that needs two arguments together ("give `to`, or `id` and `accept`").
    public func refuse(_ argument: String?, _ message: String) -> MCPArgumentError {
        MCPArgumentError(tool: tool, argument: argument, message: message)
    }

    // MARK: The check

    static func check(_ value: Value, against argument: MCPArgumentSpec, tool: String) throws(MCPArgumentError) -> Value {
        let name = argument.name
        func wrong(_ found: Value) -> MCPArgumentError {
            MCPArgumentError(tool: tool, argument: name,
                             message: "argument '\(name)' must be \(argument.expectation), got \(describe(found))")
        }
        switch argument.kind {
        case .text(let maxBytes):
            guard let text = string(of: value) else { throw wrong(value) }
            try limit(text, maxBytes, name: name, tool: tool)
            return .string(text)
        case .name:
            guard let text = string(of: value) else { throw wrong(value) }
            try limit(text, MCPArgumentSpec.nameLimit, name: name, tool: tool)
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw MCPArgumentError(tool: tool, argument: name, message: "argument '\(name)' is empty; \(argument.help)")
            }
            return .string(text)
        case .integer(let range):
            let number: Int
            switch value {
            case .int(let i): number = i
            case .double(let d) where d == d.rounded() && abs(d) < 9e15: number = Int(d)
            case .double(let d) where d.isFinite && d != d.rounded():
                throw MCPArgumentError(tool: tool, argument: name, message: "argument '\(name)' must be a whole number, got \(d)")
            default: throw wrong(value)
            }
            guard range.contains(number) else {
                throw MCPArgumentError(tool: tool, argument: name,
                                       message: "argument '\(name)' must be \(range.lowerBound)–\(range.upperBound), got \(number)")
            }
            return .int(number)
        case .number(let range):
            let number: Double
            switch value {
            case .int(let i): number = Double(i)
            case .double(let d): number = d
            default: throw wrong(value)
            }
            guard number.isFinite, range.contains(number) else {
                throw MCPArgumentError(tool: tool, argument: name,
                                       message: "argument '\(name)' must be \(MCPArgumentSpec.format(range.lowerBound))–\(MCPArgumentSpec.format(range.upperBound)), got \(number)")
            }
            return .double(number)
        case .boolean:
            guard case .bool = value else { throw wrong(value) }
            return value
        case .names(let maxItems):
            guard case .array(let items) = value else { throw wrong(value) }
            guard items.count <= maxItems else {
                throw MCPArgumentError(tool: tool, argument: name,
                                       message: "argument '\(name)' has \(items.count) entries; at most \(maxItems)")
            }
            var result: [Value] = []
            for (index, item) in items.enumerated() {
                guard let text = string(of: item), !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw MCPArgumentError(tool: tool, argument: name,
                                           message: "argument '\(name)'[\(index)] must be a non-empty name, got \(describe(item))")
                }
                try limit(text, MCPArgumentSpec.nameLimit, name: "\(name)[\(index)]", tool: tool)
                result.append(.string(text))
            }
            return .array(result)
        case .choice(let words):
            guard let text = string(of: value) else { throw wrong(value) }
            guard words.contains(text) else {
                let shown = TerminalText.line(String(text.prefix(64)))
                throw MCPArgumentError(tool: tool, argument: name,
                                       message: "argument '\(name)' must be one of \(words.joined(separator: ", ")), got '\(shown)'")
            }
            return .string(text)
        case .numberMap(let range, let maxItems):
            guard case .object(let entries) = value else { throw wrong(value) }
            guard entries.count <= maxItems else {
                throw MCPArgumentError(tool: tool, argument: name, message: "argument '\(name)' has \(entries.count) entries; at most \(maxItems)")
            }
            var result: [String: Value] = [:]
            for (key, item) in entries {
                try limit(key, MCPArgumentSpec.nameLimit, name: "\(name) key", tool: tool)
                let shownKey = TerminalText.line(String(key.prefix(64)))
                let number: Double
                switch item {
                case .int(let i): number = Double(i)
                case .double(let d): number = d
                default:
                    throw MCPArgumentError(tool: tool, argument: name,
                                           message: "argument '\(name)'.\(shownKey) must be a number, got \(describe(item))")
                }
                guard number.isFinite, range.contains(number) else {
                    throw MCPArgumentError(tool: tool, argument: name,
                                           message: "argument '\(name)'.\(shownKey) must be \(MCPArgumentSpec.format(range.lowerBound))–\(MCPArgumentSpec.format(range.upperBound)), got \(number)")
                }
                result[key] = .double(number)
            }
            return .object(result)
        }
    }

    /// The SDK turns a string that looks like a data URL into `.data`; to a crew tool it is still text.
    static func string(of value: Value) -> String? {
        switch value {
        case .string(let s): return s
        case .data(let mimeType, let data): return data.dataURLEncoded(mimeType: mimeType)
        default: return nil
        }
    }

    static func limit(_ text: String, _ maxBytes: Int, name: String, tool: String) throws(MCPArgumentError) {
        let bytes = text.utf8.count
        guard bytes <= maxBytes else {
            throw MCPArgumentError(tool: tool, argument: name,
                                   message: "argument '\(name)' is \(bytes) bytes; the limit is \(maxBytes) bytes")
        }
        guard !text.unicodeScalars.contains("\u{0}") else {
            throw MCPArgumentError(tool: tool, argument: name, message: "argument '\(name)' contains a NUL character")
        }
    }

    /// "a string", "an integer (-1)", "an array" — short, and never the whole value (it may be 1 MB).
    static func describe(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return "a boolean (\(b))"
        case .int(let i): return "an integer (\(i))"
        case .double(let d): return "a number (\(d))"
        case .string(let s):
            let shown = TerminalText.line(String(s.prefix(40)))
            return "a string (\"\(shown)\(s.count > 40 ? "…" : "")\")"
        case .data: return "a data URL string"
        case .array(let a): return "an array of \(a.count)"
        case .object: return "an object"
        }
    }
}

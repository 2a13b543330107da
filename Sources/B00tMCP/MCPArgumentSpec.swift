import B00tCore
import MCP

/// One argument of a crew tool: its name (the bus's word in snake_case), its kind with limits, and whether it
/// is required. The same description produces the tool's JSON schema (what an assistant reads) and checks the
/// arguments a call brings (what the server trusts), so the two cannot drift apart.
public struct MCPArgumentSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Free text up to `maxBytes` UTF-8 bytes (pitches, descriptions, messages).
        case text(maxBytes: Int)
        /// A short name or id (agents, crews, `ahoy-12`, skills, datums).
        case name
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case boolean
        /// A list of short names.
        case names(maxItems: Int)
        /// One of a few words.
        case choice([String])
        /// An object of name → number in `range` (`skill_impact`).
        case numberMap(ClosedRange<Double>, maxItems: Int)
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var help: String

    public init(_ name: String, _ kind: Kind, required: Bool = false, _ help: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.help = help
    }

    /// Text arguments stay well under the bus's 64 KiB line (a command carries several fields, and JSON may
    /// escape characters): 8 KiB each.
    public static let textLimit = 8 * 1024
    /// Names and ids: longer than any agent id, crew name, skill or datum reference the bus accepts.
    public static let nameLimit = 256

    /// The JSON schema of this argument.
    var schema: Value {
        var object: [String: Value]
        switch kind {
        case .text(let maxBytes): object = ["type": "string", "maxLength": .int(maxBytes)]
        case .name: object = ["type": "string", "minLength": 1, "maxLength": .int(Self.nameLimit)]
        case .integer(let range):
            object = ["type": "integer", "minimum": .int(range.lowerBound), "maximum": .int(range.upperBound)]
        case .number(let range):
            object = ["type": "number", "minimum": .double(range.lowerBound), "maximum": .double(range.upperBound)]
        case .boolean: object = ["type": "boolean"]
        case .names(let maxItems):
            object = ["type": "array", "maxItems": .int(maxItems),
                      "items": ["type": "string", "minLength": 1, "maxLength": .int(Self.nameLimit)]]
        case .choice(let words): object = ["type": "string", "enum": .array(words.map { .string($0) })]
        case .numberMap(let range, let maxItems):
            object = ["type": "object", "maxProperties": .int(maxItems),
                      "additionalProperties": ["type": "number", "minimum": .double(range.lowerBound),
                                               "maximum": .double(range.upperBound)]]
        }
        object["description"] = .string(help)
        return .object(object)
    }

    /// How the kind reads in an error message: "an integer 0–1000000000000".
    var expectation: String {
        switch kind {
        case .text(let maxBytes): return "a string of at most \(maxBytes) bytes"
        case .name: return "a non-empty name of at most \(Self.nameLimit) bytes"
        case .integer(let range): return "an integer \(range.lowerBound)–\(range.upperBound)"
        case .number(let range): return "a number \(Self.format(range.lowerBound))–\(Self.format(range.upperBound))"
        case .boolean: return "true or false"
        case .names(let maxItems): return "a list of at most \(maxItems) names"
        case .choice(let words): return "one of \(words.joined(separator: ", "))"
        case .numberMap(let range, _):
            return "an object of name → number \(Self.format(range.lowerBound))–\(Self.format(range.upperBound))"
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// What a tool is: its name, what it does, its arguments, and whether it only reads.
public struct MCPToolSpec: Sendable, Hashable {
    public var name: String
    public var summary: String
    public var arguments: [MCPArgumentSpec]
    public var readOnly: Bool

    public init(_ name: String, _ summary: String, readOnly: Bool = false, _ arguments: [MCPArgumentSpec] = []) {
        self.name = name
        self.summary = summary
        self.arguments = arguments
        self.readOnly = readOnly
    }

    /// `{"type":"object","properties":{…},"required":[…],"additionalProperties":false}`.
    public var inputSchema: Value {
        var properties: [String: Value] = [:]
        for argument in arguments { properties[argument.name] = argument.schema }
        return .object([
            "type": "object",
            "properties": .object(properties),
            "required": .array(arguments.filter(\.required).map { .string($0.name) }),
            "additionalProperties": false,
        ])
    }

    /// The SDK's tool description.
    public var tool: Tool {
        Tool(name: name, description: summary, inputSchema: inputSchema,
             annotations: .init(readOnlyHint: readOnly, destructiveHint: readOnly ? nil : false, openWorldHint: false))
    }
}

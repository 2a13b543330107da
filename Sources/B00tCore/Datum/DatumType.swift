/// The kind of thing a datum describes. Kept open (a struct, not an enum) because datum folders written for
/// the original b00t carry many more types than this tool runs; those still load for `show` and `query`.
public struct DatumType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ raw: String) { self.rawValue = raw }

    public static let docker = DatumType("docker")
    public static let podman = DatumType("podman")
    public static let process = DatumType("process")
    public static let stack = DatumType("stack")
    public static let agent = DatumType("agent")
    public static let cli = DatumType("cli")
    public static let mcp = DatumType("mcp")
    public static let ai = DatumType("ai")
    public static let k8s = DatumType("k8s")

    /// Types this tool understands; anything else is a warning, and a near miss of one of these an error.
    public static let known: [DatumType] = [.docker, .podman, .process, .stack, .agent, .cli, .mcp, .ai, .k8s]

    /// Types the orchestrator can bring up (a stack is a group of them).
    public static let runnable: Set<DatumType> = [.docker, .podman, .process, .stack]

    public var isKnown: Bool { Self.known.contains(self) }
    public var isRunnable: Bool { Self.runnable.contains(self) }
    public var description: String { rawValue }

    public static func < (lhs: DatumType, rhs: DatumType) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

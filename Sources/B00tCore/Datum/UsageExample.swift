/// One line of a datum's `## Usage` section.
public struct UsageExample: Hashable, Sendable, Codable {
    public var description: String
    public var command: String

    public init(description: String, command: String) {
        self.description = description
        self.command = command
    }
}

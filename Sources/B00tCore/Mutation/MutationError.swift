/// Why a mutation could not be proposed or applied: a sentence for people (what is wrong and how to fix it) and
/// a stable code for scripts and tests (`not_allowed`, `stale`, `dirty`, …).
public struct MutationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// The datum has no `[b00t.self_mutate]`, or its flags do not cover the change.
        case notAllowed = "not_allowed"
        /// The request itself is wrong (unknown key, bad value, nothing to change).
        case invalid
        /// The edited file would not pass the strict loader.
        case invalidResult = "invalid_result"
        /// The file changed since the proposal was made.
        case stale
        /// The file has uncommitted edits (a person's): it is never overwritten.
        case dirty
        /// No datum of that name on this machine's search path.
        case notFound = "not_found"
        /// A diff, a script or a value is larger than a mutation may carry.
        case tooLarge = "too_large"
        /// git refused (commit, identity).
        case git
        /// Reading or writing the file failed.
        case io
        /// A datum script failed or ran too long.
        case script
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

import Logging

/// Hands each record's level, message and metadata to a closure: for tests, and for code that shows a
/// component's log somewhere other than a stream (a pane, a list).
public struct CallbackLogHandler: LogHandler {
    public typealias Callback = @Sendable (Logger.Level, String, Logger.Metadata) -> Void
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    private let callback: Callback

    public init(_ callback: @escaping Callback) { self.callback = callback }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        callback(event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { _, new in new })
    }
}

import Foundation
import Logging
import Synchronization

/// swift-log's handler for b00t: one logfmt or JSON line per record, through the process's `LogRouting`.
/// Until a long-running command turns logging on, records go nowhere — interactive commands stay silent.
public struct StructuredLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let component: String
    let routing: LogRouting
    /// A level set on this logger wins over the routing's.
    private var levelOverride: Logger.Level?

    public init(component: String, routing: LogRouting = .shared) {
        self.component = component
        self.routing = routing
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? routing.current?.settings.level ?? .critical }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard let target = routing.current else { return }
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error, merged["error"] == nil { merged["error"] = .string(ErrorText.describe(error)) }
        target.sink.write(LogLineFormatter.line(format: target.settings.format, time: Date(), level: event.level,
                                                component: component, message: event.message.description,
                                                metadata: merged))
    }
}

/// The process-wide switch: silent (nil) or settings plus a sink. One per process, swapped whole.
public final class LogRouting: Sendable {
    public struct Target: Sendable {
        public var settings: LogSettings
        public var sink: any LogSink
        public init(settings: LogSettings, sink: any LogSink) {
            self.settings = settings
            self.sink = sink
        }
    }

    private let target = Mutex<Target?>(nil)

    public init(_ target: Target? = nil) { self.target.withLock { $0 = target } }

    public static let shared = LogRouting()

    public var current: Target? { target.withLock { $0 } }

    public func route(_ new: Target?) { target.withLock { $0 = new } }
}

/// Loggers for b00t's components (`bus`, `agent`, `orchestrator`, `mcp`…). They use b00t's handler directly,
/// so library code logs the same way whether or not the process bootstrapped swift-log.
public enum B00tLog {
    public static func logger(_ component: String, routing: LogRouting = .shared) -> Logger {
        Logger(label: component) { label in StructuredLogHandler(component: label, routing: routing) }
    }

    /// Turns logging on for a long-running process: settings from the environment, lines to stderr.
    /// Throws (naming the variable) when B00T_LOG_LEVEL or B00T_LOG_FORMAT holds a value b00t does not know.
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment,
                             sink: any LogSink = DescriptorLogSink()) throws(LogSettingsError) {
        let settings = try LogSettings.from(environment: environment)
        LogRouting.shared.route(.init(settings: settings, sink: sink))
    }

    private static let bootstrapped = Mutex(false)

    /// Routes every swift-log logger in the process (libraries' too) through b00t's handler; once per process.
    public static func bootstrapSwiftLog() {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { LoggingSystem.bootstrap { label in StructuredLogHandler(component: label) } }
    }
}

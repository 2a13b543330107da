import Foundation
import Logging

/// How a long-running process logs, read from `B00T_LOG_LEVEL` (default `info`) and `B00T_LOG_FORMAT`
/// (`logfmt`, the default, or `json`). A value b00t does not know is an error naming the variable and the
/// allowed values: a typo must not silently turn debugging off.
public struct LogSettings: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable { case logfmt, json }

    public var level: Logger.Level
    public var format: Format

    public init(level: Logger.Level = .info, format: Format = .logfmt) {
        self.level = level
        self.format = format
    }

    public static let levelVariable = "B00T_LOG_LEVEL"
    public static let formatVariable = "B00T_LOG_FORMAT"

    public static func from(environment: [String: String]) throws(LogSettingsError) -> LogSettings {
        var settings = LogSettings()
        if let raw = environment[levelVariable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            let name = raw.lowercased() == "warn" ? "warning" : raw.lowercased()
            guard let level = Logger.Level(rawValue: name) else {
                throw .unknownValue(variable: levelVariable, value: raw,
                                    allowed: Logger.Level.allCases.map(\.rawValue))
            }
            settings.level = level
        }
        if let raw = environment[formatVariable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            guard let format = Format(rawValue: raw.lowercased()) else {
                throw .unknownValue(variable: formatVariable, value: raw, allowed: Format.allCases.map(\.rawValue))
            }
            settings.format = format
        }
        return settings
    }
}

public enum LogSettingsError: Error, Equatable, CustomStringConvertible {
    case unknownValue(variable: String, value: String, allowed: [String])

    public var code: String { "log_settings" }

    public var description: String {
        switch self {
        case .unknownValue(let variable, let value, let allowed):
            return "\(variable)=\(TerminalText.line(value)) is not known; use one of: \(allowed.joined(separator: ", ")) (or unset it)"
        }
    }
}

import Foundation

/// Limits and restart behaviour handed to the container engine (and honoured by the process runtime's
/// crash handling through `restartPolicy`).
public struct Resources: Hashable, Sendable, Codable {
    public var memoryLimit: String?
    public var cpuLimit: Double?
    public var restartPolicy: RestartPolicy?
    /// A process service's log is rotated past this size (`log_max_bytes`, default 10 MB) and that many older
    /// files are kept (`log_keep`, default 3): a chatty service cannot fill the disk.
    public var logMaxBytes: Int?
    public var logKeep: Int?

    /// `cpu_limit` must lie in (0, 1024].
    public static let maximumCPUs = 1024.0
    public static let defaultLogMaxBytes = 10 * 1024 * 1024
    public static let defaultLogKeep = 3
    /// 64 KiB (one read of the log writer) to 1 TiB.
    public static let logMaxBytesRange = (64 * 1024)...(1 << 40)
    public static let logKeepRange = 1...20

    public init(memoryLimit: String? = nil, cpuLimit: Double? = nil, restartPolicy: RestartPolicy? = nil,
                logMaxBytes: Int? = nil, logKeep: Int? = nil) {
        self.memoryLimit = memoryLimit
        self.cpuLimit = cpuLimit
        self.restartPolicy = restartPolicy
        self.logMaxBytes = logMaxBytes
        self.logKeep = logKeep
    }

    enum CodingKeys: String, CodingKey {
        case memoryLimit = "memory_limit", cpuLimit = "cpu_limit", restartPolicy = "restart_policy"
        case logMaxBytes = "log_max_bytes", logKeep = "log_keep"
    }

    /// `10485760`, `"10MB"`, `"512K"`, `"1 GiB"` → bytes (binary multiples); nil when it is none of those.
    public static func byteSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 15, let number = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let shift: Int
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        let scaled = number.multipliedReportingOverflow(by: 1 << shift)
        return scaled.overflow ? nil : scaled.partialValue
    }
}

/// Docker's restart vocabulary, shared by every runtime so one datum means the same thing everywhere.
public enum RestartPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    case no
    case always
    case onFailure = "on-failure"
    case unlessStopped = "unless-stopped"
}

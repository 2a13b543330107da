/// Limits and restart behaviour handed to the container engine (and honoured by the process runtime's
/// crash handling through `restartPolicy`).
public struct Resources: Hashable, Sendable, Codable {
    public var memoryLimit: String?
    public var cpuLimit: Double?
    public var restartPolicy: RestartPolicy?

    /// `cpu_limit` must lie in (0, 1024].
    public static let maximumCPUs = 1024.0

    public init(memoryLimit: String? = nil, cpuLimit: Double? = nil, restartPolicy: RestartPolicy? = nil) {
        self.memoryLimit = memoryLimit
        self.cpuLimit = cpuLimit
        self.restartPolicy = restartPolicy
    }

    enum CodingKeys: String, CodingKey {
        case memoryLimit = "memory_limit", cpuLimit = "cpu_limit", restartPolicy = "restart_policy"
    }
}

/// Docker's restart vocabulary, shared by every runtime so one datum means the same thing everywhere.
public enum RestartPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    case no
    case always
    case onFailure = "on-failure"
    case unlessStopped = "unless-stopped"
}

import Foundation

/// One `_b00t_/<name>.<type>.toml` file, decoded. Value type: the catalog hands out copies, so nothing a
/// caller does to a datum changes what another caller sees.
public struct Datum: Hashable, Sendable, Codable {
    public var name: String
    public var type: DatumType
    public var hint: String
    public var desires: String?
    public var category: String?
    public var install: String?
    public var usage: [UsageExample]
    public var learn: String?
    /// The original tool's `[b00t.learn]` table (topic, inline, auto_digest), when the datum has one.
    public var learnSpec: LearnSpec? = nil
    public var dependsOn: [String]
    public var members: [String]
    public var env: [String: String]
    public var dockerImage: String?
    public var dockerArgs: [String]
    public var ports: [String]
    /// Process runtime: the program and its arguments (argv; never passed through a shell).
    public var command: String?
    public var args: [String]
    public var workingDir: String?
    public var healthCheck: HealthCheck?
    public var resources: Resources?
    public var agent: AgentSpec?
    /// An `mcp` datum's ways to reach its server (`[[b00t.mcp.stdio]]`, `[[b00t.mcp.http]]`).
    public var mcp: MCPServerSpec? = nil
    /// How long `up`, `stop` and `restart` wait for another b00t that holds this datum's lock before giving
    /// up (`lock_timeout_ms`); nil means the health wait budget plus 30 s (see `Orchestrator.lockTimeout`).
    public var lockTimeoutMs: Int?
    /// Where the service serves Prometheus metrics (`metrics = "127.0.0.1:9464"`): handed to it as
    /// `B00T_METRICS_LISTEN` (b00t's own daemons read it as `--metrics`).
    public var metrics: String?
    /// `[b00t.self_mutate]`: what the crew may change through mutation proposals (nil: nothing).
    public var selfMutate: SelfMutateSpec? = nil
    /// `[b00t.scripts]`: named bash scripts whose changes to this file become mutation proposals.
    public var scripts: [String: String] = [:]
    /// Where it was read from: diagnostics and `show` name it.
    public var source: String?

    public init(
        name: String, type: DatumType, hint: String = "", desires: String? = nil, category: String? = nil,
        install: String? = nil, usage: [UsageExample] = [], learn: String? = nil, dependsOn: [String] = [],
        members: [String] = [], env: [String: String] = [:], dockerImage: String? = nil, dockerArgs: [String] = [],
        ports: [String] = [], command: String? = nil, args: [String] = [], workingDir: String? = nil,
        healthCheck: HealthCheck? = nil, resources: Resources? = nil, agent: AgentSpec? = nil, source: String? = nil
    ) {
        self.name = name
        self.type = type
        self.hint = hint
        self.desires = desires
        self.category = category
        self.install = install
        self.usage = usage
        self.learn = learn
        self.dependsOn = dependsOn
        self.members = members
        self.env = env
        self.dockerImage = dockerImage
        self.dockerArgs = dockerArgs
        self.ports = ports
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.healthCheck = healthCheck
        self.resources = resources
        self.agent = agent
        self.source = source
    }

    /// `lock_timeout_ms` must lie in 1 ms … 1 day.
    public static let lockTimeoutRange = 1...86_400_000

    /// `name.type`, the key every command uses (`redis.process`, `grok.stack`).
    public var id: String { "\(name).\(type.rawValue)" }

    enum CodingKeys: String, CodingKey {
        case name, type, hint, desires, category, install, usage, learn, learnSpec = "learn_spec"
        case dependsOn = "depends_on", members, env, dockerImage = "docker_image", dockerArgs = "docker_args"
        case ports, command, args, workingDir = "working_dir", healthCheck = "health_check", resources, agent
        case lockTimeoutMs = "lock_timeout_ms", metrics, source, mcp, selfMutate = "self_mutate", scripts
    }
}

import Foundation

/// Decodes one datum file. Strict where a mistake would silently change behaviour (syntax, wrong types, near-miss
/// keys, missing name), lenient where the original tool's folders differ (other keys and types are warnings).
public enum DatumDecoder {
    static let topKeys = ["b00t"]
    static let datumKeys = [
        "name", "type", "hint", "desires", "category", "install", "usage", "learn", "depends_on", "members", "env",
        "docker_image", "image", "docker_args", "ports", "command", "args", "working_dir", "health_check",
        "resources", "role", "skills", "personality", "policy", "model", "agent", "lock_timeout_ms", "mcp",
        "self_mutate", "scripts", "metrics",
    ]
    static let healthKeys = [
        "http_url", "tcp", "unix", "exec", "expected_status", "interval_ms", "timeout_ms", "retry_count", "start_period_ms",
    ]
    static let resourceKeys = ["memory_limit", "cpu_limit", "restart_policy", "log_max_bytes", "log_keep"]
    static let agentKeys = [
        "skills", "role", "personality", "model", "ipc", "crew", "inherits", "policy", "bouncer",
    ]

    /// Decodes `source` read from `file`. `fileName`/`fileType` come from `<name>.<type>.toml` when known.
    /// Returns the datum (nil when an error keeps it out) and everything found.
    public static func decode(
        source: String, file: String, fileName: String? = nil, fileType: String? = nil
    ) -> (datum: Datum?, diagnostics: [DatumDiagnostic]) {
        let document: TOMLDocument
        do {
            document = try TOMLDocument.parse(source)
        } catch {
            let diagnostic = DatumDiagnostic(
                severity: .error, file: file, line: error.line, column: error.column,
                key: nil, message: "TOML syntax error: \(error.message)",
                hint: "fix the TOML at this position")
            return (nil, [diagnostic])
        }
        let root = document.root
        let context = DecodingContext(file: file, document: document)
        let top = TableReader(root, path: "", context: context)
        guard let table = top.subtable("b00t") else {
            if !context.hasErrors {
                context.report(.error, key: nil, "no [b00t] table", hint: "a datum starts with a [b00t] table")
            }
            top.finish(known: topKeys)
            return (nil, context.diagnostics)
        }
        let datum = decodeDatum(table, context: context, fileName: fileName, fileType: fileType, file: file)
        top.finish(known: topKeys)
        return (context.hasErrors ? nil : datum, context.diagnostics)
    }

    private static func decodeDatum(
        _ t: TableReader, context: DecodingContext, fileName: String?, fileType: String?, file: String
    ) -> Datum? {
        let name = t.string("name")
        if name == nil && !t.has("name") {
            context.report(.error, key: "b00t.name", "missing required key", hint: "add name = \"\(fileName ?? "…")\"")
        }
        let effectiveName = name ?? fileName ?? ""
        let nameProblem = IdentifierRules.datumNameProblem(effectiveName)
        let nameIsKnown = name != nil || (!t.has("name") && fileName != nil)
        if let nameProblem, nameIsKnown {
            context.report(.error, key: "b00t.name", "invalid datum name '\(effectiveName)'", hint: nameProblem)
        }
        let declaredType = t.string("type")
        let type: DatumType? = declaredType.map { DatumType($0) } ?? fileType.map { DatumType($0) }
        if let type, let problem = IdentifierRules.datumTypeProblem(type.rawValue) {
            context.report(.error, key: "b00t.type", "invalid datum type '\(type)'", hint: problem)
        } else if let declared = type, let fileType, declared.rawValue != fileType {
            context.report(.error, key: "b00t.type", "type '\(declared)' does not match the file name's '.\(fileType).toml'",
                           hint: "rename the file or change the type")
        } else if let declared = type, !declared.isKnown {
            let known = DatumType.known.map(\.rawValue)
            if let suggestion = closestMatch(to: declared.rawValue, in: known) {
                context.report(.error, key: "b00t.type", "unknown type '\(declared)'",
                               hint: "did you mean '\(suggestion)'?")
            } else {
                context.report(.warning, key: "b00t.type", "type '\(declared)' is not one this tool runs",
                               hint: "known types: \(known.joined(separator: ", ")); it still loads for show and query")
            }
        }
        let resolvedType: DatumType
        if let type {
            resolvedType = type
        } else {
            context.report(.error, key: "b00t.type", "missing type", hint: "add type = \"process\" (or name the file <name>.<type>.toml)")
            resolvedType = DatumType("unknown")
        }
        if let name, let fileName, name != fileName, nameProblem == nil,
           IdentifierRules.datumTypeProblem(resolvedType.rawValue) == nil {
            context.report(.warning, key: "b00t.name", "name '\(name)' differs from the file name '\(fileName)'",
                           hint: "the name key wins; rename the file to \(name).\(resolvedType.rawValue).toml")
        }

        var datum = Datum(name: effectiveName, type: resolvedType, source: file)
        datum.hint = t.string("hint") ?? ""
        datum.desires = t.string("desires")
        datum.category = t.string("category")
        datum.install = t.string("install")
        decodeLearn(t, into: &datum)
        datum.usage = decodeUsage(t, context: context)
        datum.dependsOn = t.stringArray("depends_on") ?? []
        datum.members = t.stringArray("members") ?? []
        datum.env = t.stringTable("env") ?? [:]
        let image = t.string("docker_image")
        let alias = t.string("image")
        if image != nil, alias != nil {
            context.report(.warning, key: "b00t.image", "both image and docker_image are set; docker_image wins")
        }
        datum.dockerImage = image ?? alias
        datum.dockerArgs = t.stringArray("docker_args") ?? []
        datum.ports = decodePorts(t, context: context)
        decodeCommand(t, into: &datum)
        datum.workingDir = t.string("working_dir")
        if let health = t.subtable("health_check") { datum.healthCheck = decodeHealth(health, context: context) }
        if let resources = t.subtable("resources") { datum.resources = decodeResources(resources, context: context) }
        datum.lockTimeoutMs = integer(t, "lock_timeout_ms", in: Datum.lockTimeoutRange)
        if let listen = t.string("metrics") {
            do {
                datum.metrics = try MetricsAddress.parse(listen).description
            } catch {
                t.report("metrics", error.description, hint: "the service serves GET /metrics there; write it like \"127.0.0.1:9464\"")
            }
        }
        datum.agent = decodeAgent(t, context: context)
        datum.mcp = decodeMCP(t, type: resolvedType, context: context)
        datum.selfMutate = decodeSelfMutate(t, context: context)
        datum.scripts = decodeScripts(t, context: context)
        if datum.type == .stack, datum.members.isEmpty, !t.has("members") {
            context.report(.warning, key: "b00t.members", "a stack with no members does nothing",
                           hint: "add members = [\"redis.process\"]")
        }
        checkReferences(datum, context: context)
        t.finish(known: datumKeys)
        return datum
    }

    /// Every string the orchestrator expands must hold well-formed `${…}` references: a malformed one used to
    /// become empty text at run time.
    private static func checkReferences(_ datum: Datum, context: DecodingContext) {
        var fields: [(key: String, text: String)] = []
        if let command = datum.command { fields.append(("b00t.command", command)) }
        fields += datum.args.enumerated().map { ("b00t.args[\($0.offset)]", $0.element) }
        fields += datum.env.sorted { $0.key < $1.key }.map { ("b00t.env.\($0.key)", $0.value) }
        fields += datum.ports.enumerated().map { ("b00t.ports[\($0.offset)]", $0.element) }
        fields += datum.dockerArgs.enumerated().map { ("b00t.docker_args[\($0.offset)]", $0.element) }
        if let dir = datum.workingDir { fields.append(("b00t.working_dir", dir)) }
        if let health = datum.healthCheck {
            for (key, value) in [("http_url", health.httpURL), ("tcp", health.tcp), ("unix", health.unix)] {
                if let value { fields.append(("b00t.health_check.\(key)", value)) }
            }
            fields += (health.exec ?? []).enumerated().map { ("b00t.health_check.exec[\($0.offset)]", $0.element) }
        }
        for (key, text) in fields {
            if let problem = EnvExpansion.problem(in: text) {
                context.report(.error, key: key, "bad variable reference: \(problem)",
                               hint: "write $$ for a literal $")
            }
        }
    }

    private static func decodeUsage(_ t: TableReader, context: DecodingContext) -> [UsageExample] {
        guard let value = t.raw("usage") else { return [] }
        guard case .array(let items) = value else {
            t.typeError("usage", expected: "an array of { description, command } tables", found: value)
            return []
        }
        var result: [UsageExample] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let command):
                result.append(UsageExample(line: command))
            case .table(let fields):
                let reader = TableReader(fields, path: "b00t.usage[\(index)]", context: context)
                let description = reader.string("description") ?? ""
                guard let command = reader.string("command") else {
                    if !reader.has("command") {
                        context.report(.error, key: "b00t.usage[\(index)].command", "missing required key",
                                       hint: "each usage entry needs command = \"…\"")
                    }
                    reader.finish(known: ["description", "command"])
                    continue
                }
                reader.finish(known: ["description", "command"])
                result.append(UsageExample(description: description, command: command))
            default:
                context.report(.error, key: "b00t.usage[\(index)]", "expected a table, found \(item.typeName)",
                               hint: "write { description = \"…\", command = \"…\" }")
            }
        }
        return result
    }

    private static func decodePorts(_ t: TableReader, context: DecodingContext) -> [String] {
        guard let value = t.raw("ports") else { return [] }
        guard case .array(let items) = value else {
            t.typeError("ports", expected: "an array of ports (6379 or \"6333:6333\")", found: value)
            return []
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .int(let port) where (1...65535).contains(port): result.append(String(port))
            case .string(let spec) where PortSpec(EnvExpansion.expand(spec, environment: [:])) != nil:
                result.append(spec)
            default:
                context.report(.error, key: "b00t.ports[\(index)]", "invalid port \(item)",
                               hint: "use a number 1–65535 or \"HOST:CONTAINER\"")
            }
        }
        return result
    }

    /// `command` may be a program name (with `args` separately) or a whole argv array.
    private static func decodeCommand(_ t: TableReader, into datum: inout Datum) {
        var args: [String] = []
        if let value = t.raw("command") {
            switch value {
            case .string(let s): datum.command = s
            case .array(let items):
                let argv = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                if argv.count != items.count || argv.isEmpty {
                    t.typeError("command", expected: "a string or a non-empty array of strings", found: value)
                } else {
                    datum.command = argv[0]
                    args = Array(argv.dropFirst())
                }
            default: t.typeError("command", expected: "a string or an array of strings", found: value)
            }
        }
        datum.args = args + (t.stringArray("args") ?? [])
    }

    private static func decodeHealth(_ t: TableReader, context: DecodingContext) -> HealthCheck {
        var health = HealthCheck()
        health.httpURL = t.string("http_url")
        health.tcp = t.string("tcp")
        health.unix = t.string("unix")
        if let tcp = health.tcp, HostPort(EnvExpansion.expand(tcp, environment: [:])) == nil {
            context.report(.error, key: "b00t.health_check.tcp", "invalid address '\(tcp)'", hint: "write \"127.0.0.1:6379\"")
        }
        if let text = health.httpURL {
            let url = URL(string: EnvExpansion.expand(text, environment: [:]))
            if url?.scheme?.lowercased() != "http" || (url?.host ?? "").isEmpty || (url?.port).map({ !(1...65535).contains($0) }) == true {
                context.report(.error, key: "b00t.health_check.http_url", "invalid http_url '\(text)'",
                               hint: "write \"http://127.0.0.1:8080/health\" (only http:// is probed)")
            }
        }
        if let value = t.raw("exec") {
            switch value {
            case .string(let s): health.exec = s.split(separator: " ").map(String.init)
            case .array:
                health.exec = TableReader(["exec": value], path: "b00t.health_check", context: context).stringArray("exec")
            default: t.typeError("exec", expected: "an argv array of strings", found: value)
            }
        }
        if let v = integer(t, "expected_status", in: HealthCheck.statusRange) { health.expectedStatus = v }
        if let v = integer(t, "interval_ms", in: HealthCheck.intervalRange) { health.intervalMs = v }
        if let v = integer(t, "timeout_ms", in: HealthCheck.timeoutRange) { health.timeoutMs = v }
        if let v = integer(t, "retry_count", in: HealthCheck.retryRange) { health.retryCount = v }
        if let v = integer(t, "start_period_ms", in: HealthCheck.startPeriodRange) { health.startPeriodMs = v }
        t.finish(known: healthKeys)
        return health
    }

    /// An integer key that must lie in `range`; out of range is an error that gives the range.
    static func integer(_ t: TableReader, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = t.int(key) else { return nil }
        guard range.contains(value) else {
            t.report(key, "\(value) is out of range", hint: "use a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    private static func decodeResources(_ t: TableReader, context: DecodingContext) -> Resources {
        var resources = Resources()
        resources.memoryLimit = t.string("memory_limit")
        if let value = t.raw("cpu_limit") {
            switch value {
            case .double, .int, .string:
                let cpus: Double? = switch value {
                case .double(let d): d
                case .int(let i): Double(i)
                case .string(let s): Double(s)
                default: nil
                }
                if let cpus, cpus > 0, cpus <= Resources.maximumCPUs {
                    resources.cpuLimit = cpus
                } else if cpus == nil {
                    t.typeError("cpu_limit", expected: "a number of CPUs (1.5)", found: value)
                } else {
                    t.report("cpu_limit", "\(value) is out of range", hint: "use a number of CPUs above 0 and at most \(Int(Resources.maximumCPUs))")
                }
            default: t.typeError("cpu_limit", expected: "a number of CPUs (1.5)", found: value)
            }
        }
        if let policy = t.string("restart_policy") {
            if let parsed = RestartPolicy(rawValue: policy) {
                resources.restartPolicy = parsed
            } else {
                context.report(.error, key: t.keyPath("restart_policy"), "unknown restart policy '\(policy)'",
                               hint: "one of: " + RestartPolicy.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let value = t.raw("log_max_bytes") {
            let range = Resources.logMaxBytesRange
            let bytes: Int? = switch value {
            case .int(let i): i
            case .string(let text): Resources.byteSize(text)
            default: nil
            }
            if let bytes, range.contains(bytes) {
                resources.logMaxBytes = bytes
            } else if bytes == nil {
                t.typeError("log_max_bytes", expected: "a size in bytes (10485760) or with a unit (\"10MB\", \"512K\")", found: value)
            } else {
                t.report("log_max_bytes", "\(value) is out of range", hint: "use 64K to 1T (\(range.lowerBound)–\(range.upperBound) bytes)")
            }
        }
        resources.logKeep = integer(t, "log_keep", in: Resources.logKeepRange)
        t.finish(known: resourceKeys)
        return resources
    }

    /// Agent fields from the flat keys and/or the original tool's `[b00t.agent]` table (which wins on conflict).
    private static func decodeAgent(_ t: TableReader, context: DecodingContext) -> AgentSpec? {
        var spec = AgentSpec()
        var present = false
        if let skills = decodeSkills(t, context: context) { spec.skills = skills; present = true }
        if let role = t.string("role") { spec.role = role; present = true }
        if let personality = t.string("personality") { spec.personality = personality; present = true }
        if let model = t.string("model") { spec.model = model; present = true }
        if let policy = t.raw("policy") { spec.policies["policy"] = policy; present = true }
        if let agent = t.subtable("agent") {
            present = true
            if let skills = decodeSkills(agent, context: context) { spec.skills.merge(skills) { _, new in new } }
            spec.role = agent.string("role") ?? spec.role
            spec.personality = agent.string("personality") ?? spec.personality
            spec.model = agent.string("model") ?? spec.model
            if let ipc = agent.subtable("ipc") { spec.ipc = ipc.values; _ = ipc.values.keys.map { ipc.raw($0) } }
            if let crew = agent.subtable("crew") {
                spec.crewRole = crew.string("role")
                spec.captain = crew.bool("captain")
                crew.finish(known: ["role", "captain"])
            }
            if let value = agent.raw("inherits") {
                switch value {
                case .array(let items):
                    for (index, item) in items.enumerated() {
                        if case .table(let fields) = item, case .string(let from)? = fields["from"] {
                            spec.inherits.append(from)
                        } else if case .string(let from) = item {
                            spec.inherits.append(from)
                        } else {
                            context.report(.error, key: "b00t.agent.inherits[\(index)]",
                                           "expected { from = \"agent\" }, found \(item.typeName)")
                        }
                    }
                default: agent.typeError("inherits", expected: "an array of [[b00t.agent.inherits]] tables", found: value)
                }
            }
            for policy in ["policy", "bouncer"] {
                if let value = agent.raw(policy) { spec.policies[policy] = value }
            }
            agent.finish(known: agentKeys)
        }
        return present ? spec : nil
    }

    /// `skills = ["rust", "go"]` (each 0.5) or `skills = { rust = 0.9 }`; proficiency must lie in 0.0…1.0.
    private static func decodeSkills(_ t: TableReader, context: DecodingContext) -> [String: Double]? {
        guard let value = t.raw("skills") else { return nil }
        var skills: [String: Double] = [:]
        switch value {
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard case .string(let skill) = item else {
                    context.report(.error, key: "\(t.keyPath("skills"))[\(index)]",
                                   "expected a skill name, found \(item.typeName)")
                    continue
                }
                if let problem = IdentifierRules.skillNameProblem(skill) {
                    context.report(.error, key: "\(t.keyPath("skills"))[\(index)]", "invalid skill '\(skill)'", hint: problem)
                    continue
                }
                skills[skill] = 0.5
            }
        case .table(let table):
            for (skill, level) in table {
                let key = "\(t.keyPath("skills")).\(skill)"
                if let problem = IdentifierRules.skillNameProblem(skill) {
                    context.report(.error, key: key, "invalid skill '\(skill)'", hint: problem)
                    continue
                }
                let proficiency: Double
                switch level {
                case .double(let d): proficiency = d
                case .int(let i): proficiency = Double(i)
                default:
                    context.report(.error, key: key, "expected a proficiency number, found \(level.typeName)",
                                   hint: "write \(skill) = 0.8")
                    continue
                }
                guard (0.0...1.0).contains(proficiency) else {
                    context.report(.error, key: key, "proficiency \(proficiency) is outside 0.0–1.0")
                    continue
                }
                skills[skill] = proficiency
            }
        default:
            t.typeError("skills", expected: "an array of names or a table of skill = proficiency", found: value)
            return nil
        }
        return skills
    }
}

import Foundation

/// Runs a command from argv to completion within a time limit (`CommandRunner.run` for real; tests pass
/// canned outputs). Throws `SpawnError` when the program is not there, `CommandTimeout` past the limit.
public typealias DoctorCommandRunner = @Sendable (_ argv: [String], _ timeout: Duration) throws -> CommandRunner.Output

/// A container engine for `docker` / `podman` datums: `docker info` (else `podman info`) must answer. None is
/// a warning, not a failure: only container datums need one, and `process` datums run without.
public struct ContainerEngineProbe: DoctorProbe {
    public let id = "containers"
    public var engines: [String]
    public var runner: DoctorCommandRunner
    /// Each engine's `info` gets this long (a daemon that hangs must not hang doctor).
    public var commandTimeout: Duration = .milliseconds(2500)

    public init(engines: [String] = ["docker", "podman"],
                runner: @escaping DoctorCommandRunner = { argv, timeout in try CommandRunner.run(argv, timeout: timeout) }) {
        self.engines = engines
        self.runner = runner
    }

    public var timeout: Duration { .milliseconds(Int64(engines.count) * commandTimeout.wholeMilliseconds + 500) }

    public func timedOut(after timeout: Duration) -> DoctorCheck {
        DoctorCheck(id, .warn, "no container engine answered within \(Doctor.seconds(timeout))",
                    fix: "check the engine (`docker info`); only docker/podman datums need one")
    }

    public func run() async -> [DoctorCheck] {
        let probe = self
        return await Doctor.offThread { [probe.check()] }
    }

    func check() -> DoctorCheck {
        var trouble: [String] = []
        for engine in engines {
            do {
                let output = try runner([engine, "info", "--format", "{{json .}}"], commandTimeout)
                if output.status == 0 {
                    return DoctorCheck(id, .ok, "\(engine) engine answers\(Self.version(output.stdout).map { " (server \($0))" } ?? "")")
                }
                let why = [output.stderr, output.stdout].lazy.compactMap { $0.split(separator: "\n").first }.first.map(String.init)
                    ?? "exit \(output.status)"
                trouble.append("\(engine) is installed but its engine does not answer: \(why)")
            } catch let error as SpawnError {
                if case .failed(_, let code) = error, code == ENOENT { continue }
                trouble.append("\(engine): \(error)")
            } catch let error as CommandTimeout {
                trouble.append("`\(engine) info` did not answer within \(Doctor.seconds(error.timeout))")
            } catch {
                trouble.append("\(engine): \(error)")
            }
        }
        if trouble.isEmpty {
            return DoctorCheck(id, .warn, "no container engine (\(engines.joined(separator: ", ")) not found): docker/podman datums cannot run",
                               fix: "install Docker or Podman if you use container datums; process datums work without")
        }
        return DoctorCheck(id, .warn, trouble.joined(separator: "; "),
                           fix: "start the engine (e.g. `sudo systemctl start docker`) or check your access to its socket; only docker/podman datums need it")
    }

    /// `ServerVersion` (docker) or `version.Version` (podman) from `info --format '{{json .}}'`.
    static func version(_ json: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        if let server = object["ServerVersion"] as? String { return server }
        if let version = object["version"] as? [String: Any], let text = version["Version"] as? String { return text }
        return nil
    }
}

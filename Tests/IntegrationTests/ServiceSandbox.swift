import Foundation
import B00tTestSupport
@testable import B00tCore

/// A datum folder and a private state dir for one test; stops whatever it started when it goes away.
final class ServiceSandbox {
    let datums = TempDir("b00t-datums")
    let state = TempDir("b00t-state")

    var paths: B00tPaths { B00tPaths(stateDirectory: state.path) }

    func write(_ file: String, _ text: String) { datums.write(file, text) }

    /// A redis.process datum on `port`, named `name`.
    func redis(_ name: String = "redis", port: Int, policy: String = "on-failure") {
        write("\(name).process.toml", """
        [b00t]
        name = "\(name)"
        type = "process"
        command = "redis-server"
        args = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        ports = [\(port)]
        [b00t.health_check]
        tcp = "127.0.0.1:\(port)"
        interval_ms = 20
        retry_count = 250
        [b00t.resources]
        restart_policy = "\(policy)"
        """)
    }

    var catalog: DatumCatalog { DatumLoader(searchPath: DatumSearchPath(folders: [datums.path])).load() }

    func orchestrator(environment: [String: String] = [:]) -> Orchestrator {
        var env = ProcessInfo.processInfo.environment
        env["B00T_DEBUG"] = nil
        for (k, v) in environment { env[k] = v }
        return Orchestrator(catalog: catalog, paths: paths, environment: env, grace: .seconds(3))
    }

    /// Environment for running the `b00t` binary against this sandbox.
    var cliEnvironment: [String: String] {
        ["B00T_PATH": datums.path, "B00T_STATE_DIR": state.path, "B00T_DEBUG": "", "HOME": state.path]
    }

    deinit {
        let orchestrator = self.orchestrator()
        for datum in orchestrator.catalog.all where datum.type == .process {
            _ = try? orchestrator.stopBlocking(datum.id, force: true)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// A real Prometheus (Debian's `prometheus`, installed by `make deps`) scrapes a real `b00t bus serve
/// --metrics`, and what it stored — read back through its HTTP query API — matches the traffic we drove.
@Suite(.serialized) struct PrometheusScrapeTests {
    static let prometheus = "/usr/bin/prometheus"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: prometheus) }

    /// `b00t bus serve` on a private socket with metrics on a free loopback port; its stderr in a file.
    final class Daemon: @unchecked Sendable {
        let process = Process()
        let socket: String
        let metricsPort = freePort()
        let logPath: String

        init(dir: TempDir, extraEnv: [String: String] = [:], arguments: [String] = []) throws {
            socket = dir.path + "/bus.sock"
            logPath = dir.path + "/daemon.log"
            var env = ProcessInfo.processInfo.environment
            env["B00T_STATE_DIR"] = dir.path
            env["XDG_RUNTIME_DIR"] = ""
            env["B00T_BUS_TOKEN"] = nil
            for (key, value) in extraEnv { env[key] = value }
            process.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            process.arguments = ["bus", "serve", "--socket", socket, "--store", "memory",
                                 "--metrics", "127.0.0.1:\(metricsPort)", "--rate", "20", "--burst", "40"] + arguments
            process.environment = env
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logPath)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(15)
            while (try? HTTPGet.get(port: metricsPort, path: "/metrics"))?.status != 200 {
                guard Date() < deadline, process.isRunning else {
                    throw HTTPGet.Failure(description: "the daemon never served /metrics: \(log)")
                }
                usleep(20_000)
            }
        }

        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// `prometheus` with its storage in `dir`, scraping `target` every second.
    final class Prometheus: @unchecked Sendable {
        let process = Process()
        let port = freePort()

        init(dir: TempDir, target: Int) throws {
            let config = dir.write("prometheus.yml", """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: b00t
                    static_configs:
                      - targets: ['127.0.0.1:\(target)']
                """)
            process.executableURL = URL(fileURLWithPath: PrometheusScrapeTests.prometheus)
            process.arguments = ["--config.file=\(config)", "--storage.tsdb.path=\(dir.path)/data",
                                 "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while (try? HTTPGet.get(port: port, path: "/-/ready"))?.status != 200 {
                guard Date() < deadline, process.isRunning else { throw HTTPGet.Failure(description: "prometheus never became ready") }
                usleep(50_000)
            }
        }

        /// The value of an instant query with one result, or nil (no sample yet).
        func value(_ query: String) throws -> Double? {
            let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
            let response = try HTTPGet.get(port: port, path: "/api/v1/query?query=\(encoded)")
            guard response.status == 200,
                  let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
                  let data = object["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
                  let first = result.first, let pair = first["value"] as? [Any], pair.count == 2,
                  let text = pair[1] as? String else { return nil }
            return Double(text)
        }

        /// Polls until the query answers `expected` (scrapes come every second).
        func waitFor(_ query: String, _ expected: Double, seconds: Double = 30) throws -> Double? {
            let deadline = Date().addingTimeInterval(seconds)
            var last: Double?
            while Date() < deadline {
                last = try value(query)
                if last == expected { return last }
                usleep(250_000)
            }
            return last
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    @Test(.enabled(if: PrometheusScrapeTests.available, "needs Debian's prometheus (make deps installs it)"),
          .timeLimit(.minutes(3)))
    func prometheusScrapesCountersThatMatchTheTraffic() async throws {
        let dir = TempDir("b00t-prom")
        let daemon = try Daemon(dir: dir, extraEnv: ["B00T_LOG_FORMAT": "json"])
        defer { daemon.stop() }
        let prometheus = try Prometheus(dir: dir, target: daemon.metricsPort)
        defer { prometheus.stop() }

        // Traffic: two agents, 25 messages, 3 refusals, a live subscriber, and a flood that hits the rate limit.
        let endpoint = BusEndpoint(socketPath: daemon.socket, token: nil)
        let alpha = try await RemoteBus.connect(endpoint, agent: "alpha")
        let beta = try await RemoteBus.connect(endpoint, agent: "beta")
        try await alpha.register(BusAgent(id: "alpha"))
        try await beta.register(BusAgent(id: "beta"))
        let subscriber = Task {
            var seen = 0
            for try await _ in beta.subscribe(after: 0) { seen += 1 }
            return seen
        }
        for n in 0..<15 { try await alpha.say(from: "alpha", "from alpha \(n)") }
        for n in 0..<10 { try await beta.say(from: "beta", "from beta \(n)") }
        for _ in 0..<3 {
            await #expect(throws: (any Error).self) { try await alpha.submit(.vote(from: "alpha", proposal: "none", choice: .yes)) }
        }
        let flood = try RawSocket(path: daemon.socket)
        flood.send(#"{"v":1,"op":"hello","agent":"flood"}"#)
        _ = flood.readLines(1)
        for n in 0..<100 { flood.send(#"{"v":1,"op":"ping","id":\#(n)}"#) }
        let replies = flood.readLines(100)
        let limited = replies.filter { $0.contains("rate_limited") }.count
        #expect(limited > 0, "a flood of 100 against a burst of 40 is limited")
        defer { subscriber.cancel() }

        let messages = try prometheus.waitFor(#"b00t_bus_events_appended_total{kind="message"}"#, 25)
        #expect(messages == 25)
        let registered = try prometheus.waitFor(#"b00t_bus_events_appended_total{kind="agent_registered"}"#, 2)
        #expect(registered == 2)
        #expect(try prometheus.waitFor("sum(b00t_bus_refusals_total)", 3) == 3)
        #expect(try prometheus.waitFor("b00t_bus_rate_limited_total", Double(limited)) == Double(limited))
        #expect(try prometheus.waitFor("b00t_bus_connections", 3) == 3, "alpha, beta and the flood are connected")
        // A RemoteBus follows the stream from the moment it connects (fold-then-deliver): two subscribers.
        #expect(try prometheus.waitFor("b00t_bus_subscribers", 2) == 2)
        // One transaction per command (presence events come on top).
        #expect(try prometheus.waitFor(#"sum(b00t_bus_append_duration_seconds_count{backend="memory"}) >= bool 27"#, 1) == 1)
        #expect(try prometheus.waitFor(#"up{job="b00t"}"#, 1) == 1)

        await alpha.close()
        await beta.close()
        #expect(try prometheus.waitFor("b00t_bus_connections", 1) == 1, "closed connections go down again")
        #expect(try prometheus.waitFor("b00t_bus_subscribers", 0) == 0)

        // Its log: JSON lines from the `bus` component.
        daemon.stop()
        let lines = daemon.log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "\(line)")
            #expect(object["component"] == "bus" && object["ts"] != nil && object["level"] != nil, "\(line)")
        }
        #expect(daemon.log.contains("metrics at http://127.0.0.1:\(daemon.metricsPort)/metrics"))
        #expect(daemon.log.contains(#""msg":"stopped""#))
    }

    @Test func daemonsLogLogfmtByDefaultAndRefuseUnknownSettings() throws {
        let dir = TempDir("b00t-logs")
        var env = ["B00T_STATE_DIR": dir.path, "XDG_RUNTIME_DIR": "", "B00T_LOG_LEVEL": "chatty"]
        let refused = try run(Binaries.path("b00t"), ["bus", "serve", "--socket", dir.path + "/x.sock", "--store", "memory"], environment: env)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("B00T_LOG_LEVEL=chatty") && refused.stderr.contains("debug, info"), "\(refused.stderr)")
        env["B00T_LOG_LEVEL"] = nil
        let badMetrics = try run(Binaries.path("b00t"), ["bus", "serve", "--socket", dir.path + "/x.sock", "--store", "memory",
                                                          "--metrics", "0.0.0.0:9464"], environment: env)
        #expect(badMetrics.status != 0 && badMetrics.stderr.contains("--metrics") && badMetrics.stderr.contains("loopback"),
                "\(badMetrics.stderr)")
        let daemon = try Daemon(dir: dir)
        daemon.stop()
        let lines = daemon.log.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("ts=") && $0.contains(" component=bus msg=") }, "\(daemon.log)")
        #expect(lines.contains { $0.contains(" level=info component=bus msg=\"serving memory on ") }, "\(daemon.log)")
    }
}

import Foundation

/// The process runtime's records (`<state>/services/<id>.json`) checked against the live system, as `ps`
/// does: a record whose pid is gone (or is now another process: other start time) is left over from a
/// service that died without being stopped; one b00t cannot trust blocks `up` until it is removed. The bus
/// daemon's own record is the bus probe's business.
public struct ServiceRecordsProbe: DoctorProbe {
    public let id = "services"
    public var paths: B00tPaths
    /// Datums that exist: their leftovers are cleared with `b00t stop`, others' with `rm`.
    public var known: Set<String>
    /// Records looked at, at most.
    public var maximumRecords = 1_000

    public init(paths: B00tPaths, known: Set<String>) {
        self.paths = paths
        self.known = known
    }

    public func run() async -> [DoctorCheck] {
        let probe = self
        return await Doctor.offThread { probe.checks() }
    }

    func checks() -> [DoctorCheck] {
        let folder = paths.stateDirectory + "/services"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().prefix(maximumRecords)
        let runtime = ProcessRuntime(paths: paths)
        var running: [String] = []
        var problems: [DoctorCheck] = []
        for name in names {
            let service = String(name.dropLast(5))
            guard service != BusDaemonProbe.datumID else { continue }
            let path = runtime.recordPath(service)
            let clear = known.contains(service) ? "`b00t stop \(service)` clears it; `b00t up \(service)` starts it again"
                : "rm \(path) (there is no datum \(service) any more)"
            switch runtime.observe(service) {
            case .none:
                continue
            case .running:
                running.append(service)
            case .gone(let record):
                problems.append(DoctorCheck("services.\(service)", .warn,
                                            "leftover record: \(service) (pid \(record.pid)) died without being stopped",
                                            fix: clear))
            case .leaderExited(let record, let members):
                problems.append(DoctorCheck("services.\(service)", .warn,
                                            "\(service): " + ProcessRuntime.leaderExitedDetail(record, members: members),
                                            fix: known.contains(service) ? "b00t stop \(service) stops the whole group"
                                                : "kill -TERM -\(record.pid), then rm \(path)"))
            case .untrusted(let why):
                problems.append(DoctorCheck("services.\(service)", .fail, why,
                                            fix: "rm \(path) once you are sure no such service runs (`up`/`stop` refuse to act on it until then)"))
            }
        }
        guard problems.isEmpty else { return problems }
        if running.isEmpty {
            let busRecord = names.contains(BusDaemonProbe.datumID + ".json")
            return [DoctorCheck(id, .ok, busRecord ? "no service records besides the bus daemon's (checked above)"
                                                   : "no service records (nothing started by b00t is running)")]
        }
        let shown = running.prefix(6).joined(separator: ", ") + (running.count > 6 ? ", …" : "")
        return [DoctorCheck(id, .ok, "\(running.count) service\(running.count == 1 ? "" : "s") running: \(shown)")]
    }
}

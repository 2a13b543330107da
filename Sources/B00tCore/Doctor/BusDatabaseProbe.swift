#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// The embedded bus log (`<state>/bus.sqlite`, or the file `$B00T_BUS_URL=sqlite:PATH` names): SQLite's own
/// `PRAGMA quick_check` through a read-only connection (doctor never writes to it, and a read-only connection
/// never checkpoints, so running it beside the daemon is safe), and the size of its write-ahead log. The
/// daemon checkpoints every 1,000 appends; a WAL that grew large means checkpoints are not finishing (a
/// reader holding an old snapshot open for a long time), and every read pays for it.
public struct BusDatabaseProbe: DoctorProbe {
    public let id = "bus.sqlite"
    public var path: String
    /// Above this the WAL is a warning.
    public var walWarningBytes: Int64 = 64 << 20
    public var timeout: Duration { Doctor.diskTimeout }

    public init(path: String) { self.path = path }

    /// The file the daemon (and `sqlite` buses) use, as `BusURL` decides it.
    public static func standardPath(paths: B00tPaths, environment: [String: String]) -> String {
        if let text = environment["B00T_BUS_URL"], case .sqlite(let explicit)? = try? BusURL(parsing: text), let explicit {
            return explicit
        }
        return paths.stateDirectory + "/bus.sqlite"
    }

    public func run() async -> [DoctorCheck] {
        let probe = self
        return await Doctor.offThread { probe.checks() }
    }

    public func timedOut(after timeout: Duration) -> DoctorCheck {
        DoctorCheck(id, .warn, "quick_check of \(path) did not finish within \(Doctor.seconds(timeout))",
                    fix: "a very large log, or a slow disk: run `sqlite3 -readonly \(path) 'PRAGMA quick_check'` by hand")
    }

    func checks() -> [DoctorCheck] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return [DoctorCheck(id, .ok, "no bus database yet at \(path) (created on first use)")] }
            return [DoctorCheck(id, .fail, "cannot read \(path): \(String(cString: strerror(errno)))",
                                fix: "check its owner and mode (it should be yours, 600)")]
        }
        return [integrity(size: Int64(info.st_size)), walCheck()]
    }

    /// `quick_check` reads every page (without the slower index-to-table cross checks `integrity_check` does).
    func integrity(size: Int64) -> DoctorCheck {
        let moveAside = "stop the daemon (b00t stop b00t-bus.process), move \(path) and its -wal/-shm files aside; "
            + "b00t starts a fresh log (`sqlite3 FILE .recover` may save events from the damaged copy)"
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            // Not `read`: its transaction turns a failed step into an error of its own and the rows are lost.
            let (problems, lastSeq) = try queue.inDatabase { db -> ([String], Int64?) in
                // Read row by row: on a damaged file SQLite reports what it found, then fails the step
                // itself (SQLITE_CORRUPT), and both are the news.
                var rows: [String] = []
                let cursor = try String.fetchCursor(db, sql: "PRAGMA quick_check(20)")
                do {
                    while let row = try cursor.next() { rows.append(row) }
                } catch let error as DatabaseError where !rows.isEmpty {
                    rows.append(error.message ?? "\(error.resultCode)")
                }
                let seq = try? Int64.fetchOne(db, sql: "SELECT max(seq) FROM events")
                // "*** in database main ***" heads the list; the page lines are the news.
                return (rows.filter { $0 != "ok" && !$0.hasPrefix("***") }, seq ?? nil)
            }
            guard problems.isEmpty else {
                return DoctorCheck(id, .fail, "\(path) is damaged: quick_check says \(problems.prefix(3).joined(separator: "; "))"
                                   + (problems.count > 3 ? "; …" : ""), fix: moveAside)
            }
            let events = lastSeq.map { "events up to #\($0)" } ?? "no events yet"
            return DoctorCheck(id, .ok, "\(path): quick_check ok, \(Self.megabytes(size)), \(events)")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            return DoctorCheck(id, .fail, "\(path) is damaged: \(error.message ?? "\(error.resultCode)")", fix: moveAside)
        } catch let error as DatabaseError {
            return DoctorCheck(id, .fail, "\(path) cannot be read as SQLite: \(error.message ?? "\(error.resultCode)")",
                               fix: error.resultCode == .SQLITE_BUSY ? "another process holds it locked; try again" : moveAside)
        } catch {
            return DoctorCheck(id, .fail, "\(path) cannot be read as SQLite: \(error)", fix: moveAside)
        }
    }

    func walCheck() -> DoctorCheck {
        let wal = path + "-wal"
        var info = stat()
        guard stat(wal, &info) == 0 else {
            return DoctorCheck("bus.wal", .ok, "no write-ahead log (everything is checkpointed)")
        }
        let size = Int64(info.st_size)
        guard size > walWarningBytes else {
            return DoctorCheck("bus.wal", .ok, "write-ahead log \(Self.megabytes(size))")
        }
        return DoctorCheck("bus.wal", .warn, "write-ahead log \(wal) is \(Self.megabytes(size)) (over \(Self.megabytes(walWarningBytes))): checkpoints are not finishing",
                           fix: "a clean stop checkpoints it (`b00t restart b00t-bus.process`), or while it runs: "
                            + "sqlite3 \(path) 'PRAGMA wal_checkpoint(TRUNCATE)'; look for a long-running reader (`b00t bus tail`, an agent) holding it open")
    }

    static func megabytes(_ bytes: Int64) -> String {
        bytes < 1 << 20 ? "\(bytes / 1024) KiB" : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads `/proc/<pid>/stat`: whether a pid is alive (zombies count as dead) and its start time in clock
/// ticks, which tells "the same process" apart from a recycled pid.
public enum ProcFS {
    public struct Stat: Sendable, Equatable {
        public var state: Character
        public var startTicks: UInt64
        /// Process group and session ids: a service b00t starts leads both (its pid equals them).
        public var processGroup: pid_t = 0
        public var session: pid_t = 0

        public init(state: Character, startTicks: UInt64, processGroup: pid_t = 0, session: pid_t = 0) {
            self.state = state
            self.startTicks = startTicks
            self.processGroup = processGroup
            self.session = session
        }

        public var isZombie: Bool { state == "Z" || state == "X" }
    }

    public static func stat(_ pid: pid_t) -> Stat? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// Parses one `/proc/<pid>/stat` line (the command name in parentheses may itself hold spaces and ')').
    static func parse(_ text: String) -> Stat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is state (field 3 of stat), then ppid, pgrp, session; starttime is field 22 → index 19 here.
        guard fields.count > 19, let state = fields[0].first, let group = pid_t(fields[2]), let session = pid_t(fields[3]),
              let start = UInt64(fields[19])
        else { return nil }
        return Stat(state: state, startTicks: start, processGroup: group, session: session)
    }

    /// Live (non-zombie) processes in process group `group` and session `session`, started no earlier than
    /// `startedAtOrAfter` ticks: what is left of a service whose leader exited (a daemon that forked).
    public static func groupMembers(group: pid_t, session: pid_t, startedAtOrAfter ticks: UInt64) -> [pid_t] {
        guard group > 1, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let s = stat(pid) else { return false }
            return s.processGroup == group && s.session == session && !s.isZombie && s.startTicks >= ticks
        }.sorted()
    }

    /// Alive and not a zombie. Reaps our own zombie children on the way.
    ///
    /// A multi-threaded process that is being killed can show its main thread as a zombie while other threads
    /// still hold its sockets and files open; it counts as alive until the last thread is gone.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard let s = stat(pid) else { return false }
        if s.state == "Z" || s.state == "X" {
            if threadCount(pid) > 1 { return true }
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            return false
        }
        return true
    }

    /// `Threads:` from /proc/<pid>/status (0 when unreadable).
    static func threadCount(_ pid: pid_t) -> Int {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/status") else { return 0 }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst(8).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    public static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
}

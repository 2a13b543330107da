#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The state directory (pid records, logs, locks, the bus database, the token) and the runtime directory (the
/// bus socket): each must be this user's, mode 0700, and what is inside must be private too (files 0600,
/// folders 0700). Another user who can write there could plant a service record b00t signals or a socket
/// clients trust; one who can read there reads the bus log and token.
///
/// Doctor only looks: `B00tPaths.ensurePrivateDirectory` tightens a merely readable folder when b00t next
/// uses it, but until then it is readable, so doctor reports it.
public struct DirectoriesProbe: DoctorProbe {
    public let id = "dirs"
    public var paths: B00tPaths
    /// Whose the folders must be (this process's effective uid; tests pass another to see the refusal).
    public var owner: uid_t
    /// Entries looked at below each folder, at most (a state folder holds a few dozen).
    public var maximumEntries = 10_000

    public init(paths: B00tPaths, owner: uid_t = geteuid()) {
        self.paths = paths
        self.owner = owner
    }

    public func run() async -> [DoctorCheck] {
        let probe = self
        return await Doctor.offThread { probe.checks() }
    }

    func checks() -> [DoctorCheck] {
        var checks = inspect(paths.stateDirectory, id: "dirs.state", what: "state directory", depth: 2)
        if paths.runtimeDirectory == paths.stateDirectory {
            checks.append(DoctorCheck("dirs.runtime", .ok, "runtime directory is the state directory ($B00T_STATE_DIR is set, or there is no $XDG_RUNTIME_DIR)"))
        } else {
            checks += inspect(paths.runtimeDirectory, id: "dirs.runtime", what: "runtime directory", depth: 1)
        }
        return checks
    }

    /// The folder's own line, then (when it is usable) one line about what is inside.
    func inspect(_ path: String, id: String, what: String, depth: Int) -> [DoctorCheck] {
        let (line, usable) = folderCheck(path, id: id, what: what)
        return usable ? [line, contents(path, id: id + ".files", depth: depth)] : [line]
    }

    /// The folder itself: absent (fine, b00t creates it), or a directory of ours with mode 700. `usable` says
    /// whether there is a folder of ours to look inside. `remedy` names the setting that moves it elsewhere.
    func folderCheck(_ path: String, id: String, what: String, remedy: String = "point B00T_STATE_DIR at a private directory")
        -> (check: DoctorCheck, usable: Bool) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT {
                return (DoctorCheck(id, .ok, "\(what) \(path) does not exist yet (b00t creates it 0700 on first use)"), false)
            }
            return (DoctorCheck(id, .fail, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))",
                                fix: "check the permissions of its parent folders, or \(remedy)"), false)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            let kind = info.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a directory"
            return (DoctorCheck(id, .fail, "the \(what) \(path) is \(kind)",
                                fix: "move it aside (b00t creates a private folder there), or \(remedy)"), false)
        }
        guard info.st_uid == owner else {
            return (DoctorCheck(id, .fail, "the \(what) \(path) belongs to uid \(info.st_uid), not to you (uid \(owner))",
                                fix: "its owner could plant files b00t trusts: remove it (or \(remedy))"), false)
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o777 == 0o700 else {
            let who = mode & 0o022 != 0 ? "other users can write to it (b00t refuses to use it)"
                : mode & 0o077 != 0 ? "other users can read it (b00t tightens it on next use)" : "you cannot use it fully"
            let fix = mode & 0o022 != 0 && mode & 0o1000 != 0 ? "a shared folder such as /tmp will not do: \(remedy)" : "chmod 700 \(path)"
            return (DoctorCheck(id, .fail, "the \(what) \(path) has mode \(Self.octal(mode)), not 700: \(who)", fix: fix), true)
        }
        return (DoctorCheck(id, .ok, "\(what) \(path): yours, mode 700"), true)
    }

    /// Files (and sockets) must have no group or other bits; folders must be 0700; everything must be ours.
    func contents(_ root: String, id: String, depth: Int) -> DoctorCheck {
        var loose: [(path: String, mode: mode_t)] = []
        var foreign: [(path: String, uid: uid_t)] = []
        var seen = 0
        var pending: [(path: String, level: Int)] = [(root, 1)]
        while let (folder, level) = pending.popLast(), seen < maximumEntries {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names.sorted() where seen < maximumEntries {
                seen += 1
                let path = folder + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                let type = info.st_mode & S_IFMT
                // A symlink's own mode means nothing; what b00t opens it opens with O_NOFOLLOW.
                guard type != S_IFLNK else { continue }
                if info.st_uid != owner { foreign.append((path, info.st_uid)) }
                let mode = info.st_mode & 0o7777
                if type == S_IFDIR {
                    if mode & 0o777 != 0o700 { loose.append((path, mode)) }
                    if level < depth { pending.append((path, level + 1)) }
                } else if mode & 0o077 != 0 {
                    loose.append((path, mode))
                }
            }
        }
        if !foreign.isEmpty {
            let shown = foreign.prefix(3).map { "\($0.path) (uid \($0.uid))" }.joined(separator: ", ")
            return DoctorCheck(id, .fail, "\(Doctor.count(foreign.count, "entry", "entries")) owned by another user: \(shown)\(foreign.count > 3 ? ", …" : "")",
                               fix: "remove them (b00t never creates files for another user there)")
        }
        if !loose.isEmpty {
            let shown = loose.prefix(3).map { "\($0.path) (\(Self.octal($0.mode)))" }.joined(separator: ", ")
            return DoctorCheck(id, .fail, "\(Doctor.count(loose.count, "entry", "entries")) not private: \(shown)\(loose.count > 3 ? ", …" : "")",
                               fix: "chmod -R go-rwx \(root)")
        }
        let truncated = seen >= maximumEntries ? " (first \(maximumEntries) looked at)" : ""
        return DoctorCheck(id, .ok, "\(Doctor.count(seen, "entry", "entries")) inside, all yours and private (files 600, folders 700)\(truncated)")
    }

    static func octal(_ mode: mode_t) -> String { String(mode, radix: 8) }
}

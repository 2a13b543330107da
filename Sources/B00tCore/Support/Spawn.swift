#if canImport(Glibc)
import Glibc
#endif
import CB00tSystem
import Foundation

/// Starts programs from argv with `posix_spawn` (never a shell): optionally in a new session so they outlive
/// the caller and can be signalled as a group, with stdout/stderr to a file, and no inherited descriptors.
public enum Spawn {
    public struct Options: Sendable {
        public var newSession = false
        /// Where stdout and stderr go; nil means /dev/null unless `inheritOutput`.
        public var outputPath: String? = nil
        /// Keep the caller's stdout/stderr (for commands that print to the user, like `tail -F`).
        public var inheritOutput = false
        /// A descriptor (a pipe's write end) that becomes the child's stdout (and stderr, unless
        /// `errorDescriptor` is given).
        public var outputDescriptor: Int32? = nil
        public var errorDescriptor: Int32? = nil
        /// A descriptor (a pipe's read end) that becomes the child's stdin; nil means /dev/null.
        public var inputDescriptor: Int32? = nil
        public var workingDirectory: String? = nil
        public var environment: [String: String]? = nil
        public init(newSession: Bool = false, outputPath: String? = nil, inheritOutput: Bool = false,
                    outputDescriptor: Int32? = nil, errorDescriptor: Int32? = nil, inputDescriptor: Int32? = nil,
                    workingDirectory: String? = nil, environment: [String: String]? = nil) {
            self.newSession = newSession
            self.outputDescriptor = outputDescriptor
            self.errorDescriptor = errorDescriptor
            self.inputDescriptor = inputDescriptor
            self.outputPath = outputPath
            self.inheritOutput = inheritOutput
            self.workingDirectory = workingDirectory
            self.environment = environment
        }
    }

    /// Returns the child's pid. Errors name the program and the reason (not found, not executable, …).
    public static func start(_ argv: [String], options: Options = Options()) throws -> pid_t {
        guard let program = argv.first, !program.isEmpty else { throw SpawnError.emptyCommand }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input = options.inputDescriptor {
            posix_spawn_file_actions_adddup2(&actions, input, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let descriptor = options.outputDescriptor {
            posix_spawn_file_actions_adddup2(&actions, descriptor, 1)
            posix_spawn_file_actions_adddup2(&actions, options.errorDescriptor ?? descriptor, 2)
        } else if let outputPath = options.outputPath {
            // O_NOFOLLOW: a symlink planted at a log path must not redirect a service's output elsewhere.
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else if !options.inheritOutput {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        b00t_spawn_addclosefrom(&actions, 3)
        if let dir = options.workingDirectory { b00t_spawn_addchdir(&actions, dir) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if options.newSession { flags |= b00t_spawn_setsid_flag() }
        posix_spawnattr_setflags(&attributes, flags)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let env = (options.environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(argv) { argvPointers in
            withCStrings(env) { envPointers in
                posix_spawnp(&pid, program, &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard result == 0 else { throw SpawnError.failed(program, result) }
        // posix_spawnp searches the caller's PATH; a program missing there fails above with ENOENT.
        return pid
    }

    /// Waits for `pid` up to `timeout`; returns its exit status, or nil (after SIGKILL) when it ran too long.
    /// `killGroup`: the child leads its own process group (`newSession`), which is killed with it.
    public static func wait(_ pid: pid_t, timeout: Duration, killGroup: Bool = false) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var delay: UInt32 = 500
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return exitCode(status) }
            if r < 0 && errno != EINTR { return nil }
            if ContinuousClock.now >= deadline {
                if killGroup, pid > 1 { kill(-pid, SIGKILL) }
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return nil
            }
            usleep(delay)
            delay = min(delay * 2, 20_000)
        }
    }

    /// Reaps `pid` (a child of this process) whenever it ends, on a thread of its own that sleeps in `waitpid`
    /// until then. For children nobody waits for — services and their log writers that a long-lived process
    /// (k0mmand3r, `bus tail`, an agent) started on demand: each one that died stayed a zombie for as long as
    /// that process lived (17 of them after a daemon that kept failing to start).
    public static func reapWhenDone(_ pid: pid_t) {
        guard pid > 0 else { return }
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        thread.name = "b00t-reap-\(pid)"
        thread.stackSize = 64 * 1024
        thread.start()
    }

    /// Decodes a `waitpid` status: exit code, or 128 + signal.
    public static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return body(pointers)
    }
}

public enum SpawnError: Error, CustomStringConvertible, Sendable, Equatable {
    case emptyCommand
    case failed(String, Int32)

    public var description: String {
        switch self {
        case .emptyCommand: return "no command to run"
        case .failed(let program, let code) where code == ENOENT && program.contains("/"):
            // A path is not looked up on PATH: the file itself is missing (or its interpreter is).
            return "cannot start '\(program)': no such file (or its #! interpreter is missing); check the path"
        case .failed(let program, let code) where code == ENOENT:
            return "cannot start '\(program)': not found on PATH (install it, or give an absolute path)"
        case .failed(let program, let code):
            return "cannot start '\(program)': \(String(cString: strerror(code)))"
        }
    }
}

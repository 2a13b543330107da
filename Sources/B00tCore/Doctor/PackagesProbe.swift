import Foundation

/// What the package manager says about one package.
public enum PackageState: Sendable, Equatable {
    case installed(version: String)
    /// Unknown to dpkg, or removed (only its configuration files left).
    case missing
}

/// Why the installed packages could not be read: doctor then says "cannot check", never "missing".
public enum PackageQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `dpkg-query` on this system (not Debian or a derivative).
    case unavailable
    case failed(String)

    public var description: String {
        switch self {
        case .unavailable: return "dpkg-query is not available (not a Debian-based system?)"
        case .failed(let why): return why
        }
    }
}

/// Answers "which of these packages are installed, at which version". The real one asks `dpkg-query`; tests
/// hand in a dictionary.
public typealias PackageQuery = @Sendable ([String]) throws(PackageQueryError) -> [String: PackageState]

/// The Debian packages b00t builds and tests with (`make deps` installs them) and their versions.
public struct PackagesProbe: DoctorProbe {
    public let id = "packages"
    public var packages: [String]
    public var query: PackageQuery

    /// The Makefile's `DEBIAN_PACKAGES` (a unit test keeps the two lists equal): an installed `b00t` has no
    /// Makefile to read.
    public static let required = ["libedit-dev", "libhiredis-dev", "libncurses-dev", "libsqlite3-dev",
                                  "redis-server", "tmux", "socat", "libopenblas-dev", "prometheus",
                                  "libcurl4-openssl-dev"]

    /// Oldest upstream versions b00t works with, where an older one would break a feature.
    static let minimumVersions: [String: (version: [Int], why: String)] = [
        "redis-server": ([5], "the Redis bus needs streams (Redis 5 or newer)"),
    ]

    public init(packages: [String] = PackagesProbe.required, query: @escaping PackageQuery = PackagesProbe.dpkgQuery) {
        self.packages = packages
        self.query = query
    }

    public func run() async -> [DoctorCheck] {
        let packages = self.packages, query = self.query
        return await Doctor.offThread { Self.checks(packages: packages, query: query) }
    }

    static func checks(packages: [String], query: PackageQuery) -> [DoctorCheck] {
        let states: [String: PackageState]
        do {
            states = try query(packages)
        } catch {
            return [DoctorCheck("packages", .warn, "cannot check Debian packages: \(error)",
                                fix: "make sure these are installed with your package manager: \(packages.joined(separator: " "))")]
        }
        var checks: [DoctorCheck] = []
        var installed: [String] = []
        var missing: [String] = []
        for name in packages {
            switch states[name] ?? .missing {
            case .missing:
                missing.append(name)
            case .installed(let version):
                if let minimum = minimumVersions[name], compareUpstream(version, minimum.version) == .orderedAscending {
                    checks.append(DoctorCheck("packages.\(name)", .fail, "\(name) \(version) is too old: \(minimum.why)",
                                              fix: "install a newer \(name) (Debian 11 or newer ships one)"))
                } else {
                    installed.append("\(name) \(version)")
                }
            }
        }
        if !missing.isEmpty {
            checks.insert(DoctorCheck("packages", .fail, "missing Debian packages: \(missing.joined(separator: ", "))",
                                      fix: "make deps (or: sudo apt-get install \(missing.joined(separator: " ")))"), at: 0)
        } else if checks.isEmpty {
            checks.append(DoctorCheck("packages", .ok, "\(installed.count) Debian packages installed: \(installed.joined(separator: ", "))"))
        }
        return checks
    }

    /// Compares the upstream part of a Debian version (`5:7.0.15-1~deb12u1` → 7.0.15) with `minimum`, number
    /// by number; enough for "at least major N" without `dpkg --compare-versions`.
    static func compareUpstream(_ version: String, _ minimum: [Int]) -> ComparisonResult {
        var upstream = Substring(version)
        if let colon = upstream.firstIndex(of: ":") { upstream = upstream[upstream.index(after: colon)...] }
        let numbers = upstream.prefix { $0.isNumber || $0 == "." }.split(separator: ".").map { Int($0) ?? 0 }
        for (index, wanted) in minimum.enumerated() {
            let have = index < numbers.count ? numbers[index] : 0
            if have != wanted { return have < wanted ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }

    /// One `dpkg-query -W` for all packages (argv, no shell), bounded by the probe timeout. Packages dpkg does
    /// not know are simply absent from its output (it says so on stderr and exits 1).
    public static let dpkgQuery: PackageQuery = { (packages: [String]) throws(PackageQueryError) -> [String: PackageState] in
        let output: CommandRunner.Output
        do {
            output = try CommandRunner.run(["dpkg-query", "-W", "-f", "${Package}\t${Status}\t${Version}\n"] + packages,
                                           timeout: .milliseconds(2500))
        } catch let error as SpawnError {
            if case .failed(_, let code) = error, code == ENOENT { throw .unavailable }
            throw .failed("\(error)")
        } catch {
            throw .failed("\(error)")
        }
        let states = parseDpkgOutput(output.stdout)
        if states.isEmpty && output.status != 0 && !output.stderr.contains("no packages found") {
            throw .failed("dpkg-query failed: \(output.stderr.split(separator: "\n").first ?? "exit \(output.status)")")
        }
        return states
    }

    /// `name<TAB>want flag status<TAB>version` lines; only "… installed" counts as installed.
    static func parseDpkgOutput(_ text: String) -> [String: PackageState] {
        var states: [String: PackageState] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            let name = String(fields[0]).split(separator: ":").first.map(String.init) ?? String(fields[0])
            let installed = fields[1].split(separator: " ").last == "installed"
            // Multi-arch packages list once per architecture: an installed one wins.
            if installed {
                states[name] = .installed(version: String(fields[2]))
            } else if states[name] == nil {
                states[name] = .missing
            }
        }
        return states
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// grok's sentence model: every pinned file present, of the pinned size and SHA-256 (`ModelManifest`, the
/// same hashes the Makefile's `model` target checks). A missing model is a warning — grok then searches by
/// words only — but a file that is there and wrong is a failure: grok refuses it.
///
/// A file grok already hashed is not hashed again: grok's stamp file records each file as it was when it
/// hashed to the pinned value (size, mtime, inode), and what grok trusts at load time is what doctor
/// reports. `thorough` hashes anyway (bit rot keeps mtime and inode). Doctor never writes the stamp.
public struct ModelProbe: DoctorProbe {
    public let id = "grok.model"
    public var directory: String
    public var manifest: ModelManifest
    /// Hash every file even when grok's stamp vouches for it.
    public var thorough: Bool
    public var timeout: Duration { Doctor.diskTimeout }

    public init(directory: String, manifest: ModelManifest = .miniLM, thorough: Bool = false) {
        self.directory = directory
        self.manifest = manifest
        self.thorough = thorough
    }

    public func timedOut(after timeout: Duration) -> DoctorCheck {
        DoctorCheck(id, .warn, "hashing the model in \(directory) took longer than \(Doctor.seconds(timeout))",
                    fix: "a slow disk? check by hand: sha256sum \(directory)/*")
    }

    public func run() async -> [DoctorCheck] {
        let probe = self
        return await Doctor.offThread { [probe.check()] }
    }

    func check() -> DoctorCheck {
        let install = "make model (or set B00T_MODEL_DIR to a folder holding all-MiniLM-L6-v2)"
        var missing: [String] = []
        var stamped: Set<String> = []
        let stamp = thorough ? [] : ModelManifest.readStamp(directory)
        for entry in manifest.entries {
            let path = directory + "/" + entry.name
            var info = stat()
            guard stat(path, &info) == 0 else {
                if errno == ENOENT {
                    missing.append(entry.name)
                    continue
                }
                return DoctorCheck(id, .fail, "cannot read \(path): \(String(cString: strerror(errno)))", fix: "check its mode, or delete it and \(install)")
            }
            guard Int(info.st_size) == entry.size else {
                return DoctorCheck(id, .fail, "\(path) has \(info.st_size) bytes, expected \(entry.size) (truncated or replaced)",
                                   fix: "rm \(path) && \(install)")
            }
            if stamp.contains(ModelManifest.stampKey(entry, info)) { stamped.insert(entry.name) }
        }
        guard missing.isEmpty else {
            return DoctorCheck(id, .warn, "grok's sentence model is not installed (\(missing.joined(separator: ", ")) missing in \(directory)): grok searches by words only",
                               fix: install)
        }
        for entry in manifest.entries where !stamped.contains(entry.name) {
            let path = directory + "/" + entry.name
            let found: String
            do { found = try ModelManifest.hashFile(path) } catch {
                return DoctorCheck(id, .fail, "\(error)", fix: "check its mode, or delete it and \(install)")
            }
            guard found == entry.sha256 else {
                return DoctorCheck(id, .fail, "\(path) is not the pinned file: SHA-256 \(found.prefix(16))…, expected \(entry.sha256.prefix(16))…",
                                   fix: "rm \(path) && \(install)")
            }
        }
        let names = manifest.entries.map(\.name).joined(separator: ", ")
        let how = stamped.isEmpty ? "hashed now" : stamped.count == manifest.entries.count
            ? "as grok last hashed them: size, time and inode unchanged" : "\(stamped.sorted().joined(separator: ", ")) unchanged since grok hashed it"
        return DoctorCheck(id, .ok, "\(directory): \(names) match the pinned SHA-256 (\(how))")
    }
}

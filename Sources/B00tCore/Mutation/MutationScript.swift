#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs a datum's `[b00t.scripts]` entry and turns what it did to the datum's file into a mutation plan. The
/// script never sees the real file: it runs with `/bin/bash`, in a private temporary copy of the datum's folder,
/// with a time limit and its output captured; afterwards only that copy of the datum's own file is read back.
/// Whatever else it changes in the copy is thrown away with it.
public enum MutationScript {
    public struct Run: Sendable {
        public var plan: MutationPlan
        /// What the script printed (stdout then stderr), bounded.
        public var output: String
    }

    /// The copy is bounded: a datum folder is a few files, not a checkout.
    static let maximumFiles = 2_000
    static let maximumBytes = 64 << 20
    static let maximumOutput = 16 * 1024

    public static func run(_ scriptName: String, of datum: Datum, timeout: Duration = .seconds(60),
                           catalog: DatumCatalog? = nil) throws(MutationError) -> Run {
        guard let script = datum.scripts[scriptName] else {
            let known = datum.scripts.keys.sorted()
            let hint = closestMatch(to: scriptName, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            throw MutationError(.invalid, "\(datum.id) has no script '\(TerminalText.line(scriptName))'\(hint); "
                                + (known.isEmpty ? "add one under [b00t.scripts]" : "its scripts: \(known.joined(separator: ", "))"))
        }
        let path = try DatumFile.path(of: datum)
        let old = try DatumFile.read(path)
        let folder = (path as NSString).deletingLastPathComponent
        let fileName = (path as NSString).lastPathComponent

        let scratch = NSTemporaryDirectory() + "b00t-script-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(scratch, 0o700) == 0 else {
            throw MutationError(.io, "cannot make a scratch folder \(scratch): \(String(cString: strerror(errno)))")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let copy = scratch + "/" + ((folder as NSString).lastPathComponent.isEmpty ? "datums" : (folder as NSString).lastPathComponent)
        var budget = (files: maximumFiles, bytes: maximumBytes)
        try copyFolder(folder, to: copy, depth: 0, budget: &budget)
        // The datum's own file as it was read, not as it may be by now.
        guard FileManager.default.createFile(atPath: copy + "/" + fileName, contents: Data(old)) else {
            throw MutationError(.io, "cannot copy \(fileName) into the scratch folder")
        }
        let scriptFile = scratch + "/\(scriptName).sh"
        guard FileManager.default.createFile(atPath: scriptFile, contents: Data(script.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw MutationError(.io, "cannot write the script to the scratch folder")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["B00T_DATUM"] = datum.id
        environment["B00T_DATUM_FILE"] = fileName
        let result: CommandRunner.Output
        do {
            result = try CommandRunner.run(["/bin/bash", scriptFile], environment: environment, timeout: timeout, workingDirectory: copy)
        } catch let error as CommandTimeout {
            throw MutationError(.script, "script \(scriptName) ran longer than \(Int(timeout.seconds)) s and was stopped; the datum is unchanged (\(error))")
        } catch {
            throw MutationError(.script, "cannot run script \(scriptName): \(error)")
        }
        let output = bounded(result.stdout + result.stderr)
        guard result.status == 0 else {
            throw MutationError(.script, "script \(scriptName) failed (exit \(result.status)); the datum is unchanged. Its output:\n\(output)")
        }
        let new: [UInt8]
        do { new = try DatumFile.read(copy + "/" + fileName) } catch {
            throw MutationError(.script, "script \(scriptName) left no readable \(fileName): \(error.message)")
        }
        guard new != old else {
            throw MutationError(.invalid, "script \(scriptName) changed nothing in \(fileName); there is nothing to propose. Its output:\n\(output)")
        }
        let plan = try MutationPlanner.plan(old: old, new: new, path: path, datum: datum, summary: "script \(scriptName)", catalog: catalog)
        return Run(plan: plan, output: output)
    }

    static func bounded(_ text: String) -> String {
        text.utf8.count <= maximumOutput ? text : "…" + String(decoding: Array(text.utf8).suffix(maximumOutput), as: UTF8.self)
    }

    /// Regular files and folders only (links are left out: the copy must not reach outside itself), bounded.
    static func copyFolder(_ source: String, to target: String, depth: Int, budget: inout (files: Int, bytes: Int)) throws(MutationError) {
        guard depth < 8 else { return }
        guard mkdir(target, 0o700) == 0 else { throw MutationError(.io, "cannot make \(target): \(String(cString: strerror(errno)))") }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: source) } catch {
            throw MutationError(.io, "cannot read \(source): \(error.localizedDescription)")
        }
        for name in names.sorted() where name != ".git" {
            var info = stat()
            let from = source + "/" + name, to = target + "/" + name
            guard lstat(from, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try copyFolder(from, to: to, depth: depth + 1, budget: &budget)
            case S_IFREG:
                budget.files -= 1
                budget.bytes -= Int(info.st_size)
                guard budget.files >= 0, budget.bytes >= 0 else {
                    throw MutationError(.tooLarge, "the datum's folder is too large to copy for a script (over \(maximumFiles) files or \(maximumBytes >> 20) MiB)")
                }
                do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
                    throw MutationError(.io, "cannot copy \(from): \(error.localizedDescription)")
                }
            default:
                continue
            }
        }
    }
}

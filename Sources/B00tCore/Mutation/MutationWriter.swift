#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The file half of applying a passed mutation, run by the claimant only: find the datum's file on this
/// machine, refuse a dirty or changed file, apply the diff exactly, check the result like `b00t datum check`,
/// replace the file atomically, commit it. Idempotent: a file that already holds exactly the proposed content (an
/// applier killed between the write and the commit) is committed, or its commit found, instead of written again.
public enum MutationWriter {
    public enum Result: Sendable, Equatable {
        case applied(commit: String?, note: String)
        case rejected(String)
    }

    /// Where a test may stop the applier dead (`B00T_FAULT=mutation-after-write`): between the write and the
    /// commit, the window the idempotent path exists for.
    static let faultVariable = "B00T_FAULT"

    public static func apply(_ record: MutationRecord, datum: Datum, voters: [String: VoteChoice], appliedBy: String,
                             catalog: DatumCatalog? = nil) -> Result {
        let mutation = record.mutation
        let path: String
        do { path = try DatumFile.path(of: datum) } catch { return .rejected(error.message) }
        // One applier at a time in the datum's folder on this machine (an flock on the folder itself: the file is
        // replaced by a rename, so a lock on it would not hold). The bus claim already makes it one per crew;
        // this covers one agent applying from two processes (a session and `b00t datum apply`).
        let folderLock: Int32
        do { folderLock = try lockFolder((path as NSString).deletingLastPathComponent, timeout: .seconds(60)) } catch {
            return .rejected(error.message)
        }
        defer { flock(folderLock, LOCK_UN); close(folderLock) }

        let current: [UInt8]
        do { current = try DatumFile.read(path) } catch { return .rejected(error.message) }
        let currentHash = DatumMutation.hash(current)
        let (name, type) = DatumLoader.nameAndType(ofFile: path)
        let (loaded, _) = DatumDecoder.decode(source: String(decoding: current, as: UTF8.self), file: path, fileName: name, fileType: type)
        let repository: GitWorkTree?
        let wantsGit: Bool
        if let spec = loaded?.selfMutate {
            wantsGit = spec.versionControl
        } else {
            wantsGit = false
        }
        repository = wantsGit ? GitWorkTree.containing((path as NSString).deletingLastPathComponent) : nil
        let message = MutationCommitMessage.make(datum: datum.id, summary: mutation.summary, proposal: record.proposal,
                                                 voters: voters, appliedBy: appliedBy, mutationHash: mutation.newHash)

        // Already written: finish what an earlier applier started.
        if currentHash == mutation.newHash {
            guard let repository else { return .applied(commit: nil, note: notCommitted(wantsGit)) }
            do {
                switch try repository.state(of: path) {
                case .modified:
                    let commit = try repository.commit(path, message: message)
                    return .applied(commit: commit, note: "committed (the file already held the proposed content)")
                case .clean:
                    let commit = try repository.commit(carrying: mutation.newHash, file: path)
                    return .applied(commit: commit, note: commit == nil ? "the file already held the proposed content; no commit of it was found" : "already committed")
                case .untracked:
                    return .rejected("\(path) is not tracked by git; commit it by hand, or set version_control = false")
                }
            } catch {
                return .rejected(error.message)
            }
        }
        // A person's uncommitted edits are never overwritten.
        if let repository {
            do {
                switch try repository.state(of: path) {
                case .modified:
                    return .rejected("\(datum.id) has uncommitted changes in \(path) (a person's edits are never overwritten): "
                                     + "commit or discard them, then propose the change again")
                case .untracked:
                    return .rejected("\(path) is not tracked by git; commit it by hand first, or set version_control = false")
                case .clean: break
                }
            } catch {
                return .rejected(error.message)
            }
        }
        guard currentHash == mutation.baseHash else {
            return .rejected("\(datum.id) changed since \(record.proposal) was proposed (sha256 \(mutation.baseHash.prefix(12)) then, "
                             + "\(currentHash.prefix(12)) now); propose the change again against the current file")
        }
        let new: [UInt8]
        do { new = try UnifiedDiff.apply(mutation.diff, to: current) } catch { return .rejected("the diff does not apply: \(error.message)") }
        guard DatumMutation.hash(new) == mutation.newHash else {
            return .rejected("the diff does not produce the content the proposal names (new_hash differs)")
        }
        let checked: MutationCheck.Checked
        do { checked = try MutationCheck.check(old: current, new: new, path: path, expectedID: datum.id, catalog: catalog) } catch {
            return .rejected(error.message)
        }
        guard checked.spec.approval == mutation.approval else {
            return .rejected("\(datum.id) asks approval \(checked.spec.approval), but \(record.proposal) was put to \(mutation.approval)")
        }
        if let repository, let problem = repository.identityProblem() { return .rejected(problem) }
        do { try DatumFile.replace(path, with: new) } catch { return .rejected(error.message) }
        if ProcessInfo.processInfo.environment[faultVariable] == "mutation-after-write" { kill(getpid(), SIGKILL) }
        guard let repository else { return .applied(commit: nil, note: notCommitted(wantsGit)) }
        do {
            let commit = try repository.commit(path, message: message)
            return .applied(commit: commit, note: "committed")
        } catch {
            // Leave the file as the vote found it, so the refusal is the whole story.
            let restored = (try? DatumFile.replace(path, with: current)) != nil
            return .rejected(error.message + (restored ? "; the file was restored" : "; the file could not be restored: check \(path)"))
        }
    }

    /// An exclusive flock on `folder`, waited for at most `timeout`.
    static func lockFolder(_ folder: String, timeout: Duration) throws(MutationError) -> Int32 {
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw MutationError(.io, "cannot open \(folder): \(String(cString: strerror(errno)))") }
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw MutationError(.io, "cannot lock \(folder): \(String(cString: strerror(code)))")
            }
            guard ContinuousClock.now < deadline else {
                close(fd)
                throw MutationError(.io, "another process has been changing datums in \(folder) for over \(Int(timeout.seconds)) s; try again")
            }
            usleep(5_000)
        }
        return fd
    }

    static func notCommitted(_ wantsGit: Bool) -> String {
        wantsGit ? "applied, not committed: the datum is not inside a git work tree (or git is not installed)"
            : "applied, not committed: version_control is off"
    }
}

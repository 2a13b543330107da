import ArgumentParser
import B00tCore
import Foundation

/// `b00t service-log`: what the process runtime puts between a service and its log file (stdin → the file,
/// rotated at the datum's `log_max_bytes`, `log_keep` old files). Not for people; hidden from help.
struct ServiceLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-log", abstract: "Copy stdin into a log file, rotating it by size (used by `b00t up`).",
        shouldDisplay: false)
    @Option(help: "Rotate when the file would pass this many bytes.") var maxBytes = Resources.defaultLogMaxBytes
    @Option(help: "Rotated files kept (FILE.1 … FILE.N).") var keep = Resources.defaultLogKeep
    @Argument(help: "The log file.") var file: String

    func validate() throws {
        let range = Resources.logMaxBytesRange
        guard range.contains(maxBytes) else { throw ValidationError("--max-bytes must be \(range.lowerBound)–\(range.upperBound), got \(maxBytes)") }
        guard Resources.logKeepRange.contains(keep) else { throw ValidationError("--keep must be 1–\(Resources.logKeepRange.upperBound), got \(keep)") }
    }

    func run() throws {
        signal(SIGHUP, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        var writer = RotatingLogWriter(path: file, limit: LogLimit(maxBytes: maxBytes, keep: keep))
        do { try writer.copy(from: STDIN_FILENO) } catch { throw CLIError(error.description) }
    }
}

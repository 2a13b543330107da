import B00tCore
import CLineEdit
import Foundation

/// k0mmand3r's command history (libedit's history(3), `<state>/k0mmand3r_history`, 0600). Several sessions may
/// run at once: each saves by re-reading the file and appending only the lines typed in it, so two sessions that
/// quit one after the other both keep their lines (a plain save would write one session's view over the other's).
final class HistoryFile {
    let path: String
    let history: OpaquePointer?
    private var typed: [String] = []

    init(path: String = B00tPaths.standard().stateDirectory + "/k0mmand3r_history") {
        self.path = path
        try? B00tPaths.ensurePrivateDirectory((path as NSString).deletingLastPathComponent)
        history = b00t_history_open(1000)
        _ = b00t_history_load(history, path)
    }

    /// Oldest first.
    var lines: [String] {
        var lines: [String] = []
        var index = 0
        while let entry = b00t_history_at(history, Int32(index)) {
            lines.insert(String(cString: entry), at: 0)
            index += 1
        }
        return lines
    }

    func add(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        _ = b00t_history_enter(history, line)
        typed.append(line)
    }

    /// Merges this session's lines into what the file holds now, and writes it (0600).
    func save() {
        let merged = b00t_history_open(1000)
        _ = b00t_history_load(merged, path)
        for line in typed { _ = b00t_history_enter(merged, line) }
        _ = b00t_history_save(merged, path)
        chmod(path, 0o600)
        history_end(merged)
        typed.removeAll()
    }

    deinit { history_end(history) }
}

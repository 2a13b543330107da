#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A one-line "⠋ starting qdrant.docker 3.1s" on stderr for starts slower than 2 s, cleared when done.
/// Only on a terminal: scripts and CI never see it.
final class Spinner: @unchecked Sendable {
    private let label: String
    private let began = ContinuousClock.now
    private let timer: DispatchSourceTimer
    private let lock = NSLock()
    private var shown = false
    private var frame = 0
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// Returns nil when stderr is not a terminal.
    static func start(_ label: String, after delay: Duration = .seconds(2)) -> Spinner? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return Spinner(label: label, delay: delay)
    }

    private init(label: String, delay: Duration) {
        self.label = label
        timer = DispatchSource.makeTimerSource(queue: .global())
        let ms = Int(delay.components.seconds * 1000)
        timer.schedule(deadline: .now() + .milliseconds(ms), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
    }

    private func tick() {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = ContinuousClock.now - began
        let seconds = elapsed.seconds
        let text = "\r\u{1B}[K\(Self.frames[frame % Self.frames.count]) starting \(label) \(String(format: "%.1f", seconds))s"
        frame += 1
        shown = true
        FileHandle.standardError.write(Data(text.utf8))
    }

    func stop() {
        timer.cancel()
        lock.lock()
        defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}

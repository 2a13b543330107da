@preconcurrency import CNcurses
import Foundation
import K0mmand3rKit

/// What a key press (or a paste, or the mouse wheel) means to the screen.
enum Input: Equatable {
    case key(LineEditor.Key)
    case escape, enter, tab, backTab, pageUp, pageDown, scrollHome, scrollEnd, resize, redraw, interrupt, eof
    case function(Int)
    /// ^F: find in the stream. ^N while finding: the next (newer) match.
    case find, findNewer
    /// ^Z: suspend to the shell.
    case suspend
    /// A bracketed paste, whole: line breaks kept, nothing in it run as a command.
    case paste(String)
    case wheel(up: Bool)
}

/// Reads keys with `get_wch` and decodes what curses leaves as raw bytes: Alt-<key>, bracketed pastes
/// (`ESC [200~ … ESC [201~`), and the mouse wheel.
@MainActor
final class KeyReader {
    /// A paste larger than this many characters is cut (and says so): nobody means to send a megabyte to the
    /// crew, and the bus takes lines of at most 64 KiB.
    static let maximumPaste = 48 * 1024

    /// A paste still coming in: its end marker has not been read, but its bytes were still arriving when the
    /// last read gave up. Until it ends (or stops for `pasteGap`), whatever arrives is more of it — never keys,
    /// so no line of it runs as a command.
    private var pasteOpen = false
    /// Characters of the open paste kept so far, and whether some were dropped past `maximumPaste`.
    private var pasteKept = 0
    private var pasteCut = false
    /// The last scalars read, held back while they could be the start of the end marker.
    private var pasteHeld: [Unicode.Scalar] = []

    /// How long a paste may pause before it counts as over (its end marker lost).
    static let pasteGap: Int32 = 500

    /// Bracketed paste and the wheel on (at start) or off (when leaving or suspending).
    static func terminalModes(on: Bool, mouse: Bool) {
        FileHandle.standardOutput.write(Data((on ? "\u{1B}[?2004h" : "\u{1B}[?2004l").utf8))
        mousemask(on && mouse ? b00t_wheel_mask() : 0, nil)
    }

    /// The next input, or nil when no key came within the read timeout (or the key means nothing).
    func read() -> Input? {
        if pasteOpen {
            b00t_timeout(Self.pasteGap)
            defer { b00t_timeout(50) }
            return paste()
        }
        var ch: wint_t = 0
        let rc = b00t_get_wch(&ch)
        if rc == ERR { return nil }
        if rc == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_UP: return .key(.historyUp)
            case KEY_DOWN: return .key(.historyDown)
            case KEY_HOME: return .scrollHome
            case KEY_END: return .scrollEnd
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_ENTER: return .enter
            case b00t_key_btab(): return .backTab
            case b00t_key_resize(): return .resize
            case b00t_key_mouse(): return wheel()
            case KEY_F0 + 1...KEY_F0 + 12: return .function(Int(Int32(ch) - KEY_F0))
            default: return nil
            }
        }
        switch ch {
        case 1: return .key(.home)
        case 2: return .key(.left)
        case 3: return .interrupt
        case 4: return .eof
        case 5: return .key(.end)
        case 6: return .find
        case 7: return .key(.cancel)
        case 8, 127: return .key(.backspace)
        case 9: return .tab
        case 10, 13: return .enter
        case 11: return .key(.killToEnd)
        case 12: return .redraw
        case 14: return .findNewer
        case 16: return .key(.historyUp)
        case 18: return .key(.searchHistory)
        case 21: return .key(.killToStart)
        case 23: return .key(.deleteWordBack)
        case 26: return .suspend
        case 27: return escapeSequence()
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)), ch >= 32 else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// The next input only if one is already waiting (no wait for one to come): the rest of a burst of keys,
    /// taken before the screen is drawn again.
    func readPending() -> Input? {
        if pasteOpen { return read() }
        b00t_timeout(0)
        defer { b00t_timeout(50) }
        return read()
    }

    /// After ESC: Alt-<key>, a CSI sequence curses did not know (the paste brackets), or Esc itself.
    private func escapeSequence() -> Input? {
        b00t_timeout(25)
        defer { b00t_timeout(50) }
        var next: wint_t = 0
        guard b00t_get_wch(&next) == OK else { return .escape }
        switch next {
        case 98: return .key(.wordLeft)    // b
        case 102: return .key(.wordRight)  // f
        case 100: return .key(.deleteWordBack)
        case 91:                            // [
            var body = ""
            while body.count < 16 {
                var c: wint_t = 0
                guard b00t_get_wch(&c) == OK, let scalar = Unicode.Scalar(UInt32(c)) else { break }
                body.unicodeScalars.append(scalar)
                if (0x40...0x7E).contains(c) { break }  // a CSI sequence's final byte
            }
            if body == "200~" {
                pasteOpen = true
                pasteKept = 0
                pasteCut = false
                pasteHeld = []
                b00t_timeout(Self.pasteGap)
                return paste()
            }
            if body == "Z" { return .backTab }
            return nil
        default: return nil
        }
    }

    /// The open paste, up to its end marker `ESC [201~` — or, should reading it take longer than a second (a
    /// large paste over a slow link), what came so far: the next `read` goes on with the rest. A pause of
    /// `pasteGap` ends it (its end marker was lost). Characters past `maximumPaste` are dropped, with a note.
    ///
    /// Why: this read gave up after 10 s (and counted what it had with an O(n) count per character, so a 100 KB
    /// paste never finished in time), and everything after was read as typed keys: a pasted file's lines
    /// went out as messages one by one and its "/…" lines ran as commands.
    private func paste() -> Input? {
        var text = String.UnicodeScalarView()
        let deadline = ContinuousClock.now + .seconds(1)
        var ended = false
        func keep(_ scalar: Unicode.Scalar) {
            if pasteKept < Self.maximumPaste {
                text.append(scalar)
                pasteKept += 1
            } else {
                pasteCut = true
            }
        }
        while ContinuousClock.now < deadline {
            var c: wint_t = 0
            let rc = b00t_get_wch(&c)
            if rc == ERR {
                ended = true  // it stopped coming: over, marker or not
                pasteHeld.forEach(keep)
                pasteHeld = []
                break
            }
            let scalar: Unicode.Scalar
            if rc == KEY_CODE_YES {
                guard Int32(c) == KEY_ENTER else { continue }
                scalar = "\n"
            } else {
                guard let s = Unicode.Scalar(UInt32(c)) else { continue }
                scalar = s
            }
            // Scalars that may be the start of the end marker are held until they prove to be it, or not.
            pasteHeld.append(scalar)
            if pasteHeld == Self.pasteEnd {
                ended = true
                pasteHeld = []
                break
            }
            while !pasteHeld.isEmpty, !Self.pasteEnd.starts(with: pasteHeld) { keep(pasteHeld.removeFirst()) }
        }
        pasteOpen = !ended
        var result = String(text)
        if ended, pasteCut { result += "\n[… paste cut at \(Self.maximumPaste / 1024)K characters]" }
        return result.isEmpty ? nil : .paste(result)
    }

    private static let pasteEnd = Array("\u{1B}[201~".unicodeScalars)

    private func wheel() -> Input? {
        var event = MEVENT()
        guard getmouse(&event) == OK else { return nil }
        if b00t_wheel_up(event.bstate) != 0 { return .wheel(up: true) }
        if b00t_wheel_down(event.bstate) != 0 { return .wheel(up: false) }
        return nil
    }
}

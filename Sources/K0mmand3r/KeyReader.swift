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
struct KeyReader {
    /// A paste larger than this is cut (and says so): nobody means to send a megabyte to the crew.
    static let maximumPaste = 256 * 1024

    /// Bracketed paste and the wheel on (at start) or off (when leaving or suspending).
    static func terminalModes(on: Bool, mouse: Bool) {
        FileHandle.standardOutput.write(Data((on ? "\u{1B}[?2004h" : "\u{1B}[?2004l").utf8))
        mousemask(on && mouse ? b00t_wheel_mask() : 0, nil)
    }

    /// The next input, or nil when no key came within the read timeout (or the key means nothing).
    func read() -> Input? {
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
            if body == "200~" { return paste() }
            if body == "Z" { return .backTab }
            return nil
        default: return nil
        }
    }

    /// Everything up to `ESC [201~`, read in one go (bounded in size, and in time should the end never come).
    private func paste() -> Input {
        b00t_timeout(500)
        var text = String.UnicodeScalarView()
        var window = String.UnicodeScalarView()  // the last few scalars read, to see the end marker
        var cut = false
        let end = Array("\u{1B}[201~".unicodeScalars)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var c: wint_t = 0
            let rc = b00t_get_wch(&c)
            if rc == ERR { break }
            let scalar: Unicode.Scalar
            if rc == KEY_CODE_YES {
                guard Int32(c) == KEY_ENTER else { continue }
                scalar = "\n"
            } else {
                guard let s = Unicode.Scalar(UInt32(c)) else { continue }
                scalar = s
            }
            window.append(scalar)
            if window.count > end.count { window.removeFirst() }
            if text.count < Self.maximumPaste { text.append(scalar) } else { cut = true }
            if Array(window) == end { break }
        }
        var pasted = String(text)
        if pasted.unicodeScalars.count >= end.count, Array(pasted.unicodeScalars.suffix(end.count)) == end {
            pasted = String(String.UnicodeScalarView(pasted.unicodeScalars.dropLast(end.count)))
        }
        return .paste(cut ? pasted + "\n[… paste cut at \(Self.maximumPaste / 1024) KiB]" : pasted)
    }

    private func wheel() -> Input? {
        var event = MEVENT()
        guard getmouse(&event) == OK else { return nil }
        if b00t_wheel_up(event.bstate) != 0 { return .wheel(up: true) }
        if b00t_wheel_down(event.bstate) != 0 { return .wheel(up: false) }
        return nil
    }
}

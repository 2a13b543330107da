#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The sentence a person sees for any error: this package's errors say what to do already; Foundation's
/// file errors (`NSCocoaErrorDomain Code=512 …`) become "cannot write FILE: reason".
public enum ErrorText {
    public static func describe(_ error: any Error) -> String {
        // Every Swift error bridges to NSError on Linux: tell Foundation's own errors apart by their type.
        guard type(of: error) is NSError.Type else { return String(describing: error) }
        let ns = error as NSError
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { u -> String? in
            u.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(u.code))) : nil
        }
        if ns.domain == NSPOSIXErrorDomain {
            return (path.map { "\($0): " } ?? "") + String(cString: strerror(Int32(ns.code)))
        }
        guard ns.domain == NSCocoaErrorDomain else { return ns.localizedDescription }
        let what: String
        switch ns.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: what = "no such file or directory"
        case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: what = "permission denied"
        case NSFileWriteFileExistsError: what = "something else already exists there"
        case NSFileWriteOutOfSpaceError: what = "no space left on the device"
        case NSFileWriteVolumeReadOnlyError: what = "the file system is read-only"
        case NSFileReadCorruptFileError: what = "the file is not in the expected format"
        case NSFileReadInapplicableStringEncodingError, NSFileWriteInapplicableStringEncodingError: what = "the text is not valid in its encoding"
        default: what = underlying ?? "error \(ns.code)"
        }
        let verb = (NSFileWriteUnknownError...NSFileWriteVolumeReadOnlyError).contains(ns.code) ? "cannot write" : "cannot read"
        let reason = underlying.map { $0 == what || $0.lowercased() == what ? what : "\(what) (\($0))" } ?? what
        return path.map { "\(verb) \($0): \(reason)" } ?? "\(verb): \(reason)"
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Writes every byte to a blocking descriptor, retrying short writes and EINTR: the loop the log sink, the
/// service-log copier and private files each wrote for themselves.
enum DescriptorWrite {
    /// True when everything was written; false at the first other error (its `errno` is left as it was).
    @discardableResult
    static func all(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var pointer = bytes.baseAddress else { return true }
        var left = bytes.count
        while left > 0 {
            let written = write(fd, pointer, left)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            left -= written
            pointer = pointer.advanced(by: written)
        }
        return true
    }
}

import CFuzz
import Foundation

/// Runs libFuzzer over `body` and exits with its status. SwiftPM gives each executable its own `main`, so
/// the targets hand control to libFuzzer through `LLVMFuzzerRunDriver` rather than libFuzzer's `main`.
public func runFuzzer(_ body: @escaping (UnsafeBufferPointer<UInt8>) -> Void) -> Never {
    FuzzBody.body = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        FuzzBody.body?(UnsafeBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}

enum FuzzBody {
    nonisolated(unsafe) static var body: ((UnsafeBufferPointer<UInt8>) -> Void)?
}

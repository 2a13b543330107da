#if canImport(Glibc)
import Glibc
#endif
import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

@Suite struct LogRotationTests {
    func size(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    }

    /// 1 MB through a pipe into a 64 KiB log keeping 2: never more than 3 files, none over the bound, and the
    /// newest bytes are in the live file.
    @Test func aChattyWriterStaysWithinTheBound() throws {
        let dir = TempDir("rot")
        let log = dir.path + "/svc.log"
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let limit = LogLimit(maxBytes: 64 * 1024, keep: 2)
        let reader = ends[0]
        let copier = Thread {
            var writer = RotatingLogWriter(path: log, limit: limit)
            try? writer.copy(from: reader)
        }
        copier.start()
        let line = Array(String(repeating: "x", count: 999).utf8) + [10]
        for n in 0..<1_000 {
            var bytes = line
            if n == 999 { bytes = Array("the last line\n".utf8) }
            _ = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        }
        close(ends[1])
        let deadline = Date().addingTimeInterval(10)
        while copier.isExecuting || !copier.isFinished {
            if Date() > deadline { break }
            usleep(10_000)
        }
        close(ends[0])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["svc.log", "svc.log.1", "svc.log.2"])
        for file in files { #expect((size(dir.path + "/" + file) ?? .max) <= limit.maxBytes, "\(file)") }
        let live = try String(contentsOfFile: log, encoding: .utf8)
        #expect(live.hasSuffix("the last line\n"))
    }

    @Test func rotateShiftsAndDropsTheOldest() throws {
        let dir = TempDir("rot")
        let log = dir.path + "/a.log"
        for (name, text) in [("a.log", "now"), ("a.log.1", "one"), ("a.log.2", "two"), ("a.log.3", "three")] {
            dir.write(name, text)
        }
        LogRotation.rotate(log, keep: 3)
        #expect(FileManager.default.fileExists(atPath: log) == false)
        #expect(try String(contentsOfFile: log + ".1", encoding: .utf8) == "now")
        #expect(try String(contentsOfFile: log + ".2", encoding: .utf8) == "one")
        #expect(try String(contentsOfFile: log + ".3", encoding: .utf8) == "two")
        #expect(FileManager.default.fileExists(atPath: log + ".4") == false)
    }

    @Test func rotateIfOverLeavesSmallLogsAndSymlinksAlone() throws {
        let dir = TempDir("rot")
        let small = dir.write("small.log", "tiny")
        LogRotation.rotateIfOver(small, limit: LogLimit(maxBytes: 64 * 1024, keep: 3))
        #expect(FileManager.default.fileExists(atPath: small))
        let target = dir.write("target", String(repeating: "y", count: 70_000))
        let link = dir.path + "/link.log"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        LogRotation.rotateIfOver(link, limit: LogLimit(maxBytes: 64 * 1024, keep: 3))
        #expect(FileManager.default.fileExists(atPath: link + ".1") == false)
    }

    @Test func aSymlinkAtTheLogPathIsRefused() throws {
        let dir = TempDir("rot")
        let target = dir.write("elsewhere", "")
        let link = dir.path + "/svc.log"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        var writer = RotatingLogWriter(path: link, limit: LogLimit())
        #expect(throws: LogWriterError.self) { try writer.copy(from: -1) }
    }

    @Test func byteSizesReadUnitsAndRefuseOverflow() {
        #expect(Resources.byteSize("10MB") == 10 << 20)
        #expect(Resources.byteSize("512 k") == 512 << 10)
        #expect(Resources.byteSize("1GiB") == 1 << 30)
        #expect(Resources.byteSize("65536") == 65_536)
        #expect(Resources.byteSize("10 parsecs") == nil)
        #expect(Resources.byteSize("-5M") == nil)
        #expect(Resources.byteSize("999999999999999T") == nil)
    }
}

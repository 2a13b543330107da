import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

@Suite struct CatalogSourceTests {
    @Test func loadsOnceAndAgainOnlyWhenAFileChanges() throws {
        let dir = TempDir("bus", keep: true)
        let file = dir.path + "/one.cli.toml"
        try "[b00t]\nname = \"one\"\nhint = \"first\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let source = CatalogSource(searchPath: DatumSearchPath(folders: [dir.path]))
        let first = source.catalog()
        #expect(first.datums["one.cli"]?.hint == "first")
        #expect(first.datums["b00t-bus.process"] != nil)  // built-ins included
        #expect(source.fingerprint() == source.fingerprint())
        try "[b00t]\nname = \"one\"\nhint = \"second, longer\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(source.catalog().datums["one.cli"]?.hint == "second, longer")
        try "[b00t]\nname = \"two\"\n".write(toFile: dir.path + "/two.cli.toml", atomically: true, encoding: .utf8)
        #expect(source.catalog().datums["two.cli"] != nil)
        try FileManager.default.removeItem(atPath: file)
        #expect(source.catalog().datums["one.cli"] == nil)
    }
}

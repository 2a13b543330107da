import Foundation
import Logging
import Testing
@testable import B00tCore

@Suite struct LogLineFormatterTests {
    let time = Date(timeIntervalSince1970: 1_764_745_264.123)

    func logfmt(_ message: String, _ metadata: Logger.Metadata = [:], level: Logger.Level = .info) -> String {
        String(decoding: LogLineFormatter.line(format: .logfmt, time: time, level: level, component: "bus",
                                               message: message, metadata: metadata), as: UTF8.self)
    }

    func json(_ message: String, _ metadata: Logger.Metadata = [:]) throws -> [String: String] {
        let bytes = LogLineFormatter.line(format: .json, time: time, level: .warning, component: "agent",
                                          message: message, metadata: metadata)
        #expect(bytes.last == 10 && bytes.filter { $0 == 10 }.count == 1, "one line")
        return try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
    }

    @Test func fixedFieldsFirstThenAgentSeqCodeThenTheRestSorted() {
        let line = logfmt("serving", ["zeta": "1", "code": "rate_limited", "seq": "42", "agent": "dev3", "alpha": "x"])
        #expect(line == "ts=2025-12-03T07:01:04.123Z level=info component=bus msg=serving agent=dev3 seq=42 code=rate_limited alpha=x zeta=1\n")
    }

    @Test func logfmtQuotesWhatWouldSplitOrConfuseAField() {
        #expect(logfmt("two words").contains(#"msg="two words""#))
        #expect(logfmt("a=b").contains(#"msg="a=b""#))
        #expect(logfmt(#"say "hi""#).contains(#"msg="say \"hi\"""#))
        #expect(logfmt("back\\slash").contains(#"msg="back\\slash""#))
        #expect(logfmt("").contains(#"msg="""#))
        #expect(logfmt("naïve→ok").contains("msg=naïve→ok"), "printable UTF-8 stays as it is")
    }

    /// A bus message quoted in a log must not drive the terminal that tails it: ESC, CR, newlines, DEL and C1
    /// controls are escaped, and the record stays one line.
    @Test func controlCharactersNeverReachTheTerminal() throws {
        let hostile = "a\u{1B}[2Jb\nc\rd\u{7F}e\u{9B}31mf\u{0}"
        let line = logfmt(hostile, ["agent": .string("x\u{1B}]0;pwned\u{7}")])
        #expect(!line.dropLast().contains("\n"))
        for forbidden: UInt8 in [0x1B, 0x0D, 0x7F, 0x00, 0x07] { #expect(!line.utf8.contains(forbidden)) }
        #expect(!line.unicodeScalars.contains("\u{9B}"))
        #expect(line.contains(#"\u001b[2Jb\nc\rd\u007fe\u009b31mf\u0000"#))
        let object = try json(hostile)
        #expect(object["msg"] == hostile, "JSON escapes round-trip to the original text")
    }

    @Test func jsonCarriesEveryFieldAsAString() throws {
        let object = try json("won ahoy-3", ["agent": "dev1", "seq": .stringConvertible(7), "list": .array(["a", "b"])])
        #expect(object["ts"] == "2025-12-03T07:01:04.123Z")
        #expect(object["level"] == "warning" && object["component"] == "agent" && object["msg"] == "won ahoy-3")
        #expect(object["agent"] == "dev1" && object["seq"] == "7" && object["list"] == "[a,b]")
    }

    @Test func oddKeysBecomeBareWords() {
        #expect(logfmt("m", ["a key=1": "v"]).contains(" a_key_1=v"))
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(LogLineFormatter.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(LogLineFormatter.timestamp(Date(timeIntervalSince1970: 951_782_400.999)) == "2000-02-29T00:00:00.999Z")
        #expect(LogLineFormatter.timestamp(Date(timeIntervalSince1970: .infinity)) == "1970-01-01T00:00:00.000Z")
    }
}

@Suite struct LogSettingsTests {
    @Test func defaultsAreInfoAndLogfmt() throws {
        #expect(try LogSettings.from(environment: [:]) == LogSettings(level: .info, format: .logfmt))
        #expect(try LogSettings.from(environment: ["B00T_LOG_LEVEL": " ", "B00T_LOG_FORMAT": ""]) == LogSettings())
    }

    @Test func readsLevelAndFormatCaseInsensitively() throws {
        let settings = try LogSettings.from(environment: ["B00T_LOG_LEVEL": "DEBUG", "B00T_LOG_FORMAT": "Json"])
        #expect(settings == LogSettings(level: .debug, format: .json))
        #expect(try LogSettings.from(environment: ["B00T_LOG_LEVEL": "warn"]).level == .warning)
    }

    @Test func anUnknownValueNamesTheVariableAndTheChoices() {
        do {
            _ = try LogSettings.from(environment: ["B00T_LOG_LEVEL": "loud"])
            Issue.record("accepted an unknown level")
        } catch {
            #expect(error.description.contains("B00T_LOG_LEVEL=loud") && error.description.contains("debug"))
        }
        do {
            _ = try LogSettings.from(environment: ["B00T_LOG_FORMAT": "xml\u{1B}[2J"])
            Issue.record("accepted an unknown format")
        } catch {
            #expect(error.description.contains("B00T_LOG_FORMAT") && error.description.contains("logfmt, json"))
            #expect(!error.description.contains("\u{1B}"))
        }
    }
}

@Suite struct StructuredLogHandlerTests {
    @Test func silentUntilRoutedThenFilteredByLevel() {
        let routing = LogRouting()
        let sink = MemoryLogSink()
        var logger = B00tLog.logger("bus", routing: routing)
        logger.info("before")
        #expect(sink.written.isEmpty)
        routing.route(.init(settings: LogSettings(level: .notice, format: .logfmt), sink: sink))
        logger[metadataKey: "agent"] = "dev2"
        logger.info("below the level")
        logger.notice("kept", metadata: ["seq": "9"])
        logger.error("failed", error: BusError.invalid("nope"))
        #expect(sink.written.count == 2)
        #expect(sink.written.first?.hasSuffix("level=notice component=bus msg=kept agent=dev2 seq=9") == true)
        #expect(sink.written.last?.contains("error=") == true)
        routing.route(nil)
        logger.critical("after")
        #expect(sink.written.count == 2)
    }

    @Test func aLevelSetOnTheLoggerWins() {
        let routing = LogRouting(.init(settings: LogSettings(level: .error), sink: MemoryLogSink()))
        var logger = B00tLog.logger("agent", routing: routing)
        #expect(logger.logLevel == .error)
        logger.logLevel = .trace
        #expect(logger.logLevel == .trace)
    }

    @Test func concurrentWritersNeverInterleaveALine() async {
        let routing = LogRouting()
        let sink = MemoryLogSink()
        routing.route(.init(settings: LogSettings(), sink: sink))
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    let logger = B00tLog.logger("w\(writer)", routing: routing)
                    for n in 0..<200 { logger.info("line \(n) from \(writer)") }
                }
            }
        }
        #expect(sink.written.count == 1_600)
        #expect(sink.written.allSatisfy { $0.hasPrefix("ts=") && $0.hasSuffix("\"") })
    }
}

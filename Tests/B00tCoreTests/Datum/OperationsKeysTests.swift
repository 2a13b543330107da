import Foundation
import Testing
@testable import B00tCore

/// `[b00t.resources] log_max_bytes / log_keep` and `metrics = "HOST:PORT"`.
@Suite struct OperationsKeysTests {
    func datum(_ extra: String) -> (Datum?, [DatumDiagnostic]) {
        decode("[b00t]\nname = \"svc\"\ntype = \"process\"\ncommand = \"true\"\n" + extra, file: "svc.process.toml")
    }

    @Test func logBoundsReadSizesWithUnits() throws {
        let (found, diagnostics) = datum("[b00t.resources]\nlog_max_bytes = \"5MB\"\nlog_keep = 7\n")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = ResolvedService(try #require(found), environment: [:])
        #expect(service.logLimit == LogLimit(maxBytes: 5 << 20, keep: 7))
        #expect(ResolvedService(try #require(datum("").0), environment: [:]).logLimit == LogLimit(maxBytes: 10 << 20, keep: 3))
    }

    @Test(arguments: [
        ("log_max_bytes = 10", "out of range"),
        ("log_max_bytes = \"lots\"", "a size in bytes"),
        ("log_max_bytes = 9223372036854775807", "out of range"),
        ("log_keep = 0", "out of range"),
        ("log_keep = 100", "out of range"),
        ("log_kept = 3", "log_kept"),
    ])
    func badLogBoundsNameTheKey(_ line: String, _ expected: String) {
        let (_, diagnostics) = datum("[b00t.resources]\n\(line)\n")
        let text = diagnostics.map { "\($0)" }.joined(separator: "\n")
        #expect(text.contains(expected), "\(text)")
        #expect(text.contains("resources"), "names the table: \(text)")
    }

    @Test func metricsAddressGoesToTheServiceOnly() throws {
        let (found, diagnostics) = datum("metrics = \"127.0.0.1:9464\"\n")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = ResolvedService(try #require(found), environment: ["B00T_METRICS_LISTEN": "127.0.0.1:1"])
        #expect(service.environment["B00T_METRICS_LISTEN"] == "127.0.0.1:9464")
        let other = ResolvedService(try #require(datum("").0), environment: ["B00T_METRICS_LISTEN": "127.0.0.1:1"])
        #expect(other.environment["B00T_METRICS_LISTEN"] == nil, "an inherited address would make every service race for the port")
    }

    @Test func logSettingsComeFromTheDatumNotTheCaller() throws {
        let inherited = ["B00T_LOG_FORMAT": "json", "B00T_LOG_LEVEL": "debug", "PATH": "/bin"]
        let plain = ResolvedService(try #require(datum("").0), environment: inherited)
        #expect(plain.environment["B00T_LOG_FORMAT"] == nil && plain.environment["B00T_LOG_LEVEL"] == nil)
        #expect(plain.environment["PATH"] == "/bin")
        let chosen = ResolvedService(try #require(datum("[b00t.env]\nB00T_LOG_FORMAT = \"json\"\n").0), environment: inherited)
        #expect(chosen.environment["B00T_LOG_FORMAT"] == "json" && chosen.environment["B00T_LOG_LEVEL"] == nil)
    }

    @Test func aRemoteOrMalformedMetricsAddressIsReported() {
        for (value, expected) in [("0.0.0.0:9464", "not a loopback"), ("9464", "not HOST:PORT"), ("127.0.0.1:70000", "0–65535")] {
            let (_, diagnostics) = datum("metrics = \"\(value)\"\n")
            let text = diagnostics.map { "\($0)" }.joined(separator: "\n")
            #expect(text.contains(expected) && text.contains("metrics"), "\(value): \(text)")
        }
    }
}

import B00tCore
import Foundation

/// Time to load 1,000 generated datums from disk (median of 5 runs), in milliseconds.
enum DatumLoadBenchmark {
    static func run() -> Double {
        let folder = NSTemporaryDirectory() + "b00t-bench-datums-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for i in 0..<1000 { try? BenchDatums.sample(i).write(toFile: "\(folder)/svc\(i).process.toml", atomically: false, encoding: .utf8) }
        var samples: [Double] = []
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            let catalog = DatumLoader(searchPath: DatumSearchPath(folders: [folder])).load()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            precondition(catalog.datums.count == 1000, "bench datums failed to load: \(catalog.errors.first.map { "\($0)" } ?? "")")
            samples.append(elapsed)
        }
        return samples.sorted()[samples.count / 2]
    }
}

enum BenchDatums {
    static func sample(_ i: Int) -> String {
        """
        [b00t]
        name = "svc\(i)"
        type = "process"
        hint = "generated service \(i)"
        command = "python3"
        args = ["-m", "http.server", "\(20000 + i)"]
        ports = [\(20000 + i)]
        depends_on = [\(i > 0 ? "\"svc\(i - 1).process\"" : "")]
        usage = [{ description = "fetch", command = "curl localhost:\(20000 + i)" }]

        [b00t.env]
        PORT = "\(20000 + i)"

        [b00t.health_check]
        http_url = "http://127.0.0.1:\(20000 + i)/"
        interval_ms = 50
        """
    }
}

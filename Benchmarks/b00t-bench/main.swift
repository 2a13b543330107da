import B00tCore
import Foundation

/// Prints one JSON object of figures; `make bench` runs it from a release build.
var figures: [String: Double] = [:]
figures["datum_load_ms_per_1000"] = DatumLoadBenchmark.run()
let keys = figures.keys.sorted()
let body = keys.map { "  \"\($0)\": \(String(format: "%.3f", figures[$0]!))" }.joined(separator: ",\n")
print("{\n\(body)\n}")

import Foundation

/// `b00t datum check` in one line: how many datums loaded, how many errors (dependency cycles and missing
/// dependencies counted apart) and warnings, and the first problem with its file and line.
public struct DatumsProbe: DoctorProbe {
    public let id = "datums"
    public var searchPath: DatumSearchPath

    public init(searchPath: DatumSearchPath) { self.searchPath = searchPath }

    public func run() async -> [DoctorCheck] {
        let searchPath = self.searchPath
        return await Doctor.offThread { [Self.check(DatumCheck(DatumLoader(searchPath: searchPath).load()), searchPath: searchPath)] }
    }

    static func check(_ result: DatumCheck, searchPath: DatumSearchPath) -> DoctorCheck {
        let id = "datums"
        let folders = searchPath.folders.filter { FileManager.default.fileExists(atPath: $0) }
        let from = folders.isEmpty ? "(no datum folder on the search path)" : "from \(folders.joined(separator: ":"))"
        guard let first = result.diagnostics.first(where: \.isError) ?? result.diagnostics.first else {
            return DoctorCheck(id, .ok, "\(result.datums) datums \(from), no problems")
        }
        var kinds: [String] = []
        if result.cycles > 0 { kinds.append("\(result.cycles) dependency cycle\(result.cycles == 1 ? "" : "s")") }
        if result.missingDependencies > 0 {
            kinds.append("\(result.missingDependencies) missing dependenc\(result.missingDependencies == 1 ? "y" : "ies")")
        }
        let errors = "\(result.errors) error\(result.errors == 1 ? "" : "s")" + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))")
        let summary = "\(result.datums) datums \(from): \(errors), \(result.warnings) warning\(result.warnings == 1 ? "" : "s"); first: \(first)"
        return DoctorCheck(id, result.errors > 0 ? .fail : .warn, summary,
                           fix: "`b00t datum check` lists every problem with file:line"
                            + (result.errors > 0 ? "; `b00t up` refuses datums with errors" : " (unknown keys and types; --strict makes them errors)"))
    }
}

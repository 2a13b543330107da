import Foundation

/// Where datums are looked for, first match wins: `$B00T_PATH` (colon-separated), then `./_b00t_`, then
/// `~/.b00t/_b00t_`. Folders that do not exist are skipped silently.
public struct DatumSearchPath: Hashable, Sendable {
    public var folders: [String]

    public init(folders: [String]) { self.folders = folders }

    public static func standard(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> DatumSearchPath {
        var folders: [String] = []
        for variable in ["B00T_PATH", "_B00T_Path"] {
            if let value = environment[variable], !value.isEmpty {
                folders += value.split(separator: ":").map { expandTilde(String($0), environment: environment) }
                break
            }
        }
        folders.append((currentDirectory as NSString).appendingPathComponent("_b00t_"))
        if let home = environment["HOME"] {
            folders.append((home as NSString).appendingPathComponent(".b00t/_b00t_"))
        }
        var seen = Set<String>()
        return DatumSearchPath(folders: folders.map(standardize).filter { seen.insert($0).inserted })
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path.hasPrefix("~"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst()
    }

    static func standardize(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

import Foundation

/// What the process runtime remembers about a daemon it started: enough to find it again from another
/// process (pid + start time, so a recycled pid is not mistaken for it) and to say since when it runs.
public struct ServiceRecord: Codable, Sendable, Equatable {
    public var id: String
    public var pid: Int32
    public var startTicks: UInt64
    public var startedAt: Date
    public var argv: [String]
    public var restarts: Int

    /// Writes atomically (temp file + rename), mode 0600.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        try PrivateFile.writeAtomically(data, to: path)
    }

    static func read(from path: String) -> ServiceRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(ServiceRecord.self, from: data)
    }
}

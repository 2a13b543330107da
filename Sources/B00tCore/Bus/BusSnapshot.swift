import Foundation

/// The on-disk form of a folded bus state. Versioned so a newer b00t can refuse (clearly) or migrate an
/// older file instead of misreading it.
public struct BusSnapshot: Codable, Sendable {
    public static let currentVersion = 1
    public var version: Int
    public var savedAt: Date
    public var state: BusState

    public init(state: BusState) {
        self.version = Self.currentVersion
        self.savedAt = BusTime.quantize(Date())
        self.state = state
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = BusTime.encoding
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    public func write(to path: String) throws {
        try PrivateFile.writeAtomically(try encoded(), to: path, sync: true)
    }

    public static func decode(_ data: Data, source: String) throws(BusError) -> BusSnapshot {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = BusTime.decoding
        struct Header: Decodable { var version: Int? }
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw .corruptSnapshot(path: source, detail: data.isEmpty ? "empty file" : "not JSON (truncated?)")
        }
        guard header.version == currentVersion else {
            throw .corruptSnapshot(path: source, detail: "version \(header.version.map(String.init) ?? "missing"), this b00t reads \(currentVersion)")
        }
        do {
            return try decoder.decode(BusSnapshot.self, from: data)
        } catch {
            throw .corruptSnapshot(path: source, detail: "\(error)".prefix(200).description)
        }
    }

    public static func read(from path: String) throws(BusError) -> BusSnapshot {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .corruptSnapshot(path: path, detail: "cannot read the file")
        }
        return try decode(data, source: path)
    }
}

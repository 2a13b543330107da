import COpenBLAS

/// Every stored vector in one contiguous `[count × dimension]` matrix, searched exactly: one `cblas_sgemv`
/// gives all cosines (vectors are unit length), then a bounded selection keeps the best `limit`.
/// Exact search over 100,000 chunks costs one pass over 150 MB; past a million, an HNSW index (Qdrant) is the
/// step up.
struct VectorIndex: Sendable {
    let dimension: Int
    private(set) var ids: [Int64] = []
    private(set) var topicIDs: [Int32] = []
    private(set) var topicNames: [String] = []
    private var topicLookup: [String: Int32] = [:]
    private var rowOfID: [Int64: Int] = [:]
    private(set) var matrix: [Float] = []

    init(dimension: Int) { self.dimension = dimension }

    var count: Int { ids.count }

    mutating func reserve(_ n: Int) {
        ids.reserveCapacity(n)
        topicIDs.reserveCapacity(n)
        matrix.reserveCapacity(n * dimension)
    }

    /// `bytes` holds `dimension` little-endian F32 values (a BLOB straight from SQLite, maybe unaligned).
    mutating func append(id: Int64, topic: String, bytes: UnsafeRawBufferPointer) {
        guard bytes.count == dimension * MemoryLayout<Float>.size else { return }
        let start = matrix.count
        matrix.append(contentsOf: repeatElement(0, count: dimension))
        matrix.withUnsafeMutableBytes { target in
            target.baseAddress!.advanced(by: start * MemoryLayout<Float>.size).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        appendRow(id: id, topic: topic)
    }

    mutating func append(id: Int64, topic: String, vector: [Float]) {
        guard vector.count == dimension else { return }
        matrix.append(contentsOf: vector)
        appendRow(id: id, topic: topic)
    }

    private mutating func appendRow(id: Int64, topic: String) {
        let topicID: Int32
        if let known = topicLookup[topic] {
            topicID = known
        } else {
            topicID = Int32(topicNames.count)
            topicNames.append(topic)
            topicLookup[topic] = topicID
        }
        rowOfID[id] = ids.count
        ids.append(id)
        topicIDs.append(topicID)
    }

    /// The cosine of one stored vector with `query` (nil when `id` has no vector).
    func cosine(ofID id: Int64, with query: [Float]) -> Float? {
        guard let row = rowOfID[id], query.count == dimension else { return nil }
        var dot: Float = 0
        matrix.withUnsafeBufferPointer { m in
            let base = row * dimension
            for j in 0..<dimension { dot += m[base + j] * query[j] }
        }
        return dot
    }

    /// (row id, cosine) of the best `limit` rows, best first; `topic` restricts the rows considered.
    func search(_ query: [Float], topic: String?, limit: Int) -> [(id: Int64, cosine: Float)] {
        guard count > 0, query.count == dimension, limit > 0 else { return [] }
        var wanted: Int32? = nil
        if let topic {
            guard let id = topicLookup[topic] else { return [] }
            wanted = id
        }
        var scores = [Float](repeating: 0, count: count)
        matrix.withUnsafeBufferPointer { m in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    if let blas = try? BLAS.get() {
                        blas.sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension), 1, m.baseAddress, Int32(dimension),
                                   q.baseAddress, 1, 0, s.baseAddress, 1)
                    } else {
                        for row in 0..<count {
                            var dot: Float = 0
                            for j in 0..<dimension { dot += m[row * dimension + j] * q[j] }
                            s[row] = dot
                        }
                    }
                }
            }
        }
        // Keep the best `limit` in a small sorted buffer: O(n) for the usual limit of tens.
        var best: [(id: Int64, cosine: Float)] = []
        best.reserveCapacity(limit + 1)
        for row in 0..<count {
            if let wanted, topicIDs[row] != wanted { continue }
            let score = scores[row]
            if best.count == limit, let worst = best.last, score <= worst.cosine { continue }
            var position = best.count
            while position > 0, best[position - 1].cosine < score { position -= 1 }
            best.insert((ids[row], score), at: position)
            if best.count > limit { best.removeLast() }
        }
        return best
    }
}

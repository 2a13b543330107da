#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A safetensors file mapped into memory (read-only, no copy): an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw data. Every range is checked against the
/// file's size before any pointer is handed out, so a truncated or doctored file is an error, never a crash.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct TensorInfo: Sendable, Hashable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        /// Byte range inside the data section (after the header).
        public var begin: Int
        public var end: Int
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    /// Immutable after init: the mapping lives exactly as long as this object.
    private let base: UnsafeMutableRawPointer
    private let mappedSize: Int
    private let dataStart: Int

    /// Bytes per element of the dtypes safetensors defines.
    static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
        "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
    ]
    /// A header is JSON text; anything near this size is not a model header but a damaged length field.
    static let maxHeaderBytes = 100 << 20

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                let url = URL(fileURLWithPath: path)
                throw EmbeddingError.modelMissing(directory: url.deletingLastPathComponent().path, file: url.lastPathComponent)
            }
            throw EmbeddingError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw EmbeddingError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw EmbeddingError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size >= 8 else { throw EmbeddingError.badSafeTensors(path: path, reason: "only \(size) bytes, no header") }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw EmbeddingError.unreadable(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        base = mapped
        mappedSize = size
        do {
            let parsed = try Self.parseHeader(base: UnsafeRawPointer(mapped), size: size, path: path)
            tensors = parsed.tensors
            metadata = parsed.metadata
            dataStart = parsed.dataStart
        } catch {
            munmap(mapped, size)
            throw error
        }
    }

    deinit { munmap(base, mappedSize) }

    /// The F32 tensor `name`, checked against `shape`; the pointer stays valid while this file object lives.
    public func floats(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let tensor = tensors[name] else {
            throw EmbeddingError.badTensor(name: name, reason: "missing from \(path)")
        }
        guard tensor.dtype == "F32" else {
            throw EmbeddingError.badTensor(name: name, reason: "dtype \(tensor.dtype), expected F32")
        }
        guard tensor.shape == shape else {
            throw EmbeddingError.badTensor(name: name, reason: "shape \(tensor.shape), expected \(shape)")
        }
        let address = UnsafeRawPointer(base) + dataStart + tensor.begin
        guard Int(bitPattern: address) % MemoryLayout<Float>.alignment == 0 else {
            throw EmbeddingError.badTensor(name: name, reason: "data is not 4-byte aligned in \(path)")
        }
        return address.assumingMemoryBound(to: Float.self)
    }

    /// The raw bytes of the whole file (for hashing without a second read).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: mappedSize) }

    private struct ParsedHeader {
        var tensors: [String: TensorInfo]
        var metadata: [String: String]
        var dataStart: Int
    }

    private static func parseHeader(base: UnsafeRawPointer, size: Int, path: String) throws -> ParsedHeader {
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << UInt64(8 * i) }
        guard headerLength <= UInt64(min(maxHeaderBytes, size - 8)) else {
            throw EmbeddingError.badSafeTensors(
                path: path, reason: "header length \(headerLength) does not fit a file of \(size) bytes (truncated?)")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = size - dataStart
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw EmbeddingError.badSafeTensors(path: path, reason: "header is not JSON")
        }
        guard let object = json as? [String: Any] else {
            throw EmbeddingError.badSafeTensors(path: path, reason: "header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                for (key, item) in (value as? [String: Any]) ?? [:] { metadata[key] = item as? String }
                continue
            }
            func bad(_ reason: String) -> EmbeddingError {
                .badSafeTensors(path: path, reason: "tensor \(name): \(reason)")
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any], let offsetValues = entry["data_offsets"] as? [Any],
                  offsetValues.count == 2 else {
                throw bad("needs dtype, shape and data_offsets [begin, end]")
            }
            guard let elementSize = dtypeSizes[dtype] else { throw bad("unknown dtype \(dtype)") }
            let shape = shapeValues.compactMap(integer)
            let offsets = offsetValues.compactMap(integer)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2 else {
                throw bad("shape and offsets must be non-negative integers")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw bad("shape \(shape) overflows") }
                elements = product
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize)
            let (begin, end) = (offsets[0], offsets[1])
            guard !overflow, begin >= 0, begin <= end else { throw bad("offsets \(offsets) are not a range") }
            guard end <= dataSize else {
                throw bad("ends at byte \(end) of the data but the file holds only \(dataSize) (truncated?)")
            }
            guard end - begin == bytes else {
                throw bad("\(end - begin) bytes for \(shape) of \(dtype) (\(bytes) expected)")
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
        }
        // The format allows no overlaps: each byte belongs to one tensor.
        let ordered = tensors.values.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.begin < previous.end {
            throw EmbeddingError.badSafeTensors(path: path, reason: "tensors \(previous.name) and \(next.name) overlap")
        }
        return ParsedHeader(tensors: tensors, metadata: metadata, dataStart: dataStart)
    }

    /// JSON numbers come back as NSNumber or Int depending on the platform; accept whole numbers only.
    private static func integer(_ value: Any) -> Int? {
        if let int = value as? Int { return int }
        if let double = value as? Double, double.rounded() == double, abs(double) < 9e15 { return Int(double) }
        return nil
    }
}

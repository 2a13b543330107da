import COpenBLAS
import Foundation

/// Turns texts into unit-length vectors whose dot product is their cosine similarity. The seam grok's store
/// and its tests use; the real one is `MiniLMEmbedder`.
public protocol TextEmbedder: Sendable {
    var dimension: Int { get }
    /// One vector per text, in order, each of `dimension` floats and unit length (zero for nothing to embed).
    func embed(_ texts: [String]) -> [[Float]]
}

/// sentence-transformers/all-MiniLM-L6-v2 run in Swift: WordPiece tokenizer, BERT encoder through OpenBLAS,
/// mean pooling and L2 normalisation. Loading maps the weights (no copy) after checking them against the
/// pinned manifest.
public final class MiniLMEmbedder: TextEmbedder, @unchecked Sendable {
    public static let dimension = 384
    public var dimension: Int { Self.dimension }
    public let directory: String
    public let tokenizer: WordPieceTokenizer
    let encoder: BertEncoder

    /// Loads the model from `directory` (default: `$B00T_MODEL_DIR` or the cache `make model` fills).
    public init(directory: String = ModelManifest.standardDirectory(), manifest: ModelManifest = .miniLM) throws {
        self.directory = directory
        try manifest.verify(directory: directory)
        BLASThreads.configureOnce()
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory + "/vocab.txt", maxTokens: 256)
        let file = try SafeTensorsFile(path: directory + "/model.safetensors")
        encoder = BertEncoder(weights: try BertWeights(file: file, config: BertConfig()))
    }

    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    public func embed(_ texts: [String]) -> [[Float]] {
        encoder.encode(texts.map { tokenizer.encode($0) })
    }
}

/// OpenBLAS's thread count, set once per process: `$B00T_BLAS_THREADS`, else every core (measured best for
/// batches on this 2-core machine; small products stay single-threaded inside OpenBLAS anyway).
enum BLASThreads {
    private static let configured: Bool = {
        let environment = ProcessInfo.processInfo.environment
        let requested = environment["B00T_BLAS_THREADS"].flatMap(Int32.init) ?? Int32(ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(max(1, min(requested, 64)))
        return true
    }()

    static func configureOnce() { _ = configured }
}

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
        let blas = try BLAS.get()
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory + "/vocab.txt", maxTokens: 256)
        let file = try SafeTensorsFile(path: directory + "/model.safetensors")
        encoder = BertEncoder(weights: try BertWeights(file: file, config: BertConfig()), blas: blas)
    }

    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// The OpenBLAS kernels in use ("SkylakeX", "Haswell", …).
    public var blasCore: String { encoder.blas.coreName }

    public func embed(_ texts: [String]) -> [[Float]] {
        encoder.encode(texts.map { tokenizer.encode($0) })
    }
}

/// What can go wrong with the sentence model: each names the file and says how to fix it.
public enum EmbeddingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The model folder or one of its files is absent: grok falls back to words only.
    case modelMissing(directory: String, file: String)
    case unreadable(path: String, reason: String)
    /// The file is there but is not the file the project pinned (truncated, replaced, damaged).
    case wrongHash(path: String, expected: String, found: String)
    case wrongSize(path: String, expected: Int, found: Int)
    /// A safetensors file whose header or offsets do not fit the file.
    case badSafeTensors(path: String, reason: String)
    case badTensor(name: String, reason: String)
    case badVocabulary(path: String, reason: String)

    /// A stable code for scripts and tests.
    public var code: String {
        switch self {
        case .modelMissing: "model_missing"
        case .unreadable: "model_unreadable"
        case .wrongHash: "model_wrong_hash"
        case .wrongSize: "model_wrong_size"
        case .badSafeTensors: "model_bad_safetensors"
        case .badTensor: "model_bad_tensor"
        case .badVocabulary: "model_bad_vocabulary"
        }
    }

    public var description: String {
        let fix = "run `make model` (or set B00T_MODEL_DIR to a folder holding the model)"
        switch self {
        case .modelMissing(let directory, let file):
            return "grok's sentence model is not installed: \(directory)/\(file) is missing; \(fix)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .wrongHash(let path, let expected, let found):
            return "\(path) is not the pinned model file (SHA-256 \(found), expected \(expected)); delete it and \(fix)"
        case .wrongSize(let path, let expected, let found):
            return "\(path) has \(found) bytes, expected \(expected) (truncated or replaced?); delete it and \(fix)"
        case .badSafeTensors(let path, let reason):
            return "\(path) is not a valid safetensors file: \(reason); delete it and \(fix)"
        case .badTensor(let name, let reason):
            return "model tensor \(name): \(reason); delete the model folder and \(fix)"
        case .badVocabulary(let path, let reason):
            return "\(path): \(reason); delete it and \(fix)"
        }
    }
}

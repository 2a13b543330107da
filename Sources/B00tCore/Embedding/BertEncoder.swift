import COpenBLAS
import Foundation

/// The BERT forward pass of all-MiniLM-L6-v2 followed by sentence-transformers' pooling (mean over the tokens,
/// then L2 normalisation). A batch is not padded: the tokens of all its sentences are stacked into one
/// `[tokens × 384]` matrix for every per-token layer (one `cblas_sgemm` each), and only attention runs per
/// sentence. Thread-safe: every call allocates its own scratch memory; the weights are read-only.
final class BertEncoder: @unchecked Sendable {
    let weights: BertWeights
    let blas: BLAS
    /// Tokens per internal slice of a big batch: bounds the scratch memory (about 40 KB a token).
    static let tokensPerSlice = 4_096

    init(weights: BertWeights, blas: BLAS) {
        self.weights = weights
        self.blas = blas
    }

    /// One normalised vector per token sequence (each at most `maxPositions` long and non-empty).
    func encode(_ batch: [[Int32]]) -> [[Float]] {
        var results: [[Float]] = []
        results.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            var end = start
            var tokens = 0
            while end < batch.count, end == start || tokens + batch[end].count <= Self.tokensPerSlice {
                tokens += batch[end].count
                end += 1
            }
            results += encodeSlice(Array(batch[start..<end]))
            start = end
        }
        return results
    }

    private func encodeSlice(_ batch: [[Int32]]) -> [[Float]] {
        let config = weights.config
        let h = config.hidden, inner = config.intermediate
        let sequences = batch.map { Array($0.prefix(config.maxPositions)) }
        let lengths = sequences.map(\.count)
        let total = lengths.reduce(0, +)
        guard total > 0 else { return batch.map { _ in [Float](repeating: 0, count: h) } }
        let longest = lengths.max() ?? 0

        let x = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let q = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let k = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let context = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let hidden = UnsafeMutablePointer<Float>.allocate(capacity: total * inner)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(1, longest * longest))
        defer {
            for buffer in [x, q, k, v, context, hidden, scores] { buffer.deallocate() }
        }

        // Embeddings: word + position + token type 0, then LayerNorm.
        var row = 0
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let token = Int(id) < config.vocabularySize && id >= 0 ? Int(id) : 0
                let out = x + row * h
                let word = weights.wordEmbeddings + token * h
                let pos = weights.positionEmbeddings + position * h
                let type = weights.tokenTypeEmbeddings
                for j in 0..<h { out[j] = word[j] + pos[j] + type[j] }
                row += 1
            }
        }
        Kernels.layerNorm(x, rows: total, width: h, gain: weights.embeddingNormGain,
                          bias: weights.embeddingNormBias, epsilon: config.layerNormEpsilon)

        let headSize = config.headSize
        let scale = 1 / Float(headSize).squareRoot()
        for layer in weights.layers {
            Kernels.linear(blas, x, rows: total, inputs: h, weight: layer.query, bias: layer.queryBias, outputs: h, into: q)
            Kernels.linear(blas, x, rows: total, inputs: h, weight: layer.key, bias: layer.keyBias, outputs: h, into: k)
            Kernels.linear(blas, x, rows: total, inputs: h, weight: layer.value, bias: layer.valueBias, outputs: h, into: v)
            var offset = 0
            for n in lengths {
                for head in 0..<config.heads {
                    let column = offset * h + head * headSize
                    // scores = Q_h K_hᵀ / √d  (n × n)
                    blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(headSize),
                                scale, q + column, Int32(h), k + column, Int32(h), 0, scores, Int32(n))
                    Kernels.softmaxRows(scores, rows: n, width: n)
                    // context_h = softmax(scores) V_h  (n × d), written into its head's columns
                    blas.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(headSize), Int32(n),
                                1, scores, Int32(n), v + column, Int32(h), 0, context + column, Int32(h))
                }
                offset += n
            }
            // x = LayerNorm(context W_oᵀ + b_o + x)
            Kernels.linear(blas, context, rows: total, inputs: h, weight: layer.attentionOut, bias: layer.attentionOutBias,
                           outputs: h, into: x, accumulate: true)
            Kernels.layerNorm(x, rows: total, width: h, gain: layer.attentionNormGain, bias: layer.attentionNormBias,
                              epsilon: config.layerNormEpsilon)
            // x = LayerNorm(GELU(x W_iᵀ + b_i) W_2ᵀ + b_2 + x)
            Kernels.linear(blas, x, rows: total, inputs: h, weight: layer.intermediate, bias: layer.intermediateBias,
                           outputs: inner, into: hidden)
            Kernels.gelu(hidden, count: total * inner)
            Kernels.linear(blas, hidden, rows: total, inputs: inner, weight: layer.output, bias: layer.outputBias,
                           outputs: h, into: x, accumulate: true)
            Kernels.layerNorm(x, rows: total, width: h, gain: layer.outputNormGain, bias: layer.outputNormBias,
                              epsilon: config.layerNormEpsilon)
        }

        // Mean pooling over each sentence's tokens, then L2 normalisation.
        var results: [[Float]] = []
        results.reserveCapacity(batch.count)
        var offset = 0
        for n in lengths {
            var pooled = [Float](repeating: 0, count: h)
            if n > 0 {
                for r in offset..<(offset + n) {
                    let src = x + r * h
                    for j in 0..<h { pooled[j] += src[j] }
                }
                let inverse = 1 / Float(n)
                for j in 0..<h { pooled[j] *= inverse }
            }
            Kernels.normalize(&pooled)
            results.append(pooled)
            offset += n
        }
        return results
    }
}

import COpenBLAS
import Foundation

/// The element-wise pieces of the encoder around the BLAS matrix products. Plain loops over raw pointers: in a
/// release build the compiler vectorises them.
enum Kernels {
    /// `output = input · weightᵀ + bias` (`accumulate`: `output += …`, for a residual already in `output`).
    /// `weight` is `[outputs, inputs]` as stored in the file.
    static func linear(
        _ blas: BLAS, _ input: UnsafePointer<Float>, rows: Int, inputs: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, outputs: Int, into output: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        for r in 0..<rows {
            let out = output + r * outputs
            if accumulate {
                for j in 0..<outputs { out[j] += bias[j] }
            } else {
                out.update(from: bias, count: outputs)
            }
        }
        blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                    1, input, Int32(inputs), weight, Int32(inputs), 1, output, Int32(outputs))
    }

    static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gain: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        epsilon: Float
    ) {
        let inverseWidth = 1 / Float(width)
        for r in 0..<rows {
            let row = x + r * width
            var sum: Float = 0
            for j in 0..<width { sum += row[j] }
            let mean = sum * inverseWidth
            var squares: Float = 0
            for j in 0..<width {
                let d = row[j] - mean
                squares += d * d
            }
            let scale = 1 / (squares * inverseWidth + epsilon).squareRoot()
            for j in 0..<width { row[j] = (row[j] - mean) * scale * gain[j] + bias[j] }
        }
    }

    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var largest = -Float.infinity
            for j in 0..<width { largest = max(largest, row[j]) }
            var sum: Float = 0
            for j in 0..<width {
                let e = expf(row[j] - largest)
                row[j] = e
                sum += e
            }
            let inverse = 1 / sum
            for j in 0..<width { row[j] *= inverse }
        }
    }

    /// GELU with the exact erf, as BERT's `hidden_act = "gelu"`.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let inverseRoot2: Float = 0.70710678118654752
        for i in 0..<count {
            let value = x[i]
            x[i] = 0.5 * value * (1 + erff(value * inverseRoot2))
        }
    }

    /// Scales `vector` to unit length (a zero vector stays zero).
    static func normalize(_ vector: inout [Float]) {
        var squares: Float = 0
        for value in vector { squares += value * value }
        let norm = max(squares.squareRoot(), 1e-12)
        for j in vector.indices { vector[j] /= norm }
    }
}

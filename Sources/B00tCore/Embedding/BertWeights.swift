/// Pointers into the mapped safetensors file for every tensor the encoder uses, each checked for its shape
/// once at load time. Weights stay in the file's layout `[out, in]`: the matrix products pass `CblasTrans`
/// instead of transposing anything.
struct BertWeights: @unchecked Sendable {
    struct Layer {
        var query: UnsafePointer<Float>, queryBias: UnsafePointer<Float>
        var key: UnsafePointer<Float>, keyBias: UnsafePointer<Float>
        var value: UnsafePointer<Float>, valueBias: UnsafePointer<Float>
        var attentionOut: UnsafePointer<Float>, attentionOutBias: UnsafePointer<Float>
        var attentionNormGain: UnsafePointer<Float>, attentionNormBias: UnsafePointer<Float>
        var intermediate: UnsafePointer<Float>, intermediateBias: UnsafePointer<Float>
        var output: UnsafePointer<Float>, outputBias: UnsafePointer<Float>
        var outputNormGain: UnsafePointer<Float>, outputNormBias: UnsafePointer<Float>
    }

    let config: BertConfig
    let wordEmbeddings: UnsafePointer<Float>
    let positionEmbeddings: UnsafePointer<Float>
    let tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNormGain: UnsafePointer<Float>
    let embeddingNormBias: UnsafePointer<Float>
    let layers: [Layer]
    /// Keeps the mapping alive as long as the pointers are used.
    let file: SafeTensorsFile

    init(file: SafeTensorsFile, config: BertConfig) throws {
        self.file = file
        self.config = config
        let h = config.hidden, i = config.intermediate
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [config.vocabularySize, h])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [config.maxPositions, h])
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [config.tokenTypes, h])
        embeddingNormGain = try file.floats("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [h])
        var layers: [Layer] = []
        for index in 0..<config.layers {
            let p = "encoder.layer.\(index)."
            layers.append(Layer(
                query: try file.floats(p + "attention.self.query.weight", shape: [h, h]),
                queryBias: try file.floats(p + "attention.self.query.bias", shape: [h]),
                key: try file.floats(p + "attention.self.key.weight", shape: [h, h]),
                keyBias: try file.floats(p + "attention.self.key.bias", shape: [h]),
                value: try file.floats(p + "attention.self.value.weight", shape: [h, h]),
                valueBias: try file.floats(p + "attention.self.value.bias", shape: [h]),
                attentionOut: try file.floats(p + "attention.output.dense.weight", shape: [h, h]),
                attentionOutBias: try file.floats(p + "attention.output.dense.bias", shape: [h]),
                attentionNormGain: try file.floats(p + "attention.output.LayerNorm.weight", shape: [h]),
                attentionNormBias: try file.floats(p + "attention.output.LayerNorm.bias", shape: [h]),
                intermediate: try file.floats(p + "intermediate.dense.weight", shape: [i, h]),
                intermediateBias: try file.floats(p + "intermediate.dense.bias", shape: [i]),
                output: try file.floats(p + "output.dense.weight", shape: [h, i]),
                outputBias: try file.floats(p + "output.dense.bias", shape: [h]),
                outputNormGain: try file.floats(p + "output.LayerNorm.weight", shape: [h]),
                outputNormBias: try file.floats(p + "output.LayerNorm.bias", shape: [h])))
        }
        self.layers = layers
    }
}

/// The shape of all-MiniLM-L6-v2 (its config.json); fixed here because the code is written for this model.
struct BertConfig: Sendable {
    var vocabularySize = 30_522
    var hidden = 384
    var heads = 12
    var intermediate = 1_536
    var layers = 6
    var maxPositions = 512
    var tokenTypes = 2
    var layerNormEpsilon: Float = 1e-12
    var headSize: Int { hidden / heads }
}

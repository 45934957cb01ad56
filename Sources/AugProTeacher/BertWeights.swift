import AugProNumerics

/// The encoder's tensors, looked up in a safetensors file (with or without a `bert.` prefix)
/// and checked against the config's shapes. F32 tensors stay in the memory map.
struct BertWeights: Sendable {
    /// A PyTorch `Linear`: weight [out × in], bias [out].
    struct Dense: Sendable {
        var weight, bias: Float32Tensor
    }

    /// A `LayerNorm`'s scale and shift.
    struct Norm: Sendable {
        var scale, shift: Float32Tensor
    }

    /// One transformer layer's tensors.
    struct Layer: Sendable {
        var query, key, value, attentionOutput: Dense
        var attentionNorm: Norm
        var intermediate, output: Dense
        var outputNorm: Norm
    }

    var wordEmbeddings, positionEmbeddings, typeEmbeddings: Float32Tensor
    var embeddingNorm: Norm
    var layers: [Layer]
    /// The `[CLS]` pooler (dense + tanh), present in classification checkpoints.
    var pooler: Dense?
    /// The classifier (`classifier.weight` [labels × hidden]), present in classification checkpoints.
    var classifier: Dense?

    /// A tensor reader bound to one file and prefix that checks every shape.
    private struct Lookup {
        let file: SafetensorsFile
        let prefix: String

        func tensor(_ name: String, _ shape: [Int], prefixed: Bool = true) throws -> Float32Tensor {
            let fullName = (prefixed ? prefix : "") + name
            guard file.contains(fullName) else {
                throw TeacherError.file(file.path, "missing tensor \"\(fullName)\"")
            }
            let info = try file.info(fullName)
            guard info.shape == shape else {
                throw TeacherError.file(file.path, "tensor \"\(fullName)\" has shape \(info.shape); the config implies \(shape)")
            }
            return try file.float32Tensor(fullName)
        }

        func dense(_ name: String, rows: Int, columns: Int, prefixed: Bool = true) throws -> Dense {
            Dense(
                weight: try tensor(name + ".weight", [rows, columns], prefixed: prefixed),
                bias: try tensor(name + ".bias", [rows], prefixed: prefixed))
        }

        func norm(_ name: String, width: Int) throws -> Norm {
            Norm(scale: try tensor(name + ".weight", [width]), shift: try tensor(name + ".bias", [width]))
        }

        /// A dense layer that may be absent; `rows` nil takes the stored weight's first dimension.
        func optionalDense(_ name: String, rows: Int?, columns: Int, prefixed: Bool) throws -> Dense? {
            let fullName = (prefixed ? prefix : "") + name
            guard file.contains(fullName + ".weight") else { return nil }
            let actualRows = try rows ?? (file.info(fullName + ".weight").shape.first ?? 0)
            return try dense(name, rows: actualRows, columns: columns, prefixed: prefixed)
        }
    }

    init(file: SafetensorsFile, config: BertConfig) throws {
        let wordName = "embeddings.word_embeddings.weight"
        let prefix: String
        if file.contains("bert." + wordName) {
            prefix = "bert."
        } else if file.contains(wordName) {
            prefix = ""
        } else {
            throw TeacherError.file(file.path, "no \"\(wordName)\" tensor (with or without the \"bert.\" prefix): not a BERT checkpoint")
        }
        let lookup = Lookup(file: file, prefix: prefix)
        let hidden = config.hiddenSize
        let inner = config.intermediateSize
        wordEmbeddings = try lookup.tensor(wordName, [config.vocabularySize, hidden])
        positionEmbeddings = try lookup.tensor("embeddings.position_embeddings.weight", [config.maxPositions, hidden])
        typeEmbeddings = try lookup.tensor("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, hidden])
        embeddingNorm = try lookup.norm("embeddings.LayerNorm", width: hidden)
        layers = try (0..<config.layerCount).map { index in
            let p = "encoder.layer.\(index)."
            return Layer(
                query: try lookup.dense(p + "attention.self.query", rows: hidden, columns: hidden),
                key: try lookup.dense(p + "attention.self.key", rows: hidden, columns: hidden),
                value: try lookup.dense(p + "attention.self.value", rows: hidden, columns: hidden),
                attentionOutput: try lookup.dense(p + "attention.output.dense", rows: hidden, columns: hidden),
                attentionNorm: try lookup.norm(p + "attention.output.LayerNorm", width: hidden),
                intermediate: try lookup.dense(p + "intermediate.dense", rows: inner, columns: hidden),
                output: try lookup.dense(p + "output.dense", rows: hidden, columns: inner),
                outputNorm: try lookup.norm(p + "output.LayerNorm", width: hidden))
        }
        pooler = try lookup.optionalDense("pooler.dense", rows: hidden, columns: hidden, prefixed: true)
        classifier = try lookup.optionalDense("classifier", rows: nil, columns: hidden, prefixed: false)
    }
}

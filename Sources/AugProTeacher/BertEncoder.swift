import AugProNumerics

/// A BERT encoder forward pass over a packed batch: the tokens of all sequences are stacked
/// into one `[tokens × hidden]` matrix with no padding, so every dense layer is one large
/// `sgemm`, and attention runs per sequence at its own length (no mask is needed because no
/// position is padding).
struct BertEncoder: Sendable {
    let config: BertConfig
    let weights: BertWeights

    /// One tokenized input, already validated against the vocabulary and position limits.
    struct Sequence {
        var inputIds: [Int32]
        var tokenTypeIds: [UInt8]
    }

    /// The last hidden states of a packed batch and where each sequence's rows start.
    struct Output {
        var hidden: [Float]
        var offsets: [Int]
        var width: Int

        /// The rows of sequence `index`.
        func rows(_ index: Int) -> Range<Int> { offsets[index]..<offsets[index + 1] }
    }

    /// Runs the encoder over `sequences` (validated, each non-empty).
    func encode(_ sequences: [Sequence]) -> Output {
        var offsets = [0]
        for sequence in sequences { offsets.append(offsets[offsets.count - 1] + sequence.inputIds.count) }
        let tokens = offsets[offsets.count - 1]
        let width = config.hiddenSize
        guard tokens > 0 else { return Output(hidden: [], offsets: offsets, width: width) }
        var hidden = [Float](repeating: 0, count: tokens * width)
        hidden.withUnsafeMutableBufferPointer { embed(sequences, into: $0.baseAddress!) }
        var scratch = Scratch(tokens: tokens, config: config, longest: sequences.map(\.inputIds.count).max() ?? 0)
        hidden.withUnsafeMutableBufferPointer { state in
            for layer in weights.layers {
                run(layer, state: state.baseAddress!, tokens: tokens, offsets: offsets, scratch: &scratch)
            }
        }
        return Output(hidden: hidden, offsets: offsets, width: width)
    }

    /// Working buffers for one batch, reused across layers.
    private struct Scratch {
        var query, key, value, context, attention: [Float]
        var intermediate: [Float]
        var scores: [Float]

        init(tokens: Int, config: BertConfig, longest: Int) {
            let size = tokens * config.hiddenSize
            query = [Float](repeating: 0, count: size)
            key = query
            value = query
            context = query
            attention = query
            intermediate = [Float](repeating: 0, count: tokens * config.intermediateSize)
            scores = [Float](repeating: 0, count: max(1, longest * longest))
        }
    }

    /// Word + position + token-type embeddings, then LayerNorm.
    private func embed(_ sequences: [Sequence], into output: UnsafeMutablePointer<Float>) {
        let width = config.hiddenSize
        let words = weights.wordEmbeddings.pointer
        let positions = weights.positionEmbeddings.pointer
        let types = weights.typeEmbeddings.pointer
        var row = 0
        for sequence in sequences {
            for position in 0..<sequence.inputIds.count {
                let target = output + row * width
                let word = words + Int(sequence.inputIds[position]) * width
                let place = positions + position * width
                let type = types + Int(sequence.tokenTypeIds[position]) * width
                for column in 0..<width { target[column] = word[column] + place[column] + type[column] }
                row += 1
            }
        }
        Kernels.addLayerNorm(
            output, residual: nil, rows: row, width: width,
            weights.embeddingNorm, epsilon: config.layerNormEpsilon)
    }

    /// One transformer layer, updating `state` in place.
    private func run(
        _ layer: BertWeights.Layer, state: UnsafeMutablePointer<Float>, tokens: Int, offsets: [Int], scratch: inout Scratch
    ) {
        let width = config.hiddenSize
        let inner = config.intermediateSize
        let epsilon = config.layerNormEpsilon
        scratch.query.withUnsafeMutableBufferPointer { query in
            scratch.key.withUnsafeMutableBufferPointer { key in
                scratch.value.withUnsafeMutableBufferPointer { value in
                    scratch.context.withUnsafeMutableBufferPointer { context in
                        scratch.scores.withUnsafeMutableBufferPointer { scores in
                            Kernels.linear(state, rows: tokens, inputWidth: width, layer.query, output: query.baseAddress!)
                            Kernels.linear(state, rows: tokens, inputWidth: width, layer.key, output: key.baseAddress!)
                            Kernels.linear(state, rows: tokens, inputWidth: width, layer.value, output: value.baseAddress!)
                            attend(
                                query: query.baseAddress!, key: key.baseAddress!, value: value.baseAddress!,
                                context: context.baseAddress!, scores: scores.baseAddress!, offsets: offsets)
                        }
                    }
                }
            }
        }
        scratch.context.withUnsafeBufferPointer { context in
            scratch.attention.withUnsafeMutableBufferPointer { attention in
                let attended = attention.baseAddress!
                Kernels.linear(
                    context.baseAddress!, rows: tokens, inputWidth: width,
                    layer.attentionOutput, output: attended)
                Kernels.addLayerNorm(
                    attended, residual: state, rows: tokens, width: width,
                    layer.attentionNorm, epsilon: epsilon)
                scratch.intermediate.withUnsafeMutableBufferPointer { intermediate in
                    let expanded = intermediate.baseAddress!
                    Kernels.linear(
                        attended, rows: tokens, inputWidth: width,
                        layer.intermediate, output: expanded)
                    Kernels.activate(expanded, count: tokens * inner, config.activation)
                    Kernels.linear(
                        expanded, rows: tokens, inputWidth: inner,
                        layer.output, output: state)
                }
                Kernels.addLayerNorm(
                    state, residual: attended, rows: tokens, width: width,
                    layer.outputNorm, epsilon: epsilon)
            }
        }
    }

    /// Scaled dot-product attention per sequence and head: `softmax(Q Kᵀ / √d) V`.
    private func attend(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        context: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>, offsets: [Int]
    ) {
        let width = config.hiddenSize
        let size = config.headSize
        let scale = 1 / Float(size).squareRoot()
        for index in 0..<(offsets.count - 1) {
            let start = offsets[index]
            let length = offsets[index + 1] - start
            for head in 0..<config.headCount {
                let column = start * width + head * size
                BLAS.sgemm(
                    .none, .transpose, m: length, n: length, k: size, alpha: scale,
                    a: query + column, lda: width, b: key + column, ldb: width, c: scores, ldc: length)
                Kernels.softmaxRows(scores, rows: length, width: length)
                BLAS.sgemm(
                    .none, .none, m: length, n: size, k: length,
                    a: scores, lda: length, b: value + column, ldb: width, c: context + column, ldc: width)
            }
        }
    }
}

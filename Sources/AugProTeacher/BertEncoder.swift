import AugProNumerics

/// A BERT encoder forward pass over a packed batch: the tokens of all sequences are stacked
/// into one `[tokens × hidden]` matrix with no padding, and attention runs per sequence at its
/// own length (no mask is needed because no position is padding).
///
/// Parallelism: the pass is cut into chunks of whole consecutive sequences (boundaries from
/// the lengths only, never from timing or the thread count); for each layer, worker threads
/// take chunks in turn and run the whole layer on them — fused QKV product, attention per
/// (sequence, head) with strided sgemm, output product, bias + residual + LayerNorm,
/// feed-forward with bias + GELU — so every phase uses every core. OpenBLAS is switched to one
/// thread for the pass (its own threads would serialize the workers' products) and restored.
struct BertEncoder: Sendable {
    let config: BertConfig
    let weights: BertWeights
    let prepared: PreparedWeights
    private let workspaces = WorkspacePool()

    init(config: BertConfig, weights: BertWeights, precision: TeacherPrecision = .fp32, kernel: Int8GEMM.Kernel = .best) {
        self.config = config
        self.weights = weights
        prepared = PreparedWeights(weights, precision: precision, kernel: kernel)
    }

    /// One tokenized input, already validated against the vocabulary and position limits.
    struct Sequence {
        var inputIds: [Int32]
        var tokenTypeIds: [UInt8]
    }

    /// The last hidden states of a packed batch and where each sequence's rows start.
    struct Output {
        /// `[tokens × width]` (may be longer: only the rows in `offsets` are meaningful).
        var hidden: [Float]
        var offsets: [Int]
        var width: Int

        /// The rows of sequence `index`.
        func rows(_ index: Int) -> Range<Int> { offsets[index]..<offsets[index + 1] }
    }

    /// Fewest tokens per chunk worth a separate set of matrix products.
    static let minimumChunkTokens = 256
    /// Most chunks per pass.
    static let maximumChunks = 8

    /// Runs the encoder over `sequences` (validated, each non-empty) on up to `threads` threads.
    func encode(_ sequences: [Sequence], threads: Int = 1) -> Output {
        var offsets = [0]
        offsets.reserveCapacity(sequences.count + 1)
        for sequence in sequences { offsets.append(offsets[offsets.count - 1] + sequence.inputIds.count) }
        let tokens = offsets[offsets.count - 1]
        let width = config.hiddenSize
        guard tokens > 0 else { return Output(hidden: [], offsets: offsets, width: width) }
        return workspaces.with { workspace in
            plan(offsets, into: workspace)
            let chunkRows = workspace.chunks.map(\.rows.count).max() ?? 0
            let longest = sequences.map(\.inputIds.count).max() ?? 0
            let workers = max(1, min(threads, workspace.chunks.count))
            let rowBytes = prepared.kernel.map { Int8GEMM.activationRowBytes($0, depth: max(width, config.intermediateSize)) } ?? 0
            workspace.reserve(
                tokens: tokens, chunkRows: chunkRows, longest: longest, workers: workers, config: config,
                quantizedRowBytes: rowBytes)
            let chunks = workspace.chunks
            let blasThreads = BLAS.threadCount
            if workers > 1, blasThreads != 1 { BLAS.setThreadCount(1) }
            defer { if workers > 1, blasThreads != 1 { BLAS.setThreadCount(blasThreads) } }
            workspace.hidden.withUnsafeMutableBufferPointer { hidden in
                let state = UncheckedSendable(value: hidden.baseAddress!)
                OperatorProfile.measure(.embedding) {
                    parallelItems(chunks.count, threads: workers) { _, item in
                        embed(sequences, chunks[item].sequences, offsets: offsets, into: state.value)
                    }
                }
                for layer in prepared.layers {
                    parallelItems(chunks.count, threads: workers) { worker, item in
                        run(layer, chunk: chunks[item], offsets: offsets, state: state.value, scratch: workspace.scratch[worker])
                    }
                }
            }
            return Output(hidden: workspace.hidden, offsets: offsets, width: width)
        }
    }

    /// Cuts the pass into consecutive groups of sequences with about equal token counts:
    /// `tokens / 256` chunks (at least 2 when there are 2 sequences, at most 8).
    private func plan(_ offsets: [Int], into workspace: EncoderWorkspace) {
        let count = offsets.count - 1
        let tokens = offsets[count]
        let chunks = min(count, max(2, min(Self.maximumChunks, tokens / Self.minimumChunkTokens)))
        workspace.chunks.removeAll(keepingCapacity: true)
        var first = 0
        for chunk in 0..<chunks {
            let boundary = tokens * (chunk + 1) / chunks
            var last = first + 1
            while last < count - (chunks - chunk - 1), offsets[last] < boundary { last += 1 }
            if chunk == chunks - 1 { last = count }
            workspace.chunks.append((first..<last, offsets[first]..<offsets[last]))
            first = last
        }
    }

    /// Word + position + token-type embeddings, then LayerNorm, for the sequences in `range`.
    private func embed(_ sequences: [Sequence], _ range: Range<Int>, offsets: [Int], into output: UnsafeMutablePointer<Float>) {
        let width = config.hiddenSize
        let words = weights.wordEmbeddings.pointer
        let positions = weights.positionEmbeddings.pointer
        let types = weights.typeEmbeddings.pointer
        for index in range {
            let sequence = sequences[index]
            for position in 0..<sequence.inputIds.count {
                let target = output + (offsets[index] + position) * width
                let word = words + Int(sequence.inputIds[position]) * width
                let place = positions + position * width
                let type = types + Int(sequence.tokenTypeIds[position]) * width
                for column in 0..<width { target[column] = word[column] + place[column] + type[column] }
            }
        }
        let rows = offsets[range.upperBound] - offsets[range.lowerBound]
        Kernels.addLayerNorm(
            output + offsets[range.lowerBound] * width, residual: nil, rows: rows, width: width,
            weights.embeddingNorm, epsilon: config.layerNormEpsilon)
    }

    /// `output = input · weightᵀ` (no bias) for `rows` rows: sgemm, or quantize + int8 product.
    private func product(
        _ input: UnsafePointer<Float>, rows: Int, _ linear: PreparedWeights.Linear,
        output: UnsafeMutablePointer<Float>, scratch: EncoderWorkspace.Scratch
    ) {
        OperatorProfile.measure(.gemm) {
            if let packed = linear.quantized {
                scratch.quantized.withUnsafeMutableBytes { quantized in
                    scratch.rowScales.withUnsafeMutableBufferPointer { scales in
                        Int8GEMM.quantizeRows(
                            packed.kernel, input, rows: rows, depth: linear.inputs, stride: linear.inputs,
                            into: quantized.baseAddress!, scales: scales.baseAddress!)
                        Int8GEMM.multiply(
                            quantized.baseAddress!, scales: scales.baseAddress!, rows: rows, packed,
                            output: output, outputStride: linear.outputs)
                    }
                }
            } else {
                BLAS.sgemm(
                    .none, .transpose, m: rows, n: linear.outputs, k: linear.inputs,
                    a: input, lda: linear.inputs, b: linear.weight.pointer, ldb: linear.inputs,
                    c: output, ldc: linear.outputs)
            }
        }
    }

    /// One transformer layer over one chunk, updating its rows of `state` in place.
    private func run(
        _ layer: PreparedWeights.Layer, chunk: (sequences: Range<Int>, rows: Range<Int>), offsets: [Int],
        state: UnsafeMutablePointer<Float>, scratch: EncoderWorkspace.Scratch
    ) {
        let width = config.hiddenSize
        let inner = config.intermediateSize
        let epsilon = config.layerNormEpsilon
        let rows = chunk.rows.count
        let input = state + chunk.rows.lowerBound * width
        scratch.queryKeyValue.withUnsafeMutableBufferPointer { queryKeyValue in
            scratch.context.withUnsafeMutableBufferPointer { context in
                scratch.scores.withUnsafeMutableBufferPointer { scores in
                    product(input, rows: rows, layer.queryKeyValue, output: queryKeyValue.baseAddress!, scratch: scratch)
                    attend(
                        queryKeyValue: queryKeyValue.baseAddress!, bias: layer.queryKeyValue.bias.pointer,
                        context: context.baseAddress!, scores: scores.baseAddress!,
                        offsets: offsets, chunk: chunk)
                }
            }
        }
        scratch.context.withUnsafeBufferPointer { context in
            scratch.attended.withUnsafeMutableBufferPointer { attention in
                let attended = attention.baseAddress!
                product(context.baseAddress!, rows: rows, layer.attentionOutput, output: attended, scratch: scratch)
                OperatorProfile.measure(.layerNorm) {
                    Kernels.biasResidualLayerNorm(
                        attended, bias: layer.attentionOutput.bias.pointer, residual: input, rows: rows, width: width,
                        layer.attentionNorm, epsilon: epsilon)
                }
                scratch.intermediate.withUnsafeMutableBufferPointer { intermediate in
                    let expanded = intermediate.baseAddress!
                    product(attended, rows: rows, layer.intermediate, output: expanded, scratch: scratch)
                    OperatorProfile.measure(.gelu) {
                        Kernels.biasActivate(expanded, bias: layer.intermediate.bias.pointer, rows: rows, width: inner, config.activation)
                    }
                    product(expanded, rows: rows, layer.output, output: input, scratch: scratch)
                }
                OperatorProfile.measure(.layerNorm) {
                    Kernels.biasResidualLayerNorm(
                        input, bias: layer.output.bias.pointer, residual: attended, rows: rows, width: width,
                        layer.outputNorm, epsilon: epsilon)
                }
            }
        }
    }

    /// Scaled dot-product attention per sequence and head of one chunk, `softmax(Q Kᵀ / √d) V`,
    /// reading Q, K and V in place from the fused `[rows × 3·hidden]` product (bias added first).
    private func attend(
        queryKeyValue: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
        context: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
        offsets: [Int], chunk: (sequences: Range<Int>, rows: Range<Int>)
    ) {
        let width = config.hiddenSize
        let stride = 3 * width
        let size = config.headSize
        let scale = 1 / Float(size).squareRoot()
        OperatorProfile.measure(.attention) {
            for row in 0..<chunk.rows.count {
                let values = queryKeyValue + row * stride
                for column in 0..<stride { values[column] += bias[column] }
            }
        }
        for index in chunk.sequences {
            let start = offsets[index] - chunk.rows.lowerBound
            let length = offsets[index + 1] - offsets[index]
            for head in 0..<config.headCount {
                let query = queryKeyValue + start * stride + head * size
                OperatorProfile.measure(.attention) {
                    BLAS.sgemm(
                        .none, .transpose, m: length, n: length, k: size, alpha: scale,
                        a: query, lda: stride, b: query + width, ldb: stride, c: scores, ldc: length)
                }
                OperatorProfile.measure(.softmax) { Kernels.softmaxRows(scores, rows: length, width: length) }
                OperatorProfile.measure(.attention) {
                    BLAS.sgemm(
                        .none, .none, m: length, n: size, k: length,
                        a: scores, lda: length, b: query + 2 * width, ldb: stride,
                        c: context + start * width + head * size, ldc: width)
                }
            }
        }
    }
}

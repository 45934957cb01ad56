import AugProRecords
import AugProRuntime
import AugProTeacher
import Foundation

/// The remote teacher: labels every sample with an Open Inference Protocol server's output
/// (Triton, KServe, MLServer), attaching the same targets as the embedded teacher.
///
/// A batch is sorted by length and cut into requests of `batch_size` sequences, each padded to
/// its longest member (or the model's fixed length) with an attention mask. Requests run
/// concurrently, at most `max_in_flight` over the whole run (memory ≈ max_in_flight requests);
/// outputs come back in input order whatever the timing.
public struct RemoteTeacherTransform: Sendable {
    public let name = "teacher"
    public let options: RemoteTeacherOptions
    /// What the start-up checks found.
    public let server: ServerDescription
    private let client: InferenceClient
    private let selection: TeacherTargetSelection
    private let initialServerTimes: InferenceMessages.ModelStatistics.InferenceStats?

    /// Checks the options, then the server: ready, model ready, inputs and output as configured.
    /// Blocks the calling thread for the start-up requests (call it off the event loop).
    public init(options: RemoteTeacherOptions) throws {
        do {
            try options.validate()
        } catch let error as TeacherError {
            throw RemoteTeacherError.configuration(String(error.description.trimmingPrefix("teacher: ")))
        }
        let client = InferenceClient(options: options)
        server = try ServerCheck.run(client)
        self.options = options
        self.client = client
        selection = options.selection
        initialServerTimes = ServerCheck.serverTimes(client)
    }

    /// Labels `batch` (see the type's description). Throws ``RemoteTeacherError`` naming the
    /// request or sample concerned.
    public func transform(_ batch: [TokenSample], context: StageContext) async throws -> [TokenSample] {
        for sample in batch { try validate(sample) }
        let order = batch.indices.sorted { (batch[$0].inputIds.count, $0) < (batch[$1].inputIds.count, $1) }
        let groups = stride(from: 0, to: order.count, by: options.batchSize).map {
            Array(order[$0..<min($0 + options.batchSize, order.count)])
        }
        var matrices = [OutputMatrix?](repeating: nil, count: groups.count)
        try await withThrowingTaskGroup(of: (Int, OutputMatrix).self) { tasks in
            for (position, group) in groups.enumerated() {
                let members = group.map { batch[$0] }
                tasks.addTask { (position, try await request(members)) }
            }
            for try await (position, matrix) in tasks { matrices[position] = matrix }
        }
        var output = batch
        for (group, matrix) in zip(groups, matrices) {
            guard let matrix else { continue }
            for (row, index) in group.enumerated() {
                let values = matrix.row(row)
                output[index].teacher = options.readsEmbedding
                    ? selection.targets(logits: nil, embedding: values)
                    : selection.targets(logits: values, embedding: nil)
            }
        }
        return output
    }

    /// One inference request for `samples` (sorted by length), holding an in-flight permit.
    private func request(_ samples: [TokenSample]) async throws -> OutputMatrix {
        try await client.withPermit {
            let number = client.statistics.nextRequestNumber()
            let label = "request \(number) (\(samples.count) samples, ids \(Self.idRange(samples)))"
            let length = server.fixedLength ?? samples.map(\.inputIds.count).max() ?? 0
            let padded = PaddedBatch(samples.map { ($0.inputIds, $0.tokenTypeIds) }, length: length)
            let encoded = TensorCodec.encodeRequest(padded, inputs: options.inputs, output: options.output, binary: server.binary)
            let response = try await client.infer(encoded.body, headerLength: encoded.headerLength, label: label)
            let matrix: OutputMatrix
            do {
                matrix = try TensorCodec.decodeResponse(
                    response.body, headerLength: response.headerLength, output: options.output, rows: samples.count,
                    width: server.outputWidth)
            } catch let error as MalformedResponse {
                throw RemoteTeacherError.malformed("\(label): malformed response from \(options.baseURL)\(options.modelPath)/infer: \(error.problem)")
            }
            if let topK = options.topK, topK > matrix.width {
                throw RemoteTeacherError.malformed("\(label): top_k \(topK) exceeds the \(matrix.width) logits the server returned")
            }
            client.statistics.addSamples(
                samples.count, tokens: samples.reduce(0) { $0 + $1.inputIds.count }, paddedTokens: samples.count * length)
            return matrix
        }
    }

    /// `first…last` of the samples' ids (sorted), for messages.
    private static func idRange(_ samples: [TokenSample]) -> String {
        let ids = samples.map(\.id)
        guard let low = ids.min(), let high = ids.max() else { return "none" }
        return low == high ? "\(low)" : "\(low)…\(high)"
    }

    /// Checks a sample against what requests can carry; errors name the sample.
    private func validate(_ sample: TokenSample) throws {
        func fail(_ problem: String) -> RemoteTeacherError {
            .sample("sample \(sample.id) (\(sample.provenance.kind.rawValue)): \(problem)")
        }
        guard !sample.inputIds.isEmpty else { throw fail("has no tokens") }
        guard sample.tokenTypeIds.count == sample.inputIds.count else {
            throw fail("\(sample.tokenTypeIds.count) token type ids for \(sample.inputIds.count) tokens")
        }
        if let fixed = server.fixedLength, sample.inputIds.count > fixed {
            throw fail("\(sample.inputIds.count) tokens exceed the model's fixed input length \(fixed)")
        }
    }

    /// Requests, retries, bytes, latency percentiles, server-side time (Triton's statistics
    /// extension) and the server's model name/version. Never header values.
    public func reportDetails() -> [String: JSONValue] {
        var details = client.statistics.details()
        details["kind"] = .string("open-inference")
        details["url"] = .string(options.baseURL)
        details["model"] = .string(options.model)
        details["version"] = options.version.map(JSONValue.string) ?? .null
        details["server"] = server.server.map(JSONValue.string) ?? .null
        details["server_model"] = .string(server.modelName)
        details["server_model_versions"] = .array(server.modelVersions.map(JSONValue.string))
        details["platform"] = server.platform.map(JSONValue.string) ?? .null
        details["binary"] = .bool(server.binary)
        details["max_in_flight"] = .int(options.maxInFlight)
        details["batch_size"] = .int(options.batchSize)
        details["outputs"] = .array(options.outputs.map(\.rawValue).sorted().map(JSONValue.string))
        details["header_names"] = .array(options.headers.names.map(JSONValue.string))
        if let before = initialServerTimes, let after = ServerCheck.serverTimes(client) {
            func seconds(_ end: InferenceMessages.ModelStatistics.Duration, _ start: InferenceMessages.ModelStatistics.Duration) -> JSONValue {
                .double(Double(end.ns - start.ns) / 1e9)
            }
            details["server_time"] = .object([
                "requests": .int(after.success.count - before.success.count),
                "request_seconds": seconds(after.success, before.success),
                "queue_seconds": seconds(after.queue, before.queue),
                "compute_seconds": .double(
                    Double(
                        (after.computeInput.ns - before.computeInput.ns) + (after.computeInfer.ns - before.computeInfer.ns)
                            + (after.computeOutput.ns - before.computeOutput.ns)) / 1e9),
            ])
        } else {
            details["server_time"] = .string("not reported by the server")
        }
        return details
    }
}

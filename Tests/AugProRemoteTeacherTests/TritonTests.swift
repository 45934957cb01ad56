import AugProRecords
import AugProRuntime
import AugProTeacher
import AugProTestSupport
import Foundation
import NIOCore
import Testing

@testable import AugProRemoteTeacher

/// The remote teacher against a real Triton Inference Server whose Python backend computes the
/// same models with numpy: outputs must match the embedded teacher; faults must be handled.
@Suite(.serialized, .sharedTriton)
struct TritonTests {
    func options(_ triton: SharedTriton, model: String = "tiny", binary: BinaryMode = .auto) -> RemoteTeacherOptions {
        RemoteTeacherOptions(
            url: triton.server.url, model: model, output: "logits", outputs: [.logits, .probs], topK: 2,
            batchSize: 16, maxInFlight: 4, timeout: .seconds(20), retries: 2, backoff: .milliseconds(50), binary: binary)
    }

    @Test("tiny classifier: remote logits, probs and top-k match the embedded teacher, JSON and binary", arguments: [BinaryMode.json, .binary])
    func tinyClassifier(binary: BinaryMode) async throws {
        guard let triton = SharedTriton.require() else { return }
        let samples = RemoteFixtures.randomSamples(count: 150, seed: 12)
        let transform = try RemoteTeacherTransform(options: options(triton, binary: binary))
        #expect(transform.server.binary == (binary == .binary))
        #expect(transform.server.outputWidth == 3)
        let output = try await transform.transform(samples, context: RemoteFixtures.context)
        #expect(output.map(\.id) == samples.map(\.id), "input order not kept")
        let reference = try RemoteFixtures.embedded(triton.tinyFolder, outputs: [.logits, .probs], topK: 2, samples)
        let remote = output.map(\.teacher)
        #expect(RemoteFixtures.maxDifference(remote.map { $0?.logits }, reference.map(\.logits)) < 1e-4)
        #expect(RemoteFixtures.maxDifference(remote.map { $0?.probs }, reference.map(\.probs)) < 1e-4)
        #expect(remote.map { $0?.topKIds } == reference.map(\.topKIds))

        let report = transform.reportDetails()
        #expect(report["requests"] == .int(10), "150 samples in requests of 16")
        #expect(report["retries"] == .int(0))
        #expect(report["binary"] == .bool(binary == .binary))
        #expect(report["server_model"] == .string("tiny"))
        guard case .object(let latency) = report["latency_ms"], case .double = latency["p99"] else {
            Issue.record("no latency percentiles in \(report)")
            return
        }
        guard case .object(let serverTime) = report["server_time"] else {
            Issue.record("Triton reports statistics, but server_time is \(String(describing: report["server_time"]))")
            return
        }
        #expect(serverTime["requests"] == .int(10))
    }

    @Test("binary responses carry embeddings in a fraction of the JSON bytes, with the same values")
    func binaryResponsesAreSmaller() async throws {
        guard let triton = SharedTriton.require() else { return }
        let samples = try RemoteFixtures.sentenceSamples(model: triton.miniLMFolder)
        var received: [BinaryMode: Int] = [:]
        var embeddings: [BinaryMode: [[Float]?]] = [:]
        for mode in [BinaryMode.json, .binary] {
            var settings = options(triton, model: "minilm", binary: mode)
            settings.output = "embedding"
            settings.outputs = [.embedding]
            settings.topK = nil
            let transform = try RemoteTeacherTransform(options: settings)
            embeddings[mode] = try await transform.transform(samples, context: RemoteFixtures.context).map { $0.teacher?.embedding }
            if case .int(let bytes) = transform.reportDetails()["bytes_received"] { received[mode] = bytes }
        }
        #expect((received[.binary] ?? .max) * 3 < (received[.json] ?? 0), "\(received)")
        #expect(RemoteFixtures.maxDifference(embeddings[.binary] ?? [], embeddings[.json] ?? []) == 0)
    }

    @Test("all-MiniLM-L6-v2 embeddings of real sentences: remote matches embedded to 1e-4")
    func miniLMEmbeddings() async throws {
        guard let triton = SharedTriton.require() else { return }
        let samples = try RemoteFixtures.sentenceSamples(model: triton.miniLMFolder)
        var settings = options(triton, model: "minilm")
        settings.output = "embedding"
        settings.outputs = [.embedding]
        settings.topK = nil
        let transform = try RemoteTeacherTransform(options: settings)
        #expect(transform.server.outputWidth == 384)
        let output = try await transform.transform(samples, context: RemoteFixtures.context)
        let reference = try RemoteFixtures.embedded(triton.miniLMFolder, outputs: [.embedding], samples)
        let difference = RemoteFixtures.maxDifference(output.map { $0.teacher?.embedding }, reference.map(\.embedding))
        #expect(difference < 1e-4, "max |remote − embedded| = \(difference)")
    }

    @Test("a wrong model name is one clear error listing the server's models")
    func wrongModelName() throws {
        guard let triton = SharedTriton.require() else { return }
        let error = #expect(throws: RemoteTeacherError.self) { try RemoteTeacherTransform(options: options(triton, model: "bert-large")) }
        let text = String(describing: error.map { $0 as Any } ?? "")
        #expect(text.contains("bert-large") && text.contains("HTTP 404"), "\(text)")
        #expect(text.contains("\"minilm\"") && text.contains("\"tiny\""), "\(text)")
    }

    @Test("a configured datatype the model does not declare fails at start, listing the declaration")
    func datatypeMismatchAtStart() throws {
        guard let triton = SharedTriton.require() else { return }
        var settings = options(triton)
        settings.inputs = InputTensor.Role.allCases.map { InputTensor(role: $0, datatype: .int32) }
        let error = #expect(throws: RemoteTeacherError.self) { try RemoteTeacherTransform(options: settings) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("input input_ids is INT64, configured INT32"), "\(text)")
        #expect(text.contains("The server declares inputs input_ids INT64 [-1, -1]"), "\(text)")
        #expect(text.contains("outputs logits FP32 [-1, 3]"), "\(text)")
    }

    @Test("a request with the wrong datatype gets the server's 400 text, without retries")
    func wrongDatatypeRejected() async throws {
        guard let triton = SharedTriton.require() else { return }
        let settings = options(triton)
        let client = InferenceClient(options: settings)
        let batch = PaddedBatch([([1, 5, 7], [0, 0, 0])], length: 3)
        let inputs = InputTensor.Role.allCases.map { InputTensor(role: $0, datatype: .int32) }
        let encoded = TensorCodec.encodeRequest(batch, inputs: inputs, output: "logits", binary: false)
        let error = await #expect(throws: RemoteTeacherError.self) {
            try await client.infer(encoded.body, headerLength: nil, label: "request 1")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("HTTP 400") && text.contains("data-type is 'INT32', but model 'tiny' expects 'INT64'"), "\(text)")
        #expect(client.statistics.details()["retries"] == .int(0))
    }

    @Test("a 4xx (batch above the model's max_batch_size) fails at once with the server's text")
    func clientErrorNotRetried() async throws {
        guard let triton = SharedTriton.require() else { return }
        let transform = try RemoteTeacherTransform(options: options(triton, model: "tiny4"))
        let error = await #expect(throws: RemoteTeacherError.self) {
            try await transform.transform(RemoteFixtures.randomSamples(count: 16, seed: 5), context: RemoteFixtures.context)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("HTTP 400") && text.contains("batch-size must be <= 4"), "\(text)")
        #expect(transform.reportDetails()["retries"] == .int(0))
    }

    @Test("5xx injected by the model are retried and the results are still right")
    func injectedServerErrorsRetried() async throws {
        guard let triton = SharedTriton.require() else { return }
        defer { try? triton.server.setFault(model: "faulty", [:]) }
        let samples = RemoteFixtures.randomSamples(count: 40, seed: 8)
        var settings = options(triton, model: "faulty")
        settings.maxInFlight = 1
        settings.retries = 3
        let transform = try RemoteTeacherTransform(options: settings)
        try triton.server.setFault(model: "faulty", ["fail": 2, "status": "internal"])
        let first = try await transform.transform(samples, context: RemoteFixtures.context)
        try triton.server.setFault(model: "faulty", ["fail": 1, "status": "unavailable"])
        let second = try await transform.transform(samples, context: RemoteFixtures.context)
        #expect(transform.reportDetails()["retries"] == .int(3))
        let reference = try RemoteFixtures.embedded(triton.tinyFolder, outputs: [.logits, .probs], topK: 2, samples)
        for output in [first, second] {
            #expect(RemoteFixtures.maxDifference(output.map { $0.teacher?.logits }, reference.map(\.logits)) < 1e-4)
        }
    }

    @Test("when 5xx outlast the retries the error names the request, the attempts and the server's text")
    func retriesExhausted() async throws {
        guard let triton = SharedTriton.require() else { return }
        defer { try? triton.server.setFault(model: "faulty", [:]) }
        var settings = options(triton, model: "faulty")
        settings.maxInFlight = 1
        let transform = try RemoteTeacherTransform(options: settings)
        try triton.server.setFault(model: "faulty", ["fail": 100, "status": "internal"])
        let error = await #expect(throws: RemoteTeacherError.self) {
            try await transform.transform(RemoteFixtures.randomSamples(count: 8, seed: 1, firstId: 500), context: RemoteFixtures.context)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(error?.isTransient == true)
        #expect(text.contains("ids 500…507") && text.contains("failed after 3 attempts"), "\(text)")
        #expect(text.contains("HTTP 500: injected fault") && text.contains("--resume"), "\(text)")
    }

    @Test("a model sleeping past the timeout is retried, then reported as timed out")
    func timeout() async throws {
        guard let triton = SharedTriton.require() else { return }
        var settings = options(triton, model: "faulty")
        settings.maxInFlight = 1
        settings.retries = 1
        settings.timeout = .milliseconds(700)
        let transform = try RemoteTeacherTransform(options: settings)
        try triton.server.setFault(model: "faulty", ["sleep": 1.5])
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: RemoteTeacherError.self) {
            try await transform.transform(RemoteFixtures.randomSamples(count: 4, seed: 2), context: RemoteFixtures.context)
        }
        #expect(clock.now - start < .seconds(5))
        try triton.server.setFault(model: "faulty", [:])
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("timed out") && text.contains("failed after 2 attempts"), "\(text)")
        #expect(transform.reportDetails()["retries"] == .int(1))
        // Let the model finish the sleeping requests it already took.
        try await Task.sleep(for: .seconds(3))
    }
}

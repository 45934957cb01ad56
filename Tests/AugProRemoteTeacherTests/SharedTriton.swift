import AugProTestSupport
import Foundation
import Testing

/// One Triton for a whole suite: the tiny classifier (`tiny`, and `tiny4` with max_batch_size 4),
/// all-MiniLM-L6-v2 (`minilm`) and a tiny classifier for fault injection (`faulty`).
struct SharedTriton: Sendable {
    let server: InferenceServerProcess
    let tinyFolder: URL
    let miniLMFolder: URL

    @TaskLocal static var current: SharedTriton?

    /// The suite's server, or nil (after a loud skip message) when Triton cannot be installed.
    static func require() -> SharedTriton? {
        if current == nil { print("SKIPPED (remote teacher): no Triton server for this test") }
        return current
    }
}

/// Starts the shared Triton once around the suite it is attached to and stops it by PID after.
struct SharedTritonScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let tiny = try RemoteFixtures.tinyClassifier()
        let miniLM = try RemoteFixtures.miniLM()
        let models: [InferenceServerProcess.Model] = [
            .init(name: "tiny", folder: tiny, head: "logits"),
            .init(name: "tiny4", folder: tiny, head: "logits", maxBatch: 4),
            .init(name: "faulty", folder: tiny, head: "logits"),
            .init(name: "minilm", folder: miniLM, head: "embedding"),
        ]
        guard let server = try await InferenceServerProcess.triton(models) else {
            try await function()
            return
        }
        defer { server.stop() }
        try await SharedTriton.$current.withValue(SharedTriton(server: server, tinyFolder: tiny, miniLMFolder: miniLM)) {
            try await function()
        }
    }
}

extension Trait where Self == SharedTritonScope {
    /// Runs the suite against one real Triton started for it.
    static var sharedTriton: Self { Self() }
}

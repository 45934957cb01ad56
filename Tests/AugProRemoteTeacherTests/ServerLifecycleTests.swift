import AugProRecords
import AugProRuntime
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

@testable import AugProRemoteTeacher

/// Servers that go away and come back, MLServer, and the in-flight limit.
@Suite(.serialized)
struct ServerLifecycleTests {
    @Test("server stopped mid-run: retries, then a transient error; restarted, the same client carries on")
    func serverStoppedMidRun() async throws {
        let tiny = try RemoteFixtures.tinyClassifier()
        let model = InferenceServerProcess.Model(name: "tiny", folder: tiny, head: "logits")
        guard let server = try await InferenceServerProcess.triton([model]) else { return }
        defer { server.stop() }
        let options = RemoteTeacherOptions(
            url: server.url, model: "tiny", batchSize: 8, maxInFlight: 2, timeout: .seconds(10), retries: 3,
            backoff: .milliseconds(100))
        let transform = try RemoteTeacherTransform(options: options)
        let before = RemoteFixtures.randomSamples(count: 16, seed: 4)
        let labelled = try await transform.transform(before, context: RemoteFixtures.context)
        #expect(labelled.allSatisfy { $0.teacher?.logits?.count == 3 })

        server.stop()
        let error = await #expect(throws: RemoteTeacherError.self) {
            try await transform.transform(RemoteFixtures.randomSamples(count: 16, seed: 5), context: RemoteFixtures.context)
        }
        #expect(error?.isTransient == true)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("failed after 4 attempts") && text.lowercased().contains("refused"), "\(text)")

        guard let restarted = try await InferenceServerProcess.triton([model], port: server.port, folder: server.folder) else { return }
        defer { restarted.stop() }
        let after = try await transform.transform(before, context: RemoteFixtures.context)
        #expect(after == labelled, "the restarted server's labels differ from the first run's")
        guard case .int(let retries) = transform.reportDetails()["retries"] else { return }
        #expect(retries >= 3, "the failing request retried 3 times before giving up, got \(retries) retries")
    }

    @Test("MLServer (JSON only): auto picks JSON and the labels match the embedded teacher")
    func mlserver() async throws {
        let tiny = try RemoteFixtures.tinyClassifier()
        guard let server = try await InferenceServerProcess.mlserver(.init(name: "tiny", folder: tiny, head: "logits")) else { return }
        defer { server.stop() }
        let samples = RemoteFixtures.randomSamples(count: 50, seed: 21)
        let options = RemoteTeacherOptions(url: server.url, model: "tiny", outputs: [.logits, .probs], batchSize: 16)
        let transform = try RemoteTeacherTransform(options: options)
        #expect(transform.server.binary == false)
        #expect(transform.server.server == "mlserver 1.7.1")
        let output = try await transform.transform(samples, context: RemoteFixtures.context)
        let reference = try RemoteFixtures.embedded(tiny, outputs: [.logits, .probs], samples)
        #expect(RemoteFixtures.maxDifference(output.map { $0.teacher?.logits }, reference.map(\.logits)) < 1e-4)
        #expect(RemoteFixtures.maxDifference(output.map { $0.teacher?.probs }, reference.map(\.probs)) < 1e-4)
        #expect(transform.reportDetails()["server_time"] == .string("not reported by the server"))

        var binary = options
        binary.binary = .binary
        let error = #expect(throws: RemoteTeacherError.self) { try RemoteTeacherTransform(options: binary) }
        #expect(error.map { "\($0)" }?.contains("binary_tensor_data") == true)
    }

    @Test("the limiter never lets more than its permits run at once, and all of them finish")
    func limiter() async throws {
        let limiter = AsyncLimiter(permits: 3)
        let gauge = Gauge()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    await limiter.acquire()
                    gauge.enter()
                    try await Task.sleep(for: .milliseconds(2))
                    gauge.leave()
                    limiter.release()
                }
            }
            try await group.waitForAll()
        }
        #expect(gauge.peak == 3)
        #expect(gauge.finished == 40)
    }
}

/// Counts concurrent holders.
private final class Gauge: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var peak = 0
    private(set) var finished = 0

    func enter() {
        lock.lock()
        current += 1
        peak = max(peak, current)
        lock.unlock()
    }

    func leave() {
        lock.lock()
        current -= 1
        finished += 1
        lock.unlock()
    }
}

import AugProRuntime
import Synchronization

/// Counters of the remote teacher, shared by its concurrent requests, for `report.json`.
final class RemoteStatistics: Sendable {
    private struct Counts {
        var requests = 0
        var retries = 0
        var failedAttempts = 0
        var bytesSent = 0
        var bytesReceived = 0
        var samples = 0
        var tokens = 0
        var paddedTokens = 0
        var latencies: [Double] = []
    }

    private let counts = Mutex(Counts())
    private let requestNumbers = Atomic<Int>(0)

    /// 1, 2, 3, … for naming requests in messages.
    func nextRequestNumber() -> Int { requestNumbers.add(1, ordering: .relaxed).newValue }

    func addRequest(latency: Duration) {
        let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) * 1e-18
        counts.withLock {
            $0.requests += 1
            $0.latencies.append(seconds)
        }
    }

    func addRetry() { counts.withLock { $0.retries += 1 } }
    func addFailure() { counts.withLock { $0.failedAttempts += 1 } }

    func addBytes(sent: Int, received: Int) {
        counts.withLock {
            $0.bytesSent += sent
            $0.bytesReceived += received
        }
    }

    func addSamples(_ samples: Int, tokens: Int, paddedTokens: Int) {
        counts.withLock {
            $0.samples += samples
            $0.tokens += tokens
            $0.paddedTokens += paddedTokens
        }
    }

    /// Successful requests so far.
    var requests: Int { counts.withLock { $0.requests } }

    func details() -> [String: JSONValue] {
        counts.withLock { counts in
            let sorted = counts.latencies.sorted()
            func percentile(_ p: Double) -> JSONValue {
                guard !sorted.isEmpty else { return .null }
                let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
                return .double((sorted[min(max(rank, 0), sorted.count - 1)] * 1e6).rounded() / 1e3)
            }
            return [
                "requests": .int(counts.requests), "retries": .int(counts.retries),
                "failed_attempts": .int(counts.failedAttempts),
                "bytes_sent": .int(counts.bytesSent), "bytes_received": .int(counts.bytesReceived),
                "samples": .int(counts.samples), "tokens": .int(counts.tokens),
                "tokens_sent_padded": .int(counts.paddedTokens),
                "latency_ms": .object(["p50": percentile(50), "p90": percentile(90), "p99": percentile(99)]),
            ]
        }
    }
}

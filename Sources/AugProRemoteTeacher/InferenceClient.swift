import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP session with an Open Inference Protocol server (AsyncHTTPClient): blocking GETs for
/// the start-up checks and the final statistics, and inference POSTs with retries, exponential
/// back-off with jitter, and at most `max_in_flight` requests outstanding.
final class InferenceClient: Sendable {
    let options: RemoteTeacherOptions
    let statistics = RemoteStatistics()
    private let http: HTTPClient
    private let limiter: AsyncLimiter
    private let headers: HTTPHeaders
    private let timeout: TimeAmount
    /// Largest response body accepted (a malformed server must not exhaust memory).
    private let maximumResponseBytes = 1 << 30

    init(options: RemoteTeacherOptions) {
        self.options = options
        timeout = .nanoseconds(Int64(options.timeout.components.seconds) * 1_000_000_000 + options.timeout.components.attoseconds / 1_000_000_000)
        let configuration = HTTPClient.Configuration(
            timeout: .init(connect: min(timeout, .seconds(10)), read: timeout),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.maxInFlight))
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        limiter = AsyncLimiter(permits: options.maxInFlight)
        var headers = HTTPHeaders()
        for name in options.headers.names { headers.add(name: name, value: options.headers.values[name] ?? "") }
        self.headers = headers
    }

    deinit {
        try? http.syncShutdown()
    }

    /// `GET path` (or another body-less method) once, blocking the calling (non-event-loop)
    /// thread; nil body for an empty one.
    func getBlocking(_ path: String, method: HTTPMethod = .GET) throws -> (status: UInt, body: ByteBuffer?) {
        let url = options.baseURL + path
        do {
            let request = try HTTPClient.Request(url: url, method: method, headers: headers)
            let response = try http.execute(request: request, deadline: .now() + timeout).wait()
            statistics.addBytes(sent: 0, received: response.body?.readableBytes ?? 0)
            return (response.status.code, response.body)
        } catch {
            throw RemoteTeacherError.unavailable("cannot reach \(options.baseURL) (\(method) \(path)): \(Self.describe(error))")
        }
    }

    /// The server's `{"error": ...}` text, or the body as text.
    static func errorText(_ body: ByteBuffer?) -> String {
        guard let body, body.readableBytes > 0 else { return "(empty body)" }
        let data = Data(body.readableBytesView)
        if let error = try? JSONDecoder().decode(InferenceMessages.ErrorBody.self, from: data) { return error.error }
        return String(decoding: data.prefix(2000), as: UTF8.self)
    }

    /// Runs `body` holding one of the `max_in_flight` permits.
    func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await limiter.acquire()
        defer { limiter.release() }
        return try await body()
    }

    /// POSTs one inference request, retrying transient failures; returns the response body and
    /// its JSON header length (binary responses). `label` names the request in errors.
    func infer(_ body: ByteBuffer, headerLength: Int?, label: String) async throws -> (body: ByteBuffer, headerLength: Int?) {
        let url = options.baseURL + options.modelPath + "/infer"
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let failure: String
            let clock = ContinuousClock()
            let start = clock.now
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers = headers
                if let headerLength {
                    request.headers.add(name: "Inference-Header-Content-Length", value: String(headerLength))
                    request.headers.add(name: "Content-Type", value: "application/octet-stream")
                } else {
                    request.headers.add(name: "Content-Type", value: "application/json")
                }
                request.body = .bytes(body)
                let response = try await http.execute(request, timeout: timeout)
                let received = try await response.body.collect(upTo: maximumResponseBytes)
                statistics.addBytes(sent: body.readableBytes, received: received.readableBytes)
                let status = response.status.code
                if (200..<300).contains(status) {
                    statistics.addRequest(latency: clock.now - start)
                    let length = response.headers.first(name: "Inference-Header-Content-Length").flatMap { Int($0) }
                    return (received, length)
                }
                let text = Self.errorText(received)
                guard status == 429 || status >= 500 else {
                    statistics.addFailure()
                    throw RemoteTeacherError.rejected("\(label) was refused by \(url) with HTTP \(status): \(text)")
                }
                failure = "HTTP \(status): \(text)"
            } catch let error as RemoteTeacherError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = Self.describe(error)
            }
            statistics.addFailure()
            guard attempt < options.retries else {
                throw RemoteTeacherError.unavailable(
                    "\(label) to \(url) failed after \(attempt + 1) attempts (retries: \(options.retries)); last failure: \(failure). The committed output is kept: fix the server and run again with --resume")
            }
            statistics.addRetry()
            try await Task.sleep(for: backoff(attempt: attempt))
            attempt += 1
        }
    }

    /// `backoff × 2^attempt`, times a uniform jitter in [0.5, 1.5), at most 30 s.
    private func backoff(attempt: Int) -> Duration {
        let base = Double(options.backoff.components.seconds) + Double(options.backoff.components.attoseconds) * 1e-18
        let seconds = min(30, base * pow(2, Double(min(attempt, 20))) * Double.random(in: 0.5..<1.5))
        return .milliseconds(Int64(seconds * 1000))
    }

    /// A transport error in a few words (`connection refused`, `deadline exceeded`, …).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out (\(error))"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}

/// A counting semaphore for async code: at most `permits` holders at once, FIFO hand-over.
final class AsyncLimiter: Sendable {
    private let state: Mutex<(available: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(permits: Int) { state = Mutex((permits, [])) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

import Synchronization

/// Runs a ``BatchTransform`` as a pipeline stage with `workers` concurrent workers.
///
/// At most `workers` batches are in flight; finished batches are held until every earlier batch
/// has been sent, so the output order is the input order whatever the timing.
public struct TransformStage<Transform: BatchTransform>: Stage {
    public typealias Input = Transform.Input
    public typealias Output = Transform.Output

    public let transform: Transform
    public let workers: Int
    private let busy = BusyClock()

    public init(_ transform: Transform, workers: Int = 1) {
        self.transform = transform
        self.workers = max(1, workers)
    }

    public var name: String { transform.name }

    public func run(input: StageInput<Input>, output: StageOutput<Output>, context: StageContext) async throws {
        if workers == 1 {
            while let batch = try await input.next() {
                let result = try busy.measure { try transform.transform(batch, context: context) }
                try await output.send(result)
            }
            return
        }
        try await withThrowingTaskGroup(of: (Int, [Output]).self) { group in
            var submitted = 0
            var emitted = 0
            var inFlight = 0
            var inputEnded = false
            var finished: [Int: [Output]] = [:]
            // When upstream fails (e.g. a stop request), the batches already taken are still
            // finished and sent, in order, before the failure is passed on.
            var upstreamFailure: (any Error)?
            while true {
                while !inputEnded && inFlight < workers {
                    let next: [Input]?
                    do {
                        next = try await input.next()
                    } catch let failure as UpstreamFailure {
                        upstreamFailure = failure
                        next = nil
                    }
                    guard let batch = next else {
                        inputEnded = true
                        break
                    }
                    let index = submitted
                    submitted += 1
                    inFlight += 1
                    group.addTask {
                        (index, try busy.measure { try transform.transform(batch, context: context) })
                    }
                }
                guard inFlight > 0, let (index, result) = try await group.next() else { break }
                inFlight -= 1
                finished[index] = result
                while let ready = finished.removeValue(forKey: emitted) {
                    try await output.send(ready)
                    emitted += 1
                }
            }
            if let upstreamFailure { throw upstreamFailure }
        }
    }

    public func reportDetails() -> [String: JSONValue] {
        var details = transform.reportDetails()
        details["workers"] = .int(workers)
        details["worker_seconds"] = .double(busy.seconds)
        return details
    }

    public var busySeconds: Double? { busy.seconds }
}

/// Accumulates time spent in CPU work across concurrent workers.
final class BusyClock: Sendable {
    private let total = Mutex<Duration>(.zero)

    func measure<T>(_ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            let elapsed = clock.now - start
            total.withLock { $0 += elapsed }
        }
        return try body()
    }

    var seconds: Double {
        let value = total.withLock { $0 }
        return value.seconds
    }
}

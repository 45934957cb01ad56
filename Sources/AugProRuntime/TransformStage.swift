import Synchronization

/// Runs a ``BatchTransform`` as a pipeline stage with `workers` concurrent workers.
///
/// At most `workers` batches are in work; finished batches are held until every earlier batch
/// has been sent, so the output order is the input order whatever the timing
/// (see ``OrderedWorkStateMachine``).
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
        let (transform, busy) = (self.transform, self.busy)
        try await OrderedWorkers<Input, Output>(maxRunning: workers, window: nil).run(input: input, output: output) { batch in
            try busy.measure { try transform.transform(batch, context: context) }
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

/// A per-batch transformation whose work is waiting (a request to a server), not computing:
/// several batches are in flight at once and reassembled in input order by ``AsyncTransformStage``.
public protocol AsyncBatchTransform<Input, Output>: Sendable {
    associatedtype Input: Sendable
    associatedtype Output: Sendable

    /// A short name used in messages and the report.
    var name: String { get }

    /// Transforms one batch. Called concurrently for up to `max_in_flight` batches.
    func transform(_ batch: [Input], context: StageContext) async throws -> [Output]

    /// Stage-specific figures for `report.json`, read once at the end.
    func reportDetails() -> [String: JSONValue]
}

extension AsyncBatchTransform {
    public func reportDetails() -> [String: JSONValue] { [:] }
}

/// Runs an ``AsyncBatchTransform`` with at most `maxInFlight` batches in flight and the output in
/// input order. Its time in the report is the wall time during which at least one batch was in
/// flight (summing overlapping requests would count the same second several times).
public struct AsyncTransformStage<Transform: AsyncBatchTransform>: Stage {
    public typealias Input = Transform.Input
    public typealias Output = Transform.Output

    public let transform: Transform
    public let maxInFlight: Int
    private let occupied = BusyClock()

    public init(_ transform: Transform, maxInFlight: Int) {
        self.transform = transform
        self.maxInFlight = max(1, maxInFlight)
    }

    public var name: String { transform.name }

    public func run(input: StageInput<Input>, output: StageOutput<Output>, context: StageContext) async throws {
        let transform = self.transform
        // Finished batches waiting behind a slow earlier one count against the bound too, so at
        // most `maxInFlight` batches are held in memory.
        let workers = OrderedWorkers<Input, Output>(maxRunning: maxInFlight, window: maxInFlight)
        let time = try await workers.run(input: input, output: output) { batch in
            try await transform.transform(batch, context: context)
        }
        occupied.add(time)
    }

    public func reportDetails() -> [String: JSONValue] {
        var details = transform.reportDetails()
        details["max_in_flight"] = .int(maxInFlight)
        details["worker_seconds"] = .double(occupied.seconds)
        return details
    }
}

extension PipelineNode {
    /// An async batch transform with at most `maxInFlight` batches in flight, output in order.
    public init<T: AsyncBatchTransform>(_ transform: T, maxInFlight: Int) {
        self.init(AsyncTransformStage(transform, maxInFlight: maxInFlight))
    }
}

/// Accumulates time spent in work across concurrent workers.
final class BusyClock: Sendable {
    private let total = Mutex<Duration>(.zero)

    func add(_ duration: Duration) {
        total.withLock { $0 += duration }
    }

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

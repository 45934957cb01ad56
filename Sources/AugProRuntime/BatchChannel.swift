import AsyncAlgorithms
import Dispatch
import Synchronization

/// The message type on every link: one batch, type-erased so that a pipeline assembled at run
/// time can connect stages whose element types were checked when the pipeline was built.
struct ErasedBatch: @unchecked Sendable {
    let elements: Any
    let count: Int

    /// Sent after the last batch of a producer that failed: the consumer first receives every
    /// batch sent before, then ``UpstreamFailure`` (the channel's own failure path would drop
    /// the buffered batches).
    static let failureMarker = ErasedBatch(elements: (), count: -1)
    var isFailureMarker: Bool { count < 0 }
}

typealias LinkChannel = MultiProducerSingleConsumerAsyncChannel<ErasedBatch, any Error>

/// The receiving end of a bounded link between two stages: yields batches until the upstream
/// stage finishes. Owned by exactly one consuming task.
public final class StageInput<Element: Sendable>: @unchecked Sendable {
    private var channel: LinkChannel
    private let clock = ContinuousClock()
    /// Time spent waiting for upstream batches.
    private(set) var waitingTime: Duration = .zero
    /// Examples received so far.
    public private(set) var examplesReceived = 0

    init(channel: consuming LinkChannel) {
        self.channel = channel
    }

    /// The next batch, or `nil` once upstream has finished.
    /// Throws `CancellationError` when the pipeline was cancelled, so that a stage never mistakes
    /// a cancelled run for a finished input.
    public func next() async throws -> [Element]? {
        let start = clock.now
        let batch: ErasedBatch?
        do {
            batch = try await channel.next()
        } catch {
            waitingTime += clock.now - start
            throw UpstreamFailure()
        }
        waitingTime += clock.now - start
        guard let batch else {
            try Task.checkCancellation()
            return nil
        }
        if batch.isFailureMarker { throw UpstreamFailure() }
        examplesReceived += batch.count
        return (batch.elements as! [Element])
    }
}

/// The sending end of a bounded link: `send` suspends while the downstream buffer is full
/// (back-pressure), so memory stays bounded by `channel_capacity` batches per link.
public final class StageOutput<Element: Sendable>: @unchecked Sendable {
    private var source: LinkChannel.Source?
    private let clock = ContinuousClock()
    /// Time spent blocked by downstream back-pressure.
    private(set) var waitingTime: Duration = .zero
    /// Examples sent so far.
    public private(set) var examplesSent = 0

    init(source: consuming LinkChannel.Source) {
        self.source = consume source
    }

    /// An output that discards nothing because nothing may be sent: for the last stage.
    init() {
        self.source = nil
    }

    /// Sends one batch downstream, suspending while the link is full. Empty batches are skipped.
    public func send(_ batch: [Element]) async throws {
        guard !batch.isEmpty else { return }
        guard source != nil else { preconditionFailure("the last stage has no output") }
        let start = clock.now
        try await source!.send(ErasedBatch(elements: batch, count: batch.count))
        waitingTime += clock.now - start
        examplesSent += batch.count
    }

    /// Ends the link: downstream sees the end of input after the buffered batches.
    func finish() {
        if let source = source.take() {
            source.finish()
        }
    }

    /// Ends the link after a failure: downstream receives the batches already sent, then an
    /// ``UpstreamFailure``, so it never mistakes a failure for the end of input. When the marker
    /// cannot be queued (downstream gone, or the run cancelled) the channel fails at once.
    func finish(afterFailure error: any Error) async {
        guard source != nil else { return }
        do {
            try await source!.send(ErasedBatch.failureMarker)
            source.take()?.finish()
        } catch {
            source.take()?.finish(throwing: error)
        }
    }
}

/// Creates a bounded link holding at most `capacity` batches, as a connected input/output pair.
func makeLink<Element: Sendable>(of: Element.Type, capacity: Int) -> (StageInput<Element>, StageOutput<Element>) {
    var pair = LinkChannel.makeChannel(
        of: ErasedBatch.self,
        throwing: (any Error).self,
        backpressureStrategy: .watermark(low: max(1, capacity / 2), high: max(1, capacity)))
    let input = StageInput<Element>(channel: pair.takeChannel())
    let output = StageOutput<Element>(source: pair.source)
    return (input, output)
}

/// Thrown by ``StageInput/next()`` when the upstream stage failed: the pipeline reports the
/// upstream stage's own error, not this one.
public struct UpstreamFailure: Error, CustomStringConvertible {
    public var description: String { "an upstream stage failed" }
}

import AsyncAlgorithms
import Dispatch
import Synchronization

/// The message type on every link. Batches are type-erased so that a pipeline assembled at run
/// time can connect stages whose element types were checked when the pipeline was built.
enum LinkMessage: @unchecked Sendable {
    /// One batch of `count` elements of the link's element type (an `Array<Element>`).
    case batch(elements: Any, count: Int)
    /// Sent after the last batch of a producer that failed: the consumer first receives every
    /// batch sent before, then ``UpstreamFailure`` (the channel's own failure path would drop
    /// the buffered batches).
    case upstreamFailed
}

typealias LinkChannel = MultiProducerSingleConsumerAsyncChannel<LinkMessage, any Error>

/// The receiving end of a bounded link between two stages: yields batches until the upstream
/// stage finishes. Owned by exactly one consuming task at a time.
public final class StageInput<Element: Sendable>: @unchecked Sendable {
    private var channel: LinkChannel
    private let clock = ContinuousClock()
    /// Counters shared with the sending end and the progress display.
    let flow: LinkFlow
    /// Time spent waiting for upstream batches.
    private(set) var waitingTime: Duration = .zero
    /// Examples received so far.
    public var examplesReceived: Int { flow.examplesReceived }

    init(channel: consuming LinkChannel, flow: LinkFlow) {
        self.channel = channel
        self.flow = flow
    }

    /// The next batch, or `nil` once upstream has finished.
    /// Throws `CancellationError` when the pipeline was cancelled, so that a stage never mistakes
    /// a cancelled run for a finished input, and ``UpstreamFailure`` when upstream failed.
    public func next() async throws -> [Element]? {
        let start = clock.now
        let message: LinkMessage?
        do {
            message = try await channel.next()
        } catch {
            waitingTime += clock.now - start
            throw UpstreamFailure()
        }
        waitingTime += clock.now - start
        switch message {
        case nil:
            try Task.checkCancellation()
            return nil
        case .upstreamFailed?:
            throw UpstreamFailure()
        case .batch(let elements, let count)?:
            flow.received(count)
            return (elements as! [Element])
        }
    }
}

/// The sending end of a bounded link: `send` suspends while the downstream buffer is full
/// (back-pressure), so memory stays bounded by `channel_capacity` batches per link.
public final class StageOutput<Element: Sendable>: @unchecked Sendable {
    private var source: LinkChannel.Source?
    private let clock = ContinuousClock()
    /// Counters shared with the receiving end and the progress display.
    let flow: LinkFlow?
    /// Time spent blocked by downstream back-pressure.
    private(set) var waitingTime: Duration = .zero
    /// Examples sent so far.
    public var examplesSent: Int { flow?.examplesSent ?? 0 }

    init(source: consuming LinkChannel.Source, flow: LinkFlow) {
        self.source = consume source
        self.flow = flow
    }

    /// An output to which nothing may be sent: for the last stage.
    init() {
        self.source = nil
        self.flow = nil
    }

    /// Sends one batch downstream, suspending while the link is full. Empty batches are skipped.
    public func send(_ batch: [Element]) async throws {
        guard !batch.isEmpty else { return }
        guard source != nil, let flow else { preconditionFailure("the last stage has no output") }
        let start = clock.now
        flow.sending(batch.count)
        do {
            try await source!.send(.batch(elements: batch, count: batch.count))
        } catch {
            flow.sendFailed(batch.count)
            waitingTime += clock.now - start
            throw error
        }
        waitingTime += clock.now - start
    }

    /// Ends the link: downstream sees the end of input after the buffered batches.
    func finish() {
        if let source = source.take() {
            flow?.finished()
            source.finish()
        }
    }

    /// Ends the link after a failure: downstream receives the batches already sent, then an
    /// ``UpstreamFailure``, so it never mistakes a failure for the end of input. When the marker
    /// cannot be queued (downstream gone, or the run cancelled) the channel fails at once.
    func finish(afterFailure error: any Error) async {
        guard source != nil else { return }
        flow?.finished()
        do {
            try await source!.send(.upstreamFailed)
            source.take()?.finish()
        } catch {
            source.take()?.finish(throwing: error)
        }
    }
}

/// Creates a bounded link holding at most `capacity` batches, as a connected input/output pair.
func makeLink<Element: Sendable>(of: Element.Type, capacity: Int) -> (StageInput<Element>, StageOutput<Element>) {
    let capacity = max(1, capacity)
    var pair = LinkChannel.makeChannel(
        of: LinkMessage.self,
        throwing: (any Error).self,
        backpressureStrategy: .watermark(low: max(1, capacity / 2), high: capacity))
    let flow = LinkFlow(capacity: capacity)
    let input = StageInput<Element>(channel: pair.takeChannel(), flow: flow)
    let output = StageOutput<Element>(source: pair.source, flow: flow)
    return (input, output)
}

/// Thrown by ``StageInput/next()`` when the upstream stage failed: the pipeline reports the
/// upstream stage's own error, not this one.
public struct UpstreamFailure: Error, CustomStringConvertible {
    public var description: String { "an upstream stage failed" }
}

import Synchronization

/// A stage made ready to run in a ``Pipeline``: its element types are recorded so the chain can
/// be checked before anything runs, and its links are typed on both ends.
public struct PipelineNode: Sendable {
    /// The stage's name in messages and in the report.
    public let name: String
    /// The element type consumed, or nil for a source.
    public let inputType: Any.Type?
    /// The element type produced, or nil for a sink.
    public let outputType: Any.Type?
    fileprivate let makeOutputLink: @Sendable (Int) -> (AnyObject, AnyObject)
    fileprivate let body: @Sendable (AnyObject?, AnyObject?, StageContext) async throws -> Void
    fileprivate let details: @Sendable () -> [String: JSONValue]

    /// A source stage (the first of a pipeline).
    public init<S: SourceStage>(source stage: S) {
        name = stage.name
        inputType = nil
        outputType = S.Output.self
        makeOutputLink = { capacity in
            let (input, output) = makeLink(of: S.Output.self, capacity: capacity)
            return (input, output)
        }
        body = { _, output, context in
            try await stage.run(output: output as! StageOutput<S.Output>, context: context)
        }
        details = { stage.reportDetails() }
    }

    /// A stage with input and output; an `Output` of `Never` makes it the sink.
    public init<S: Stage>(_ stage: S) {
        name = stage.name
        inputType = S.Input.self
        outputType = S.Output.self == Never.self ? nil : S.Output.self
        makeOutputLink = { capacity in
            let (input, output) = makeLink(of: S.Output.self, capacity: capacity)
            return (input, output)
        }
        body = { input, output, context in
            let typedOutput = (output as? StageOutput<S.Output>) ?? StageOutput<S.Output>()
            try await stage.run(input: input as! StageInput<S.Input>, output: typedOutput, context: context)
        }
        details = { stage.reportDetails() }
    }

    /// A pure batch transform run by `workers` ordered workers.
    public init<T: BatchTransform>(_ transform: T, workers: Int) {
        self.init(TransformStage(transform, workers: workers))
    }
}

/// A stage's line in the run report.
public struct StageReport: Sendable {
    public var name: String
    public var examplesIn: Int
    public var examplesOut: Int
    /// Wall time not spent waiting on the neighbouring links.
    public var busySeconds: Double
    public var details: [String: JSONValue]

    /// The report entry as JSON.
    public var json: JSONValue {
        .object([
            "stage": .string(name), "examples_in": .int(examplesIn), "examples_out": .int(examplesOut),
            "seconds": .double((busySeconds * 1000).rounded() / 1000), "details": .object(details),
        ])
    }
}

/// The error that stopped a pipeline, with the stage it came from.
public struct StageFailure: Error, CustomStringConvertible {
    public var stage: String
    public var underlying: any Error

    public var description: String { "\(stage): \(underlying)" }
}

/// Problems found when checking a chain of stages before running it.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case empty
    case noSource(String)
    case noSink(String)
    case typeMismatch(index: Int, stage: String, expects: String, previous: String, produces: String)

    public var description: String {
        switch self {
        case .empty: return "the pipeline has no stages"
        case .noSource(let name): return "the first stage must produce data, but `\(name)` consumes input"
        case .noSink(let name): return "the last stage must be a writer, but `\(name)` produces output"
        case let .typeMismatch(index, stage, expects, previous, produces):
            return "stages[\(index)].\(stage) expects \(expects), but the previous stage `\(previous)` produces \(produces)"
        }
    }
}

/// A chain of stages connected by bounded channels, run in one structured task group.
///
/// The first failure cancels every stage and is reported once as a ``StageFailure`` naming its
/// stage; failures caused by it (cancellation, upstream failure) are not reported again.
public struct Pipeline: Sendable {
    public let nodes: [PipelineNode]
    /// Batches each link holds before the producer waits.
    public let channelCapacity: Int

    /// Checks that each stage accepts what the previous one produces.
    public init(nodes: [PipelineNode], channelCapacity: Int, describe: (Any.Type) -> String = { "\($0)" }) throws {
        guard let first = nodes.first, let last = nodes.last else { throw PipelineError.empty }
        guard first.inputType == nil else { throw PipelineError.noSource(first.name) }
        guard last.outputType == nil else { throw PipelineError.noSink(last.name) }
        for index in nodes.indices.dropFirst() {
            let previous = nodes[index - 1]
            let node = nodes[index]
            guard let produced = previous.outputType, let expected = node.inputType,
                ObjectIdentifier(produced) == ObjectIdentifier(expected)
            else {
                throw PipelineError.typeMismatch(
                    index: index, stage: node.name,
                    expects: node.inputType.map(describe) ?? "no input",
                    previous: previous.name, produces: previous.outputType.map(describe) ?? "nothing")
            }
        }
        self.nodes = nodes
        self.channelCapacity = max(1, channelCapacity)
    }

    /// Runs every stage to completion and returns one report line per stage.
    public func run(context: StageContext) async throws -> [StageReport] {
        let links = nodes.dropLast().map { LinkPair(ends: $0.makeOutputLink(channelCapacity)) }
        let state = RunState()
        context.progress.flow.attach(stages: nodes.map(\.name), links: links.compactMap { ($0.producer as? MeasuredLink)?.linkFlow })
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let sinkIndex = nodes.count - 1
                for (index, node) in nodes.enumerated() {
                    let ends = StageEnds(
                        input: index > 0 ? links[index - 1].consumer : nil,
                        output: index < links.count ? links[index].producer : nil)
                    group.addTask {
                        do {
                            try await state.run(node, index: index, ends: ends, context: context)
                        } catch where index == sinkIndex && state.isStopping {
                            // The sink stopped: nothing downstream is left to drain for.
                            throw SinkStopped()
                        }
                    }
                }
                // Not `waitForAll()`: it would wait for stages blocked on a failed neighbour. Leaving
                // the group on the first error cancels every other stage — except after a stop
                // request, where the stages downstream of the source drain what is in flight and
                // then stop on their own.
                while true {
                    do {
                        guard try await group.next() != nil else { break }
                    } catch is SinkStopped {
                        group.cancelAll()
                    } catch where state.isStopping && (error is StopRequested || error is UpstreamFailure) {
                        continue
                    }
                }
            }
        } catch {
            if let failure = state.firstFailure { throw failure }
            throw error
        }
        if let failure = state.firstFailure { throw failure }
        return state.orderedReports
    }
}

/// Marks the sink's end during a stop, so the runtime cancels the stages still upstream.
private struct SinkStopped: Error {}

/// The two ends of one link, handed to the tasks of the producing and consuming stages.
private struct LinkPair: @unchecked Sendable {
    let consumer: AnyObject
    let producer: AnyObject

    init(ends: (AnyObject, AnyObject)) {
        consumer = ends.0
        producer = ends.1
    }
}

/// The link ends one stage task uses: its input (none for a source) and output (none for a sink).
private struct StageEnds: @unchecked Sendable {
    let input: AnyObject?
    let output: AnyObject?
}

/// What the stage tasks of one run share: the first failure and the finished reports.
private final class RunState: Sendable {
    private let failure = Mutex<StageFailure?>(nil)
    private let reports = Mutex<[Int: StageReport]>([:])

    var firstFailure: StageFailure? { failure.withLock { $0 } }
    /// Whether the run is ending because a source honoured a stop request.
    var isStopping: Bool { firstFailure?.underlying is StopRequested }
    var orderedReports: [StageReport] {
        reports.withLock { collected in collected.keys.sorted().map { collected[$0]! } }
    }

    func run(
        _ node: PipelineNode, index: Int, ends: StageEnds, context: StageContext
    ) async throws {
        let (input, output) = (ends.input, ends.output)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await node.body(input, output, context)
            (output as? FinishableLink)?.finishLink()
        } catch {
            await (output as? FinishableLink)?.finishLink(afterFailure: error)
            if !(error is UpstreamFailure) && !(error is CancellationError) {
                failure.withLock { $0 = $0 ?? StageFailure(stage: node.name, underlying: error) }
            }
            throw error
        }
        let report = makeReport(node: node, input: input, output: output, wall: clock.now - start)
        reports.withLock { $0[index] = report }
    }
}

private func makeReport(node: PipelineNode, input: AnyObject?, output: AnyObject?, wall: Duration) -> StageReport {
    let inputLink = input as? MeasuredLink
    let outputLink = output as? MeasuredLink
    let waits = (inputLink?.linkWaitingTime ?? .zero) + (outputLink?.linkWaitingTime ?? .zero)
    var details = node.details()
    let busy: Double
    if case .double(let workerSeconds)? = details["worker_seconds"] {
        busy = workerSeconds
        details["worker_seconds"] = nil
    } else {
        busy = max(0, (wall - waits).seconds)
    }
    return StageReport(
        name: node.name, examplesIn: inputLink?.linkExamples ?? 0,
        examplesOut: outputLink?.linkExamples ?? 0, busySeconds: busy, details: details)
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Link ends whose waiting time and element count feed the report.
protocol MeasuredLink: AnyObject {
    var linkWaitingTime: Duration { get }
    var linkExamples: Int { get }
    var linkFlow: LinkFlow? { get }
}

/// Link ends that the runtime finishes when the producing stage ends.
protocol FinishableLink: AnyObject {
    func finishLink()
    func finishLink(afterFailure error: any Error) async
}

extension StageInput: MeasuredLink {
    var linkWaitingTime: Duration { waitingTime }
    var linkExamples: Int { examplesReceived }
    var linkFlow: LinkFlow? { flow }
}

extension StageOutput: MeasuredLink, FinishableLink {
    var linkWaitingTime: Duration { waitingTime }
    var linkExamples: Int { examplesSent }
    var linkFlow: LinkFlow? { flow }
    func finishLink() { finish() }
    func finishLink(afterFailure error: any Error) async { await finish(afterFailure: error) }
}

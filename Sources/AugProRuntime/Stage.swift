/// A pipeline stage: consumes batches of `Input` from one bounded channel and sends batches of
/// `Output` to the next. Stages know only their element types; the ``Pipeline`` owns the
/// channels, the tasks, cancellation and reporting.
///
/// Stateless per-example work should conform to ``BatchTransform`` instead and be wrapped in
/// ``TransformStage``, which adds `workers: N` parallelism while keeping input order.
public protocol Stage<Input, Output>: Sendable {
    associatedtype Input: Sendable
    associatedtype Output: Sendable

    /// A short name used in messages and the report, e.g. `reader` or `projector`.
    var name: String { get }

    /// Consumes `input` until it ends, sending results to `output`. Throwing stops the pipeline.
    /// The runtime finishes `output` when this returns; a stage need not (and must not) do it.
    func run(input: StageInput<Input>, output: StageOutput<Output>, context: StageContext) async throws

    /// Stage-specific figures for `report.json` (counts, rates, histograms), read once at the end.
    func reportDetails() -> [String: JSONValue]
}

extension Stage {
    public func reportDetails() -> [String: JSONValue] { [:] }
}

/// A pure, per-batch transformation: output for a batch depends only on that batch's elements,
/// so batches can be processed by several workers in any order and reassembled in input order.
public protocol BatchTransform<Input, Output>: Sendable {
    associatedtype Input: Sendable
    associatedtype Output: Sendable

    /// A short name used in messages and the report.
    var name: String { get }

    /// Transforms one batch. Called concurrently from several workers when `workers > 1`.
    func transform(_ batch: [Input], context: StageContext) throws -> [Output]

    /// Stage-specific figures for `report.json`, read once at the end.
    func reportDetails() -> [String: JSONValue]
}

extension BatchTransform {
    public func reportDetails() -> [String: JSONValue] { [:] }
}

/// A stage that produces the first batches: it has no input channel.
public protocol SourceStage<Output>: Sendable {
    associatedtype Output: Sendable

    var name: String { get }

    /// Produces every batch into `output`, calling `context.checkStop()` between batches.
    func run(output: StageOutput<Output>, context: StageContext) async throws

    func reportDetails() -> [String: JSONValue]
}

extension SourceStage {
    public func reportDetails() -> [String: JSONValue] { [:] }
}

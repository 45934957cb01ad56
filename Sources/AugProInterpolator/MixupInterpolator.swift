import AugProRecords
import AugProRuntime
import Synchronization

/// The `interpolator: {method: mixup}` stage: buffers one window of tokenized examples, then
/// emits, per example, the original (when kept) and its mixup plans for the projector.
///
/// Output batches hold whole example groups (an original and all its augmentations), at least
/// `batch_size` items except the last, so the projector can drop duplicate augmentations of
/// one example within a batch. See ``MixupPlanner`` for the partner and λ rule and
/// ``SegmentAlignment`` for the position alignment.
public final class MixupInterpolator: Stage {
    public typealias Input = TokenSample
    public typealias Output = MixItem

    public let options: InterpolatorOptions
    public let specials: SpecialTokenIDs
    private let statistics = Mutex(InterpolatorStatistics())

    public var name: String { "interpolator" }

    /// Throws ``InterpolatorOptionsError`` for invalid options.
    public init(options: InterpolatorOptions, specials: SpecialTokenIDs) throws {
        try options.validate()
        self.options = options
        self.specials = specials
    }

    public func run(input: StageInput<TokenSample>, output: StageOutput<MixItem>, context: StageContext) async throws {
        var planner = try MixupPlanner(options: options, specials: specials, seed: context.seed)
        var pending: [MixItem] = []
        func emit(_ groups: [[MixItem]]) async throws {
            for group in groups {
                pending += group
                if pending.count >= context.batchSize {
                    try await output.send(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        while let batch = try await input.next() {
            try await emit(planner.add(batch))
            let current = planner.statistics
            statistics.withLock { $0 = current }
        }
        try await emit(planner.finish())
        try await output.send(pending)
        let final = planner.statistics
        statistics.withLock { $0 = final }
    }

    /// Counts seen so far.
    public var currentStatistics: InterpolatorStatistics { statistics.withLock { $0 } }

    public func reportDetails() -> [String: JSONValue] {
        let stats = currentStatistics
        return [
            "method": .string("mixup"),
            "examples": .int(stats.examples),
            "blocks": .int(stats.blocks),
            "mixes_planned": .int(stats.mixesPlanned),
            "originals_passed": .int(stats.originalsPassed),
            "examples_without_partner": .int(stats.examplesWithoutPartner),
            "window": .int(options.window),
            "per_example": .int(options.perExample),
            "granularity": .string(options.granularity.rawValue),
            "length": .string(options.length.rawValue),
        ]
    }
}

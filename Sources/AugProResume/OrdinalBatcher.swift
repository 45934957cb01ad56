import AugProRecords
import AugProRuntime

/// Re-cuts a stream into batches that depend only on the elements' input ordinals: a batch
/// holds the elements whose ordinals fall in one cell `[k·batchSize, (k+1)·batchSize) ∩
/// [j·granule, (j+1)·granule)`, so an example's group (original and augmentations) stays in
/// one batch, and a run restarted at a multiple of `granule` sees exactly the batches of an
/// uninterrupted run after that point.
///
/// Placed before stages whose output may depend on how a batch is composed (the projector's
/// per-batch duplicate check and packed `sgemm`, the teacher's length-sorted forward passes).
/// Batches whose first element has no ordinal (-1) pass through unchanged.
public struct OrdinalBatcher<Element: Sendable>: Stage {
    public typealias Input = Element
    public typealias Output = Element

    public static var stageName: String { "batcher" }
    public var name: String { Self.stageName }
    public let batchSize: Int64
    public let granule: Int64
    public let ordinal: @Sendable (Element) -> Int64

    public init(batchSize: Int, granule: Int64, ordinal: @escaping @Sendable (Element) -> Int64) {
        self.batchSize = Int64(max(1, batchSize))
        self.granule = max(1, granule)
        self.ordinal = ordinal
    }

    public func run(input: StageInput<Element>, output: StageOutput<Element>, context: StageContext) async throws {
        var pending: [Element] = []
        var cell: (Int64, Int64)?
        while let batch = try await input.next() {
            if let first = batch.first, ordinal(first) < 0 {
                try await output.send(pending)
                pending.removeAll(keepingCapacity: true)
                try await output.send(batch)
                cell = nil
                continue
            }
            for element in batch {
                let position = max(0, ordinal(element))
                let next = (position / batchSize, position / granule)
                if let cell, cell != next {
                    try await output.send(pending)
                    pending.removeAll(keepingCapacity: true)
                }
                cell = next
                pending.append(element)
            }
        }
        try await output.send(pending)
    }
}

extension OrdinalBatcher where Element: OrdinalRecord {
    /// Cuts elements by the input ordinal of the example they belong to.
    public init(batchSize: Int, granule: Int64) {
        self.init(batchSize: batchSize, granule: granule) { $0.inputOrdinal }
    }
}

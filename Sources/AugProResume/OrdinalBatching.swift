import AugProRecords
import AugProRuntime

/// Ordinal batchers for stages that declare their output depends on batch makeup.
package enum OrdinalBatching {
    /// An ``OrdinalBatcher`` to put after a stage producing `previous`, when its elements carry
    /// input ordinals (token sequences, mix plans, records); nil otherwise.
    package static func node(after previous: Any.Type?, batchSize: Int, granule: Int64) -> PipelineNode? {
        guard let type = previous as? any OrdinalRecord.Type else { return nil }
        return node(for: type, batchSize: batchSize, granule: granule)
    }

    private static func node<Element: OrdinalRecord>(for _: Element.Type, batchSize: Int, granule: Int64) -> PipelineNode {
        PipelineNode(OrdinalBatcher<Element>(batchSize: batchSize, granule: granule))
    }
}

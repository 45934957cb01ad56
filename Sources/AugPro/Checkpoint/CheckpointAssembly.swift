import AugProRecords
import AugProRuntime
import AugProWriter

extension PipelineAssembler {
    /// An ``OrdinalBatcher`` to put before a batch-sensitive stage, when the previous stage
    /// produces what it cuts (token sequences or mix plans).
    func batcherNode(after previous: Any.Type?, config: PipelineConfig) -> PipelineNode? {
        let granule = checkpoint?.granule ?? CheckpointSession.restartGranule(of: config)
        switch previous {
        case is TokenSample.Type:
            return PipelineNode(OrdinalBatcher<TokenSample>(batchSize: config.batchSize, granule: granule))
        case is MixItem.Type:
            return PipelineNode(OrdinalBatcher<MixItem>(batchSize: config.batchSize, granule: granule))
        default:
            return nil
        }
    }

    /// The writer stage, continuing the checkpoint's commits and reporting new ones to it.
    func writerStage<Row: Sendable>(
        options: WriterOptions, encoder: some MDSRowEncoder<Row>, config: PipelineConfig,
        ordinal: @escaping @Sendable (Row) -> Int64
    ) -> WriterStage<Row> {
        let granule = checkpoint?.granule ?? CheckpointSession.restartGranule(of: config)
        return WriterStage(
            options: options, encoder: encoder, resuming: checkpoint?.committed ?? [],
            restart: checkpoint?.restart ?? .beginning, tracking: RestartTracking(granule: granule, ordinal: ordinal),
            onCommit: checkpoint?.onShardCommitted)
    }

    /// A chain error with the node index turned back into the config's stage index (batchers
    /// are nodes the config does not list).
    static func renumbered(_ error: PipelineError, nodes: [PipelineNode]) -> (error: PipelineError, stage: Int)? {
        guard case let .typeMismatch(index, stage, expects, previous, produces) = error else { return nil }
        let stageIndex = index - nodes[..<min(index, nodes.count)].filter { $0.name == OrdinalBatcher<TokenSample>.stageName }.count
        let previousName = previous == OrdinalBatcher<TokenSample>.stageName && index >= 2
            ? nodes[index - 2].name : previous
        return (.typeMismatch(index: stageIndex, stage: stage, expects: expects, previous: previousName, produces: produces), stageIndex)
    }
}

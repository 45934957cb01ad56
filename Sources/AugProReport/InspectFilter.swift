import AugProRuntime
import AugProWriter

/// Picks the samples `augpro inspect` prints: those of one kind and/or id, at most `limit`.
public struct InspectFilter {
    public var kind: String?
    public var id: Int?
    public var limit: Int

    public init(kind: String?, id: Int?, limit: Int) {
        self.kind = kind
        self.id = id
        self.limit = limit
    }

    private struct Enough: Error {}

    /// Calls `body` with each matching sample and its position in the dataset, in order.
    public func forEach(in reader: MDSDatasetReader, _ body: ([String: JSONValue], Int) throws -> Void) throws {
        guard limit > 0 else { return }
        var position = 0
        var printed = 0
        do {
            try reader.forEachSample { sample in
                defer { position += 1 }
                if let kind, DatasetStatistics.string(sample["kind"]) != kind { return }
                if let id, DatasetStatistics.integer(sample["id"]) != id { return }
                try body(sample, position)
                printed += 1
                if printed >= limit { throw Enough() }
            }
        } catch is Enough {}
    }
}

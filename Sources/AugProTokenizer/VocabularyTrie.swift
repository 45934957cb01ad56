/// A byte trie over the vocabulary's UTF-8 tokens, flattened into contiguous arrays: each node's
/// children are a sorted run of edge labels (or a dense 256-entry row for nodes with many
/// children), so a longest-prefix match costs one short scan per byte and never allocates.
struct VocabularyTrie: Sendable {
    static let root: Int32 = 0
    private static let denseThreshold = 8

    /// Token id ending at each node, or -1.
    private let tokenIds: [Int32]
    /// Node n's edges are `edgeStart[n]..<edgeStart[n + 1]` in `edgeLabels` / `edgeTargets`.
    private let edgeStart: [Int32]
    private let edgeLabels: [UInt8]
    private let edgeTargets: [Int32]
    /// Offset of node n's dense row in `denseRows`, or -1.
    private let denseRow: [Int32]
    private let denseRows: [Int32]

    init(tokens: [[UInt8]]) {
        var children: [[UInt8: Int32]] = [[:]]
        var ids: [Int32] = [-1]
        for (id, bytes) in tokens.enumerated() {
            var node = 0
            for byte in bytes {
                if let next = children[node][byte] {
                    node = Int(next)
                } else {
                    let next = Int32(children.count)
                    children[node][byte] = next
                    children.append([:])
                    ids.append(-1)
                    node = Int(next)
                }
            }
            if ids[node] < 0 { ids[node] = Int32(id) }
        }
        var edgeStart: [Int32] = []
        var labels: [UInt8] = []
        var targets: [Int32] = []
        var denseRow = [Int32](repeating: -1, count: children.count)
        var denseRows: [Int32] = []
        edgeStart.reserveCapacity(children.count + 1)
        for (node, edges) in children.enumerated() {
            edgeStart.append(Int32(labels.count))
            let sorted = edges.sorted { $0.key < $1.key }
            labels.append(contentsOf: sorted.map(\.key))
            targets.append(contentsOf: sorted.map(\.value))
            if edges.count > Self.denseThreshold {
                denseRow[node] = Int32(denseRows.count)
                var row = [Int32](repeating: -1, count: 256)
                for (label, target) in edges { row[Int(label)] = target }
                denseRows.append(contentsOf: row)
            }
        }
        edgeStart.append(Int32(labels.count))
        self.tokenIds = ids
        self.edgeStart = edgeStart
        self.edgeLabels = labels
        self.edgeTargets = targets
        self.denseRow = denseRow
        self.denseRows = denseRows
    }

    /// The node reached from `node` by `bytes`, or nil.
    func walk(from node: Int32, bytes: [UInt8]) -> Int32? {
        var current = node
        for byte in bytes {
            guard let next = child(of: current, byte: byte) else { return nil }
            current = next
        }
        return current
    }

    @inline(__always)
    func child(of node: Int32, byte: UInt8) -> Int32? {
        let dense = denseRow[Int(node)]
        if dense >= 0 {
            let target = denseRows[Int(dense) + Int(byte)]
            return target >= 0 ? target : nil
        }
        var edge = Int(edgeStart[Int(node)])
        let end = Int(edgeStart[Int(node) + 1])
        while edge < end {
            let label = edgeLabels[edge]
            if label == byte { return edgeTargets[edge] }
            if label > byte { return nil }
            edge += 1
        }
        return nil
    }

    /// The id of the longest vocabulary token that is a prefix of `bytes[start..<end]`, walking
    /// from `node`, and where it ends; nil when no token matches.
    @inline(__always)
    func longestMatch(
        from node: Int32, in bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int
    ) -> (id: Int32, end: Int)? {
        var current = node
        var best: (id: Int32, end: Int)?
        var index = start
        while index < end, let next = child(of: current, byte: bytes[index]) {
            current = next
            index += 1
            let id = tokenIds[Int(current)]
            if id >= 0 { best = (id, index) }
        }
        return best
    }
}

/// Where a resumed run restarts, as recorded with a commit: the reader emits records from
/// input ordinal `ordinal` on, and the writer drops the first `skip` rows of that regenerated
/// stream because they are already in committed shards.
public struct RestartPoint: Sendable, Equatable, Codable {
    /// The first input ordinal the resumed reader emits (a multiple of the restart granule).
    public var ordinal: Int64
    /// Rows at the start of the regenerated stream that are already committed.
    public var skip: Int

    public init(ordinal: Int64, skip: Int) {
        self.ordinal = ordinal
        self.skip = skip
    }

    /// A run that has committed nothing restarts from the beginning.
    public static let beginning = RestartPoint(ordinal: 0, skip: 0)
}

/// How a writer derives restart points from its rows: each row's input ordinal, and the
/// granule the restart ordinal is rounded down to (a window boundary for stages that look
/// ahead, so that everything after the restart point regenerates exactly).
public struct RestartTracking<Row>: Sendable {
    public let granule: Int64
    public let ordinal: @Sendable (Row) -> Int64

    public init(granule: Int64, ordinal: @escaping @Sendable (Row) -> Int64) {
        self.granule = max(1, granule)
        self.ordinal = ordinal
    }
}

/// The running state behind ``RestartTracking``: rows written so far and where the granule of
/// the last one began. Rows must arrive in non-decreasing ordinal order; if one does not, or
/// has no ordinal (-1), the restart point falls back to the beginning (skipping every row).
struct RestartTracker {
    let granule: Int64
    private(set) var rows: Int
    private var lastGranule: Int64?
    private var granuleStartRow = 0
    private var usable = true

    /// Continues after `rows` committed rows whose restart point was `restart`.
    init(granule: Int64, resumedRows rows: Int, restart: RestartPoint) {
        self.granule = granule
        self.rows = rows
        if rows > 0 {
            lastGranule = restart.ordinal / granule
            granuleStartRow = rows - restart.skip
            usable = restart.ordinal % granule == 0 && (0...rows).contains(restart.skip)
        }
    }

    /// Notes the next written row's ordinal.
    mutating func record(ordinal: Int64) {
        defer { rows += 1 }
        guard usable else { return }
        guard ordinal >= 0 else {
            usable = false
            return
        }
        let current = ordinal / granule
        if let lastGranule {
            if current < lastGranule { usable = false }
            if current == lastGranule { return }
        }
        lastGranule = current
        granuleStartRow = rows
    }

    /// The restart point once the first `committedRows` rows are durable.
    func point(committedRows: Int) -> RestartPoint {
        guard usable, let lastGranule, committedRows == rows else {
            return RestartPoint(ordinal: 0, skip: committedRows)
        }
        return RestartPoint(ordinal: lastGranule * granule, skip: rows - granuleStartRow)
    }
}

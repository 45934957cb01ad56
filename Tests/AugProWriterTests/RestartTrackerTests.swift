import Testing

@testable import AugProWriter

@Suite("Restart tracker")
struct RestartTrackerTests {
    /// The reference restart point: the first row of the last granule present, as (granule
    /// start ordinal, rows of that granule already written).
    static func reference(_ ordinals: [Int64], granule: Int64) -> RestartPoint {
        guard let last = ordinals.last else { return RestartPoint(ordinal: 0, skip: 0) }
        let start = last / granule * granule
        return RestartPoint(ordinal: start, skip: ordinals.filter { $0 >= start }.count)
    }

    @Test("the restart point is the start of the last granule and the rows written from it")
    func pointsFollowGranules() {
        let ordinals: [Int64] = [0, 0, 1, 3, 3, 3, 4, 7, 8, 8, 12, 15, 16]
        for granule: Int64 in [1, 2, 4, 8] {
            var tracker = RestartTracker(granule: granule, resumedRows: 0, restart: .beginning)
            for (index, ordinal) in ordinals.enumerated() {
                tracker.record(ordinal: ordinal)
                let prefix = Array(ordinals[...index])
                #expect(
                    tracker.point(committedRows: index + 1) == Self.reference(prefix, granule: granule),
                    "granule \(granule), row \(index)")
            }
        }
    }

    @Test("an out-of-order or missing ordinal falls back to the beginning, skipping every committed row")
    func fallback() {
        var decreasing = RestartTracker(granule: 4, resumedRows: 0, restart: .beginning)
        for ordinal: Int64 in [0, 5, 9, 2, 13] { decreasing.record(ordinal: ordinal) }
        #expect(decreasing.point(committedRows: 5) == RestartPoint(ordinal: 0, skip: 5))
        var unknown = RestartTracker(granule: 4, resumedRows: 0, restart: .beginning)
        for ordinal: Int64 in [0, -1, 9] { unknown.record(ordinal: ordinal) }
        #expect(unknown.point(committedRows: 3) == RestartPoint(ordinal: 0, skip: 3))
        var partial = RestartTracker(granule: 4, resumedRows: 0, restart: .beginning)
        for ordinal: Int64 in [0, 5] { partial.record(ordinal: ordinal) }
        #expect(partial.point(committedRows: 1) == RestartPoint(ordinal: 0, skip: 1), "rows written but not yet committed")
    }

    @Test("a resumed tracker continues exactly as an uninterrupted one")
    func resumedContinues() {
        let ordinals: [Int64] = [0, 1, 1, 4, 5, 5, 6, 9, 10, 12]
        var whole = RestartTracker(granule: 4, resumedRows: 0, restart: .beginning)
        for ordinal in ordinals { whole.record(ordinal: ordinal) }
        var first = RestartTracker(granule: 4, resumedRows: 0, restart: .beginning)
        for ordinal in ordinals[..<6] { first.record(ordinal: ordinal) }
        let restart = first.point(committedRows: 6)
        var resumed = RestartTracker(granule: 4, resumedRows: 6, restart: restart)
        for ordinal in ordinals[6...] { resumed.record(ordinal: ordinal) }
        #expect(resumed.point(committedRows: ordinals.count) == whole.point(committedRows: ordinals.count))
        #expect(restart == RestartPoint(ordinal: 4, skip: 3))
    }
}

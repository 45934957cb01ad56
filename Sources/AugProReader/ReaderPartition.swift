import AugProRecords
import Foundation

/// A record boundary in the input together with the counters a full parse has there, so that a
/// reader can start in the middle of the file and produce exactly what a full parse produces
/// from that point (same ids, ordinals, line numbers and rejects).
public struct ReaderPosition: Codable, Sendable, Equatable {
    /// Offset of the next record in the file's (decompressed) content.
    public var byteOffset: Int64
    /// 1-based line where the next record starts.
    public var line: Int
    /// 0-based index of the next data row (the default id).
    public var rowIndex: Int64
    /// Records produced before this point (the next record's ordinal).
    public var ordinal: Int64
    /// Rows rejected before this point.
    public var rejected: Int
    /// Blank lines skipped before this point.
    public var blankLines: Int

    enum CodingKeys: String, CodingKey {
        case line, ordinal, rejected
        case byteOffset = "byte_offset"
        case rowIndex = "row_index"
        case blankLines = "blank_lines"
    }
}

/// The part of the input one worker reads: records with ordinals in `ordinals`, parsing from
/// `start` (a position at or before the first of them).
public struct ReaderRange: Sendable, Equatable {
    /// Where parsing begins; nil = the start of the file.
    public var start: ReaderPosition?
    /// Ordinals emitted; parsing stops once the upper bound is reached.
    public var ordinals: Range<Int64>
    /// Data rows the full parse rejects as duplicate ids (replayed: a part cannot see earlier ids).
    public var duplicateRows: Set<Int64>

    public init(start: ReaderPosition?, ordinals: Range<Int64>, duplicateRows: Set<Int64> = []) {
        self.start = start
        self.ordinals = ordinals
        self.duplicateRows = duplicateRows
    }
}

extension CorpusParser {
    /// Where the next record starts, with the counters at that point.
    var position: ReaderPosition {
        ReaderPosition(
            byteOffset: buffer.consumedOffset, line: line, rowIndex: rowIndex, ordinal: Int64(counts.read),
            rejected: counts.rejected, blankLines: counts.blankLines)
    }

    /// Reads only `range`: continues at its start (the header has already been read by `init`)
    /// and replays the full parse's duplicate-id decisions.
    func restrict(to range: ReaderRange) throws {
        builder.replayedDuplicateRows = range.duplicateRows
        if let start = range.start { try seek(to: start) }
    }

    /// Continues parsing at `position` (taken from a full parse of the same file and options).
    func seek(to position: ReaderPosition) throws {
        guard position.byteOffset >= buffer.consumedOffset else {
            throw ReaderError.io(path: options.path, reason: "cannot start at byte \(position.byteOffset): it lies inside the header")
        }
        try buffer.reposition(to: position.byteOffset)
        line = position.line
        rowIndex = position.rowIndex
        counts.read = Int(position.ordinal)
        counts.rejected = position.rejected
        counts.blankLines = position.blankLines
    }
}

/// Record boundaries every `stride` ordinals of one input file, found by one full parse, so that
/// N workers can each start at their part of the input without parsing what comes before it.
///
/// Stored as JSON (``save(to:)``); ``load(from:matching:)`` rejects an index made for another file
/// state or other reader options.
public struct PartitionIndex: Codable, Sendable, Equatable {
    /// What the index was made from: the reader options that change ordinals and the file's
    /// size and modification time.
    public struct Identity: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var modifiedNanoseconds: Int64
        public var options: String

        enum CodingKeys: String, CodingKey {
            case path, bytes, options
            case modifiedNanoseconds = "modified_ns"
        }
    }

    public var version = 1
    public var identity: Identity
    /// Ordinals between consecutive points.
    public var stride: Int64
    /// Records in the whole file.
    public var records: Int64
    /// `points[k]` is the position of ordinal `k × stride`.
    public var points: [ReaderPosition]
    /// Data rows rejected as duplicate ids by the full parse.
    public var duplicateRows: [Int64]

    enum CodingKeys: String, CodingKey {
        case version, identity, stride, records, points
        case duplicateRows = "duplicate_rows"
    }

    /// Parses the whole file once (rejects are counted, not written) and records a position every
    /// `stride` records.
    public static func build(options: ReaderOptions, stride: Int64) throws -> PartitionIndex {
        precondition(stride > 0)
        var quiet = options
        quiet.rejectsURL = nil
        let parser = try CorpusParser(options: quiet, chunkSize: 1 << 20)
        var points: [ReaderPosition] = []
        var batch: [TextRecord] = []
        var more = true
        while more {
            points.append(parser.position)
            batch.removeAll(keepingCapacity: true)
            more = try parser.next(into: &batch, limit: Int(stride))
        }
        try parser.close()
        return PartitionIndex(
            identity: try identity(of: options), stride: stride, records: Int64(parser.counts.read), points: points,
            duplicateRows: parser.builder.duplicateRows)
    }

    /// The identity the index of `options`' file must have now.
    public static func identity(of options: ReaderOptions) throws -> Identity {
        var info = stat()
        guard stat(options.path, &info) == 0 else {
            throw ReaderError.io(path: options.path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        let described = [
            try options.resolvedFormat().rawValue, options.columns?.joined(separator: "\u{1F}") ?? "-", options.text,
            options.textPair ?? "-", options.label ?? "-", options.labels?.joined(separator: "\u{1F}") ?? "-",
            options.id ?? "-", options.onError.rawValue, String(options.maxLineBytes),
        ].joined(separator: "\u{1E}")
        return Identity(
            path: options.path, bytes: Int64(info.st_size),
            modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            options: described)
    }

    /// The parse start and ordinals of `ordinals` (clamped to the file's records); the lower bound
    /// must be a multiple of ``stride``.
    public func range(ordinals: Range<Int64>) -> ReaderRange {
        precondition(ordinals.lowerBound % stride == 0, "partition starts are multiples of the index stride")
        let lower = min(ordinals.lowerBound, records)
        let upper = min(max(ordinals.upperBound, lower), records)
        let point = Int(lower / stride)
        let start = lower == 0 ? nil : (point < points.count ? points[point] : nil)
        let firstRow = start?.rowIndex ?? 0
        return ReaderRange(start: start, ordinals: lower..<upper, duplicateRows: Set(duplicateRows.filter { $0 >= firstRow }))
    }

    /// Writes the index as JSON, atomically.
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// Reads an index; nil when the file is absent or was made for another file state or options.
    public static func load(from url: URL, matching options: ReaderOptions) throws -> PartitionIndex? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        guard let index = try? JSONDecoder().decode(PartitionIndex.self, from: data) else { return nil }
        return index.identity == (try identity(of: options)) ? index : nil
    }
}

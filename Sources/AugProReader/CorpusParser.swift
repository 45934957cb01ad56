import AugProRecords

/// Counts of what the reader saw, for the report.
struct ReaderCounts: Sendable, Equatable {
    /// Records produced.
    var read = 0
    /// Rows rejected (skip mode).
    var rejected = 0
    /// Empty lines skipped (not data rows).
    var blankLines = 0
    /// Bytes of the file consumed.
    var fileBytes = 0
}

/// The synchronous core of the reader: opens the file, reads the header, and turns the rest into
/// ``TextRecord``s batch by batch, handling bad rows per `onError`. One owner at a time.
final class CorpusParser {
    let options: ReaderOptions
    let format: ReaderOptions.Format
    private let source: ByteSource
    let buffer: ChunkedBuffer
    private let scanner: RecordScanner
    var builder: RecordBuilder
    private let rejects: RejectsWriter?
    var counts = ReaderCounts()
    /// The line where the next record starts (1-based).
    var line = 1
    /// The 0-based index of the next data row.
    var rowIndex: Int64 = 0

    /// Column positions for TSV/CSV: text, pair, label, id, and the header's column count.
    private var columns: (text: Int, pair: Int?, label: Int?, id: Int?, count: Int) = (0, nil, nil, nil, 0)
    private var fields = FieldStore()
    private var json: JSONLineParser

    /// Opens the corpus and reads its header; `chunkSize` is the read size in bytes.
    init(options: ReaderOptions, chunkSize: Int) throws {
        try options.validate()
        self.options = options
        format = try options.resolvedFormat()
        if let problem = ReaderOptions.inputFileProblem(options.path) { throw ReaderError.io(path: options.path, reason: problem) }
        source = options.isCompressed
            ? try ZstdSource(path: options.path, chunkSize: chunkSize)
            : try PlainFileSource(path: options.path)
        buffer = ChunkedBuffer(source: source, chunkSize: chunkSize)
        scanner = RecordScanner(buffer: buffer, maxBytes: options.maxLineBytes)
        builder = RecordBuilder(options: options, noun: format == .jsonl ? "field" : "column")
        rejects = options.onError == .skip ? options.rejectsURL.map(RejectsWriter.init(url:)) : nil
        json = JSONLineParser(keys: [options.text, options.textPair, options.label, options.id].compactMap { $0 })
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        if try buffer.hasPrefix(byteOrderMark) { buffer.start += byteOrderMark.count }
        if format != .jsonl { try readHeader() }
    }

    /// Bytes of the file read so far (compressed bytes for `.zst`).
    var fileBytesRead: Int { source.fileBytesRead }

    /// Finds the option columns in `columns:` or, without it, in the header row.
    private func readHeader() throws {
        let names = try options.columns ?? readHeaderNames()
        func position(_ option: String, _ column: String?) throws -> Int? {
            guard let column else { return nil }
            let matches = names.indices.filter { names[$0] == column }
            guard let first = matches.first else {
                throw ReaderError.missingColumn(path: options.path, option: option, column: column, available: names)
            }
            guard matches.count == 1 else { throw ReaderError.ambiguousColumn(path: options.path, column: column) }
            return first
        }
        columns = (
            try position("text", options.text)!, try position("text_pair", options.textPair),
            try position("label", options.label), try position("id", options.id), names.count
        )
    }

    private func readHeaderNames() throws -> [String] {
        let scanned = format == .csv ? try scanner.nextCSVRecord(into: &fields) : try scanner.nextLine()
        switch scanned {
        case .end:
            throw ReaderError.missingHeader(path: options.path)
        case .overlong:
            throw ReaderError.badRow(path: options.path, line: 1, reason: "the header row is longer than max_line_bytes (\(options.maxLineBytes))")
        case let .malformed(reason, _, _, faultLine):
            throw ReaderError.badRow(path: options.path, line: 1 + faultLine, reason: "header row: \(reason)")
        case let .record(bytes, lines):
            line += lines
            if format == .tsv { splitTabs(bytes, into: &fields.ranges) }
            let ranges = fields.ranges
            return try withFieldBase(bytes) { base in
                try ranges.map { range in
                    guard let name = String(validating: UnsafeBufferPointer(rebasing: base[range]), as: UTF8.self) else {
                        throw ReaderError.badRow(path: options.path, line: 1, reason: "the header row is not valid UTF-8")
                    }
                    return name
                }
            }
        }
    }

    /// Calls `body` with the buffer the field ranges point into: the TSV line itself, or the CSV
    /// field store holding unescaped fields.
    private func withFieldBase<Result>(
        _ line: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        if format == .tsv { return try body(line) }
        return try fields.bytes.withUnsafeBufferPointer(body)
    }

    /// Appends up to `limit` records to `batch`; returns false once the input is exhausted.
    func next(into batch: inout [TextRecord], limit: Int) throws -> Bool {
        while batch.count < limit {
            let scanned = format == .csv ? try scanner.nextCSVRecord(into: &fields) : try scanner.nextLine()
            let startLine = line
            switch scanned {
            case .end:
                counts.fileBytes = source.fileBytesRead
                return false
            case let .overlong(prefix, lines):
                line += lines
                rowIndex += 1
                try prefix.withUnsafeBufferPointer {
                    try reject(line: startLine, reason: "line is longer than max_line_bytes (\(options.maxLineBytes) bytes)", raw: $0)
                }
            case let .malformed(reason, raw, lines, faultLine):
                line += lines
                rowIndex += 1
                try raw.withUnsafeBufferPointer { try reject(line: startLine + faultLine, reason: reason, raw: $0) }
            case let .record(bytes, lines):
                line += lines
                if bytes.isEmpty {
                    counts.blankLines += 1
                    continue
                }
                let index = rowIndex
                rowIndex += 1
                do {
                    var record = format == .jsonl
                        ? try jsonRecord(bytes, rowIndex: index, line: startLine)
                        : try delimitedRecord(bytes, rowIndex: index, line: startLine)
                    record.ordinal = Int64(counts.read)
                    batch.append(record)
                    counts.read += 1
                } catch let problem as RowProblem {
                    try reject(line: startLine, reason: problem.reason, raw: bytes)
                }
            }
        }
        counts.fileBytes = source.fileBytesRead
        return true
    }

    private func delimitedRecord(_ bytes: UnsafeBufferPointer<UInt8>, rowIndex: Int64, line: Int) throws -> TextRecord {
        if format == .tsv { splitTabs(bytes, into: &fields.ranges) }
        guard fields.ranges.count == columns.count else {
            let kind = format == .tsv ? "tab-separated" : "comma-separated"
            throw RowProblem(reason: "expected \(columns.count) \(kind) columns (as in the header), found \(fields.ranges.count)")
        }
        let ranges = fields.ranges
        let columns = columns
        return try withFieldBase(bytes) { base in
            func field(_ index: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: base[ranges[index]]) }
            return try builder.build(
                text: field(columns.text), textPair: columns.pair.map(field), label: columns.label.map(field),
                id: columns.id.map(field), rowIndex: rowIndex, line: line)
        }
    }

    private func jsonRecord(_ bytes: UnsafeBufferPointer<UInt8>, rowIndex: Int64, line: Int) throws -> TextRecord {
        do {
            _ = try UTF8Span(validating: bytes.span)
        } catch {
            throw RowProblem(reason: "invalid UTF-8 at byte \(error.byteOffsets.lowerBound + 1) of the line (JSON text must be UTF-8)")
        }
        try json.parse(bytes)
        var slot = 0
        func take(_ option: String?, _ accepts: (JSONSlot) -> Range<Int>?, expected: String) throws(RowProblem) -> Range<Int>? {
            guard let option else { return nil }
            defer { slot += 1 }
            let value = json.slots[slot]
            if let range = accepts(value) { return range }
            if value == .missing { throw RowProblem(reason: "missing field '\(option)'") }
            let found: String
            switch value {
            case .number: found = "a number"
            case .string: found = "a string"
            case let .other(kind): found = kind
            case .missing: found = "nothing"
            }
            throw RowProblem(reason: "field '\(option)' must be \(expected), found \(found)")
        }
        let stringOnly: (JSONSlot) -> Range<Int>? = { if case let .string(range) = $0 { range } else { nil } }
        let stringOrNumber: (JSONSlot) -> Range<Int>? = {
            switch $0 {
            case let .string(range), let .number(range): range
            default: nil
            }
        }
        let text = try take(options.text, stringOnly, expected: "a string")!
        let pair = try take(options.textPair, stringOnly, expected: "a string")
        let label = try take(options.label, stringOrNumber, expected: "a string or an integer")
        let id = try take(options.id, stringOrNumber, expected: "an integer")
        return try json.bytes.withUnsafeBufferPointer { all in
            try builder.build(
                text: UnsafeBufferPointer(rebasing: all[text]),
                textPair: pair.map { UnsafeBufferPointer(rebasing: all[$0]) },
                label: label.map { UnsafeBufferPointer(rebasing: all[$0]) },
                id: id.map { UnsafeBufferPointer(rebasing: all[$0]) },
                rowIndex: rowIndex, line: line)
        }
    }

    /// Fails the run (`fail`) or records the row in the rejects file (`skip`).
    private func reject(line: Int, reason: String, raw: UnsafeBufferPointer<UInt8>) throws {
        guard options.onError == .skip else {
            throw ReaderError.badRow(path: options.path, line: line, reason: reason)
        }
        counts.rejected += 1
        try rejects?.append(line: line, reason: reason, raw: raw)
    }

    /// Flushes and closes the rejects file.
    func close() throws {
        try rejects?.close()
    }
}

import Foundation

/// What the reader reads and how it treats bad rows (the `reader:` section of the config).
public struct ReaderOptions: Sendable, Equatable {
    /// The corpus file layout.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Tab-separated with a header row and no quoting (GLUE files: SST-2, MRPC, QQP, …).
        case tsv
        /// Comma-separated with a header row and RFC 4180 quoting.
        case csv
        /// JSON Lines: one flat JSON object per line.
        case jsonl

        /// Parses a config name: `tsv`, `csv`, `jsonl` (alias `json`, `ndjson`).
        public init?(name: String) {
            switch name.lowercased() {
            case "tsv": self = .tsv
            case "csv": self = .csv
            case "jsonl", "json", "ndjson": self = .jsonl
            default: return nil
            }
        }
    }

    /// What to do with a bad row.
    public enum OnError: String, Sendable, Equatable {
        /// Stop the run with `FILE:LINE: reason`.
        case fail
        /// Write the row to `rejects.jsonl`, count it, and go on.
        case skip
    }

    /// The corpus file. A `.zst` suffix means zstd-compressed (decompressed while streaming).
    public var path: String
    /// The layout; nil = from the extension (`.tsv`, `.csv`, `.jsonl`/`.json`, each + `.zst`).
    public var format: Format?
    /// Column names for a TSV/CSV file WITHOUT a header row (e.g. GLUE CoLA): every line is
    /// data. Nil: the first row is the header.
    public var columns: [String]?
    /// The column (TSV/CSV header name) or field (JSONL key) holding the text.
    public var text: String
    /// The column or field holding the second text of a pair task, if any.
    public var textPair: String?
    /// The column or field holding the label, if any.
    public var label: String?
    /// Label names: a label value is looked up here and its 0-based position becomes the id.
    /// Without it, a label must be a non-negative integer.
    public var labels: [String]?
    /// The column or field giving int64 example ids (unique). Without it, the id is the 0-based
    /// index of the data row in the file (blank lines not counted, rejected rows counted), so ids
    /// do not change when other rows are skipped.
    public var id: String?
    /// `fail` (default) or `skip`.
    public var onError: OnError
    /// The longest accepted line (for CSV: record, which may span lines), in bytes.
    public var maxLineBytes: Int
    /// Where rejected rows go in `skip` mode (`rejects.jsonl` in the output folder). The file is
    /// created only when a row is rejected. Nil: rejected rows are only counted.
    public var rejectsURL: URL?

    public init(
        path: String, format: Format? = nil, columns: [String]? = nil, text: String, textPair: String? = nil,
        label: String? = nil, labels: [String]? = nil, id: String? = nil,
        onError: OnError = .fail, maxLineBytes: Int = 1 << 20, rejectsURL: URL? = nil
    ) {
        self.path = path
        self.format = format
        self.columns = columns
        self.text = text
        self.textPair = textPair
        self.label = label
        self.labels = labels
        self.id = id
        self.onError = onError
        self.maxLineBytes = maxLineBytes
        self.rejectsURL = rejectsURL
    }

    /// Whether the file is zstd-compressed: its name ends in `.zst` or `.zstd`.
    public var isCompressed: Bool {
        let name = path.lowercased()
        return name.hasSuffix(".zst") || name.hasSuffix(".zstd")
    }

    /// The layout to use: `format` when given, otherwise from the file extension.
    public func resolvedFormat() throws -> Format {
        if let format { return format }
        var name = (path as NSString).lastPathComponent.lowercased()
        if isCompressed { name = (name as NSString).deletingPathExtension }
        if let format = Format(name: (name as NSString).pathExtension) { return format }
        throw ReaderError.unknownFormat(path: path)
    }

    /// Checks option values that do not need the file.
    func validate() throws {
        guard maxLineBytes > 0 else {
            throw ReaderError.invalidOptions(path: path, reason: "max_line_bytes must be positive, got \(maxLineBytes)")
        }
        if let labels {
            guard !labels.isEmpty else {
                throw ReaderError.invalidOptions(path: path, reason: "labels: is empty")
            }
            guard label != nil else {
                throw ReaderError.invalidOptions(path: path, reason: "labels: is given but label: (the column) is not")
            }
            guard Set(labels).count == labels.count else {
                throw ReaderError.invalidOptions(path: path, reason: "labels: lists a name twice: \(labels)")
            }
        }
        if let columns {
            guard !columns.isEmpty else { throw ReaderError.invalidOptions(path: path, reason: "columns: is empty") }
            guard try resolvedFormat() != .jsonl else {
                throw ReaderError.invalidOptions(path: path, reason: "columns: is for TSV/CSV files without a header row, not JSON Lines")
            }
        }
        let named = [text, textPair, label, id].compactMap { $0 }
        guard Set(named).count == named.count else {
            throw ReaderError.invalidOptions(
                path: path, reason: "text, text_pair, label and id must name different columns, got \(named)")
        }
    }
}

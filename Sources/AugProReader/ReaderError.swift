/// A reader failure. Bad rows read `FILE:LINE: reason`; file-level problems name the file.
public enum ReaderError: Error, CustomStringConvertible, Equatable {
    /// A row that cannot become a record (in `fail` mode).
    case badRow(path: String, line: Int, reason: String)
    /// A column named in the options is not in the header row (or in `columns:`).
    case missingColumn(path: String, option: String, column: String, available: [String])
    /// The header row names a column used by the options more than once.
    case ambiguousColumn(path: String, column: String)
    /// The file has no header row.
    case missingHeader(path: String)
    /// The format cannot be told from the file name and `format:` is not given.
    case unknownFormat(path: String)
    /// Opening or reading the file failed.
    case io(path: String, reason: String)
    /// Inconsistent options.
    case invalidOptions(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badRow(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .missingColumn(path, option, column, available):
            return "\(path): \(option) column '\(column)' is not among the columns (\(available.joined(separator: ", ")))"
        case let .ambiguousColumn(path, column):
            return "\(path): the header row has more than one column named '\(column)'"
        case let .missingHeader(path):
            return "\(path): the file is empty; expected a header row"
        case let .unknownFormat(path):
            return "\(path): cannot tell the format from the file name; expected .tsv, .csv, .jsonl or .json (optionally + .zst), or set format:"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .invalidOptions(path, reason):
            return "reader options for \(path): \(reason)"
        }
    }
}

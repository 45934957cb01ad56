/// An element type of an MDS `ndarray` column, with the code MosaicML Streaming writes for it.
public enum MDSElementType: String, Sendable, CaseIterable {
    case uint8, int8, uint16, int16, float16, uint32, int32, float32, uint64, int64, float64

    /// The dtype byte Streaming stores when an array's dtype is not fixed by the encoding.
    public var code: UInt8 {
        switch self {
        case .uint8: 8
        case .int8: 9
        case .uint16: 16
        case .int16: 17
        case .float16: 18
        case .uint32: 32
        case .int32: 33
        case .float32: 34
        case .uint64: 64
        case .int64: 65
        case .float64: 66
        }
    }

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16, .float16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    /// The element type stored under `code`, or nil for an unknown code.
    public init?(code: UInt8) {
        guard let type = MDSElementType.allCases.first(where: { $0.code == code }) else { return nil }
        self = type
    }
}

/// A column encoding this writer produces, named as MosaicML Streaming names it.
/// Arrays are one-dimensional with a fixed dtype and a per-sample shape header (`ndarray:int32`).
public enum MDSEncoding: Sendable, Equatable {
    case int64
    case int32
    case float32
    case str
    case ndarray(MDSElementType)

    /// The encoding's name in `index.json`, e.g. `int64` or `ndarray:float32`.
    public var name: String {
        switch self {
        case .int64: "int64"
        case .int32: "int32"
        case .float32: "float32"
        case .str: "str"
        case .ndarray(let element): "ndarray:\(element.rawValue)"
        }
    }

    /// The encoded size of every value, or nil for variable-size encodings (which get a `u32`
    /// length in each sample's header).
    public var fixedSize: Int? {
        switch self {
        case .int64: 8
        case .int32, .float32: 4
        case .str, .ndarray: nil
        }
    }
}

/// One named column of a dataset.
public struct MDSColumn: Sendable, Equatable {
    public var name: String
    public var encoding: MDSEncoding

    public init(_ name: String, _ encoding: MDSEncoding) {
        self.name = name
        self.encoding = encoding
    }
}

/// The columns of a dataset, sorted by name (Python's code-point order) as Streaming stores them.
/// Every sample of a dataset has exactly these columns.
public struct MDSSchema: Sendable, Equatable {
    /// The columns in storage order.
    public let columns: [MDSColumn]

    /// Sorts `columns` by name; throws when a name repeats or the list is empty.
    public init(_ columns: [MDSColumn]) throws {
        guard !columns.isEmpty else { throw MDSSchemaError.noColumns }
        let sorted = columns.sorted { pythonStringLess($0.name, $1.name) }
        for (first, second) in zip(sorted, sorted.dropFirst()) where first.name == second.name {
            throw MDSSchemaError.duplicateColumn(first.name)
        }
        self.columns = sorted
    }

    /// Column names in storage order.
    public var names: [String] { columns.map(\.name) }

    /// How many columns have a variable size (one `u32` each in a sample's header).
    public var variableColumnCount: Int { columns.count { $0.encoding.fixedSize == nil } }
}

/// A schema that cannot describe a dataset.
public enum MDSSchemaError: Error, CustomStringConvertible, Equatable {
    case noColumns
    case duplicateColumn(String)

    public var description: String {
        switch self {
        case .noColumns: "an MDS dataset needs at least one column"
        case .duplicateColumn(let name): "the column \"\(name)\" is listed twice"
        }
    }
}

/// Python's `str` ordering: lexicographic by Unicode code point.
func pythonStringLess(_ lhs: String, _ rhs: String) -> Bool {
    lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars) { $0.value < $1.value }
}

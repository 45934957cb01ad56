/// Values an `ndarray` column can hold, with their MDS element type.
public protocol MDSArrayElement: Sendable {
    static var mdsElementType: MDSElementType { get }
}

extension UInt8: MDSArrayElement { public static var mdsElementType: MDSElementType { .uint8 } }
extension Int32: MDSArrayElement { public static var mdsElementType: MDSElementType { .int32 } }
extension Int64: MDSArrayElement { public static var mdsElementType: MDSElementType { .int64 } }
extension Float: MDSArrayElement { public static var mdsElementType: MDSElementType { .float32 } }

/// A value that MDS cannot store, found while encoding a sample.
public struct MDSValueError: Error, CustomStringConvertible, Equatable {
    /// The column being encoded.
    public var column: String
    /// What was wrong, e.g. `an empty array (MDS cannot store 0-element arrays)`.
    public var reason: String

    public init(column: String, reason: String) {
        self.column = column
        self.reason = reason
    }

    public var description: String { "column \"\(column)\": \(reason)" }
}

/// Encodes samples, column by column in schema order, straight into one contiguous byte buffer
/// (the samples of the shard being built).
///
/// A sample is Streaming's MDS layout: one little-endian `u32` length per variable-size column,
/// then every column's bytes in order. A row encoder appends exactly one value per column, in
/// the schema's (name-sorted) order, with the `append` that matches the column's encoding.
public struct MDSSampleBuilder: Sendable {
    public let schema: MDSSchema
    private let encodings: [MDSEncoding]
    /// For each column, its slot in the sample header, or -1 for fixed-size columns.
    private let headerSlots: [Int]
    private let headerSize: Int
    /// The encoded samples so far.
    private(set) var bytes: [UInt8] = []
    /// The dataset-wide 0-based row number of the sample being encoded (its output ordinal).
    public internal(set) var sampleIndex: Int64 = 0
    private var sampleStart = 0
    private var nextColumn = 0
    private var valueStart = 0

    init(schema: MDSSchema, reservingCapacity capacity: Int) {
        self.schema = schema
        self.encodings = schema.columns.map(\.encoding)
        var slot = 0
        self.headerSlots = encodings.map { encoding in
            guard encoding.fixedSize == nil else { return -1 }
            defer { slot += 1 }
            return slot
        }
        self.headerSize = 4 * slot
        bytes.reserveCapacity(capacity)
    }

    /// The name of the column the next `append` fills.
    public var currentColumn: String {
        nextColumn < encodings.count ? schema.columns[nextColumn].name : "(past the last column)"
    }

    /// Starts a sample at the end of the buffer.
    mutating func beginSample() {
        sampleStart = bytes.count
        nextColumn = 0
        bytes.append(contentsOf: repeatElement(0, count: headerSize))
    }

    /// Ends the sample and returns its encoded size.
    mutating func endSample() -> Int {
        precondition(nextColumn == encodings.count, "the row encoder filled \(nextColumn) of \(encodings.count) columns")
        return bytes.count - sampleStart
    }

    /// Drops the sample being built (after a failed encode).
    mutating func discardSample() {
        bytes.removeSubrange(sampleStart...)
        nextColumn = 0
    }

    /// Removes the first `count` bytes (samples already written to a shard).
    mutating func removeFirst(_ count: Int) {
        guard count > 0 else { return }
        bytes.removeSubrange(0..<count)
        sampleStart -= count
    }

    private mutating func beginValue(_ expected: MDSEncoding) {
        precondition(nextColumn < encodings.count, "the row encoder wrote more than \(encodings.count) columns")
        precondition(
            encodings[nextColumn] == expected,
            "column \(schema.columns[nextColumn].name) is \(encodings[nextColumn].name), not \(expected.name)")
        valueStart = bytes.count
    }

    private mutating func endValue() {
        let slot = headerSlots[nextColumn]
        if slot >= 0 {
            let length = UInt32(truncatingIfNeeded: bytes.count - valueStart)
            let offset = sampleStart + 4 * slot
            bytes.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, toByteOffset: offset, as: UInt32.self) }
        }
        nextColumn += 1
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends an `int64` column value.
    public mutating func append(int64 value: Int64) {
        beginValue(.int64)
        appendLittleEndian(value)
        endValue()
    }

    /// Appends an `int32` column value.
    public mutating func append(int32 value: Int32) {
        beginValue(.int32)
        appendLittleEndian(value)
        endValue()
    }

    /// Appends a `float32` column value.
    public mutating func append(float32 value: Float) {
        beginValue(.float32)
        appendLittleEndian(value.bitPattern)
        endValue()
    }

    /// Appends a `str` column value as UTF-8.
    public mutating func append(string value: String) {
        beginValue(.str)
        var text = value
        text.withUTF8 { bytes.append(contentsOf: $0) }
        endValue()
    }

    /// Appends a one-dimensional `ndarray:<dtype>` value: the shape header, then the elements.
    /// Throws for an empty array, which MDS cannot store.
    public mutating func append<Element: MDSArrayElement>(array values: [Element]) throws {
        guard !values.isEmpty else {
            throw MDSValueError(column: currentColumn, reason: "an empty array (MDS cannot store 0-element arrays)")
        }
        beginValue(.ndarray(Element.mdsElementType))
        let count = values.count
        switch count {
        case ..<(1 << 8):
            bytes.append(1 << 2 | 0)
            bytes.append(UInt8(count))
        case ..<(1 << 16):
            bytes.append(1 << 2 | 1)
            appendLittleEndian(UInt16(count))
        case ..<(1 << 32):
            bytes.append(1 << 2 | 2)
            appendLittleEndian(UInt32(count))
        default:
            bytes.append(1 << 2 | 3)
            appendLittleEndian(UInt64(count))
        }
        // Every supported element type is stored little-endian, as on this host.
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        endValue()
    }
}

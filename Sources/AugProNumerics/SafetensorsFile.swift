import Foundation

/// Element types a safetensors file may declare. F32, F16 and BF16 convert to `Float`;
/// the others are recognised (so their tensors validate) but refused by the float accessors.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", u16 = "U16", i16 = "I16", u32 = "U32", i32 = "I32", u64 = "U64", i64 = "I64"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case f16 = "F16", bf16 = "BF16", f32 = "F32", f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }

    /// Whether ``SafetensorsFile/floats(_:)`` can convert this type.
    public var convertsToFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// One tensor's header entry.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    /// Byte range within the data region (after the header).
    public var dataOffsets: Range<Int>

    /// The number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A failure reading a safetensors file: names the file and what was expected.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// A read-only, memory-mapped safetensors file with a strictly validated header.
///
/// Layout: u64 little-endian header length `n`, `n` bytes of JSON object (tensor name →
/// `{dtype, shape, data_offsets}`, plus optional `"__metadata__"`: string → string), then the
/// data region, which the tensors must tile exactly (contiguous, non-overlapping, no gaps).
public final class SafetensorsFile: Sendable {
    /// Header lengths above this are refused as implausible.
    public static let maximumHeaderLength = 100 * 1024 * 1024

    /// The path used in messages.
    public var path: String { file.path }
    /// `__metadata__` entries (empty when absent).
    public let metadata: [String: String]
    /// Tensor names in ascending order.
    public let tensorNames: [String]
    private let tensors: [String: SafetensorsTensorInfo]
    private let file: MappedFile
    private let dataStart: Int

    /// Maps and validates the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(file: try MappedFile(url: url))
    }

    /// Validates an already mapped (or in-memory) file.
    public init(file: MappedFile) throws(SafetensorsError) {
        let header = try SafetensorsHeader.parse(file.bytes, fileSize: file.count, path: file.path)
        self.file = file
        metadata = header.metadata
        tensors = header.tensors
        tensorNames = header.tensors.keys.sorted()
        dataStart = header.dataStart
    }

    /// The whole file's bytes (header and data), e.g. for hashing exactly what was loaded.
    public func withFileBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(file.bytes)
    }

    /// The file size in bytes.
    public var byteCount: Int { file.count }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The header entry for `name`; throws naming the file when absent.
    public func info(_ name: String) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard let info = tensors[name] else { throw SafetensorsError(path: path, problem: "no tensor named \"\(name)\"") }
        return info
    }

    /// The raw bytes of `name`, valid while `self` is alive.
    public func withRawBytes<R>(
        _ name: String, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let info = try info(name)
        let range = (dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)
        return try body(UnsafeRawBufferPointer(rebasing: file.bytes[range]))
    }

    /// Calls `body` with the tensor as Float32. F32 tensors at a 4-byte-aligned offset are passed
    /// straight from the mapping (no copy); F16, BF16 and unaligned F32 are converted first.
    public func withFloat32<R>(
        _ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) throws -> R {
        let info = try info(name)
        try requireFloat(info)
        return try withRawBytes(name) { raw in
            if info.dtype == .f32, Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0 {
                let floats = raw.assumingMemoryBound(to: Float.self)
                return try body(UnsafeBufferPointer(start: floats.baseAddress, count: info.elementCount))
            }
            let converted = Self.convert(raw, dtype: info.dtype, count: info.elementCount)
            return try converted.withUnsafeBufferPointer(body)
        }
    }

    /// A long-lived Float32 view of `name`: F32 tensors at an aligned offset point straight into
    /// the mapping (which the view keeps alive); other float dtypes are converted once.
    public func float32Tensor(_ name: String) throws -> Float32Tensor {
        let info = try info(name)
        try requireFloat(info)
        return try withRawBytes(name) { raw in
            if info.dtype == .f32, Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0 {
                let floats = raw.assumingMemoryBound(to: Float.self)
                return Float32Tensor(
                    shape: info.shape, buffer: UnsafeBufferPointer(start: floats.baseAddress, count: info.elementCount), owner: self)
            }
            return Float32Tensor(shape: info.shape, values: Self.convert(raw, dtype: info.dtype, count: info.elementCount))
        }
    }

    /// A Float32 copy of `name` (F32, F16 or BF16).
    public func floats(_ name: String) throws -> [Float] {
        let info = try info(name)
        try requireFloat(info)
        return try withRawBytes(name) { Self.convert($0, dtype: info.dtype, count: info.elementCount) }
    }

    private func requireFloat(_ info: SafetensorsTensorInfo) throws(SafetensorsError) {
        guard info.dtype.convertsToFloat else {
            throw SafetensorsError(
                path: path, problem: "tensor \"\(info.name)\" has dtype \(info.dtype.rawValue); expected F32, F16 or BF16")
        }
    }

    /// Converts `count` little-endian elements of a float dtype to `Float`.
    static func convert(_ raw: UnsafeRawBufferPointer, dtype: SafetensorsDType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { output, initialized in
            switch dtype {
            case .f32:
                for index in 0..<count {
                    output[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                }
            case .f16:
                for index in 0..<count {
                    output[index] = halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
                }
            case .bf16:
                for index in 0..<count {
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                    output[index] = Float(bitPattern: UInt32(bits) << 16)
                }
            default:
                output.initialize(repeating: 0)
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 → binary32, exact for every input (subnormals, infinities, NaN).
    @inlinable
    static func halfToFloat(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x03FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

/// A Float32 tensor whose storage outlives any closure: either a view into a mapped
/// safetensors file (kept alive by this value) or its own converted copy.
public struct Float32Tensor: @unchecked Sendable {
    /// The tensor's shape (row-major).
    public let shape: [Int]
    /// The first element's address; valid as long as this value (or a copy of it) exists.
    public let pointer: UnsafePointer<Float>
    /// The number of elements.
    public let count: Int
    private let owner: AnyObject

    init(shape: [Int], buffer: UnsafeBufferPointer<Float>, owner: SafetensorsFile) {
        if let base = buffer.baseAddress {
            self.shape = shape
            self.pointer = base
            self.count = buffer.count
            self.owner = owner
        } else {
            self = Float32Tensor(shape: shape, values: [])
        }
    }

    /// Wraps owned values (for converted dtypes or weights built in memory).
    public init(shape: [Int], values: [Float]) {
        let storage = FloatStorage(values)
        self.shape = shape
        self.pointer = UnsafePointer(storage.pointer)
        self.count = values.count
        self.owner = storage
    }

    /// The elements as a buffer.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    /// Heap storage that frees itself.
    private final class FloatStorage {
        let pointer: UnsafeMutablePointer<Float>

        init(_ values: [Float]) {
            pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
            pointer.initialize(repeating: 0, count: max(1, values.count))
            values.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
            }
        }

        deinit { pointer.deallocate() }
    }
}

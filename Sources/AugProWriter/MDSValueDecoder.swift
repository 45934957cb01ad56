import AugProRuntime
import Foundation

/// Decodes one column's bytes into a JSON value, for any encoding named in a shard's
/// `column_encodings` that this reader understands: `str`, `bytes` (base64 text), `int`, the
/// scalar types (`int8` … `float64`) and `ndarray[:dtype[:shape]]` (nested JSON arrays).
enum MDSValueDecoder: Sendable, Equatable {
    case str
    case bytes
    case scalar(MDSElementType)
    case ndarray(dtype: MDSElementType?, shape: [Int]?)

    /// Parses an encoding name; throws for encodings this reader cannot decode.
    init(encoding: String) throws {
        if encoding == "str" { self = .str; return }
        if encoding == "bytes" { self = .bytes; return }
        if encoding == "int" { self = .scalar(.int64); return }
        if let type = MDSElementType(rawValue: encoding) { self = .scalar(type); return }
        let parts = encoding.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts[0] == "ndarray", parts.count <= 3 else { throw MDSDecodeError("unsupported encoding \"\(encoding)\"") }
        var dtype: MDSElementType?
        if parts.count >= 2 {
            guard let type = MDSElementType(rawValue: parts[1]) else {
                throw MDSDecodeError("unsupported ndarray dtype in \"\(encoding)\"")
            }
            dtype = type
        }
        var shape: [Int]?
        if parts.count == 3 {
            let dims = parts[2].split(separator: ",").map { Int($0) }
            guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw MDSDecodeError("bad ndarray shape in \"\(encoding)\"")
            }
            shape = dims.map { $0! }
        }
        self = .ndarray(dtype: dtype, shape: shape)
    }

    /// The size every value has, or nil when values carry a length in the sample header.
    var fixedSize: Int? {
        switch self {
        case .str, .bytes: nil
        case .scalar(let type): type.byteWidth
        case let .ndarray(dtype?, shape?): shape.reduce(1, *) * dtype.byteWidth
        case .ndarray: nil
        }
    }

    func decode(_ data: UnsafeRawBufferPointer) throws -> JSONValue {
        switch self {
        case .str:
            guard let text = String(validating: data, as: UTF8.self) else {
                throw MDSDecodeError("a str value is not valid UTF-8")
            }
            return .string(text)
        case .bytes:
            return .string(Data(data).base64EncodedString())
        case .scalar(let type):
            guard data.count == type.byteWidth else {
                throw MDSDecodeError("a \(type.rawValue) value has \(data.count) bytes, expected \(type.byteWidth)")
            }
            return Self.element(type, data, 0)
        case let .ndarray(dtype, shape):
            return try Self.decodeArray(data, dtype: dtype, shape: shape)
        }
    }

    private static func decodeArray(_ data: UnsafeRawBufferPointer, dtype: MDSElementType?, shape: [Int]?) throws -> JSONValue {
        var position = 0
        func byte() throws -> UInt8 {
            guard position < data.count else { throw MDSDecodeError("an ndarray value ends inside its header") }
            defer { position += 1 }
            return data[position]
        }
        let type: MDSElementType
        if let dtype {
            type = dtype
        } else {
            let code = try byte()
            guard let decoded = MDSElementType(code: code) else { throw MDSDecodeError("unknown ndarray dtype code \(code)") }
            type = decoded
        }
        var dims: [Int]
        if let shape {
            dims = shape
        } else {
            let header = try byte()
            let ndim = Int(header >> 2), width = 1 << Int(header & 3)
            guard ndim >= 1, position + ndim * width <= data.count else {
                throw MDSDecodeError("an ndarray shape header is truncated or has no dimensions")
            }
            dims = (0..<ndim).map { axis in
                var value: UInt64 = 0
                for byteIndex in 0..<width {
                    value |= UInt64(data[position + axis * width + byteIndex]) << (8 * UInt64(byteIndex))
                }
                return Int(truncatingIfNeeded: value)
            }
            position += ndim * width
        }
        let available = data.count - position
        var needed = type.byteWidth
        for dim in dims {
            let (product, overflow) = needed.multipliedReportingOverflow(by: dim)
            guard dim >= 1, !overflow, product <= available else {
                throw MDSDecodeError("an ndarray value of shape \(dims) and dtype \(type.rawValue) does not fit its \(available) value bytes")
            }
            needed = product
        }
        guard needed == available else {
            throw MDSDecodeError(
                "an ndarray value of shape \(dims) and dtype \(type.rawValue) needs \(needed) value bytes, found \(available)")
        }
        let values = UnsafeRawBufferPointer(rebasing: data[position...])
        return nest(dims[...], values, type, start: 0)
    }

    /// The C-order elements from `start` as nested arrays of the given dimensions.
    private static func nest(_ dims: ArraySlice<Int>, _ values: UnsafeRawBufferPointer, _ type: MDSElementType, start: Int) -> JSONValue {
        let first = dims.first!
        let rest = dims.dropFirst()
        if rest.isEmpty {
            return .array((0..<first).map { element(type, values, (start + $0) * type.byteWidth) })
        }
        let stride = rest.reduce(1, *)
        return .array((0..<first).map { nest(rest, values, type, start: start + $0 * stride) })
    }

    /// The little-endian element of `type` at byte `offset`.
    private static func element(_ type: MDSElementType, _ data: UnsafeRawBufferPointer, _ offset: Int) -> JSONValue {
        func load<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        switch type {
        case .uint8: return .int(Int(load(UInt8.self)))
        case .int8: return .int(Int(load(Int8.self)))
        case .uint16: return .int(Int(load(UInt16.self)))
        case .int16: return .int(Int(load(Int16.self)))
        case .uint32: return .int(Int(load(UInt32.self)))
        case .int32: return .int(Int(load(Int32.self)))
        case .int64: return .int(Int(load(Int64.self)))
        case .uint64:
            let value = load(UInt64.self)
            return value <= UInt64(Int.max) ? .int(Int(value)) : .numberText(String(value))
        case .float16: return shortest(Float(Float16(bitPattern: load(UInt16.self))))
        case .float32: return shortest(Float(bitPattern: load(UInt32.self)))
        case .float64: return .float(Double(bitPattern: load(UInt64.self)))
        }
    }

    /// A float as the double with the float's shortest decimal text (0.1, not 0.100000001…);
    /// NaN and ±infinity spelled as Python's `json` does (see ``JSONValue/float(_:)``).
    private static func shortest(_ value: Float) -> JSONValue {
        .float(value.isFinite ? Double("\(value)") ?? Double(value) : Double(value))
    }
}

/// A sample or value that does not decode.
struct MDSDecodeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The validated header of a safetensors file.
struct SafetensorsHeader {
    var metadata: [String: String]
    var tensors: [String: SafetensorsTensorInfo]
    /// Absolute file offset where the data region begins (8 + header length).
    var dataStart: Int

    /// Parses and validates a header. `bytes` is the start of the file (at least the header; the
    /// data region need not be present) and `fileSize` the whole file's size. Every rule violation
    /// throws a ``SafetensorsError`` naming `path`; no input traps.
    static func parse(
        _ bytes: UnsafeRawBufferPointer, fileSize: Int, path: String
    ) throws(SafetensorsError) -> SafetensorsHeader {
        func fail(_ problem: String) -> SafetensorsError { SafetensorsError(path: path, problem: problem) }

        guard fileSize >= 8, bytes.count >= 8 else {
            throw fail("not a safetensors file: \(fileSize) bytes, expected at least the 8-byte header length")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(SafetensorsFile.maximumHeaderLength) else {
            throw fail("header length \(declared) exceeds the limit of \(SafetensorsFile.maximumHeaderLength) bytes")
        }
        let headerLength = Int(declared)
        guard headerLength <= fileSize - 8 else {
            throw fail("header length \(headerLength) runs past the end of the \(fileSize)-byte file")
        }
        guard headerLength <= bytes.count - 8 else {
            throw fail("header length \(headerLength) runs past the \(bytes.count) bytes given")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw fail("header must be a JSON object starting with '{'")
        }
        let json: HeaderJSON
        do {
            json = try HeaderJSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]))
        } catch {
            throw fail("invalid JSON header at byte \(8 + error.offset): \(error.message)")
        }
        guard case let .object(members) = json else { throw fail("header must be a JSON object") }

        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try parseMetadata(value, fail: fail)
            } else {
                tensors[key] = try parseTensor(name: key, value, fail: fail)
            }
        }
        let dataStart = 8 + headerLength
        try checkTiling(tensors.values, dataLength: fileSize - dataStart, fail: fail)
        return SafetensorsHeader(metadata: metadata, tensors: tensors, dataStart: dataStart)
    }

    private static func parseMetadata(
        _ value: HeaderJSON, fail: (String) -> SafetensorsError
    ) throws(SafetensorsError) -> [String: String] {
        guard case let .object(entries) = value else {
            throw fail("\"__metadata__\" must be an object of strings, found \(value.kindName)")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in entries {
            guard case let .string(text) = entry else {
                throw fail("\"__metadata__\".\"\(key)\" must be a string, found \(entry.kindName)")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseTensor(
        name: String, _ value: HeaderJSON, fail: (String) -> SafetensorsError
    ) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard case let .object(fields) = value else {
            throw fail("tensor \"\(name)\" must be an object, found \(value.kindName)")
        }
        var dtypeValue: HeaderJSON?
        var shapeValue: HeaderJSON?
        var offsetsValue: HeaderJSON?
        for (key, field) in fields {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw fail("tensor \"\(name)\" has unknown field \"\(key)\"")
            }
        }
        guard case let .string(dtypeName)? = dtypeValue else {
            throw fail("tensor \"\(name)\" needs a string \"dtype\"")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail("tensor \"\(name)\" has unknown dtype \"\(dtypeName)\"")
        }
        guard case let .array(shapeItems)? = shapeValue else {
            throw fail("tensor \"\(name)\" needs a \"shape\" array")
        }
        var shape: [Int] = []
        var elementCount = 1
        for item in shapeItems {
            guard let dimension = nonNegativeInteger(item) else {
                throw fail("tensor \"\(name)\" shape entries must be non-negative integers")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw fail("tensor \"\(name)\" shape \(shape + [dimension]) is too large") }
            shape.append(dimension)
            elementCount = product
        }
        guard case let .array(offsetItems)? = offsetsValue, offsetItems.count == 2,
              let begin = nonNegativeInteger(offsetItems[0]), let end = nonNegativeInteger(offsetItems[1])
        else {
            throw fail("tensor \"\(name)\" needs \"data_offsets\": [begin, end] of non-negative integers")
        }
        guard begin <= end else { throw fail("tensor \"\(name)\" data_offsets [\(begin), \(end)] end before begin") }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, end - begin == byteCount else {
            throw fail("tensor \"\(name)\" data_offsets [\(begin), \(end)] span \(end - begin) bytes; shape \(shape) of \(dtypeName) needs \(elementCount) × \(dtype.byteSize)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Requires the tensors to cover `0..<dataLength` exactly, in offset order, with no overlap.
    private static func checkTiling(
        _ tensors: some Collection<SafetensorsTensorInfo>, dataLength: Int, fail: (String) -> SafetensorsError
    ) throws(SafetensorsError) {
        let ordered = tensors.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        var cursor = 0
        for tensor in ordered {
            guard tensor.dataOffsets.lowerBound == cursor else {
                let relation = tensor.dataOffsets.lowerBound < cursor ? "overlaps the previous tensor" : "leaves a gap after byte \(cursor)"
                throw fail("tensor \"\(tensor.name)\" at data_offsets [\(tensor.dataOffsets.lowerBound), \(tensor.dataOffsets.upperBound)] \(relation)")
            }
            cursor = tensor.dataOffsets.upperBound
        }
        guard cursor == dataLength else {
            throw fail("tensors cover \(cursor) bytes but the data region after the header is \(dataLength) bytes")
        }
    }

    /// The value as an `Int` when it is a JSON integer literal ≥ 0 that fits (no fraction/exponent).
    private static func nonNegativeInteger(_ value: HeaderJSON) -> Int? {
        guard case let .number(text) = value, !text.isEmpty,
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(text)
    }
}

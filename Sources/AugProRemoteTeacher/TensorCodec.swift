import Foundation
import NIOCore

/// A request's token tensors: `rows` sequences padded to `length`, row-major.
struct PaddedBatch: Sendable {
    var rows: Int
    var length: Int
    var inputIds: [Int32]
    var attentionMask: [Int32]
    var tokenTypeIds: [Int32]

    /// Pads `sequences` to `length` with id 0, mask 0 and type 0.
    init(_ sequences: [(ids: [Int32], types: [UInt8])], length: Int) {
        rows = sequences.count
        self.length = length
        inputIds = [Int32](repeating: 0, count: rows * length)
        attentionMask = inputIds
        tokenTypeIds = inputIds
        for (row, sequence) in sequences.enumerated() {
            let start = row * length
            for (offset, id) in sequence.ids.enumerated() {
                inputIds[start + offset] = id
                attentionMask[start + offset] = 1
                tokenTypeIds[start + offset] = Int32(sequence.types[offset])
            }
        }
    }

    func values(_ role: InputTensor.Role) -> [Int32] {
        switch role {
        case .inputIds: inputIds
        case .attentionMask: attentionMask
        case .tokenTypeIds: tokenTypeIds
        }
    }
}

/// A decoded output tensor: `rows × width` values, row-major.
struct OutputMatrix: Sendable {
    var values: [Float]
    var width: Int
    var modelVersion: String?

    func row(_ index: Int) -> [Float] { Array(values[(index * width)..<((index + 1) * width)]) }
}

/// Encodes inference requests and decodes responses, as JSON or with Triton's binary tensor
/// extension (a JSON header of `Inference-Header-Content-Length` bytes followed by raw
/// little-endian tensors, each announced by `parameters.binary_data_size`).
enum TensorCodec {
    /// The request body, and the JSON header's length when tensors follow it in binary.
    static func encodeRequest(
        _ batch: PaddedBatch, inputs: [InputTensor], output: String, binary: Bool
    ) -> (body: ByteBuffer, headerLength: Int?) {
        var header = ByteBuffer()
        header.reserveCapacity(binary ? 512 : 64 + inputs.count * batch.rows * batch.length * 3)
        header.writeStaticString("{\"inputs\":[")
        for (index, input) in inputs.enumerated() {
            if index > 0 { header.writeStaticString(",") }
            header.writeStaticString("{\"name\":")
            writeJSONString(input.name, to: &header)
            header.writeString(",\"shape\":[\(batch.rows),\(batch.length)],\"datatype\":\"\(input.datatype.rawValue)\",")
            if binary {
                let size = batch.rows * batch.length * input.datatype.byteWidth
                header.writeString("\"parameters\":{\"binary_data_size\":\(size)}}")
            } else {
                header.writeStaticString("\"data\":[")
                writeIntegers(batch.values(input.role), to: &header)
                header.writeStaticString("]}")
            }
        }
        header.writeStaticString("],\"outputs\":[{\"name\":")
        writeJSONString(output, to: &header)
        header.writeStaticString(binary ? ",\"parameters\":{\"binary_data\":true}}]}" : "}]}")
        guard binary else { return (header, nil) }
        let headerLength = header.readableBytes
        for input in inputs {
            let values = batch.values(input.role)
            switch input.datatype {
            case .int64:
                header.reserveCapacity(minimumWritableBytes: values.count * 8)
                for value in values { header.writeInteger(Int64(value), endianness: .little) }
            case .int32:
                header.reserveCapacity(minimumWritableBytes: values.count * 4)
                for value in values { header.writeInteger(value, endianness: .little) }
            }
        }
        return (header, headerLength)
    }

    /// Decodes the `output` tensor of a response to a request of `rows` sequences; `width` is
    /// the expected row width when known. Throws a description of what is wrong.
    static func decodeResponse(
        _ body: ByteBuffer, headerLength: Int?, output: String, rows: Int, width expectedWidth: Int?
    ) throws(MalformedResponse) -> OutputMatrix {
        var body = body
        let jsonLength = headerLength ?? body.readableBytes
        guard jsonLength >= 0, jsonLength <= body.readableBytes, let json = body.readSlice(length: jsonLength) else {
            throw MalformedResponse("Inference-Header-Content-Length \(jsonLength) exceeds the body's \(body.readableBytes) bytes")
        }
        let response: InferenceMessages.InferResponse
        do {
            response = try JSONDecoder().decode(InferenceMessages.InferResponse.self, from: Data(json.readableBytesView))
        } catch {
            throw MalformedResponse("the response is not an inference response: \(error)")
        }
        guard let tensor = response.outputs.first(where: { $0.name == output }) else {
            throw MalformedResponse("no output tensor \(output) in the response (it has \(response.outputs.map(\.name)))")
        }
        guard tensor.shape.count == 2, tensor.shape[0] == rows, tensor.shape[1] > 0 else {
            throw MalformedResponse("output \(output) has shape \(tensor.shape), expected [\(rows), \(expectedWidth.map(String.init) ?? "N")]")
        }
        let width = tensor.shape[1]
        if let expectedWidth, width != expectedWidth {
            throw MalformedResponse("output \(output) has shape \(tensor.shape), expected [\(rows), \(expectedWidth)]")
        }
        let count = rows * width
        var values: [Float]
        if let data = tensor.data {
            guard ["FP32", "FP64"].contains(tensor.datatype) else {
                throw MalformedResponse("output \(output) has datatype \(tensor.datatype), expected FP32 or FP64")
            }
            guard data.count == count else {
                throw MalformedResponse("output \(output) has \(data.count) values for shape \(tensor.shape)")
            }
            values = data.map { Float($0) }
        } else {
            values = try binaryValues(tensor, outputs: response.outputs, payload: body, count: count)
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw MalformedResponse("output \(output) has a non-finite value \(values[index]) at row \(index / width), column \(index % width)")
        }
        return OutputMatrix(values: values, width: width, modelVersion: response.modelVersion)
    }

    /// Reads `tensor`'s raw bytes from the binary part (outputs' payloads follow in their order).
    private static func binaryValues(
        _ tensor: InferenceMessages.OutputTensor, outputs: [InferenceMessages.OutputTensor], payload: ByteBuffer, count: Int
    ) throws(MalformedResponse) -> [Float] {
        guard let size = tensor.parameters?.binaryDataSize else {
            throw MalformedResponse("output \(tensor.name) has neither data nor binary_data_size")
        }
        let width: Int
        switch tensor.datatype {
        case "FP32": width = 4
        case "FP64": width = 8
        default: throw MalformedResponse("output \(tensor.name) has datatype \(tensor.datatype), expected FP32 or FP64")
        }
        guard size == count * width else {
            throw MalformedResponse("output \(tensor.name) has \(size) bytes, expected \(count * width) for \(count) \(tensor.datatype) values")
        }
        var offset = 0
        for other in outputs {
            if other.name == tensor.name { break }
            offset += other.parameters?.binaryDataSize ?? 0
        }
        guard offset + size <= payload.readableBytes, var slice = payload.getSlice(at: payload.readerIndex + offset, length: size)
        else {
            throw MalformedResponse("the binary part has \(payload.readableBytes) bytes, expected at least \(offset + size)")
        }
        var values = [Float]()
        values.reserveCapacity(count)
        if width == 4 {
            while let bits = slice.readInteger(endianness: .little, as: UInt32.self) { values.append(Float(bitPattern: bits)) }
        } else {
            while let bits = slice.readInteger(endianness: .little, as: UInt64.self) { values.append(Float(Double(bitPattern: bits))) }
        }
        return values
    }

    private static func writeJSONString(_ text: String, to buffer: inout ByteBuffer) {
        let encoded = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        buffer.writeBytes(encoded)
    }

    /// Comma-separated decimal integers, written digit by digit.
    private static func writeIntegers(_ values: [Int32], to buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: values.count * 6)
        var digits = [UInt8](repeating: 0, count: 12)
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            var position = digits.count
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.writeBytes(digits[position...])
        }
    }
}

/// What is wrong with a response (the caller adds which request it answered).
struct MalformedResponse: Error {
    var problem: String
    init(_ problem: String) { self.problem = problem }
}

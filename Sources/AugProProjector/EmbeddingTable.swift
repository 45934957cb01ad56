import AugProNumerics
import Foundation

/// A V×d Float32 word-embedding matrix, row-major: row `w` is token `w`'s vector.
///
/// Loaded from a Hugging Face model folder or a `.safetensors` file. An aligned F32 tensor is
/// used in place from the memory mapping; F16 and BF16 (or unaligned F32) are converted once.
public final class EmbeddingTable: @unchecked Sendable {
    /// Vocabulary size V (rows).
    public let vocabularySize: Int
    /// Embedding width d (columns).
    public let dimension: Int
    /// Where the table came from, for messages.
    public let source: String
    private let base: UnsafePointer<Float>
    /// Keeps the memory behind `base` alive: the mapped file or an owned copy.
    private let owner: AnyObject

    /// Tensor names tried, in order, when `tensor:` is not given.
    public static let defaultTensorNames = [
        "embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight",
    ]

    /// A table over a copy of `values` (V·d floats, row-major).
    public init(values: [Float], vocabularySize: Int, dimension: Int, source: String = "in-memory table") throws {
        guard vocabularySize > 0, dimension > 0, values.count == vocabularySize * dimension else {
            throw EmbeddingTableError(source: source, problem: "expected \(vocabularySize)×\(dimension) = \(vocabularySize * dimension) values, got \(values.count)")
        }
        let storage = OwnedFloats(values)
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        self.source = source
        self.base = UnsafePointer(storage.pointer)
        self.owner = storage
    }

    /// Loads the table from `path`: a `.safetensors` file, or a model folder holding
    /// `model.safetensors`. `tensor` names the matrix; by default the first of
    /// ``defaultTensorNames`` present.
    public convenience init(path: String, tensor: String? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EmbeddingTableError(source: path, problem: "no such file or folder (expected a model folder or a .safetensors file)")
        }
        let filePath = isDirectory.boolValue ? (path as NSString).appendingPathComponent("model.safetensors") : path
        guard FileManager.default.fileExists(atPath: filePath) else {
            throw EmbeddingTableError(source: path, problem: "the folder has no model.safetensors")
        }
        try self.init(file: try SafetensorsFile(url: URL(fileURLWithPath: filePath)), tensor: tensor)
    }

    /// Uses the 2-D float tensor `tensor` (or a default name) of an opened safetensors file.
    public init(file: SafetensorsFile, tensor: String? = nil) throws {
        let candidates = tensor.map { [$0] } ?? EmbeddingTable.defaultTensorNames
        guard let name = candidates.first(where: file.contains) else {
            throw EmbeddingTableError(
                source: file.path,
                problem: "no tensor named \(candidates.map { "\"\($0)\"" }.joined(separator: " or ")); it has \(file.tensorNames.prefix(8).joined(separator: ", "))")
        }
        let info = try file.info(name)
        guard info.shape.count == 2, info.shape[0] > 0, info.shape[1] > 0 else {
            throw EmbeddingTableError(source: file.path, problem: "tensor \"\(name)\" has shape \(info.shape); expected [vocabulary, dimension]")
        }
        guard info.dtype.convertsToFloat else {
            throw EmbeddingTableError(source: file.path, problem: "tensor \"\(name)\" has dtype \(info.dtype.rawValue); expected F32, F16 or BF16")
        }
        vocabularySize = info.shape[0]
        dimension = info.shape[1]
        source = "\(file.path):\(name)"
        let mapped: UnsafePointer<Float>? = try file.withRawBytes(name) { raw in
            guard info.dtype == .f32, let address = raw.baseAddress,
                  Int(bitPattern: address) % MemoryLayout<Float>.alignment == 0 else { return nil }
            return address.assumingMemoryBound(to: Float.self)
        }
        if let mapped {
            base = mapped
            owner = file
        } else {
            let storage = OwnedFloats(try file.floats(name))
            base = UnsafePointer(storage.pointer)
            owner = storage
        }
    }

    /// Whether the table is read in place from a memory mapping (no copy).
    public var isMapped: Bool { owner is SafetensorsFile }

    /// All V·d values.
    public var values: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: base, count: vocabularySize * dimension) }

    /// Row `token`: its d values.
    @inline(__always)
    public func row(_ token: Int) -> UnsafePointer<Float> { base + token * dimension }
}

/// A heap copy of floats with a stable address.
private final class OwnedFloats {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        pointer = .allocate(capacity: max(1, values.count))
        _ = UnsafeMutableBufferPointer(start: pointer, count: values.count).initialize(from: values)
    }

    deinit { pointer.deallocate() }
}

/// A table that cannot be loaded or does not have the expected shape.
public struct EmbeddingTableError: Error, CustomStringConvertible, Equatable {
    public var source: String
    public var problem: String
    public var description: String { "embeddings \(source): \(problem)" }
}

import CZstd

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A zstd failure: what was being done, on which file (when known), and zstd's own reason.
public struct ZstdError: Error, CustomStringConvertible, Equatable {
    /// The file involved, or nil for in-memory buffers.
    public var path: String?
    /// What failed and why, e.g. `decompression failed: Unknown frame descriptor`.
    public var reason: String

    public init(path: String? = nil, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        if let path { return "\(path): zstd: \(reason)" }
        return "zstd: \(reason)"
    }
}

/// One-shot zstd compression and decompression of whole buffers (libzstd through `CZstd`).
///
/// The only file that imports `CZstd`. `compress` always writes exactly ONE frame with the content
/// size recorded and a content checksum, so readers that decompress a frame in one call (MosaicML
/// Streaming) can size their output buffer. Output is deterministic for given input, level and
/// worker setting.
public enum Zstd {
    /// The library version, e.g. `1.5.4`.
    public static var versionString: String { String(cString: ZSTD_versionString()) }

    /// zstd's name for an error code returned by a libzstd call.
    static func errorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }

    /// Throws a ``ZstdError`` when `code` is a libzstd error code; returns it otherwise.
    @discardableResult
    static func check(_ code: Int, _ what: String, path: String? = nil) throws -> Int {
        if ZSTD_isError(code) != 0 {
            throw ZstdError(path: path, reason: "\(what): \(errorName(code))")
        }
        return code
    }

    /// Compresses `input` into one zstd frame recording the content size and a checksum.
    ///
    /// - Parameters:
    ///   - level: the compression level (1…19 usual, negative for fast modes).
    ///   - workers: libzstd worker threads (0 = compress on the calling thread). Output for a
    ///     given `workers > 0` does not depend on the count, but differs from `workers == 0`.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 3, workers: Int32 = 0) throws -> [UInt8] {
        try compress(parts: [input], level: level, workers: workers)
    }

    /// Compresses the concatenation of `parts` as exactly one frame recording the content size,
    /// without first copying the parts into one buffer. Output pages beyond the compressed size
    /// are never touched, so memory use follows the compressed size.
    public static func compress(parts: [UnsafeRawBufferPointer], level: Int32 = 3, workers: Int32 = 0) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw ZstdError(reason: "cannot allocate a compression context") }
        defer { ZSTD_freeCCtx(context) }
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "invalid compression level \(level)")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "cannot enable the checksum")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "cannot record the content size")
        if workers > 0 {
            try check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, workers), "cannot use \(workers) workers")
        }
        let total = parts.reduce(0) { $0 + $1.count }
        try check(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(total)), "cannot pledge \(total) bytes")
        let bound = ZSTD_compressBound(total)
        try check(bound, "input of \(total) bytes is too large")
        return try [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { destination, initialized in
            var output = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
            for (index, part) in parts.enumerated() {
                var input = ZSTD_inBuffer(src: part.baseAddress, size: part.count, pos: 0)
                let last = index == parts.count - 1
                while true {
                    let remaining = try check(
                        ZSTD_compressStream2(context, &output, &input, last ? ZSTD_e_end : ZSTD_e_continue),
                        "compression failed")
                    if last ? remaining == 0 : input.pos == input.size { break }
                }
            }
            if parts.isEmpty {
                var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
                while try check(ZSTD_compressStream2(context, &output, &input, ZSTD_e_end), "compression failed") != 0 {}
            }
            initialized = output.pos
        }
    }

    /// Compresses a byte array; see ``compress(_:level:workers:)-(UnsafeRawBufferPointer,_,_)``.
    public static func compress(_ input: [UInt8], level: Int32 = 3, workers: Int32 = 0) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, level: level, workers: workers) }
    }

    /// The content size recorded in the header of the frame starting at `input`, or nil when the
    /// frame does not record it.
    public static func frameContentSize(_ input: UnsafeRawBufferPointer) throws -> UInt64? {
        let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        switch size {
        case UInt64.max: return nil  // ZSTD_CONTENTSIZE_UNKNOWN
        case UInt64.max - 1: throw ZstdError(reason: "not a zstd frame (bad magic number or truncated header)")
        default: return UInt64(size)
        }
    }

    /// Decompresses a buffer holding one or more concatenated frames.
    ///
    /// Uses the recorded content sizes for a single exact allocation when every frame has one,
    /// and streams otherwise. Throws when the result would exceed `maxSize` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, maxSize: Int = Int.max) throws -> [UInt8] {
        if let total = try recordedTotalSize(input) {
            guard total <= UInt64(maxSize) else {
                throw ZstdError(reason: "decompressed size \(total) exceeds the limit of \(maxSize) bytes")
            }
            var output = [UInt8](repeating: 0, count: Int(total))
            let produced = try output.withUnsafeMutableBytes { destination in
                try check(
                    ZSTD_decompress(destination.baseAddress, destination.count, input.baseAddress, input.count),
                    "decompression failed")
            }
            guard produced == Int(total) else {
                throw ZstdError(reason: "decompressed \(produced) bytes but the frames record \(total)")
            }
            return output
        }
        var output: [UInt8] = []
        let stream = try ZstdDecompressionStream()
        var consumed = 0
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        while consumed < input.count || stream.hasPendingOutput {
            let step = try chunk.withUnsafeMutableBytes { destination in
                try stream.decompress(UnsafeRawBufferPointer(rebasing: input[consumed...]), into: destination)
            }
            consumed += step.consumed
            guard output.count + step.produced <= maxSize else {
                throw ZstdError(reason: "decompressed size exceeds the limit of \(maxSize) bytes")
            }
            output.append(contentsOf: chunk[0..<step.produced])
            if step.consumed == 0 && step.produced == 0 { break }
        }
        try stream.finish()
        return output
    }

    /// The sum of the content sizes recorded by the concatenated frames in `input`, or nil when
    /// some frame does not record its size.
    static func recordedTotalSize(_ input: UnsafeRawBufferPointer) throws -> UInt64? {
        var total: UInt64 = 0
        var offset = 0
        while offset < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            guard let size = try frameContentSize(rest) else { return nil }
            let frameLength = try check(
                ZSTD_findFrameCompressedSize(rest.baseAddress, rest.count), "corrupt or truncated frame at byte \(offset)")
            total += size
            offset += frameLength
        }
        return total
    }

    /// Decompresses a byte array; see ``decompress(_:maxSize:)-(UnsafeRawBufferPointer,_)``.
    public static func decompress(_ input: [UInt8], maxSize: Int = Int.max) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, maxSize: maxSize) }
    }
}

/// Incremental zstd decompression (`ZSTD_DCtx` + `ZSTD_decompressStream`): feed compressed bytes
/// in any chunking, get decompressed bytes out in bounded pieces. Handles concatenated frames.
/// Not thread-safe: one owner at a time.
public final class ZstdDecompressionStream {
    private let context: OpaquePointer
    private let path: String?
    /// True while a frame has started but not ended, or output is still buffered inside zstd.
    public private(set) var hasPendingOutput = false
    private var frameInProgress = false

    /// - Parameter path: the file being decompressed, named in errors.
    public init(path: String? = nil) throws {
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(path: path, reason: "cannot allocate a decompression context")
        }
        self.context = context
        self.path = path
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses as much of `input` as fits into `output`.
    /// Returns how many input bytes were consumed and how many output bytes were produced.
    /// Call again with the unconsumed rest (and/or a fresh output buffer) until both are drained.
    public func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = try Zstd.check(
            ZSTD_decompressStream(context, &outBuffer, &inBuffer), "decompression failed", path: path)
        if inBuffer.pos > 0 || outBuffer.pos > 0 { frameInProgress = hint != 0 }
        // A full output buffer may mean zstd holds more: ask again before concluding.
        hasPendingOutput = outBuffer.pos == outBuffer.size && outBuffer.size > 0
        return (inBuffer.pos, outBuffer.pos)
    }

    /// Checks that the input ended on a frame boundary; throws for a truncated frame.
    public func finish() throws {
        if frameInProgress {
            throw ZstdError(path: path, reason: "the compressed data ends in the middle of a frame (truncated file?)")
        }
    }
}

/// Reads a `.zst` file as decompressed bytes, chunk by chunk, with bounded memory: one input
/// chunk of compressed bytes plus the caller's output buffer. Handles concatenated frames.
public final class ZstdFileReader {
    /// The file being read.
    public let path: String
    private let descriptor: Int32
    private let stream: ZstdDecompressionStream
    private var input: [UInt8]
    private var inputStart = 0
    private var inputEnd = 0
    private var endOfFile = false
    private var finished = false
    /// Compressed bytes read from the file so far.
    public private(set) var compressedBytesRead = 0

    /// Opens `path`; `chunkSize` is the size of each compressed read.
    public init(path: String, chunkSize: Int = ZSTD_DStreamInSize()) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ZstdError(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = descriptor
        do {
            self.stream = try ZstdDecompressionStream(path: path)
        } catch {
            close(descriptor)
            throw error
        }
        self.input = [UInt8](repeating: 0, count: max(1, chunkSize))
    }

    deinit { close(descriptor) }

    /// Fills `buffer` with the next decompressed bytes; returns how many (0 only at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, !finished else { return 0 }
        while true {
            if inputStart == inputEnd && !endOfFile && !stream.hasPendingOutput {
                try refill()
            }
            let step = try input.withUnsafeBytes { bytes in
                try stream.decompress(UnsafeRawBufferPointer(rebasing: bytes[inputStart..<inputEnd]), into: buffer)
            }
            inputStart += step.consumed
            if step.produced > 0 { return step.produced }
            if inputStart == inputEnd && endOfFile && !stream.hasPendingOutput {
                finished = true
                try stream.finish()
                return 0
            }
        }
    }

    private func refill() throws {
        let count = input.withUnsafeMutableBytes { bytes in
            readDescriptor(descriptor, bytes.baseAddress, bytes.count)
        }
        guard count >= 0 else {
            throw ZstdError(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
        }
        inputStart = 0
        inputEnd = count
        compressedBytesRead += count
        endOfFile = count == 0
    }
}

/// POSIX `read`, named apart from the `read(into:)` methods above.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

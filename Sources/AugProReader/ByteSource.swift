import AugProNumerics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read as a stream of (decompressed) bytes in bounded pieces.
protocol ByteSource: AnyObject {
    /// Fills the start of `buffer`; returns the byte count, 0 only at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes of the file itself (compressed, for `.zst`) consumed so far: for progress.
    var fileBytesRead: Int { get }
    /// Bytes of (decompressed) content handed out by `read` so far.
    var contentBytesRead: Int64 { get }
    /// Moves forward so that the next `read` starts at content offset `offset` (≥ the current one):
    /// a seek for plain files, decompress-and-discard for compressed ones.
    func skip(to offset: Int64) throws
}

/// An uncompressed file read with POSIX `read`.
final class PlainFileSource: ByteSource {
    private let path: String
    private let descriptor: Int32
    private(set) var fileBytesRead = 0
    var contentBytesRead: Int64 { Int64(fileBytesRead) }

    /// Opens without blocking (a FIFO is refused, not waited on) and refuses anything but a
    /// regular file.
    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ReaderError.io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw ReaderError.io(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        if let problem = ReaderOptions.fileKindProblem(mode: info.st_mode) {
            close(descriptor)
            throw ReaderError.io(path: path, reason: problem)
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = readDescriptor(descriptor, buffer.baseAddress, buffer.count)
        guard count >= 0 else {
            throw ReaderError.io(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
        }
        fileBytesRead += count
        return count
    }

    func skip(to offset: Int64) throws {
        guard offset != Int64(fileBytesRead) else { return }
        guard lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw ReaderError.io(path: path, reason: "cannot seek to byte \(offset): \(String(cString: strerror(errno)))")
        }
        fileBytesRead = Int(offset)
    }
}

/// A zstd-compressed file, decompressed while streaming.
final class ZstdSource: ByteSource {
    private let reader: ZstdFileReader

    init(path: String, chunkSize: Int) throws {
        do {
            reader = try ZstdFileReader(path: path, chunkSize: chunkSize)
        } catch let error as ZstdError {
            throw ReaderError.io(path: path, reason: error.reason)
        }
    }

    var fileBytesRead: Int { reader.compressedBytesRead }
    private(set) var contentBytesRead: Int64 = 0

    func skip(to offset: Int64) throws {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while contentBytesRead < offset {
            let wanted = Int(min(Int64(scratch.count), offset - contentBytesRead))
            let count = try scratch.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<wanted])) }
            guard count > 0 else {
                throw ReaderError.io(path: reader.path, reason: "ends before byte \(offset) of its content: the file changed since it was indexed")
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            let count = try reader.read(into: buffer)
            contentBytesRead += Int64(count)
            return count
        } catch let error as ZstdError {
            throw ReaderError.io(path: reader.path, reason: "zstd: \(error.reason)")
        }
    }
}

/// The size of the file at `path` in bytes, for the progress total.
func fileSize(_ path: String) throws -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw ReaderError.io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    if let problem = ReaderOptions.fileKindProblem(mode: info.st_mode) { throw ReaderError.io(path: path, reason: problem) }
    return Int(info.st_size)
}

extension ReaderOptions {
    /// Why the input at `path` cannot be read, or nil when it is a regular file (or cannot be
    /// examined, which opening it then reports). A FIFO, `/dev/stdin` on a pipe, a device or a
    /// folder is refused: the input is fingerprinted for `--resume`, read again from its start
    /// on resume, and its size gives the progress total, so it must be a regular file.
    public static func inputFileProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return fileKindProblem(mode: info.st_mode)
    }

    static func fileKindProblem(mode: mode_t) -> String? {
        let kind: String
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: kind = "a FIFO or pipe"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFDIR: kind = "a folder"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        return "the input is \(kind), not a regular file; augpro reads its input from a regular file (fingerprinted for --resume, read again from the start on resume): save the stream to a file first"
    }
}

/// POSIX `read`, named apart from the `read(into:)` methods above.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// A sliding window over a ``ByteSource``: bytes `[start, end)` of `base` are read but not yet
/// consumed. `readMore` moves them to the front (invalidating pointers and offsets into the old
/// window) and appends the next chunk, growing only when a record is longer than the window.
final class ChunkedBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The first unconsumed byte.
    var start = 0
    /// One past the last byte read.
    private(set) var end = 0
    /// Set once the source returned 0.
    private(set) var endOfInput = false
    private let chunkSize: Int
    private let source: ByteSource

    init(source: ByteSource, chunkSize: Int) {
        self.source = source
        self.chunkSize = max(1, chunkSize)
        self.capacity = 2 * self.chunkSize
        self.base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Unconsumed bytes.
    var available: Int { end - start }

    /// The content offset of the first unconsumed byte.
    var consumedOffset: Int64 { source.contentBytesRead - Int64(available) }

    /// Drops the window and continues reading at content offset `offset` (≥ ``consumedOffset``).
    func reposition(to offset: Int64) throws {
        try source.skip(to: offset)
        start = 0
        end = 0
        endOfInput = false
    }

    /// Compacts and reads one more chunk. Returns false (adding nothing) at the end of input.
    func readMore() throws -> Bool {
        if endOfInput { return false }
        if start > 0 {
            if end > start { (base).update(from: base + start, count: end - start) }
            end -= start
            start = 0
        }
        if capacity - end < chunkSize {
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: end + 2 * chunkSize)
            grown.update(from: base, count: end)
            base.deallocate()
            base = grown
            capacity = end + 2 * chunkSize
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(start: base + end, count: capacity - end))
        if count == 0 {
            endOfInput = true
            return false
        }
        end += count
        return true
    }

    /// The unconsumed bytes from `offset` (relative to `start`) on.
    func bytes(from offset: Int = 0) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start + offset, count: end - start - offset)
    }

    /// Index (relative to `start`) of the next `byte` at or after relative `offset`, if read.
    func find(_ byte: UInt8, from offset: Int) -> Int? {
        let count = end - start - offset
        guard count > 0, let found = memchr(base + start + offset, Int32(byte), count) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base + start)
    }

    /// Consumes input up to and including the next newline (or to the end of input).
    /// Used to resynchronise after an overlong or malformed record.
    func discardThroughNewline(from offset: Int) throws {
        var scanned = offset
        while true {
            if let newline = find(UInt8(ascii: "\n"), from: scanned) {
                start += newline + 1
                return
            }
            start = end
            scanned = 0
            if !(try readMore()) { return }
        }
    }

    /// Fills the first `count` bytes of the source into the window and tells whether they equal
    /// `prefix` (used for the UTF-8 byte order mark).
    func hasPrefix(_ prefix: [UInt8]) throws -> Bool {
        while available < prefix.count {
            if !(try readMore()) { break }
        }
        guard available >= prefix.count else { return false }
        return prefix.indices.allSatisfy { base[start + $0] == prefix[$0] }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A whole file mapped read-only into memory (`mmap`), unmapped when the last reference goes.
///
/// The bytes stay valid for the object's lifetime; the base address is page-aligned, so any
/// offset that is a multiple of 4 can be read as `Float` in place. ``init(copying:name:)``
/// gives the same interface over an in-memory copy (for tests and fuzzing).
public final class MappedFile: @unchecked Sendable {
    /// The file's path (or the name given to an in-memory copy), used in messages.
    public let path: String
    /// The mapped bytes. Read-only; valid while `self` is alive.
    public let bytes: UnsafeRawBufferPointer
    private let ownership: Ownership

    private enum Ownership {
        case mapped
        case allocated
        case empty
    }

    /// Maps the file at `url` read-only. Throws ``MappedFileError`` naming the file on failure.
    public init(url: URL) throws {
        path = url.path
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw MappedFileError(path: url.path, operation: "open", code: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw MappedFileError(path: url.path, operation: "stat", code: errno)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw MappedFileError(path: url.path, operation: "open (not a regular file)", code: 0)
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            ownership = .empty
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw MappedFileError(path: url.path, operation: "mmap", code: errno)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        ownership = .mapped
    }

    /// Wraps a private, 16-byte-aligned copy of `contents`, reported under `name`.
    public init(copying contents: some Collection<UInt8>, name: String) {
        path = name
        let count = contents.count
        guard count > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            ownership = .empty
            return
        }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        _ = storage.initializeMemory(as: UInt8.self, from: contents)
        bytes = UnsafeRawBufferPointer(storage)
        ownership = .allocated
    }

    /// The file size in bytes.
    public var count: Int { bytes.count }

    deinit {
        switch ownership {
        case .mapped:
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        case .allocated:
            bytes.deallocate()
        case .empty:
            break
        }
    }
}

/// A failure to open or map a file, naming the file and the system error.
public struct MappedFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var code: Int32

    public var description: String {
        code == 0 ? "\(path): cannot \(operation)" : "\(path): cannot \(operation): \(String(cString: strerror(code)))"
    }
}

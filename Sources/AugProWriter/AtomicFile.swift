#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dataset file that cannot be written or read, naming the file and the reason.
public struct MDSFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// The error for a failed system call, with `strerror(errno)` as the reason.
    static func system(_ path: String, _ action: String) -> MDSFileError {
        MDSFileError(path: path, reason: "\(action) failed: \(String(cString: strerror(errno)))")
    }
}

/// Writes whole files so that a reader never sees a partial one under its final name: the bytes
/// go to `.tmp-<name>` in the same folder, are flushed to disk, renamed into place, and the
/// folder entry is flushed too.
public struct AtomicFileWriter: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The temporary name used while `basename` is being written.
    func temporaryPath(for basename: String) -> String {
        directory + "/.tmp-" + basename
    }

    /// Writes `parts` one after the other as the file `basename`.
    public func write(_ basename: String, parts: [UnsafeRawBufferPointer]) throws {
        let temporary = temporaryPath(for: basename)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw MDSFileError.system(temporary, "creating the file") }
        do {
            for part in parts {
                try writeAll(descriptor, part, path: temporary)
            }
            guard fsync(descriptor) == 0 else { throw MDSFileError.system(temporary, "fsync") }
            guard close(descriptor) == 0 else {
                throw MDSFileError.system(temporary, "closing the file")
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        let final = directory + "/" + basename
        guard rename(temporary, final) == 0 else {
            let failure = MDSFileError.system(final, "renaming \(temporary) to it")
            unlink(temporary)
            throw failure
        }
        try syncDirectory()
    }

    /// Removes the temporary file for `basename` if one is left (after a failed or cancelled write).
    func removeTemporary(for basename: String) {
        unlink(temporaryPath(for: basename))
    }

    /// Flushes the folder's entries (new names) to disk.
    func syncDirectory() throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MDSFileError.system(directory, "opening the folder") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw MDSFileError.system(directory, "fsync of the folder") }
    }

    private func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = writeDescriptor(descriptor, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw MDSFileError.system(path, "writing")
            }
            pointer += written
            remaining -= written
        }
    }
}

/// POSIX `write`, named apart from `AtomicFileWriter.write`.
private func writeDescriptor(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

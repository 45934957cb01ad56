#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Safe access to files a dataset's own metadata names (`index.json` basenames, checkpoint
/// shard lists): the name must be a plain file name inside the folder, and the file a regular
/// file there (not a symbolic link, FIFO or device), read only up to the size it is meant to have.
public enum DatasetFiles {
    /// Why `name` cannot name a file inside the dataset folder, or nil when it can: a plain file
    /// name, or (a merged dataset) a relative path of plain names into a subfolder. Each part is
    /// not empty, not `.` or `..`, without NUL or other control characters; no leading `/`.
    public static func basenameProblem(_ name: String) -> String? {
        if name.isEmpty { return "an empty file name" }
        if name.hasPrefix("/") { return "\"\(escaped(name))\" is an absolute path, not a file in the dataset folder" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "\"\(escaped(name))\" contains a control character"
        }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty || part == "." || part == ".." {
                return "\"\(escaped(name))\" is not a file name inside the dataset folder"
            }
        }
        return nil
    }

    /// Checks a list of basenames: each valid and none listed twice. Returns the first problem.
    public static func listProblem(_ names: [String]) -> String? {
        var seen = Set<String>()
        for name in names {
            if let problem = basenameProblem(name) { return problem }
            guard seen.insert(name).inserted else { return "\"\(escaped(name))\" is listed twice" }
        }
        return nil
    }

    /// The bytes of `folder/basename`, which must be a regular file of at most `maxBytes` bytes
    /// (not a symbolic link). Opening never blocks (a FIFO is refused, not waited on).
    public static func read(folder: String, basename: String, maxBytes: Int) throws(DatasetFileError) -> [UInt8] {
        if let problem = basenameProblem(basename) { throw DatasetFileError(basename: basename, reason: problem, missing: false) }
        let descriptor = openBeneath(folder: folder, relativePath: basename)
        guard descriptor >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw DatasetFileError(basename: basename, reason: "missing", missing: true)
            case ELOOP: throw DatasetFileError(basename: basename, reason: "is a symbolic link; dataset files must be regular files in the dataset folder", missing: false)
            default: throw DatasetFileError(basename: basename, reason: "cannot open: \(String(cString: strerror(code)))", missing: false)
            }
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw DatasetFileError(basename: basename, reason: "cannot stat: \(String(cString: strerror(errno)))", missing: false)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw DatasetFileError(basename: basename, reason: "is not a regular file", missing: false)
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw DatasetFileError(basename: basename, reason: "has \(size) bytes, more than the \(maxBytes) expected", missing: false)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, size - filled, off_t(filled)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw DatasetFileError(basename: basename, reason: "read failed after \(filled) of \(size) bytes", missing: false)
            }
            filled += count
        }
        return bytes
    }

    /// Opens `relativePath` under `folder` one component at a time, never following a symbolic
    /// link (so no name can lead outside the folder); -1 with `errno` set on failure.
    private static func openBeneath(folder: String, relativePath: String) -> Int32 {
        var directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return -1 }
        let parts = relativePath.split(separator: "/").map(String.init)
        for part in parts.dropLast() {
            let next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var code = errno
            var status = stat()
            if next < 0, code == ENOTDIR, fstatat(directory, part, &status, AT_SYMLINK_NOFOLLOW) == 0,
               (status.st_mode & S_IFMT) == S_IFLNK {
                code = ELOOP
            }
            close(directory)
            guard next >= 0 else {
                errno = code
                return -1
            }
            directory = next
        }
        let descriptor = openat(directory, parts.last!, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        let code = errno
        close(directory)
        errno = code
        return descriptor
    }

    /// `text` with control characters escaped and cut to 120 characters, for messages.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(120) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 120 ? out + "…" : out
    }
}

/// A dataset file that cannot be read safely: its basename and why.
public struct DatasetFileError: Error, CustomStringConvertible, Sendable {
    public var basename: String
    public var reason: String
    /// Whether the file does not exist.
    public var missing: Bool

    public var description: String { "\(DatasetFiles.escaped(basename)): \(reason)" }
}

import AugProConfig
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension PartitionIndex {
    /// The index of `options`' input with points every `stride` records: read from `file` when
    /// it was made for the same file state, options and stride, otherwise built and saved there.
    /// Workers starting together take an exclusive lock (`file.lock`) so only one builds it.
    public static func shared(at file: URL, options: ReaderOptions, stride: Int64) throws -> PartitionIndex {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lockPath = file.path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            throw ReaderError.io(path: lockPath, reason: "cannot open the partition index lock: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw ReaderError.io(path: lockPath, reason: "cannot lock: \(String(cString: strerror(errno)))")
        }
        defer { flock(descriptor, LOCK_UN) }
        if let cached = try load(from: file, matching: options), cached.stride == stride { return cached }
        let index = try build(options: options, stride: stride)
        try index.save(to: file)
        return index
    }
}

extension ReaderOptions {
    /// The range a worker reads (nil for a one-machine run).
    func workerRange(_ partition: InputPartition?) throws -> ReaderRange? {
        guard let partition else { return nil }
        let index = try PartitionIndex.shared(at: partition.indexFile, options: self, stride: partition.unit)
        return index.range(ordinals: partition.worker.ordinals(records: index.records, unit: partition.unit))
    }
}

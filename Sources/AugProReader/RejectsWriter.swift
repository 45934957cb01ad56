import AugProRuntime
import Foundation

/// Appends rejected rows to `rejects.jsonl` as `{"line": N, "raw": "...", "reason": "..."}`,
/// one JSON object per line (sorted keys). The file is created (truncating an old one) on the
/// first reject only; writes are buffered and flushed every 64 KiB and by `close()`.
final class RejectsWriter {
    let url: URL
    private var handle: FileHandle?
    private var pending: [UInt8] = []

    init(url: URL) {
        self.url = url
    }

    deinit { try? handle?.close() }

    /// Queues one rejected row; `raw` is decoded with invalid UTF-8 replaced by U+FFFD.
    func append(line: Int, reason: String, raw: UnsafeBufferPointer<UInt8>) throws {
        let entry = JSONValue.object([
            "line": .int(line),
            "reason": .string(reason),
            "raw": .string(String(decoding: raw, as: UTF8.self)),
        ])
        pending.append(contentsOf: entry.serialized().utf8)
        pending.append(UInt8(ascii: "\n"))
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Writes queued entries to the file, creating it on first use.
    func flush() throws {
        guard !pending.isEmpty else { return }
        do {
            if handle == nil {
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw ReaderError.io(path: url.path, reason: "cannot create the rejects file")
                }
                handle = try FileHandle(forWritingTo: url)
            }
            try handle!.write(contentsOf: pending)
        } catch let error as ReaderError {
            throw error
        } catch {
            throw ReaderError.io(path: url.path, reason: "cannot write the rejects file: \(error.localizedDescription)")
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file.
    func close() throws {
        try flush()
        if let handle {
            try handle.close()
            self.handle = nil
        }
    }
}

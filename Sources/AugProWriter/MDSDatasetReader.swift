import AugProNumerics
import AugProRuntime
import Foundation

/// Something wrong with a dataset on disk: which file, and what.
public struct MDSProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file's name in the dataset folder (`index.json`, `shard.00003.mds.zstd`, …).
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// Reads an MDS dataset folder (ours or MosaicML Streaming's): `index.json`, every shard
/// (decompressed, hashes and sample counts checked), every sample decoded into column values.
/// Used by `augpro inspect` (``forEachSample(limit:checkHashes:_:)``) and `augpro verify` (``verify(path:allowedExtraFiles:)``).
public final class MDSDatasetReader: Sendable {
    /// The dataset folder.
    public let path: String
    public let index: MDSIndex

    /// The largest `index.json` read (a million shards' entries fit well within it).
    public static let maximumIndexBytes = 1 << 30

    /// Reads and parses `path/index.json`, and checks that every file it names is a distinct
    /// plain file name inside the folder (no `..`, no `/`, listed once).
    public init(path: String) throws {
        self.path = path
        let indexPath = path + "/index.json"
        let data: [UInt8]
        do {
            data = try DatasetFiles.read(folder: path, basename: "index.json", maxBytes: Self.maximumIndexBytes)
        } catch {
            let reason = error.missing ? "cannot read the dataset index (is this an MDS dataset folder?)" : error.reason
            throw MDSFileError(path: indexPath, reason: reason)
        }
        do {
            index = try JSONDecoder().decode(MDSIndex.self, from: Data(data))
        } catch {
            throw MDSFileError(path: indexPath, reason: "not a valid MDS index: \(error)")
        }
        guard index.version == 2 else {
            throw MDSFileError(path: indexPath, reason: "index version \(index.version) is not supported (expected 2)")
        }
        if let problem = index.problem {
            throw MDSFileError(path: indexPath, reason: problem)
        }
    }

    /// Samples in the dataset, as the index counts them.
    public var sampleCount: Int { index.shards.reduce(0) { $0 + $1.samples } }

    /// Calls `body` with each sample, in dataset order, as column name → value (`ndarray`
    /// columns as JSON arrays, `float32` values with their shortest decimal digits).
    /// Stops after `limit` samples; throws at the first problem found.
    public func forEachSample(
        limit: Int? = nil, checkHashes: Bool = true, _ body: ([String: JSONValue]) throws -> Void
    ) throws {
        var remaining = limit ?? Int.max
        for shard in index.shards where remaining > 0 {
            var problems: [MDSProblem] = []
            let opened = openShard(shard, checkHashes: checkHashes, problems: &problems)
            if let problem = problems.first { throw MDSFileError(path: path + "/" + problem.file, reason: problem.message) }
            guard let (raw, layout) = opened else { continue }
            try raw.withUnsafeBytes { bytes in
                for sample in 0..<min(layout.offsets.count - 1, remaining) {
                    do {
                        try body(try layout.decodeSample(sample, in: bytes))
                    } catch let error as MDSDecodeError {
                        throw MDSFileError(path: path + "/" + shard.file.basename, reason: "sample \(sample): \(error)")
                    }
                    remaining -= 1
                }
            }
        }
    }

    /// Every problem of the dataset at `path`: unreadable index, missing or extra files, size or
    /// hash mismatches, wrong sample counts, undecodable samples. Empty when the dataset is sound.
    /// Files named in `allowedExtraFiles` (e.g. `report.json`) may sit beside the dataset.
    public static func verify(path: String, allowedExtraFiles: Set<String> = []) -> [MDSProblem] {
        do {
            return try MDSDatasetReader(path: path).verify(allowedExtraFiles: allowedExtraFiles)
        } catch let error as MDSFileError {
            return [MDSProblem(file: "index.json", message: error.reason)]
        } catch {
            return [MDSProblem(file: "index.json", message: "\(error)")]
        }
    }

    /// Every problem of this dataset; see ``verify(path:allowedExtraFiles:)``.
    public func verify(allowedExtraFiles: Set<String> = []) -> [MDSProblem] {
        var problems: [MDSProblem] = []
        for shard in index.shards {
            guard let (raw, layout) = openShard(shard, checkHashes: true, problems: &problems) else { continue }
            raw.withUnsafeBytes { bytes in
                for sample in 0..<(layout.offsets.count - 1) {
                    do {
                        _ = try layout.decodeSample(sample, in: bytes)
                    } catch {
                        problems.append(MDSProblem(file: shard.file.basename, message: "sample \(sample) does not decode: \(error)"))
                    }
                }
            }
        }
        // A merged dataset's shards live in subfolders: the folder holds those subfolders.
        let listed = index.shards.map { String($0.file.basename.split(separator: "/").first ?? "") }
        let expected = Set(["index.json"] + listed).union(allowedExtraFiles)
        let present = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in present.sorted() where !expected.contains(name) {
            problems.append(MDSProblem(file: name, message: "extra file not listed in index.json"))
        }
        return problems
    }

    /// Reads, checks and decompresses one shard; records problems and returns nil when the
    /// shard cannot be used.
    private func openShard(
        _ shard: MDSShardInfo, checkHashes: Bool, problems: inout [MDSProblem]
    ) -> ([UInt8], MDSShardLayout)? {
        let file = shard.file
        let stored: [UInt8]
        do {
            stored = try DatasetFiles.read(folder: path, basename: file.basename, maxBytes: file.bytes)
        } catch {
            problems.append(MDSProblem(file: file.basename, message: error.missing ? "missing (listed in index.json)" : error.reason))
            return nil
        }
        let before = problems.count
        check(stored, against: file, checkHashes: checkHashes, problems: &problems)
        var raw = stored
        if shard.zipData != nil {
            guard shard.compression?.hasPrefix("zstd") == true else {
                problems.append(MDSProblem(file: file.basename, message: "compression \(shard.compression ?? "null") is not supported (only zstd)"))
                return nil
            }
            do {
                raw = try Zstd.decompress(stored, maxSize: shard.rawData.bytes)
            } catch {
                problems.append(MDSProblem(file: file.basename, message: "does not decompress: \(error)"))
                return nil
            }
            check(raw, against: shard.rawData, checkHashes: checkHashes, problems: &problems, reportAs: file.basename)
        }
        guard problems.count == before else { return nil }
        do {
            let layout = try raw.withUnsafeBytes { try MDSShardLayout(raw: $0, info: shard) }
            return (raw, layout)
        } catch {
            problems.append(MDSProblem(file: file.basename, message: "\(error)"))
            return nil
        }
    }

    private func check(
        _ bytes: [UInt8], against info: MDSFileInfo, checkHashes: Bool,
        problems: inout [MDSProblem], reportAs reported: String? = nil
    ) {
        let name = reported ?? info.basename
        let what = reported == nil ? "" : "decompressed \(info.basename) "
        guard bytes.count == info.bytes else {
            problems.append(MDSProblem(file: name, message: "\(what)has \(bytes.count) bytes, index.json says \(info.bytes)"))
            return
        }
        guard checkHashes else { return }
        for (algorithm, expected) in info.hashes.sorted(by: { $0.key < $1.key }) {
            guard let digest = DigestAlgorithm(rawValue: algorithm) else {
                problems.append(MDSProblem(file: name, message: "cannot check its \(algorithm) hash (supported: sha1, sha256, xxh64)"))
                continue
            }
            let actual = digest.hexDigest(of: bytes)
            if actual != expected.lowercased() {
                problems.append(MDSProblem(file: name, message: "\(what)\(algorithm) is \(actual), index.json says \(expected)"))
            }
        }
    }
}

/// The header of a raw shard, checked against its index entry: sample offsets and column decoders.
struct MDSShardLayout {
    /// `samples + 1` absolute offsets; sample `i` is `offsets[i]..<offsets[i + 1]`.
    let offsets: [Int]
    let names: [String]
    let decoders: [MDSValueDecoder]
    let sizes: [Int?]

    init(raw: UnsafeRawBufferPointer, info: MDSShardInfo) throws {
        func u32(_ offset: Int) -> Int { Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
        guard raw.count >= 4 else { throw MDSDecodeError("shorter than its 4-byte sample count") }
        let count = u32(0)
        guard count == info.samples else {
            throw MDSDecodeError("holds \(count) samples, index.json says \(info.samples)")
        }
        let configStart = 4 + 4 * (count + 1)
        guard raw.count >= configStart else { throw MDSDecodeError("too short for \(count + 1) offsets") }
        let offsets = (0...count).map { u32(4 + 4 * $0) }
        let config = Array(info.expectedConfigText.utf8)
        guard offsets[0] == configStart + config.count,
              raw.count >= offsets[0],
              config.elementsEqual(raw[configStart..<offsets[0]])
        else {
            throw MDSDecodeError("its embedded config does not match index.json")
        }
        guard zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }), offsets.last! == raw.count else {
            throw MDSDecodeError("its sample offsets are not increasing up to the file's end (\(raw.count) bytes)")
        }
        guard info.columnNames.count == info.columnEncodings.count, info.columnNames.count == info.columnSizes.count else {
            throw MDSDecodeError("index.json lists different numbers of column names, encodings and sizes")
        }
        let decoders = try info.columnEncodings.map { try MDSValueDecoder(encoding: $0) }
        for (name, (decoder, size)) in zip(info.columnNames, zip(decoders, info.columnSizes)) where decoder.fixedSize != size {
            throw MDSDecodeError("column \(name) has size \(size.map(String.init) ?? "null") in index.json, its encoding implies \(decoder.fixedSize.map(String.init) ?? "null")")
        }
        self.offsets = offsets
        self.names = info.columnNames
        self.decoders = decoders
        self.sizes = info.columnSizes
    }

    /// Decodes sample `index` of the raw shard `raw`.
    func decodeSample(_ index: Int, in raw: UnsafeRawBufferPointer) throws -> [String: JSONValue] {
        let start = offsets[index], end = offsets[index + 1]
        let variable = sizes.count { $0 == nil }
        guard end - start >= 4 * variable else { throw MDSDecodeError("shorter than its \(variable) column lengths") }
        var lengths = (0..<variable).map { slot in
            Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * slot, as: UInt32.self)))
        }.makeIterator()
        var position = start + 4 * variable
        var sample: [String: JSONValue] = [:]
        for (column, decoder) in decoders.enumerated() {
            let length = sizes[column] ?? lengths.next()!
            guard length <= end - position else {
                throw MDSDecodeError("column \(names[column]) runs past the sample's end")
            }
            do {
                sample[names[column]] = try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[position..<(position + length)]))
            } catch {
                throw MDSDecodeError("column \(names[column]): \(error)")
            }
            position += length
        }
        guard position == end else { throw MDSDecodeError("has \(end - position) bytes after its last column") }
        return sample
    }
}

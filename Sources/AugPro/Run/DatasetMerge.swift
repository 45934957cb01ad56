import AugProResume
import AugProRuntime
import AugProWriter
import Foundation

/// `augpro merge`: joins the parts that N workers (`augpro run --worker I/N`) wrote into one
/// dataset. Checks that every part is a finished run of the same config and input, that the
/// workers 0…N−1 are all there once, then writes `OUT/index.json` (shards listed in worker order,
/// basenames pointing into the parts) and `OUT/report.json` (totals and each part's report).
public enum DatasetMerge {
    /// What a merge joined.
    public struct Summary: Sendable {
        public var parts: Int
        public var shards: Int
        public var samples: Int
    }

    /// Merges `parts` (folders inside `output`; default: every `part-I` folder there).
    public static func merge(output: URL, parts requested: [URL]) throws -> Summary {
        let root = output.standardizedFileURL
        let parts = try requested.isEmpty ? discoverParts(in: root) : requested.map(\.standardizedFileURL)
        guard !parts.isEmpty else { throw MergeError("\(root.path): no part-I folders to merge") }
        let existing = root.appendingPathComponent("index.json")
        if FileManager.default.fileExists(atPath: existing.path),
            let reader = try? MDSDatasetReader(path: root.path),
            reader.index.shards.contains(where: { !$0.file.basename.contains("/") }) {
            throw MergeError("\(root.path) holds a dataset of its own (index.json names shards in the folder itself); merge into an empty folder or the workers' output folder")
        }
        var checkpoints: [(name: String, checkpoint: RunCheckpoint)] = []
        for part in parts {
            let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
            guard part.path.hasPrefix(prefix) else {
                throw MergeError("\(part.path): a part must be a folder inside \(root.path) (the merged index.json points into it)")
            }
            let name = String(part.path.dropFirst(prefix.count))
            guard let checkpoint = try RunCheckpoint.load(from: part) else {
                throw MergeError("\(part.path): no checkpoint.json: not the output of `augpro run --worker`")
            }
            guard checkpoint.state == .finished else {
                throw MergeError("\(part.path): the worker has not finished (\(checkpoint.shards.count) shards committed); continue it with `augpro run PIPELINE --worker … --resume`")
            }
            checkpoints.append((name, checkpoint))
        }
        let workers = try checkpoints.map { part -> (Int, Int) in
            guard let text = part.checkpoint.config["worker"], let slash = text.firstIndex(of: "/"),
                let index = Int(text[..<slash]), let count = Int(text[text.index(after: slash)...]) else {
                throw MergeError("\(root.path)/\(part.name): not a worker's output (its checkpoint records no `worker`)")
            }
            return (index, count)
        }
        let count = workers[0].1
        guard workers.allSatisfy({ $0.1 == count }) else {
            throw MergeError("\(root.path): the parts were written by runs with different worker counts (\(Set(workers.map(\.1)).sorted()))")
        }
        guard workers.map(\.0) == Array(0..<count) else {
            let missing = Set(0..<count).subtracting(workers.map(\.0)).sorted()
            throw MergeError("\(root.path): expected the parts of workers 0…\(count - 1) in order, got workers \(workers.map(\.0))\(missing.isEmpty ? "" : "; missing \(missing.map(String.init).joined(separator: ", "))")")
        }
        let reference = checkpoints[0].checkpoint
        for part in checkpoints.dropFirst() {
            let differing = Set(reference.config.keys).union(part.checkpoint.config.keys)
                .filter { $0 != "worker" && reference.config[$0] != part.checkpoint.config[$0] }.sorted()
            guard differing.isEmpty else {
                throw MergeError("\(root.path)/\(part.name): written with other settings than \(checkpoints[0].name): \(differing.joined(separator: ", "))")
            }
            guard part.checkpoint.input == reference.input else {
                throw MergeError("\(root.path)/\(part.name): written from another input (or the input changed) than \(checkpoints[0].name)")
            }
        }
        let merged = try MDSIndexMerge.merge(into: root.path, parts: checkpoints.map(\.name))
        try writeReport(root: root, parts: checkpoints.map(\.name), summary: merged)
        return Summary(parts: checkpoints.count, shards: merged.shards, samples: merged.samples)
    }

    /// Files a merged dataset's folder holds besides index.json and the part folders.
    public static let mergedFolderFiles = ["report.json", "report.html", "partition-index.json", "partition-index.json.lock"]

    /// For a merged dataset (index.json naming shards in part folders): each part's checkpoint
    /// must be finished and list exactly the shards index.json names in that part, in order.
    public static func partProblems(root: URL, index: MDSIndex) -> [MDSProblem] {
        var shardsByPart: [String: [String]] = [:]
        var order: [String] = []
        for shard in index.shards {
            let name = shard.file.basename
            guard let slash = name.lastIndex(of: "/") else { continue }
            let part = String(name[..<slash])
            if shardsByPart[part] == nil { order.append(part) }
            shardsByPart[part, default: []].append(String(name[name.index(after: slash)...]))
        }
        var problems: [MDSProblem] = []
        for part in order {
            do {
                guard let checkpoint = try RunCheckpoint.load(from: root.appendingPathComponent(part)) else {
                    problems.append(MDSProblem(file: part, message: "has no checkpoint.json"))
                    continue
                }
                if checkpoint.state != .finished {
                    problems.append(MDSProblem(file: part, message: "the worker's run is unfinished"))
                } else if checkpoint.shards.map(\.basename) != shardsByPart[part] {
                    problems.append(MDSProblem(file: part, message: "its checkpoint lists \(checkpoint.shards.count) shards but index.json names \(shardsByPart[part]?.count ?? 0) in it"))
                }
            } catch {
                problems.append(MDSProblem(file: part, message: "\(error)"))
            }
        }
        return problems
    }

    /// The names of `root`'s `part-I` folders.
    public static func partNames(in root: URL) -> [String] {
        (try? discoverParts(in: root))?.map(\.lastPathComponent) ?? []
    }

    /// The `part-I` folders of `root`, by worker number.
    static func discoverParts(in root: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("part-"), let number = Int(name.dropFirst(5)) else { return nil }
            return (number, root.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// `report.json` of the merged dataset: totals over the parts and each part's own report.
    private static func writeReport(root: URL, parts: [String], summary: MDSIndexMerge.Summary) throws {
        var reports: [JSONValue] = []
        var examplesIn = 0
        var rejected = 0
        var slowest = 0.0
        for name in parts {
            let data = try Data(contentsOf: root.appendingPathComponent(name).appendingPathComponent("report.json"))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            examplesIn += (object["examples_in"] as? Int) ?? 0
            rejected += (object["rejected"] as? Int) ?? 0
            let seconds = (object["seconds"] as? Double) ?? 0
            slowest = max(slowest, seconds)
            reports.append(.object([
                "part": .string(name), "examples_in": .int((object["examples_in"] as? Int) ?? 0),
                "samples_out": .int((object["samples_out"] as? Int) ?? 0), "seconds": .double(seconds),
            ]))
        }
        let report: JSONValue = .object([
            "merged_parts": .int(parts.count),
            "parts": .array(reports),
            "examples_in": .int(examplesIn),
            "samples_out": .int(summary.samples),
            "shards": .int(summary.shards),
            "rejected": .int(rejected),
            "slowest_part_seconds": .double(slowest),
        ])
        try Data((report.serialized(pretty: true) + "\n").utf8).write(to: root.appendingPathComponent("report.json"), options: .atomic)
    }
}

/// Parts that cannot be merged: the folder and why.
public struct MergeError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

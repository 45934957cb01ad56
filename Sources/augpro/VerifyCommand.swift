import ArgumentParser
import AugPro
import AugProResume
import AugProWriter
import Foundation

/// `augpro verify`: decodes every shard of a dataset and checks hashes and counts, and the
/// run's `checkpoint.json` when there is one.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decode every shard of an MDS dataset, checking hashes, sample counts and the checkpoint; non-zero exit on any problem or an unfinished run.")

    @Argument(help: "The dataset folder (holding index.json).")
    var directory: String

    func run() throws {
        try reportingFailures(verify)
    }

    private func verify() throws {
        let folder = URL(fileURLWithPath: directory)
        let checkpoint = try RunCheckpoint.load(from: folder)
        if let checkpoint, checkpoint.state == .running {
            do {
                try CheckpointSession.verifyShards(checkpoint, in: folder)
            } catch {
                throw CommandFailure("\(directory): unfinished run, and \(error)")
            }
            throw CommandFailure("\(directory): unfinished run: \(checkpoint.shards.count) shards (\(checkpoint.committedSamples) samples) committed and verified, no index.json yet; continue it with `augpro run PIPELINE --resume`")
        }
        let merged = checkpoint == nil
            && ((try? MDSDatasetReader(path: directory))?.index.shards.contains { $0.file.basename.contains("/") } ?? false)
        let extra = merged
            ? DatasetMerge.mergedFolderFiles + DatasetMerge.partNames(in: folder)
            : ["report.json", "report.html", "rejects.jsonl", RunCheckpoint.fileName]
        var problems = MDSDatasetReader.verify(path: directory, allowedExtraFiles: Set(extra))
        if merged, problems.isEmpty, let reader = try? MDSDatasetReader(path: directory) {
            problems += DatasetMerge.partProblems(root: folder, index: reader.index)
        }
        if let checkpoint, problems.isEmpty, let reader = try? MDSDatasetReader(path: directory) {
            let listed = reader.index.shards.map { $0.zipData?.basename ?? $0.rawData.basename }
            if listed != checkpoint.shards.map(\.basename) || reader.sampleCount != checkpoint.committedSamples {
                problems.append(MDSProblem(
                    file: RunCheckpoint.fileName,
                    message: "lists \(checkpoint.shards.count) shards (\(checkpoint.committedSamples) samples) but index.json has \(listed.count) (\(reader.sampleCount) samples)"))
            }
        }
        guard problems.isEmpty else {
            for problem in problems.dropLast() {
                FileHandle.standardError.write(Data("\(directory)/\(problem)\n".utf8))
            }
            throw CommandFailure("\(directory)/\(problems.last!) (\(problems.count) problem\(problems.count == 1 ? "" : "s"))")
        }
        let reader = try MDSDatasetReader(path: directory)
        print("\(directory): ok — \(reader.index.shards.count) shards, \(reader.sampleCount) samples, hashes verified\(checkpoint == nil ? "" : ", checkpoint finished and consistent")\(merged ? ", every part's checkpoint finished and consistent" : "")")
    }
}

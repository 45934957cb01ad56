import ArgumentParser
import AugProWriter
import Foundation

/// `augpro verify`: decodes every shard of a dataset and checks hashes and counts.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decode every shard of an MDS dataset, checking hashes and sample counts; non-zero exit on any problem.")

    @Argument(help: "The dataset folder (holding index.json).")
    var directory: String

    func run() throws {
        let problems = MDSDatasetReader.verify(path: directory, allowedExtraFiles: ["report.json", "rejects.jsonl"])
        guard problems.isEmpty else {
            for problem in problems.dropLast() {
                FileHandle.standardError.write(Data("\(directory)/\(problem)\n".utf8))
            }
            fail("\(directory)/\(problems.last!) (\(problems.count) problem\(problems.count == 1 ? "" : "s"))")
        }
        let reader = try MDSDatasetReader(path: directory)
        print("\(directory): ok — \(reader.index.shards.count) shards, \(reader.sampleCount) samples, hashes verified")
    }
}

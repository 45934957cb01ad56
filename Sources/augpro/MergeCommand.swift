import ArgumentParser
import AugPro
import Foundation

/// `augpro merge`: joins the parts written by `augpro run --worker I/N` into one dataset.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the parts of a run on N workers (OUT/part-0 … part-N-1) into one dataset: OUT/index.json points into the parts.")

    @Argument(help: "The output folder the workers wrote their part-I folders into.")
    var output: String

    @Argument(help: "The part folders, in worker order (default: every part-I folder in OUTPUT).")
    var parts: [String] = []

    func run() throws {
        try reportingFailures {
            let summary = try DatasetMerge.merge(
                output: URL(fileURLWithPath: output), parts: parts.map { URL(fileURLWithPath: $0) })
            print("\(output): merged \(summary.parts) parts — \(summary.shards) shards, \(summary.samples) samples (index.json, report.json)")
        }
    }
}

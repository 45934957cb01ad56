import ArgumentParser
import AugPro
import Foundation

/// `augpro validate`: loads a pipeline, builds every stage and prints the resolved chain.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file: keys, values, files, and that each stage accepts the previous one's output.")

    @OptionGroup var options: PipelineOptions

    func run() throws {
        try reportingFailures {
            let config = try PipelineLoader().load(options.pipelineURL, overrides: options.overrides)
            let job = try PipelineAssembler(file: options.pipeline).assemble(config)
            print("\(options.pipeline): valid (seed \(config.seed), batch_size \(config.batchSize), channel_capacity \(config.channelCapacity))")
            for (index, line) in job.chain.enumerated() {
                print("  \(index). \(line)")
            }
        }
    }
}

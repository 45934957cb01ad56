import ArgumentParser
import Foundation

/// The `augpro` command: precomputes AugPro-augmented, teacher-labelled corpora as MDS shards.
@main
struct AugProCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augpro",
        abstract: "Precompute AugPro-augmented, teacher-labelled training corpora as MosaicML MDS shards.",
        subcommands: [RunCommand.self, ValidateCommand.self, InspectCommand.self, VerifyCommand.self, ReportCommand.self])
}

/// Prints one clear line to standard error and exits non-zero.
func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(code)
}

/// Options shared by the commands that read a pipeline file.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a value: key.path=value, e.g. stages.writer.path=out/x or seed=7 (repeatable).",
        valueName: "key=value"))
    var overrides: [String] = []

    var pipelineURL: URL { URL(fileURLWithPath: pipeline).standardizedFileURL }
}

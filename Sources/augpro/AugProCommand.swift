import ArgumentParser
import Foundation

/// The `augpro` command: precomputes AugPro-augmented, teacher-labelled corpora as MDS shards.
@main
struct AugProCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augpro",
        abstract: "Precompute AugPro-augmented, teacher-labelled training corpora as MosaicML MDS shards.",
        subcommands: [RunCommand.self, ValidateCommand.self, InspectCommand.self, VerifyCommand.self, MergeCommand.self, ReportCommand.self])
}

/// A command that failed: its message goes to standard error as one `error: …` line, and the
/// process exits with `exitCode`.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// Runs a command's body: an error it throws is printed as one `error: …` line and becomes the
/// exit status (1, or a ``CommandFailure``'s own code).
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let failure as CommandFailure {
        throw failure.reported()
    } catch {
        throw CommandFailure("\(error)").reported()
    }
}

/// The synchronous form of ``reportingFailures(_:)``.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let failure as CommandFailure {
        throw failure.reported()
    } catch {
        throw CommandFailure("\(error)").reported()
    }
}

extension CommandFailure {
    /// Writes the message to standard error and returns the exit code to throw.
    func reported() -> ExitCode {
        FileHandle.standardError.write(Data("error: \(description)\n".utf8))
        return ExitCode(exitCode)
    }
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

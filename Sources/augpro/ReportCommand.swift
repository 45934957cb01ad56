import ArgumentParser
import AugProReport
import Foundation

/// `augpro report`: writes `report.html` (plots and tables of the run) into a dataset folder.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write DIR/report.html: run summary, λ, projection, teacher plots and sample augmentations.")

    @Argument(help: "The dataset folder (holding index.json and report.json).")
    var directory: String

    func run() throws {
        do {
            let url = try RunReport.write(folder: URL(fileURLWithPath: directory).standardizedFileURL)
            print(url.path)
        } catch {
            throw CommandFailure("\(error)").reported()
        }
    }

    /// Writes the report at the end of `augpro run`; a failure is a warning, the dataset stands.
    static func writeAfterRun(_ folder: URL) {
        do {
            let url = try RunReport.write(folder: folder)
            print("report: \(url.path)")
        } catch {
            FileHandle.standardError.write(Data("warning: report.html not written: \(error)\n".utf8))
        }
    }
}

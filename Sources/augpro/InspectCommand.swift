import ArgumentParser
import AugProRuntime
import AugProTokenizer
import AugProWriter
import Foundation

/// `augpro inspect`: prints samples of a dataset as JSON lines, with token ids decoded to text.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print samples of an MDS dataset as JSON lines (input_ids decoded to text).")

    @Argument(help: "The dataset folder (holding index.json).")
    var directory: String

    @Option(help: "How many samples to print.")
    var limit: Int = 10

    @Option(help: "Tokenizer (vocab.txt, tokenizer.json or model folder) used to decode input_ids; default: the one named in report.json.")
    var tokenizer: String?

    func run() throws {
        do {
            let reader = try MDSDatasetReader(path: directory)
            let decoder = try loadTokenizer()
            var out = FileHandle.standardOutput
            try reader.forEachSample(limit: limit) { sample in
                var sample = sample
                if let decoder, case .array(let ids)? = sample["input_ids"] {
                    let tokens = ids.compactMap { value -> Int32? in
                        if case .int(let id) = value { return Int32(id) }
                        return nil
                    }
                    sample["decoded"] = .string(decoder.decode(tokens))
                }
                print(JSONValue.object(sample).serialized(), to: &out)
            }
        } catch {
            throw CommandFailure("\(error)").reported()
        }
    }

    private func loadTokenizer() throws -> WordPieceTokenizer? {
        var path = tokenizer
        if path == nil {
            let reportURL = URL(fileURLWithPath: directory).appendingPathComponent("report.json")
            if let data = try? Data(contentsOf: reportURL),
                let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                path = report["tokenizer"] as? String
            }
        }
        guard let path else { return nil }
        return try WordPieceTokenizer(options: TokenizerOptions(vocabPath: path))
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) {
        write(Data(string.utf8))
    }
}

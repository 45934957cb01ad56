import ArgumentParser
import AugProReport
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

    @Flag(help: "Print decoded text with provenance in a readable layout instead of JSON lines.")
    var text = false

    @Option(help: "Only samples of this kind (original or augpro-mix).")
    var kind: String?

    @Option(help: "Only samples with this id (an original and its augmentations share it).")
    var id: Int?

    func run() throws {
        do {
            let reader = try MDSDatasetReader(path: directory)
            let decoder = try loadTokenizer()
            var out = FileHandle.standardOutput
            if text || kind != nil || id != nil {
                let layout = SampleText(text: TokenText(tokenizer: decoder))
                try InspectFilter(kind: kind, id: id, limit: limit).forEach(in: reader) { sample, position in
                    if text {
                        print(layout.describe(sample, position: position) + "\n", to: &out)
                    } else {
                        print(JSONValue.object(sample).serialized(), to: &out)
                    }
                }
                return
            }
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

import AugProConfig
import AugProRuntime
import Foundation

/// `reader:` — where the corpus is and which fields to take. Decoded straight into
/// ``ReaderOptions``; the reader is the pipeline's source.
extension ReaderOptions: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case path, format, text
        case textPair = "text_pair"
        case label, labels, id, columns
        case onError = "on_error"
        case maxLineBytes = "max_line_bytes"
    }

    public init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        let path = try container.decodePath(.path, in: decoder, mustExist: true)
        let formatName = try container.decodeIfPresent(String.self, forKey: .format)
        var format: Format?
        if let formatName {
            guard let known = Format(rawValue: formatName) else {
                throw container.issue(.format, "expected one of tsv | csv | jsonl, got `\(formatName)`")
            }
            format = known
        }
        let text = try container.decode(String.self, forKey: .text)
        let textPair = try container.decodeIfPresent(String.self, forKey: .textPair)
        let label = try container.decodeIfPresent(String.self, forKey: .label)
        let labels = try container.decodeIfPresent([String].self, forKey: .labels)
        if let labels {
            guard !labels.isEmpty, Set(labels).count == labels.count else {
                throw container.issue(.labels, "expected a non-empty list of distinct label names")
            }
            guard label != nil else { throw container.issue(.labels, "`labels` needs `label` (the label column)") }
        }
        self.init(
            path: path.path, format: format, text: text, textPair: textPair, label: label, labels: labels,
            id: try container.decodeIfPresent(String.self, forKey: .id))
        columns = try container.decodeIfPresent([String].self, forKey: .columns)
        onError = try container.decodeEnum(.onError, default: .fail)
        maxLineBytes = try container.decodeInt(.maxLineBytes, in: 16...(1 << 30), default: 1 << 20)
    }

    public var role: StageRole { .source }
    public var inputFile: URL? { URL(fileURLWithPath: path) }

    public func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.path, path)
        settings.record(ConfigKeys.format, format)
        settings.record(ConfigKeys.text, text)
        settings.record(ConfigKeys.textPair, textPair)
        settings.record(ConfigKeys.label, label)
        settings.record(ConfigKeys.labels, labels)
        settings.record(ConfigKeys.id, id)
        settings.record(ConfigKeys.columns, columns)
        settings.record(ConfigKeys.onError, onError)
        settings.record(ConfigKeys.maxLineBytes, maxLineBytes)
    }

    /// The reader stage, starting at the resume ordinal, with rejected rows going to
    /// `rejects.jsonl` in the output folder; the input is opened now so a missing file or
    /// column fails before anything runs.
    public func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        var options = self
        options.rejectsURL = assembly.outputDirectory.appendingPathComponent("rejects.jsonl")
        let stage = try ReaderStage(options: options, startOrdinal: assembly.startOrdinal)
        try stage.checkInput()
        assembly.inputHasTextPair = textPair != nil
        return [PipelineNode(source: stage)]
    }
}

extension ReaderOptions.Format: SettingValue {}
extension ReaderOptions.OnError: SettingValue, CaseIterable {
    public static var allCases: [Self] { [.fail, .skip] }
}

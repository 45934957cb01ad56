import AugProRuntime
import Foundation

/// One dataset sample as readable text with its provenance, for `augpro inspect --text`:
///
///     #3  augpro-mix  id 0  λ 0.187  from a=0 b=236  label -1
///         the script mistakes noise for energy …
///         teacher: class 1 (p 0.524)
public struct SampleText {
    public let text: TokenText

    public init(text: TokenText) {
        self.text = text
    }

    /// The block for `sample`, the `position`-th (0-based) in the dataset.
    public func describe(_ sample: [String: JSONValue], position: Int) -> String {
        let kind = DatasetStatistics.string(sample["kind"]) ?? "?"
        var header = "#\(position)  \(kind)  id \(DatasetStatistics.integer(sample["id"]).map(String.init) ?? "?")"
        if kind != "original" {
            if let lambda = DatasetStatistics.double(sample["mix_lambda"]) { header += String(format: "  λ %.3f", lambda) }
            let a = DatasetStatistics.integer(sample["source_a"]).map(String.init) ?? "?"
            let b = DatasetStatistics.integer(sample["source_b"]).map(String.init) ?? "?"
            header += "  from a=\(a) b=\(b)"
        }
        if let label = DatasetStatistics.integer(sample["label"]) { header += "  label \(label)" }
        var lines = [header]
        let ids = DatasetStatistics.integers(sample["input_ids"]).map { Int32(truncatingIfNeeded: $0) }
        let body = ids.isEmpty ? (DatasetStatistics.string(sample["text"]) ?? "") : text.text(ids)
        lines.append("    " + body)
        if let pair = DatasetStatistics.string(sample["text_pair"]) { lines.append("    pair: " + pair) }
        if let teacher = teacherLine(sample) { lines.append("    teacher: " + teacher) }
        return lines.joined(separator: "\n")
    }

    private func teacherLine(_ sample: [String: JSONValue]) -> String? {
        if let probs = DatasetStatistics.doubles(sample["teacher_probs"]) ?? DatasetStatistics.doubles(sample["teacher_logits"]),
            let best = probs.indices.max(by: { probs[$0] < probs[$1] })
        {
            let isProbability = sample["teacher_probs"] != nil
            return "class \(best) (" + (isProbability ? "p" : "logit") + String(format: " %.3f)", probs[best])
        }
        if let embedding = DatasetStatistics.doubles(sample["teacher_embedding"]) {
            return "embedding, \(embedding.count) dimensions"
        }
        return nil
    }
}

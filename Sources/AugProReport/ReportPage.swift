import Foundation

/// Renders the run report: one self-contained HTML page (inline CSS and SVG, no script, nothing
/// fetched), from `report.json` / `checkpoint.json` and statistics computed from the shards.
public struct ReportPage {
    public let folder: URL
    public let record: RunRecord
    public let statistics: DatasetStatistics
    public let text: TokenText

    public init(folder: URL, record: RunRecord, statistics: DatasetStatistics, text: TokenText) {
        self.folder = folder
        self.record = record
        self.statistics = statistics
        self.text = text
    }

    /// The whole page.
    public func html() -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>augpro report: \(escape(folder.lastPathComponent))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
            h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
            td.n{text-align:right;font-variant-numeric:tabular-nums}.grid{display:flex;flex-wrap:wrap;gap:18px}
            figure{margin:0}figcaption{font-weight:600;margin:6px 0}.note{color:#666}
            mark{background:#ffd966}mark.b{background:#9fd3a8}code{font-size:12px}
            </style></head><body>
            <h1>augpro run report</h1>
            <p class="note">\(escape(folder.path))</p>

            """
        out += summary()
        out += stageTimes()
        out += augmentation()
        out += teacher()
        out += examples()
        out += settings()
        return out + "</body></html>\n"
    }

    private func summary() -> String {
        let report = record.report
        let input = report["input"] as? [String: Any] ?? [:]
        var rows: [(String, String)] = [
            ("pipeline", "\(report["pipeline"] ?? "")"),
            ("input", "\(input["path"] ?? "") (\(RunRecord.int(input["bytes"])) bytes)"),
            ("seed", "\(report["seed"] ?? "")"),
            ("examples in", "\(RunRecord.int(report["examples_in"]))"),
            ("samples out", "\(RunRecord.int(report["samples_out"])) (originals \(statistics.originals), augmentations \(statistics.augmentations), read back from the shards)"),
            ("rejected rows", "\(RunRecord.int(report["rejected"]))"),
            ("wall time", String(format: "%.1f s", RunRecord.double(report["seconds"]))),
            ("throughput", String(format: "%.0f examples/s, %.1f MB/s of input", RunRecord.double(report["examples_per_second"]), RunRecord.double(report["input_mb_per_second"]))),
        ]
        if let tokenizer = report["tokenizer"] as? String { rows.append(("tokenizer", tokenizer)) }
        var out = "<h2>Run</h2>" + table(rows, id: "summary")
        if let models = report["models"] as? [String: Any], !models.isEmpty {
            out += "<h3>Models</h3>" + table(flatten(models), id: "models")
        }
        if let resume = report["resume"] as? [String: Any] {
            out += "<h3>Resume history</h3>" + table(flatten(resume), id: "resume")
        } else {
            out += "<h3>Resume history</h3><p class=\"note\">no checkpoint was kept for this run</p>"
        }
        return out
    }

    private func stageTimes() -> String {
        let stages = record.stages
        var out = "<h2>Time per stage</h2><table id=\"stages\"><tr><th>stage</th><th>examples in</th><th>examples out</th><th>busy s</th><th>examples/s while busy</th></tr>"
        for stage in stages {
            let handled = max(stage.examplesIn, stage.examplesOut)
            let rate = stage.seconds > 0 ? String(format: "%.0f", Double(handled) / stage.seconds) : "–"
            out += "<tr><td>\(escape(stage.name))</td><td class=\"n\">\(stage.examplesIn)</td><td class=\"n\">\(stage.examplesOut)</td><td class=\"n\">\(String(format: "%.3f", stage.seconds))</td><td class=\"n\">\(rate)</td></tr>"
        }
        out += "</table>"
        let milliseconds = stages.map { Int(($0.seconds * 1000).rounded()) }
        out += figure(
            "Busy time per stage (ms)",
            SVGChart.histogram(
                name: "stage-seconds", series: [.init(name: "ms", counts: milliseconds)],
                labels: stages.map(\.name), xTitle: "stage"))
        return out
    }

    private func augmentation() -> String {
        var out = "<h2>Augmentation</h2><div class=\"grid\">"
        let lambdaLabels = zip(statistics.lambda.edges, statistics.lambda.edges.dropFirst()).map { String(format: "%.1f–%.1f", $0, $1) }
        out += figure(
            "λ of each augmentation (\(statistics.augmentations))",
            SVGChart.histogram(
                name: "lambda", series: [.init(name: "augmentations", counts: statistics.lambda.counts)],
                labels: lambdaLabels, ticks: Self.ticks(statistics.lambda), xTitle: "λ (weight of source a)"))
        let projector = record.details(of: "projector")
        if projector["share_from_a"] != nil {
            var parts: [(String, Double)] = [
                ("from a", RunRecord.double(projector["share_from_a"])),
                ("from b", RunRecord.double(projector["share_from_b"])),
                ("neither", RunRecord.double(projector["share_from_neither"])),
            ]
            if projector["share_ended_by_pad"] != nil {
                parts.append(("[PAD]-ended", RunRecord.double(projector["share_ended_by_pad"])))
            }
            let positions = RunRecord.int(projector["projected_positions"])
            out += figure("Projected positions by origin (\(positions), from the projector's report)", SVGChart.shares(name: "position-sources", parts: parts))
        }
        let changed = statistics.changedPositions
        let width = max(1, Int((Double(changed.maximum + 1) / 40).rounded(.up)))
        let binCount = changed.maximum / width + 1
        var counts = [Int](repeating: 0, count: binCount)
        for (value, count) in changed.counts { counts[value / width] += count }
        let labels = (0..<binCount).map { width == 1 ? "\($0)" : "\($0 * width)–\($0 * width + width - 1)" }
        out += figure(
            "Positions changed from the dominant source (mean \(String(format: "%.2f", changed.mean)))",
            SVGChart.histogram(name: "changed-positions", series: [.init(name: "augmentations", counts: counts)], labels: labels, xTitle: "changed positions"))
        out += "</div>"
        let duplicates = RunRecord.int(projector["duplicates_dropped"])
        out += "<p id=\"duplicates\">Duplicates dropped by the projector: <b>\(duplicates)</b> (of source \(RunRecord.int(projector["duplicates_of_source"])), of an earlier augmentation \(RunRecord.int(projector["duplicates_of_earlier_augmentation"])))."
        if statistics.sourcesMissing > 0 {
            out += " \(statistics.sourcesMissing) augmentations have a dominant source that is not in the dataset and are not compared."
        }
        return out + "</p>"
    }

    private func teacher() -> String {
        var out = "<h2>Teacher</h2>"
        var any = false
        if let confidence = statistics.confidence, let entropy = statistics.entropy {
            any = true
            out += "<div class=\"grid\">"
            out += pairFigure("confidence", "Confidence (highest class probability)", confidence, xTitle: "max probability")
            out += pairFigure("entropy", "Entropy of the class distribution (nats)", entropy, xTitle: "entropy")
            out += "</div>"
        }
        if let flips = statistics.labelFlips {
            any = true
            let rate = flips.compared > 0 ? Double(flips.flipped) / Double(flips.compared) * 100 : 0
            out += "<p id=\"label-flips\">Label-flip rate: <b>\(String(format: "%.1f", rate)) %</b> (\(flips.flipped) of \(flips.compared) augmentations have a teacher argmax different from their dominant source's).</p>"
        }
        if let cosine = statistics.cosineToSource {
            any = true
            let labels = zip(cosine.edges, cosine.edges.dropFirst()).map { String(format: "%.2f–%.2f", $0, $1) }
            out += figure(
                "Cosine of each augmentation's embedding to its dominant source's",
                SVGChart.histogram(name: "cosine", series: [.init(name: "augmentations", counts: cosine.counts)], labels: labels, ticks: Self.ticks(cosine), xTitle: "cosine similarity"))
        }
        if !any { out += "<p class=\"note\">the dataset has no teacher outputs</p>" }
        return out
    }

    private func examples() -> String {
        var out = "<h2>Sample augmentations</h2><p class=\"note\">Marked: tokens that differ from the dominant source (<mark>yellow</mark>: from neither source, <mark class=\"b\">green</mark>: from the other source).</p>"
        out += "<table id=\"examples\"><tr><th>id</th><th>λ</th><th>augmentation</th><th>source a</th><th>source b</th></tr>"
        for mix in statistics.examples {
            let dominant = mix.lambda >= 0.5 ? mix.tokensA : mix.tokensB
            let other = mix.lambda >= 0.5 ? mix.tokensB : mix.tokensA
            var augmented = ""
            for piece in text.pieces(mix.tokens) {
                let token = mix.tokens[piece.index]
                if piece.index < dominant.count && dominant[piece.index] == token {
                    augmented += escape(piece.text)
                } else {
                    let fromOther = piece.index < other.count && other[piece.index] == token
                    augmented += fromOther ? "<mark class=\"b\">\(escape(piece.text))</mark>" : "<mark>\(escape(piece.text))</mark>"
                }
            }
            out += "<tr><td class=\"n\">\(mix.id)</td><td class=\"n\">\(String(format: "%.3f", mix.lambda))</td><td>\(augmented)</td>"
            out += "<td>\(escape(text.text(mix.tokensA)))</td><td>\(escape(text.text(mix.tokensB)))</td></tr>"
        }
        return out + "</table>"
    }

    private func settings() -> String {
        guard !record.settings.isEmpty else { return "" }
        return "<h2>Configuration</h2><details><summary>\(record.settings.count) resolved settings (checkpoint.json)</summary>"
            + table(record.settings.map { ($0.key, $0.value) }, id: "settings") + "</details>"
    }

    /// Originals and augmentations side by side in one histogram.
    private func pairFigure(_ name: String, _ caption: String, _ pair: (originals: Histogram, augmented: Histogram), xTitle: String) -> String {
        let edges = pair.originals.edges
        let labels = zip(edges, edges.dropFirst()).map { String(format: "%.2f–%.2f", $0, $1) }
        return figure(
            caption,
            SVGChart.histogram(
                name: name,
                series: [.init(name: "originals", counts: pair.originals.counts), .init(name: "augmented", counts: pair.augmented.counts)],
                labels: labels, ticks: Self.ticks(pair.originals), xTitle: xTitle))
    }

    /// Each bin's lower edge, as tick text.
    private static func ticks(_ histogram: Histogram) -> [String] {
        histogram.edges.dropLast().map { String(format: "%.2g", $0) }
    }

    private func figure(_ caption: String, _ svg: String) -> String {
        "<figure><figcaption>\(escape(caption))</figcaption>\(svg)</figure>"
    }

    private func table(_ rows: [(String, String)], id: String) -> String {
        "<table id=\"\(id)\">" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
    }

    private func flatten(_ object: [String: Any], prefix: String = "") -> [(String, String)] {
        object.keys.sorted().flatMap { key -> [(String, String)] in
            let name = prefix.isEmpty ? key : "\(prefix).\(key)"
            if let nested = object[key] as? [String: Any] { return flatten(nested, prefix: name) }
            return [(name, "\(object[key]!)")]
        }
    }
}

/// Writes `report.html` into a dataset folder.
public enum RunReport {
    public static let fileName = "report.html"

    /// Reads the dataset and its `report.json` in `folder`, writes `folder/report.html` atomically
    /// and returns its URL.
    @discardableResult
    public static func write(folder: URL) throws -> URL {
        let record = try RunRecord(folder: folder)
        let statistics = try DatasetStatistics(datasetAt: folder.path)
        let page = ReportPage(
            folder: folder, record: record, statistics: statistics,
            text: TokenText(vocabPath: record.report["tokenizer"] as? String))
        let url = folder.appendingPathComponent(fileName)
        try Data(page.html().utf8).write(to: url, options: .atomic)
        return url
    }
}

import Foundation

/// Inline SVG charts for the report: plain elements (`rect` bars with a `title` tooltip, axis
/// lines, `text` labels), no script. Each chart is an `<svg data-chart="NAME">` whose bars carry
/// `class="bar"`, one per bin and series, zero-height bins included, so their count is known.
enum SVGChart {
    /// One series of bars.
    struct Series {
        var name: String
        var counts: [Int]
    }

    static let width = 560.0
    static let height = 220.0
    private static let margin = (left: 48.0, right: 12.0, top: 14.0, bottom: 40.0)
    private static let palette = ["#3b6fb6", "#e08a2c", "#5a9e4b", "#b4463c", "#7f7f7f"]

    /// A histogram: `labels[i]` names bin `i` (in its tooltip); `ticks[i]`, when given, is the
    /// shorter text under it. Several series share each bin side by side.
    static func histogram(name: String, series: [Series], labels: [String], ticks: [String]? = nil, xTitle: String) -> String {
        let bins = labels.count
        let top = max(1, series.flatMap(\.counts).max() ?? 1)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        let binWidth = plotWidth / Double(max(1, bins))
        let barWidth = max(1, (binWidth - 2) / Double(max(1, series.count)))
        var out = open(name)
        out += axes(top: top, xTitle: xTitle)
        for (seriesIndex, one) in series.enumerated() {
            for bin in 0..<bins {
                let count = bin < one.counts.count ? one.counts[bin] : 0
                let barHeight = plotHeight * Double(count) / Double(top)
                let x = margin.left + Double(bin) * binWidth + 1 + Double(seriesIndex) * barWidth
                let y = margin.top + plotHeight - barHeight
                out += "<rect class=\"bar\" data-series=\"\(escape(one.name))\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(barWidth))\" height=\"\(f(barHeight))\" fill=\"\(palette[seriesIndex % palette.count])\">"
                out += "<title>\(escape(one.name)) \(escape(labels[bin])): \(count)</title></rect>"
            }
        }
        let labelEvery = max(1, Int((Double(bins) / 10).rounded(.up)))
        for bin in stride(from: 0, to: bins, by: labelEvery) {
            let x = margin.left + (Double(bin) + 0.5) * binWidth
            out += "<text x=\"\(f(x))\" y=\"\(f(height - margin.bottom + 14))\" font-size=\"10\" text-anchor=\"middle\">\(escape((ticks ?? labels)[bin]))</text>"
        }
        if series.count > 1 { out += legend(series.map(\.name)) }
        return out + "</svg>"
    }

    /// One horizontal bar split into shares (fractions summing to at most 1).
    static func shares(name: String, parts: [(label: String, share: Double)]) -> String {
        var out = "<svg data-chart=\"\(escape(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"70\" viewBox=\"0 0 \(f(width)) 70\" role=\"img\">"
        var x = margin.left
        let total = width - margin.left - margin.right
        for (index, part) in parts.enumerated() {
            let partWidth = total * max(0, part.share)
            out += "<rect class=\"bar\" x=\"\(f(x))\" y=\"8\" width=\"\(f(partWidth))\" height=\"26\" fill=\"\(palette[index % palette.count])\">"
            out += "<title>\(escape(part.label)): \(String(format: "%.1f", part.share * 100)) %</title></rect>"
            x += partWidth
        }
        out += legend(parts.map { "\($0.label) \(String(format: "%.1f", $0.share * 100)) %" }, y: 52)
        return out + "</svg>"
    }

    private static func open(_ name: String) -> String {
        "<svg data-chart=\"\(escape(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">"
    }

    private static func axes(top: Int, xTitle: String) -> String {
        let bottom = height - margin.bottom
        var out = "<line x1=\"\(f(margin.left))\" y1=\"\(f(margin.top))\" x2=\"\(f(margin.left))\" y2=\"\(f(bottom))\" stroke=\"#444\"/>"
        out += "<line x1=\"\(f(margin.left))\" y1=\"\(f(bottom))\" x2=\"\(f(width - margin.right))\" y2=\"\(f(bottom))\" stroke=\"#444\"/>"
        out += "<text x=\"\(f(margin.left - 4))\" y=\"\(f(margin.top + 8))\" font-size=\"10\" text-anchor=\"end\">\(top)</text>"
        out += "<text x=\"\(f(margin.left - 4))\" y=\"\(f(bottom))\" font-size=\"10\" text-anchor=\"end\">0</text>"
        out += "<text x=\"\(f((width + margin.left) / 2))\" y=\"\(f(height - 6))\" font-size=\"11\" text-anchor=\"middle\">\(escape(xTitle))</text>"
        return out
    }

    private static func legend(_ names: [String], y: Double = margin.top + 4) -> String {
        var out = ""
        var x = width - margin.right - 150
        if y > margin.top + 4 { x = margin.left }
        for (index, name) in names.enumerated() {
            let rowY = y > margin.top + 4 ? y : y + Double(index) * 14
            let rowX = y > margin.top + 4 ? x + Double(index) * 125 : x
            out += "<rect x=\"\(f(rowX))\" y=\"\(f(rowY - 8))\" width=\"9\" height=\"9\" fill=\"\(palette[index % palette.count])\"/>"
            out += "<text x=\"\(f(rowX + 13))\" y=\"\(f(rowY))\" font-size=\"10\">\(escape(name))</text>"
        }
        return out
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Escapes text for HTML and SVG element content and attribute values.
func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}

import AugProTestSupport
import Foundation
import Testing

/// Headless Chromium (Debian `chromium`, installed by `make report-browser`).
private enum Browser {
    static var executable: URL? {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        return nil
    }

    /// Loads `page` headless with `arguments` added; returns stdout and the console messages the
    /// page produced (Chromium logs each as an `INFO:CONSOLE` line on stderr).
    static func load(_ page: URL, _ arguments: [String]) throws -> (output: String, console: [String]) {
        guard let executable else {
            throw TestEnvironmentError.failed(command: "chromium", status: -1, standardError: "not installed: run `make report-browser`")
        }
        let profile = try TestEnvironment.temporaryDirectory("augpro-chromium")
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try TestEnvironment.runCapturing(
            executable,
            arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=\(profile.path)", "--no-first-run",
            ] + arguments + [page.absoluteString])
        let stderr = String(decoding: result.standardError, as: UTF8.self)
        guard result.status == 0 else {
            throw TestEnvironmentError.failed(command: "chromium \(arguments)", status: result.status, standardError: stderr)
        }
        let console = stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (String(decoding: result.standardOutput, as: UTF8.self), console)
    }
}

/// The bar counts of each chart in a rendered page, by chart and series, in bin order.
private func barCounts(in dom: String) -> [String: [String: [Int]]] {
    var charts: [String: [String: [Int]]] = [:]
    let chartPattern = try! Regex(#"<svg data-chart="([^"]+)"(.*?)</svg>"#).dotMatchesNewlines()
    let barPattern = try! Regex(#"<rect class="bar"(?: data-series="([^"]*)")?[^>]*><title>[^<]*?: ([0-9.]+)( %)?</title>"#)
    for chart in dom.matches(of: chartPattern) {
        let name = String(chart.output[1].substring!)
        var series: [String: [Int]] = [:]
        for bar in String(chart.output[2].substring!).matches(of: barPattern) {
            let seriesName = bar.output[1].substring.map(String.init) ?? "share"
            let value = String(bar.output[2].substring!)
            series[seriesName, default: []].append(Int(value) ?? Int((Double(value)! * 10).rounded()))
        }
        charts[name] = series
    }
    return charts
}

/// Runs `pipeline` into a fresh folder with the built CLI; returns the dataset folder.
private func runPipeline(_ pipeline: String, _ extra: [String] = []) throws -> URL {
    let output = try TestEnvironment.temporaryDirectory("augpro-report").appendingPathComponent("out")
    let result = try CLI.run(["run", TestEnvironment.packageRoot.appendingPathComponent(pipeline).path, "--output", output.path, "--progress", "none"] + extra)
    guard result.status == 0 else {
        throw TestEnvironmentError.failed(command: "augpro run \(pipeline)", status: result.status, standardError: String(decoding: result.standardError, as: UTF8.self))
    }
    return output
}

/// The report's numbers recomputed from the shards by Python (mds_reader.py + numpy).
private func pythonNumbers(_ folder: URL) throws -> [String: Any] {
    let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/EndToEndTests/report_numbers.py")
    return try JSONSerialization.jsonObject(with: TestEnvironment.runPython(script, arguments: [folder.path])) as! [String: Any]
}

/// Renders `folder/report.html` in Chromium, keeps a screenshot, and checks it against Python.
private func checkReport(_ folder: URL, artifact: String) throws -> [String: [String: [Int]]] {
    let page = folder.appendingPathComponent("report.html")
    let html = try String(contentsOf: page, encoding: .utf8)
    #expect(!html.contains("<script"), "the report needs no script")
    #expect(!html.contains("src=\"") && !html.contains("<link"), "the report loads nothing")

    let artifacts = TestEnvironment.packageRoot.appendingPathComponent(".build/test-artifacts")
    try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    let screenshot = artifacts.appendingPathComponent("\(artifact).png")
    try? FileManager.default.removeItem(at: screenshot)
    let shot = try Browser.load(page, ["--screenshot=\(screenshot.path)", "--window-size=1280,4200", "--hide-scrollbars"])
    #expect(shot.console.isEmpty, "console messages: \(shot.console)")
    let png = try Data(contentsOf: screenshot)
    #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "screenshot \(screenshot.path) is not a PNG")

    let dom = try Browser.load(page, ["--dump-dom"])
    #expect(dom.console.isEmpty, "console messages: \(dom.console)")
    let charts = barCounts(in: dom.output)
    let expected = try pythonNumbers(folder)
    let report = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json"))) as! [String: Any]
    let stages = report["stages"] as! [[String: Any]]

    #expect(charts["lambda"]?["augmentations"] == expected["lambda"] as? [Int])
    #expect(charts["stage-seconds"]?["ms"]?.count == stages.count)
    let changed = (expected["changed_positions"] as! [String: Int]).reduce(into: [Int: Int]()) { $0[Int($1.key)!] = $1.value }
    let maximum = changed.keys.max() ?? 0
    if maximum < 40 {
        #expect(charts["changed-positions"]?["augmentations"] == (0...maximum).map { changed[$0] ?? 0 })
    }
    let counts = "originals \(expected["originals"] as! Int), augmentations \(expected["augmentations"] as! Int)"
    #expect(dom.output.contains(counts), "summary should say \(counts)")
    // Shares are the projector's own counts (report.json), shown to 0.1 %.
    let projector = stages.first { $0["stage"] as? String == "projector" }!["details"] as! [String: Any]
    let shares = ["share_from_a", "share_from_b", "share_from_neither"].map { Int((projector[$0] as! Double * 1000).rounded()) }
    #expect(charts["position-sources"]?["share"].map { Array($0.prefix(3)) } == shares)
    return charts
}

@Suite("report.html in a browser")
struct ReportPageTests {
    @Test("the quickstart report loads without console messages; plots match numbers Python recomputes from the shards")
    func quickstart() throws {
        let folder = try runPipeline("pipelines/quickstart.yaml")
        let charts = try checkReport(folder, artifact: "report-quickstart")
        let expected = try pythonNumbers(folder)
        #expect(charts["cosine"]?["augmentations"] == expected["cosine"] as? [Int])
        #expect(charts["cosine"]?["augmentations"]?.count == 40)
        #expect(charts["confidence"] == nil, "an embedding teacher has no class probabilities")
    }

    @Test("a classification teacher's report: confidence, entropy, label flips match Python")
    func classifier() throws {
        let folder = try runPipeline("pipelines/sst2-classifier.yaml", ["--set", "stages.projector.search=brute_force"])
        let charts = try checkReport(folder, artifact: "report-classifier")
        let expected = try pythonNumbers(folder)
        for name in ["confidence", "entropy"] {
            #expect(charts[name]?["originals"] == expected["\(name)_originals"] as? [Int], "\(name) of originals")
            #expect(charts[name]?["augmented"] == expected["\(name)_augmented"] as? [Int], "\(name) of augmentations")
            #expect(charts[name]?["originals"]?.count == 20)
        }
        let flips = expected["label_flips"] as! [Int]
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("(\(flips[1]) of \(flips[0]) augmentations"))
    }

    @Test("the console check sees a page's console errors (so its silence means something)")
    func consoleCheckCanFail() throws {
        let folder = try TestEnvironment.temporaryDirectory("augpro-console")
        let page = folder.appendingPathComponent("broken.html")
        try "<!DOCTYPE html><p>x</p><script>console.error('broken page')</script>".write(to: page, atomically: true, encoding: .utf8)
        let loaded = try Browser.load(page, ["--dump-dom"])
        #expect(loaded.console.contains { $0.contains("broken page") })
    }
}

import Foundation

/// What `report.json` and `checkpoint.json` of a dataset folder say about the run that wrote it.
/// Missing keys read as absent, so reports of older or newer runs still render.
public struct RunRecord: @unchecked Sendable {
    /// `report.json`, parsed.
    public let report: [String: Any]
    /// The resolved settings `checkpoint.json` records (key → value), when present.
    public let settings: [(key: String, value: String)]

    /// Reads `report.json` (required) and `checkpoint.json` (optional) from `folder`.
    public init(folder: URL) throws {
        let reportURL = folder.appendingPathComponent("report.json")
        guard let data = FileManager.default.contents(atPath: reportURL.path) else {
            throw ReportError("\(reportURL.path): not found (augpro run writes it at the end of a run)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReportError("\(reportURL.path): not a JSON object")
        }
        report = object
        let checkpointURL = folder.appendingPathComponent("checkpoint.json")
        if let data = FileManager.default.contents(atPath: checkpointURL.path),
            let checkpoint = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let config = checkpoint["config"] as? [String: Any]
        {
            settings = config.keys.sorted().map { ($0, "\(config[$0]!)") }
        } else {
            settings = []
        }
    }

    /// One stage's line of the report.
    public struct StageLine {
        public var name: String
        public var examplesIn: Int
        public var examplesOut: Int
        public var seconds: Double
        public var details: [String: Any]
    }

    public var stages: [StageLine] {
        (report["stages"] as? [[String: Any]] ?? []).map { stage in
            StageLine(
                name: stage["stage"] as? String ?? "?", examplesIn: Self.int(stage["examples_in"]),
                examplesOut: Self.int(stage["examples_out"]), seconds: Self.double(stage["seconds"]),
                details: stage["details"] as? [String: Any] ?? [:])
        }
    }

    /// The details of the first stage named `name`.
    public func details(of name: String) -> [String: Any] {
        stages.first { $0.name == name }?.details ?? [:]
    }

    static func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }
    static func double(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? 0 }
}

/// A report that cannot be made, with the file and the reason.
public struct ReportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

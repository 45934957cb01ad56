import AugProTestSupport
import Foundation

/// Runs the built `augpro` executable (next to the test bundle, or `AUGPRO_BIN`).
enum CLI {
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["AUGPRO_BIN"] { return URL(fileURLWithPath: path) }
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleFolder, bundleFolder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("augpro")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return TestEnvironment.packageRoot.appendingPathComponent(".build/debug/augpro")
    }

    /// Runs `augpro ARGS` in `directory` and returns status and outputs.
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> TestEnvironment.ProcessResult {
        try TestEnvironment.runCapturing(executable, arguments: arguments, environment: ["NO_COLOR": "1"])
    }

    /// Starts `augpro ARGS` without waiting.
    static func start(_ arguments: [String]) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errURL = try TestEnvironment.temporaryDirectory("augpro-stderr").appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, errURL)
    }
}

/// Writes a pipeline file into `folder` and returns its URL.
func writePipeline(_ yaml: String, in folder: URL, name: String = "job.yaml") throws -> URL {
    let url = folder.appendingPathComponent(name)
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// The SHA-256 of every file in `folder`, by name, computed by Python's hashlib.
func fileHashes(_ folder: URL, excluding: Set<String> = ["report.json", "report.html"]) throws -> [String: String] {
    let script = """
        import hashlib, json, os, sys
        d = sys.argv[1]
        print(json.dumps({n: hashlib.sha256(open(os.path.join(d, n), 'rb').read()).hexdigest() for n in sorted(os.listdir(d))}))
        """
    let scriptURL = try TestEnvironment.temporaryDirectory("augpro-hash").appendingPathComponent("hash.py")
    try script.write(to: scriptURL, atomically: true, encoding: .utf8)
    let output = try TestEnvironment.runPython(scriptURL, arguments: [folder.path])
    let all = try JSONSerialization.jsonObject(with: output) as! [String: String]
    return all.filter { !excluding.contains($0.key) }
}

/// Decodes a dataset with the independent Python MDS reader; one JSON object per sample.
func decodeWithPython(_ folder: URL) throws -> [[String: Any]] {
    let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/AugProWriterTests/mds_reader.py")
    let output = try TestEnvironment.runPython(script, arguments: [folder.path])
    return try String(decoding: output, as: UTF8.self).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}

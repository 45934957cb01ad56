import Foundation

/// Locations and helpers shared by the test targets: the package root, the project-local
/// Python venv (independent references: HF tokenizers, numpy, zstandard) and the model folder.
public enum TestEnvironment {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The venv's Python (`AUGPRO_PYTHON` overrides), or nil when the venv is absent.
    public static var python: URL? {
        if let path = ProcessInfo.processInfo.environment["AUGPRO_PYTHON"] {
            return URL(fileURLWithPath: path)
        }
        let url = packageRoot.appendingPathComponent(".venv/bin/python")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    /// The all-MiniLM-L6-v2 folder from the model wheel (`AUGPRO_MODEL_DIR` overrides).
    public static var modelDirectory: URL? {
        let path = ProcessInfo.processInfo.environment["AUGPRO_MODEL_DIR"]
            ?? packageRoot.appendingPathComponent(".models/all-MiniLM-L6-v2").path
        let url = URL(fileURLWithPath: path)
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) ? url : nil
    }

    /// A file under `fixtures/`.
    public static func fixture(_ relativePath: String) -> URL {
        packageRoot.appendingPathComponent("fixtures").appendingPathComponent(relativePath)
    }

    /// A fresh, empty temporary folder.
    public static func temporaryDirectory(_ label: String = "augpro-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a Python script from the venv and returns its standard output.
    /// Throws with the script's standard error when it exits non-zero.
    public static func runPython(
        _ script: URL, arguments: [String] = [], standardInput: Data? = nil
    ) throws -> Data {
        guard let python else { throw TestEnvironmentError.missingPython }
        return try run(python, arguments: [script.path] + arguments, standardInput: standardInput)
    }

    /// Runs an executable and returns its standard output; throws when it exits non-zero.
    public static func run(
        _ executable: URL, arguments: [String], standardInput: Data? = nil,
        environment: [String: String]? = nil
    ) throws -> Data {
        let result = try runCapturing(executable, arguments: arguments, standardInput: standardInput, environment: environment)
        guard result.status == 0 else {
            throw TestEnvironmentError.failed(
                command: ([executable.path] + arguments).joined(separator: " "),
                status: result.status,
                standardError: String(decoding: result.standardError, as: UTF8.self))
        }
        return result.standardOutput
    }

    /// The outcome of a finished process.
    public struct ProcessResult: Sendable {
        public var status: Int32
        public var standardOutput: Data
        public var standardError: Data
        public var stderrText: String { String(decoding: standardError, as: UTF8.self) }
        public var stdoutText: String { String(decoding: standardOutput, as: UTF8.self) }
    }

    /// Runs an executable to completion and returns status and both outputs.
    public static func runCapturing(
        _ executable: URL, arguments: [String], standardInput: Data? = nil,
        environment: [String: String]? = nil
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let outDir = try temporaryDirectory("augpro-proc")
        defer { try? FileManager.default.removeItem(at: outDir) }
        let outURL = outDir.appendingPathComponent("stdout")
        let errURL = outDir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let standardInput {
            let inURL = outDir.appendingPathComponent("stdin")
            try standardInput.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: try Data(contentsOf: outURL),
            standardError: try Data(contentsOf: errURL))
    }
}

/// Failures of the test helpers.
public enum TestEnvironmentError: Error, CustomStringConvertible {
    case missingPython
    case failed(command: String, status: Int32, standardError: String)

    public var description: String {
        switch self {
        case .missingPython:
            return "the project venv (.venv/bin/python) is missing: run `make venv`"
        case let .failed(command, status, standardError):
            return "\(command) exited \(status): \(standardError)"
        }
    }
}

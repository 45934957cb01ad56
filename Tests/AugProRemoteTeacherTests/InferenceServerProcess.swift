import AsyncHTTPClient
import AugProTestSupport
import Foundation
import NIOCore
import Testing

/// A real inference server (Triton from the nvidia-pytriton wheel, or MLServer) started for the
/// tests on 127.0.0.1 with a free port, and stopped by its PID.
final class InferenceServerProcess: @unchecked Sendable {
    /// A model to serve: a Hugging Face folder and its head (`logits` or `embedding`).
    struct Model {
        var name: String
        var folder: URL
        var head: String
        var maxBatch: Int?

        var argument: String { "\(name)=\(folder.path):\(head)" + (maxBatch.map { ":\($0)" } ?? "") }
    }

    let pid: pid_t
    let folder: URL
    let port: Int
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }
    private var exited = false

    private init(pid: pid_t, folder: URL, port: Int) {
        self.pid = pid
        self.folder = folder
        self.port = port
    }

    deinit { stop() }

    /// The Python of a server venv made by `make remote-servers`, or nil (with the reason) when
    /// the wheel could not be installed. A venv that was never made is a test failure.
    static func python(venv: String) throws -> URL? {
        let root = TestEnvironment.packageRoot.appendingPathComponent(venv)
        let unavailable = root.appendingPathComponent("UNAVAILABLE")
        if let reason = try? String(contentsOf: unavailable, encoding: .utf8) {
            print("SKIPPED (remote teacher): \(venv): \(reason.trimmingCharacters(in: .whitespacesAndNewlines)) — these tests need a real server")
            return nil
        }
        let python = root.appendingPathComponent("bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            Issue.record("\(venv) is missing: run `make remote-servers` (make test does)")
            return nil
        }
        return python
    }

    /// Starts Triton serving `models`; nil when its venv is unavailable.
    static func triton(_ models: [Model], port: Int? = nil, folder: URL? = nil) async throws -> InferenceServerProcess? {
        guard let python = try python(venv: ".venv-triton") else { return nil }
        let folder = try folder ?? TestEnvironment.temporaryDirectory("augpro-triton")
        var arguments = [
            TestEnvironment.fixture("remote/serve.py").path, folder.appendingPathComponent("repository").path,
            folder.appendingPathComponent("port").path,
        ]
        for model in models { arguments += ["--model", model.argument] }
        if let port { arguments += ["--port", String(port)] }
        return try await start(python, arguments: arguments, folder: folder)
    }

    /// Starts MLServer serving one model; nil when its venv is unavailable.
    static func mlserver(_ model: Model) async throws -> InferenceServerProcess? {
        guard let python = try python(venv: ".venv-mlserver") else { return nil }
        let folder = try TestEnvironment.temporaryDirectory("augpro-mlserver")
        let arguments = [
            TestEnvironment.fixture("remote/serve_mlserver.py").path, folder.appendingPathComponent("models").path,
            folder.appendingPathComponent("port").path, "--model", model.argument,
        ]
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
        return try await start(python, arguments: arguments, folder: folder)
    }

    private static func start(_ python: URL, arguments: [String], folder: URL) async throws -> InferenceServerProcess {
        let portFile = folder.appendingPathComponent("port")
        try? FileManager.default.removeItem(at: portFile)
        let log = folder.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let pid = try spawn(python.path, arguments: arguments, log: log.path)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(360)  // four models load in the Python backend; slow when the suite runs in parallel
        var port: Int?
        while clock.now < deadline {
            if port == nil, let text = try? String(contentsOf: portFile, encoding: .utf8) { port = Int(text) }
            if let port, await ready(port) { return InferenceServerProcess(pid: pid, folder: folder, port: port) }
            guard waitpid(pid, nil, WNOHANG) == 0 else { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        InferenceServerProcess(pid: pid, folder: folder, port: 0).stop()
        let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(3000)
        throw ServerStartError(description: "the server did not become ready: \(arguments.joined(separator: " "))\n\(tail)")
    }

    private static func ready(_ port: Int) async -> Bool {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/health/ready")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    /// Starts `executable` with `arguments` in its own process (posix_spawn: the tests wait for
    /// it with waitpid themselves), standard output and error appended to `log`.
    private static func spawn(_ executable: String, arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard status == 0 else { throw ServerStartError(description: "cannot start \(executable): \(String(cString: strerror(status)))") }
        return pid
    }

    /// Stops the server by its PID: SIGTERM, then SIGKILL after 10 s; then any Python-backend stub
    /// still running from this server's folder. Idempotent.
    func stop() {
        guard !exited else { return }
        exited = true
        Self.terminate(pid, reap: true)
        for stub in Self.processes(mentioning: folder.path) { Self.terminate(stub, reap: false) }
    }

    private static func terminate(_ pid: pid_t, reap: Bool) {
        func alive() -> Bool { reap ? waitpid(pid, nil, WNOHANG) == 0 : kill(pid, 0) == 0 }
        guard alive() else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while alive() && Date() < deadline { usleep(50_000) }
        if alive() {
            kill(pid, SIGKILL)
            if reap { waitpid(pid, nil, 0) }
        }
    }

    /// PIDs whose command line mentions `text` (a server's unique temporary folder).
    private static func processes(mentioning text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? pid : nil
        }
    }

    /// Writes a Triton model's fault control file: `{"fail": N, "status": "...", "sleep": s}`.
    func setFault(model: String, _ control: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: control)
        try data.write(to: folder.appendingPathComponent("repository/\(model).control.json"))
    }
}

struct ServerStartError: Error, CustomStringConvertible {
    var description: String
}

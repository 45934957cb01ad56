/// Why the remote teacher could not start or could not label a batch. Descriptions name the
/// server, model and request concerned; they never contain header values.
public enum RemoteTeacherError: Error, CustomStringConvertible, Sendable {
    /// A setting is invalid (no server contacted).
    case configuration(String)
    /// The server or model is not usable as configured (start-up checks).
    case incompatible(String)
    /// The server refused a request with a 4xx status other than 429: retrying cannot help.
    case rejected(String)
    /// Transient failures went on past the configured retries.
    case unavailable(String)
    /// The server answered with something that is not the expected tensor.
    case malformed(String)
    /// A sample the configured model cannot take.
    case sample(String)

    public var description: String {
        switch self {
        case .configuration(let text): "teacher: \(text)"
        case .incompatible(let text), .rejected(let text), .unavailable(let text), .malformed(let text), .sample(let text):
            "teacher: \(text)"
        }
    }

    /// True for failures that end the run but leave it resumable once the server is back.
    public var isTransient: Bool {
        if case .unavailable = self { return true }
        return false
    }
}

/// Why a teacher could not be loaded or could not label a sample. The description names the
/// file or sample concerned and what was expected.
public struct TeacherError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// A problem with a file of the model folder.
    static func file(_ path: String, _ problem: String) -> TeacherError {
        TeacherError("\(path): \(problem)")
    }
}

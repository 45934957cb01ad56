import Foundation

/// The files a run owns in its output folder, and how a new run makes the folder ready.
public enum DatasetFolder {
    /// Files of a dataset folder that a new run replaces (`--overwrite`) or refuses to touch.
    public static let filePrefixes = [
        "index.json", "shard.", "report.json", "report.html", "rejects.jsonl", ".tmp-", RunCheckpoint.fileName,
    ]

    /// Refuses a non-empty output folder unless `overwrite`; with it, removes the previous
    /// dataset's files (and only those).
    public static func prepare(_ folder: URL, overwrite: Bool) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DatasetFolderError("output \(folder.path) exists and is not a folder")
            }
            let entries = try manager.contentsOfDirectory(atPath: folder.path)
            if !entries.isEmpty && !overwrite {
                throw DatasetFolderError(
                    "output folder \(folder.path) is not empty: pass --overwrite to replace the dataset in it")
            }
            for entry in entries where filePrefixes.contains(where: entry.hasPrefix) {
                try manager.removeItem(at: folder.appendingPathComponent(entry))
            }
        }
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DatasetFolderError("cannot create the output folder \(folder.path): \(error.localizedDescription)")
        }
    }
}

/// An output folder that cannot be used.
public struct DatasetFolderError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import Foundation

/// What a Hugging Face model folder holds, worked out from its files before any weight is read:
/// where the encoder's `config.json`/`model.safetensors` are, and which heads it has.
struct ModelFolder {
    /// A sentence-transformers `Pooling` module's reduction of the token states.
    typealias Pooling = TeacherPooling

    /// The folder holding `config.json` and `model.safetensors`.
    var encoderFolder: URL
    /// Set for a sentence-transformers folder (from `modules.json`).
    var pooling: Pooling?
    /// Whether a `Normalize` module follows the pooling.
    var normalize = false

    init(folder: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TeacherError.file(folder.path, "the teacher model folder does not exist")
        }
        encoderFolder = folder
        let modulesURL = folder.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return }
        try readModules(modulesURL, folder: folder)
    }

    private mutating func readModules(_ url: URL, folder: URL) throws {
        guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data),
              let modules = object as? [[String: Any]] else {
            throw TeacherError.file(url.path, "expected a JSON array of sentence-transformers modules")
        }
        var sawTransformer = false
        for module in modules {
            guard let type = module["type"] as? String else {
                throw TeacherError.file(url.path, "every module needs a \"type\"")
            }
            let path = module["path"] as? String ?? ""
            switch type.split(separator: ".").last.map(String.init) ?? type {
            case "Transformer":
                encoderFolder = path.isEmpty ? folder : folder.appendingPathComponent(path)
                sawTransformer = true
            case "Pooling":
                pooling = try Self.readPooling(folder.appendingPathComponent(path).appendingPathComponent("config.json"))
            case "Normalize":
                normalize = true
            default:
                throw TeacherError.file(url.path, "unsupported sentence-transformers module \"\(type)\" (supported: Transformer, Pooling, Normalize)")
            }
        }
        guard sawTransformer else { throw TeacherError.file(url.path, "no sentence_transformers.models.Transformer module") }
        guard pooling != nil else { throw TeacherError.file(url.path, "no sentence_transformers.models.Pooling module") }
    }

    /// Reads `1_Pooling/config.json`: exactly one of the cls / mean / max modes must be on.
    private static func readPooling(_ url: URL) throws -> Pooling {
        guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data),
              let config = object as? [String: Any] else {
            throw TeacherError.file(url.path, "missing or unreadable Pooling config (expected a JSON object)")
        }
        let supported: [(String, Pooling)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean), ("pooling_mode_max_tokens", .max),
        ]
        let enabled = config.filter { $0.key.hasPrefix("pooling_mode_") && ($0.value as? Bool) == true }.map(\.key).sorted()
        guard enabled.count == 1, let mode = supported.first(where: { $0.0 == enabled[0] })?.1 else {
            throw TeacherError.file(
                url.path,
                "unsupported pooling \(enabled.isEmpty ? "(no mode enabled)" : enabled.joined(separator: " + ")); expected exactly one of pooling_mode_cls_token, pooling_mode_mean_tokens, pooling_mode_max_tokens")
        }
        return mode
    }
}

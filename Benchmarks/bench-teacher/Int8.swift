import AugProTeacher
import Foundation

/// The int8 teacher for the int8 column, kept even when it misses the accuracy bound (the
/// pipeline refuses it then); its self-check result is printed beside the table.
func int8Transform(model: URL, batchSize: Int, threads: Int) throws -> TeacherTransform {
    let loaded = try TeacherModel(folder: model, precision: .int8, refusesInaccurateInt8: false)
    if let check = loaded.int8Check {
        let verdict = check.misses.isEmpty ? "passes" : "FAILS: " + check.misses.joined(separator: ", ")
        print("int8 self-check (\(check.kernel) kernel, \(check.sequences) calibration sequences): minimum cosine \(String(format: "%.5f", check.minimumCosine)), \(verdict)")
    }
    return try TeacherTransform(
        options: TeacherOptions(modelPath: model, outputs: [.embedding], batchSize: batchSize, threads: threads, precision: .int8),
        model: loaded)
}

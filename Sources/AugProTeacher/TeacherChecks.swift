import AugProNumerics
import AugProRecords

/// Checks a model's files against each other before anything sized by the config is allocated,
/// refuses weights that would turn every output into NaN, and catches non-finite outputs.
enum TeacherChecks {
    /// The config's `num_hidden_layers` must not exceed the encoder layers the weights file holds
    /// (`encoder.layer.N.*`, with or without the `bert.` prefix). Other sizes are checked as
    /// tensor shapes, which come from the file's validated header, before any tensor is used.
    static func checkLayers(_ config: BertConfig, configPath: String, weights: SafetensorsFile) throws {
        var present = Set<Int>()
        for name in weights.tensorNames {
            guard let range = name.range(of: "encoder.layer.") else { continue }
            let digits = name[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
            if let index = Int(digits) { present.insert(index) }
        }
        // Layers 0, 1, 2, … as far as they go without a gap.
        let contiguous = (0...present.count).first { !present.contains($0) } ?? 0
        guard config.layerCount <= contiguous else {
            let held = contiguous == 0 ? "no encoder.layer.0 tensors" : "\(contiguous) encoder layer\(contiguous == 1 ? "" : "s") (encoder.layer.0 … \(contiguous - 1))"
            throw TeacherError.file(configPath, "num_hidden_layers is \(config.layerCount) but \(weights.path) holds \(held)")
        }
    }

    /// Every floating-point tensor of the weights file must be finite: an infinity or NaN in
    /// one matrix makes every output NaN.
    static func requireFiniteWeights(_ weights: SafetensorsFile) throws {
        for name in weights.tensorNames {
            let info = try weights.info(name)
            guard info.dtype.convertsToFloat else { continue }
            let position = try weights.withFloat32(name) { firstNonFinite($0) }
            if let position {
                throw TeacherError.file(
                    weights.path,
                    "tensor \"\(name)\" holds a non-finite value (NaN or infinity) at element \(position) of shape \(info.shape); the teacher's weights must be finite")
            }
        }
    }

    /// The index of the first NaN or infinity in `values`, if any.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        // x · 0 is 0 for every finite x and NaN otherwise: one multiply-add per element, and
        // the exact position is searched only when the sum says there is one.
        var probe: Float = 0
        for value in values { probe += value * 0 }
        guard probe.isNaN else { return nil }
        return values.firstIndex { !$0.isFinite }
    }

    /// Why one sample's head outputs cannot be written (a NaN or infinity, e.g. from overflow),
    /// or nil when they are finite.
    static func nonFiniteOutputProblem(logits: [Float]?, embedding: [Float]?) -> String? {
        for (name, values) in [("logit", logits), ("embedding value", embedding)] {
            guard let values, let position = values.withUnsafeBufferPointer(firstNonFinite) else { continue }
            return "the model produced a non-finite \(name) (\(values[position])) at position \(position); the input or the weights overflow float32"
        }
        return nil
    }

    /// A sample as messages name it: `sample 12 (original)`, or for an augmentation
    /// `sample 12 (augpro-mix #1 of 12 and 40)`.
    static func sampleName(_ sample: TokenSample) -> String {
        let provenance = sample.provenance
        guard provenance.kind != .original else { return "sample \(sample.id) (\(provenance.kind.rawValue))" }
        return "sample \(sample.id) (\(provenance.kind.rawValue) #\(provenance.augmentationIndex) of \(provenance.sourceA) and \(provenance.sourceB))"
    }
}

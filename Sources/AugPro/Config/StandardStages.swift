import AugProConfig
import AugProInterpolator
import AugProProjector
import AugProReader
import AugProTeacher
import AugProTokenizer
import AugProWriter

extension StageRegistry {
    /// The stage kinds augpro ships, in pipeline order: one line per kind or sub-kind.
    public static let standard: StageRegistry = {
        var registry = StageRegistry()
        registry.register(StageKind("reader", ReaderOptions.self))
        registry.register(StageKind("tokenizer", TokenizerOptions.self))
        registry.register(StageKind("interpolator", selector: "method", default: InterpolatorOptions.method))
        registry.register(StageKind(InterpolatorOptions.method, InterpolatorOptions.self), under: "interpolator")
        registry.register(StageKind("projector", ProjectorOptions.self))
        registry.register(StageKind("teacher", selector: "kind", default: TeacherOptions.kind))
        registry.register(StageKind(TeacherOptions.kind, TeacherOptions.self), under: "teacher")
        registry.register(StageKind("writer", WriterOptions.self))
        return registry
    }()
}

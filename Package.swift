// swift-tools-version: 6.1
import PackageDescription

/// augpro: batch-precomputes AugPro-augmented, teacher-labelled training corpora.
///
/// One module per pipeline stage family, so the compiler guards the walls:
/// reader → tokenizer → interpolator → projector → teacher → writer,
/// wired by `AugProRuntime` and assembled from YAML by `AugPro`.
let package = Package(
    name: "augpro",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "augpro", targets: ["augpro"]),
        .library(name: "AugPro", targets: ["AugPro"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Thin C shims: each is imported by exactly one Swift wrapper in AugProNumerics.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // C kernels: int8 GEMM (portable, AVX2, AVX-512 VNNI; chosen at run time) and the teacher's row passes.
        .target(name: "CKernels"),

        // Numerics and I/O primitives: zstd, BLAS, memory-mapped files, safetensors, hashes.
        .target(
            name: "AugProNumerics",
            dependencies: ["CZstd", "CBLAS", "CKernels"]
        ),
        // Bounded batch channels, stage protocol, ordered workers, cancellation, reports.
        .target(
            name: "AugProRuntime",
            dependencies: [.product(name: "AsyncAlgorithms", package: "swift-async-algorithms")]
        ),
        // The record types that flow between stages.
        .target(name: "AugProRecords"),
        // Config decoding helpers (file:line:col errors), the stage-kind protocol and registry,
        // and the output-settings record checkpoints are keyed by.
        .target(name: "AugProConfig", dependencies: ["AugProRuntime", "AugProRecords"]),

        // Stages.
        .target(name: "AugProReader", dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords", "AugProNumerics"]),
        .target(name: "AugProTokenizer", dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords"]),
        .target(name: "AugProInterpolator", dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords"]),
        .target(name: "AugProProjector", dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords", "AugProNumerics"]),
        .target(name: "AugProTeacher", dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords", "AugProNumerics"]),
        .target(name: "AugProWriter", dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords", "AugProNumerics"]),

        // Resume: checkpoint.json (output settings + input identity + committed shards), restart
        // points, ordinal batching, the output folder's files. The crash-injection hook of the
        // resume tests exists only in debug builds.
        .target(
            name: "AugProResume",
            dependencies: ["AugProConfig", "AugProRuntime", "AugProRecords", "AugProNumerics", "AugProReader", "AugProWriter"],
            swiftSettings: [.define("AUGPRO_FAULT_HOOKS", .when(configuration: .debug))]
        ),
        // The remote teacher: any Open Inference Protocol (KServe v2) server over HTTP.
        .target(
            name: "AugProRemoteTeacher",
            dependencies: [
                "AugProRuntime", "AugProRecords", "AugProTeacher",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),

        // The run report (report.html) and readable dataset text, from the shards and report.json.
        .target(name: "AugProReport", dependencies: ["AugProRuntime", "AugProWriter", "AugProTokenizer"]),

        // Pipeline assembly: YAML config, stage chain type-checking, running, reports.
        .target(
            name: "AugPro",
            dependencies: [
                "AugProConfig", "AugProResume", "AugProRuntime", "AugProRecords", "AugProNumerics",
                "AugProReader", "AugProTokenizer", "AugProInterpolator",
                "AugProProjector", "AugProTeacher", "AugProWriter",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The command-line tool.
        .executableTarget(
            name: "augpro",
            dependencies: ["AugPro", "AugProConfig", "AugProResume", "AugProRuntime", "AugProReport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Benchmarks: one executable per area, each run side by side with its Python reference.
        .executableTarget(name: "bench-tokenizer", dependencies: ["AugProTokenizer", "AugProRuntime"], path: "Benchmarks/bench-tokenizer", exclude: ["hf_bench.py", "RESULTS.md"]),
        .executableTarget(name: "bench-projector", dependencies: ["AugProProjector", "AugProInterpolator", "AugProNumerics"], path: "Benchmarks/bench-projector", exclude: ["bench_numpy.py", "RESULTS.md"]),
        .executableTarget(
            name: "bench-remote", dependencies: ["AugProRemoteTeacher", "AugProTeacher", "AugProRecords", "AugProRuntime"],
            path: "Benchmarks/bench-remote", exclude: ["run.sh"]),
        .executableTarget(name: "bench-teacher", dependencies: ["AugProTeacher", "AugProNumerics", "AugProRecords", "AugProRuntime"], path: "Benchmarks/bench-teacher", exclude: ["RESULTS.md", "engines.py", "requirements-bench.txt"]),

        .target(name: "AugProTestSupport", dependencies: ["AugProRuntime"], path: "Tests/AugProTestSupport"),
        .testTarget(name: "AugProNumericsTests", dependencies: ["AugProTestSupport", "AugProNumerics"]),
        .testTarget(name: "AugProRuntimeTests", dependencies: ["AugProTestSupport", "AugProRuntime"]),
        .testTarget(
            name: "AugProReaderTests",
            dependencies: ["AugProTestSupport", "AugProReader", "AugProNumerics", "AugProRuntime", "AugProRecords"]),
        .testTarget(
            name: "AugProTokenizerTests",
            dependencies: ["AugProTestSupport", "AugProTokenizer", "AugProRecords", "AugProRuntime"]),
        .testTarget(
            name: "AugProMixTests",
            dependencies: ["AugProTestSupport", "AugProInterpolator", "AugProProjector", "AugProNumerics", "AugProRecords", "AugProRuntime"]),
        .testTarget(
            name: "AugProTeacherTests",
            dependencies: ["AugProTestSupport", "AugProTeacher", "AugProNumerics", "AugProRecords", "AugProRuntime"]),
        .testTarget(
            name: "AugProWriterTests",
            dependencies: ["AugProTestSupport", "AugProWriter", "AugProNumerics", "AugProRuntime", "AugProRecords"],
            exclude: ["mds_reader.py", "mds_writer.py"]),
        .testTarget(
            name: "AugProConfigTests",
            dependencies: [
                "AugProTestSupport", "AugPro", "AugProConfig", "AugProResume", "AugProNumerics", "AugProRecords", "AugProRuntime",
                "AugProReader", "AugProWriter",
            ]),
        .testTarget(
            name: "AugProRemoteTeacherTests",
            dependencies: [
                "AugProTestSupport", "AugProRemoteTeacher", "AugProTeacher", "AugProRecords", "AugProRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(name: "EndToEndTests", dependencies: ["AugProTestSupport", "AugPro", "AugProNumerics"], exclude: ["report_numbers.py"]),
    ]
)

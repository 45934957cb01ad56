import AugProRecords
import AugProRuntime
import Foundation

/// A typed slot of ``StageAssembly`` that a module defines for facts only some stages know
/// (e.g. what a resumed writer continues after), so the assembly needs no field per stage kind.
public protocol AssemblyKey {
    associatedtype Value: Sendable
}

/// The state of a pipeline being assembled, handed to each stage's
/// ``StageSettings/assemble(in:)`` in order: run-wide settings, what the previous stages
/// produce, and the facts they leave for the stages after them.
public struct StageAssembly: Sendable {
    /// The pipeline file, for messages.
    public let file: String
    /// The run's seed and channel batch size.
    public let seed: UInt64
    public let batchSize: Int
    /// The output folder (the sink's, or `--output`).
    public let outputDirectory: URL
    /// Whether an existing dataset in the output folder is replaced (`--overwrite`, `--resume`).
    public let overwrite: Bool
    /// The first input ordinal the source emits (non-zero when resuming).
    public let startOrdinal: Int64
    /// Input ordinals restart points are rounded down to (see ``StageSettings/restartGranule``).
    public let restartGranule: Int64

    /// The element type the previous stage produces (nil before the first stage).
    public package(set) var previousOutput: Any.Type?
    /// Whether the source's records carry a second text (`text_pair`).
    public var inputHasTextPair = false
    /// The tokenizer's vocabulary, once a tokenizer stage is placed.
    public var vocabulary: TokenVocabulary?
    /// Optional columns the stages so far add to token samples (kept text, teacher outputs).
    public var columns: TokenSampleColumns = []
    /// Facts about models and tables for `report.json` (teacher identity, embedding source).
    public var models: [String: JSONValue] = [:]
    private var slots: [ObjectIdentifier: any Sendable] = [:]

    public init(
        file: String, seed: UInt64, batchSize: Int, outputDirectory: URL, overwrite: Bool,
        startOrdinal: Int64 = 0, restartGranule: Int64
    ) {
        self.file = file
        self.seed = seed
        self.batchSize = batchSize
        self.outputDirectory = outputDirectory
        self.overwrite = overwrite
        self.startOrdinal = startOrdinal
        self.restartGranule = restartGranule
    }

    /// The value stored under `key`, if any.
    public subscript<Key: AssemblyKey>(_ key: Key.Type) -> Key.Value? {
        get { slots[ObjectIdentifier(key)] as? Key.Value }
        set { slots[ObjectIdentifier(key)] = newValue }
    }
}

/// A stage that cannot be placed where it is; the assembler adds file, line and stage.
public struct StagePlacementError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension StageAssembly {
    /// Human names of the element types flowing between stages, for messages.
    public static func describe(_ type: Any.Type) -> String {
        switch type {
        case is TextRecord.Type: "raw text records"
        case is TokenSample.Type: "token sequences"
        case is MixItem.Type: "mix plans"
        default: "\(type)"
        }
    }
}

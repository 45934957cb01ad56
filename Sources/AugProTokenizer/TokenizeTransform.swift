import AugProRecords
import AugProRuntime
import Synchronization

/// The tokenizer stage: `TextRecord` → `TokenSample` (original provenance), safe to run with
/// several workers (wrap it in `TransformStage`).
public struct TokenizeTransform: BatchTransform {
    public typealias Input = TextRecord
    public typealias Output = TokenSample

    public let tokenizer: WordPieceTokenizer
    public let keepText: Bool
    private let counters = TokenizeCounters()

    public init(tokenizer: WordPieceTokenizer, keepText: Bool = false) {
        self.tokenizer = tokenizer
        self.keepText = keepText
    }

    /// Loads the tokenizer named by `options` and keeps its `keep_text` choice.
    public init(options: TokenizerOptions) throws {
        self.init(tokenizer: try WordPieceTokenizer(options: options), keepText: options.keepText)
    }

    public var name: String { "tokenizer" }

    public func transform(_ batch: [TextRecord], context: StageContext) throws -> [TokenSample] {
        var scratch = EncoderScratch()
        var samples: [TokenSample] = []
        samples.reserveCapacity(batch.count)
        var tokens = 0
        var truncated = 0
        var unknown = 0
        for record in batch {
            let encoding: WordPieceTokenizer.Encoding
            do {
                encoding = try tokenizer.encode(record.text, pair: record.textPair, scratch: &scratch)
            } catch {
                throw TokenizeRecordError(id: record.id, line: record.line, underlying: error)
            }
            tokens += encoding.inputIds.count
            if encoding.truncated { truncated += 1 }
            for id in encoding.inputIds where id == tokenizer.specialTokens.unk { unknown += 1 }
            samples.append(TokenSample(
                id: record.id, inputIds: encoding.inputIds, tokenTypeIds: encoding.tokenTypeIds,
                label: record.label, text: keepText ? record.text : nil,
                textPair: keepText ? record.textPair : nil, provenance: .original(id: record.id, ordinal: record.ordinal)))
        }
        counters.add(examples: batch.count, tokens: tokens, truncated: truncated, unknown: unknown)
        return samples
    }

    /// Examples, tokens (with specials), truncated examples and `[UNK]` tokens seen so far.
    public func reportDetails() -> [String: JSONValue] {
        [
            "examples": .int(counters.examples.load(ordering: .relaxed)),
            "tokens": .int(counters.tokens.load(ordering: .relaxed)),
            "truncated_examples": .int(counters.truncated.load(ordering: .relaxed)),
            "unk_tokens": .int(counters.unknown.load(ordering: .relaxed)),
            "vocab_size": .int(tokenizer.vocabulary.count),
            "max_length": .int(tokenizer.maxLength),
            "truncation": .string(tokenizer.truncation.rawValue),
        ]
    }
}

/// A record the tokenizer could not encode, naming it.
public struct TokenizeRecordError: Error, CustomStringConvertible {
    public let id: Int64
    public let line: Int
    public let underlying: Error

    public var description: String { "tokenizer: example id \(id) (input line \(line)): \(underlying)" }
}

/// Counters shared by the transform's concurrent workers.
final class TokenizeCounters: Sendable {
    let examples = Atomic<Int>(0)
    let tokens = Atomic<Int>(0)
    let truncated = Atomic<Int>(0)
    let unknown = Atomic<Int>(0)

    func add(examples: Int, tokens: Int, truncated: Int, unknown: Int) {
        self.examples.add(examples, ordering: .relaxed)
        self.tokens.add(tokens, ordering: .relaxed)
        self.truncated.add(truncated, ordering: .relaxed)
        self.unknown.add(unknown, ordering: .relaxed)
    }
}

import AugProRuntime
import Synchronization

/// A source stage that sends fixed elements in batches of the pipeline's batch size.
public struct ArraySource<Element: Sendable>: SourceStage {
    public let elements: [Element]
    public let name: String

    public init(_ elements: [Element], name: String = "source") {
        self.elements = elements
        self.name = name
    }

    public func run(output: StageOutput<Element>, context: StageContext) async throws {
        for start in stride(from: 0, to: elements.count, by: context.batchSize) {
            try await output.send(Array(elements[start..<min(elements.count, start + context.batchSize)]))
        }
    }
}

/// A sink stage that keeps everything it receives, in order.
public final class CollectingStage<Element: Sendable>: Stage {
    public typealias Output = Never
    private let storage = Mutex<[Element]>([])
    public var name: String { "collector" }

    public init() {}

    /// Everything received so far.
    public var received: [Element] { storage.withLock { $0 } }

    public func run(input: StageInput<Element>, output: StageOutput<Never>, context: StageContext) async throws {
        while let batch = try await input.next() {
            storage.withLock { $0 += batch }
        }
    }
}

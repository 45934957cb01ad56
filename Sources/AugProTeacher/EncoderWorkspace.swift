import AugProNumerics
import Dispatch
import Synchronization

/// Reusable buffers for forward passes: the hidden state of a whole pass plus one scratch set
/// per worker thread, grown to the largest pass seen and then reused, so a steady stream of
/// passes allocates nothing. Taken from and returned to a ``WorkspacePool``.
final class EncoderWorkspace: @unchecked Sendable {
    /// One worker's buffers for a chunk of rows.
    final class Scratch {
        var queryKeyValue: [Float] = []
        var context: [Float] = []
        var attended: [Float] = []
        var intermediate: [Float] = []
        var scores: [Float] = []
        var quantized: [UInt8] = []
        var rowScales: [Float] = []
    }

    /// `[tokens × hidden]`, the pass's state (capacity may exceed the pass).
    var hidden: [Float] = []
    /// The pass's row ranges, per worker-sized chunk.
    var chunks: [(sequences: Range<Int>, rows: Range<Int>)] = []
    var scratch: [Scratch] = []

    /// Makes every buffer large enough for `tokens` rows, chunks of at most `chunkRows` rows,
    /// sequences of at most `longest` tokens and `workers` threads.
    func reserve(tokens: Int, chunkRows: Int, longest: Int, workers: Int, config: BertConfig, quantizedRowBytes: Int) {
        grow(&hidden, tokens * config.hiddenSize)
        while scratch.count < workers { scratch.append(Scratch()) }
        for set in scratch.prefix(workers) {
            grow(&set.queryKeyValue, chunkRows * 3 * config.hiddenSize)
            grow(&set.context, chunkRows * config.hiddenSize)
            grow(&set.attended, chunkRows * config.hiddenSize)
            grow(&set.intermediate, chunkRows * config.intermediateSize)
            grow(&set.scores, longest * longest)
            grow(&set.quantized, chunkRows * quantizedRowBytes)
            grow(&set.rowScales, chunkRows)
        }
    }

    private func grow<T: Numeric>(_ buffer: inout [T], _ count: Int) {
        if buffer.count < count { buffer = [T](repeating: 0, count: count) }
    }
}

/// Workspaces shared by the passes of one encoder (one per concurrent caller).
final class WorkspacePool: Sendable {
    private let free = Mutex<[EncoderWorkspace]>([])

    /// Runs `body` with a workspace no other caller holds.
    func with<R>(_ body: (EncoderWorkspace) throws -> R) rethrows -> R {
        let workspace = free.withLock { $0.popLast() } ?? EncoderWorkspace()
        defer { free.withLock { $0.append(workspace) } }
        return try body(workspace)
    }
}

/// Runs `count` work items on up to `threads` threads (the caller is one of them); each item
/// runs once, on the worker whose index is passed, taking items in order as workers free up.
func parallelItems(_ count: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
    let workers = min(threads, count)
    guard workers > 1 else {
        for item in 0..<count { body(0, item) }
        return
    }
    let counter = ItemCounter()
    withoutActuallyEscaping(body) { body in
        let task = UncheckedSendable(value: body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let item = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard item < count else { return }
                task.value(worker, item)
            }
        }
    }
}

/// The next unclaimed work item.
private final class ItemCounter: Sendable {
    let next = Atomic<Int>(0)
}

/// Carries a value the caller keeps alive and uses race-free into `concurrentPerform`.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// The admission and ordering rules of an ordered worker pool, with no concurrency of its own:
/// the driver (``OrderedWorkers``) reports events and performs the action asked for next, as
/// swift-async-algorithms splits `AsyncChannel` into a public type, storage and a state machine.
///
/// Batches are numbered in the order they are taken from the input. At most `maxRunning` run at
/// once, and at most `window` are outstanding (taken but not yet sent), so finished batches held
/// back behind a slow earlier one stay bounded too. Results leave strictly in input order.
///
/// When the input fails, the batches already taken are finished and sent in order before the
/// failure is passed on (a stop request drains). A failed batch or a cancellation ends the work
/// at once: nothing more is sent.
public struct OrderedWorkStateMachine<Output> {
    /// What the driver must do next.
    public enum Action {
        /// Fetch the next input batch and report it with ``batchTaken()``, ``inputEnded()`` or
        /// ``inputFailed(_:)``. At most one fetch is outstanding at a time.
        case takeInput
        /// Send this batch downstream: it is the next one in input order.
        case emit([Output])
        /// Wait for the next event: a fetched batch or a finished one.
        case wait
        /// Input ended and every batch was sent.
        case finish
        /// Stop and pass this error on.
        case fail(any Error)
    }

    private enum InputState {
        case idle
        case fetching
        case ended
        case failed(any Error)
    }

    /// Batches allowed to run at once.
    public let maxRunning: Int
    /// Batches allowed to be taken but not yet sent.
    public let window: Int
    private var input = InputState.idle
    private var taken = 0
    private var sent = 0
    private var running = 0
    private var finished: [Int: [Output]] = [:]
    private var failure: (any Error)?

    /// - Parameters:
    ///   - maxRunning: batches in work at once (workers, or requests in flight); at least 1.
    ///   - window: batches taken but not yet sent; at least `maxRunning`. Defaults to twice it.
    public init(maxRunning: Int, window: Int? = nil) {
        self.maxRunning = max(1, maxRunning)
        self.window = max(self.maxRunning, window ?? 2 * self.maxRunning)
    }

    /// Batches taken and not yet sent (running or finished and waiting for their turn).
    public var outstanding: Int { taken - sent }
    /// Batches in work now.
    public var runningCount: Int { running }
    /// Batches sent so far.
    public var sentCount: Int { sent }

    /// The next thing the driver must do. Each `.emit` is final: the batch counts as sent.
    public mutating func nextAction() -> Action {
        if let failure { return .fail(failure) }
        if let ready = finished.removeValue(forKey: sent) {
            sent += 1
            return .emit(ready)
        }
        switch input {
        case .idle where running < maxRunning && outstanding < window:
            input = .fetching
            return .takeInput
        case .fetching:
            return .wait
        case _ where running > 0:
            return .wait
        case .idle:
            // Running is 0 here, so the window is full of finished batches waiting for an earlier
            // one, which cannot happen: the earliest outstanding batch is either running or sent.
            preconditionFailure("ordered work stalled with \(outstanding) outstanding batches")
        case .ended:
            return .finish
        case .failed(let error):
            return .fail(error)
        }
    }

    /// The fetch asked for by `.takeInput` produced a batch; returns its index, to be reported
    /// back with ``completed(_:with:)``.
    public mutating func batchTaken() -> Int {
        precondition(isFetching, "a batch arrived that was not asked for")
        input = .idle
        running += 1
        taken += 1
        return taken - 1
    }

    /// The fetch asked for by `.takeInput` found the end of input.
    public mutating func inputEnded() {
        precondition(isFetching, "end of input reported without a fetch")
        input = .ended
    }

    /// The fetch asked for by `.takeInput` failed: batches already taken are still finished and
    /// sent, then `error` is passed on.
    public mutating func inputFailed(_ error: any Error) {
        precondition(isFetching, "input failure reported without a fetch")
        input = .failed(error)
    }

    /// Batch `index` finished with `result`. A failed batch ends the work with its error.
    public mutating func completed(_ index: Int, with result: Result<[Output], any Error>) {
        precondition(index >= sent && index < taken && finished[index] == nil, "batch \(index) completed twice or was never taken")
        running -= 1
        switch result {
        case .success(let batch):
            if failure == nil { finished[index] = batch }
        case .failure(let error):
            failure = failure ?? error
            finished.removeAll()
        }
    }

    /// The work was cancelled: nothing more is taken or sent.
    public mutating func cancelled() {
        failure = failure ?? CancellationError()
        finished.removeAll()
    }

    private var isFetching: Bool {
        if case .fetching = input { return true }
        return false
    }
}

import Synchronization

/// A monotonic counter that tasks can wait on: `await reached(n)` resumes once `advance` has been
/// called `n` times. Lets tests order events between tasks without sleeping.
final class Milestones: Sendable {
    private struct State {
        var count = 0
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())

    var count: Int { state.withLock { $0.count } }

    /// Counts one more event and resumes the waiters whose target it reaches.
    func advance() {
        let ready = state.withLock { state in
            state.count += 1
            let count = state.count
            let ready = state.waiters.filter { $0.target <= count }
            state.waiters.removeAll { $0.target <= count }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Returns once at least `target` events were counted.
    func reached(_ target: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.count >= target { return true }
                state.waiters.append((target, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// A gate closed until `open()`: `await pass()` returns once it is open.
final class Gate: Sendable {
    private let opened = Milestones()

    func open() { if opened.count == 0 { opened.advance() } }
    func pass() async { await opened.reached(1) }
}

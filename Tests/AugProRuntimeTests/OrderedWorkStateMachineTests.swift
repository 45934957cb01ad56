import AugProRuntime
import AugProTestSupport
import Testing

private struct Boom: Error {}

/// The actions a machine asks for until it must wait, with every fetch answered by `fetch`.
private func drive(
    _ machine: inout OrderedWorkStateMachine<Int>, fetch: () -> Int?, taken: inout [Int], emitted: inout [Int]
) -> OrderedWorkStateMachine<Int>.Action {
    while true {
        let action = machine.nextAction()
        switch action {
        case .takeInput:
            if let value = fetch() {
                #expect(machine.batchTaken() == taken.count)
                taken.append(value)
            } else {
                machine.inputEnded()
            }
        case .emit(let batch):
            emitted += batch
        case .wait, .finish, .fail:
            return action
        }
    }
}

@Suite("Ordered work state machine")
struct OrderedWorkStateMachineTests {
    @Test("batches finishing out of order leave in input order")
    func outOfOrder() {
        var machine = OrderedWorkStateMachine<Int>(maxRunning: 3, window: 3)
        var taken: [Int] = []
        var emitted: [Int] = []
        var source = [10, 11, 12].makeIterator()
        guard case .wait = drive(&machine, fetch: { source.next() }, taken: &taken, emitted: &emitted) else {
            Issue.record("expected to wait for work"); return
        }
        #expect(taken == [10, 11, 12] && machine.runningCount == 3)
        machine.completed(2, with: .success([12]))
        machine.completed(1, with: .success([11]))
        guard case .wait = machine.nextAction() else { Issue.record("batch 0 is still running"); return }
        #expect(emitted.isEmpty)
        machine.completed(0, with: .success([10]))
        guard case .finish = drive(&machine, fetch: { source.next() }, taken: &taken, emitted: &emitted) else {
            Issue.record("expected the end"); return
        }
        #expect(emitted == [10, 11, 12])
    }

    @Test("no more than maxRunning run, and no more than window wait to be sent")
    func bounds() {
        var machine = OrderedWorkStateMachine<Int>(maxRunning: 2, window: 3)
        var taken: [Int] = []
        var emitted: [Int] = []
        var next = 0
        let fetch = { () -> Int? in next += 1; return next - 1 }
        _ = drive(&machine, fetch: fetch, taken: &taken, emitted: &emitted)
        #expect(taken == [0, 1])
        machine.completed(1, with: .success([1]))
        _ = drive(&machine, fetch: fetch, taken: &taken, emitted: &emitted)
        // Batch 0 still runs; 1 waits finished; 2 runs: the window of 3 is full.
        #expect(taken == [0, 1, 2] && machine.outstanding == 3 && emitted.isEmpty)
        machine.completed(2, with: .success([2]))
        guard case .wait = drive(&machine, fetch: fetch, taken: &taken, emitted: &emitted) else {
            Issue.record("the window is full"); return
        }
        #expect(taken.count == 3)
        machine.completed(0, with: .success([0]))
        _ = drive(&machine, fetch: fetch, taken: &taken, emitted: &emitted)
        #expect(emitted == [0, 1, 2] && taken == [0, 1, 2, 3, 4])
    }

    @Test("a failed batch ends the work at once: later finished batches are not sent")
    func batchFailure() {
        var machine = OrderedWorkStateMachine<Int>(maxRunning: 3)
        var taken: [Int] = []
        var emitted: [Int] = []
        var source = [0, 1, 2].makeIterator()
        _ = drive(&machine, fetch: { source.next() }, taken: &taken, emitted: &emitted)
        machine.completed(0, with: .success([0]))
        machine.completed(2, with: .success([2]))
        guard case .emit([0]) = machine.nextAction() else { Issue.record("batch 0 is ready"); return }
        machine.completed(1, with: .failure(Boom()))
        guard case .fail(let error) = machine.nextAction() else { Issue.record("expected the failure"); return }
        #expect(error is Boom)
        guard case .fail = machine.nextAction() else { Issue.record("a failure is final"); return }
    }

    @Test("an input failure drains: batches already taken finish and leave in order, then the failure")
    func drainOnInputFailure() {
        var machine = OrderedWorkStateMachine<Int>(maxRunning: 3)
        for expected in 0..<2 {
            guard case .takeInput = machine.nextAction() else { Issue.record("a worker is free"); return }
            #expect(machine.batchTaken() == expected)
        }
        guard case .takeInput = machine.nextAction() else { Issue.record("a worker is free"); return }
        machine.inputFailed(Boom())
        guard case .wait = machine.nextAction() else { Issue.record("two batches are running"); return }
        machine.completed(1, with: .success([1]))
        guard case .wait = machine.nextAction() else { Issue.record("batch 0 is running"); return }
        machine.completed(0, with: .success([0]))
        guard case .emit([0]) = machine.nextAction(), case .emit([1]) = machine.nextAction(),
            case .fail(let error) = machine.nextAction()
        else { Issue.record("expected both batches, then the failure"); return }
        #expect(error is Boom)
    }

    @Test("cancellation sends nothing more, even batches already finished")
    func cancellation() {
        var machine = OrderedWorkStateMachine<Int>(maxRunning: 2)
        var taken: [Int] = []
        var emitted: [Int] = []
        var source = [0, 1].makeIterator()
        _ = drive(&machine, fetch: { source.next() }, taken: &taken, emitted: &emitted)
        machine.completed(1, with: .success([1]))
        machine.cancelled()
        machine.completed(0, with: .success([0]))
        guard case .fail(let error) = machine.nextAction() else { Issue.record("expected the cancellation"); return }
        #expect(error is CancellationError)
    }

    @Test("random completion orders: output is the input in order, bounds always hold", arguments: [1, 2, 5])
    func randomSchedules(maxRunning: Int) {
        var random = SeededRandom(seed: UInt64(maxRunning))
        for trial in 0..<200 {
            let count = random.below(40)
            let window = maxRunning + random.below(3)
            var machine = OrderedWorkStateMachine<Int>(maxRunning: maxRunning, window: window)
            var taken: [Int] = []
            var emitted: [Int] = []
            var running: [Int] = []
            var next = 0
            let fetch = { () -> Int? in
                guard next < count else { return nil }
                next += 1
                return next - 1
            }
            var finished = false
            while !finished {
                let before = taken.count
                switch drive(&machine, fetch: fetch, taken: &taken, emitted: &emitted) {
                case .wait:
                    running += Array(before..<taken.count)
                    #expect(running.count <= maxRunning && machine.outstanding <= window)
                    let pick = random.below(running.count)
                    let index = running.remove(at: pick)
                    machine.completed(index, with: .success([taken[index] * 2]))
                case .finish:
                    finished = true
                default:
                    Issue.record("trial \(trial): unexpected action")
                    return
                }
            }
            #expect(emitted == (0..<count).map { $0 * 2 }, "trial \(trial)")
        }
    }
}

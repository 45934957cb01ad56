/// Runs batch work concurrently with results in input order: the driver of an
/// ``OrderedWorkStateMachine``. It owns one task group in which the input fetch and every batch
/// in work are child tasks, so a finished batch is sent as soon as its turn comes, even while the
/// next input batch is still awaited.
struct OrderedWorkers<Input: Sendable, Output: Sendable> {
    /// Batches in work at once.
    let maxRunning: Int
    /// Batches taken but not yet sent.
    let window: Int?

    /// What a child task reports to the driver.
    private enum Event: Sendable {
        case input(Result<[Input]?, any Error>)
        case completed(Int, Result<[Output], any Error>)
    }

    /// Takes every batch of `input`, runs `work` on it and sends the results to `output` in input
    /// order; returns the wall time during which at least one batch was in work.
    @discardableResult
    func run(
        input: StageInput<Input>, output: StageOutput<Output>,
        work: @escaping @Sendable ([Input]) async throws -> [Output]
    ) async throws -> Duration {
        var machine = OrderedWorkStateMachine<Output>(maxRunning: maxRunning, window: window)
        let clock = ContinuousClock()
        var occupied = Duration.zero
        var busySince: ContinuousClock.Instant?
        try await withThrowingTaskGroup(of: Event.self) { group in
            while true {
                if Task.isCancelled { machine.cancelled() }
                switch machine.nextAction() {
                case .takeInput:
                    group.addTask {
                        do { return .input(.success(try await input.next())) } catch { return .input(.failure(error)) }
                    }
                case .emit(let batch):
                    try await output.send(batch)
                case .finish:
                    return
                case .fail(let error):
                    throw error
                case .wait:
                    guard let event = try await group.next() else {
                        preconditionFailure("ordered work waits with nothing in the group")
                    }
                    switch event {
                    case .input(.success(let batch?)):
                        let index = machine.batchTaken()
                        if busySince == nil { busySince = clock.now }
                        group.addTask {
                            do { return .completed(index, .success(try await work(batch))) } catch {
                                return .completed(index, .failure(error))
                            }
                        }
                    case .input(.success(nil)):
                        machine.inputEnded()
                    case .input(.failure(let error as UpstreamFailure)):
                        machine.inputFailed(error)
                    case .input(.failure(let error)):
                        machine.inputFailed(error)
                        machine.cancelled()
                    case .completed(let index, let result):
                        machine.completed(index, with: result)
                        if machine.runningCount == 0, let since = busySince {
                            occupied += clock.now - since
                            busySince = nil
                        }
                    }
                }
            }
        }
        return occupied
    }
}

import Foundation

/// Which of N workers a run is (`augpro run --worker I/N`): worker I processes a contiguous part
/// of the input and writes its own dataset, `OUT/part-I`; `augpro merge` joins the parts.
public struct WorkerAssignment: Sendable, Equatable, CustomStringConvertible {
    /// 0-based worker index.
    public var index: Int
    /// Number of workers.
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// The folder name of this worker's part inside the output folder.
    public var partName: String { "part-\(index)" }

    /// Parses `I/N` (0 ≤ I < N), or `auto`: Slurm array variables (`SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`), or a Kubernetes Indexed Job's
    /// `JOB_COMPLETION_INDEX` with `AUGPRO_WORKER_COUNT`.
    public init(parsing text: String, environment: [String: String]) throws {
        if text == "auto" {
            func number(_ name: String) -> Int? { environment[name].flatMap { Int($0) } }
            if let task = number("SLURM_ARRAY_TASK_ID"), let count = number("SLURM_ARRAY_TASK_COUNT") {
                try self.init(
                    checkedIndex: task - (number("SLURM_ARRAY_TASK_MIN") ?? 0), count: count, source: "SLURM_ARRAY_TASK_ID")
            } else if let index = number("JOB_COMPLETION_INDEX") {
                guard let count = number("AUGPRO_WORKER_COUNT") else {
                    throw WorkerAssignmentError(
                        "--worker auto: JOB_COMPLETION_INDEX is set but AUGPRO_WORKER_COUNT (the number of workers) is not")
                }
                try self.init(checkedIndex: index, count: count, source: "JOB_COMPLETION_INDEX")
            } else {
                throw WorkerAssignmentError(
                    "--worker auto: found neither SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT nor JOB_COMPLETION_INDEX with AUGPRO_WORKER_COUNT in the environment"
                )
            }
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw WorkerAssignmentError("--worker: expected I/N (e.g. 0/4) or auto, got `\(text)`")
        }
        try self.init(checkedIndex: index, count: count, source: "--worker")
    }

    private init(checkedIndex index: Int, count: Int, source: String) throws {
        guard (1...100_000).contains(count), (0..<count).contains(index) else {
            throw WorkerAssignmentError("\(source): worker \(index) of \(count) is out of range (expected 0 ≤ I < N, N ≤ 100000)")
        }
        self.init(index: index, count: count)
    }

    /// The ordinals this worker reads when the input has `records` records cut into units of
    /// `unit` ordinals: units are dealt out contiguously, worker I taking
    /// [⌊I·U/N⌋, ⌊(I+1)·U/N⌋) of the U units.
    public func ordinals(records: Int64, unit: Int64) -> Range<Int64> {
        let units = (records + unit - 1) / unit
        let first = units * Int64(index) / Int64(count)
        let last = units * Int64(index + 1) / Int64(count)
        return min(records, first * unit)..<min(records, last * unit)
    }
}

/// A malformed or out-of-range worker assignment.
public struct WorkerAssignmentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The part of the input a worker's source stage reads (an ``StageAssembly`` slot).
public struct InputPartition: AssemblyKey, Sendable {
    public typealias Value = InputPartition
    public var worker: WorkerAssignment
    /// Ordinals per unit: a multiple of the restart granule (`partition_size`, or the granule).
    public var unit: Int64
    /// The cached record-boundary index of the input, shared by every worker of the run.
    public var indexFile: URL

    public init(worker: WorkerAssignment, unit: Int64, indexFile: URL) {
        self.worker = worker
        self.unit = unit
        self.indexFile = indexFile
    }
}

/// Input ordinals at whose multiples the sink starts a new shard (`partition_size`), so that
/// shards are the same files whichever number of workers wrote them (an ``StageAssembly`` slot).
public struct ShardPartition: AssemblyKey, Sendable {
    public typealias Value = Int64
}

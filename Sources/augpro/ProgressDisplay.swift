import AugProRuntime
import Dispatch
import Foundation

/// Shows run progress on standard error: a live bar on a terminal (examples/s, elapsed, ETA from
/// bytes read of the input, the bottleneck stage), or a plain line every few seconds otherwise
/// with every stage's throughput and its link occupancy.
final class ProgressDisplay: @unchecked Sendable {
    private let style: ProgressStyle
    private let counters: ProgressCounters
    /// Touched only by `start` and `stop`, from the command's task.
    private var timer: DispatchSourceTimer?
    private let started = ContinuousClock.now
    /// Touched only from the timer's handler (one at a time) and after the timer is cancelled.
    private var meter = FlowMeter()

    init(style: ProgressStyle, counters: ProgressCounters) {
        self.style = style
        self.counters = counters
    }

    func start() {
        guard style == .bar || style == .plain else { return }
        let source = DispatchSource.makeTimerSource(queue: .global())
        let interval: DispatchTimeInterval = style == .bar ? .milliseconds(250) : .seconds(5)
        source.schedule(deadline: .now() + interval, repeating: interval)
        source.setEventHandler { [self] in render(final: false) }
        source.resume()
        timer = source
    }

    func stop() {
        timer?.cancel()
        timer = nil
        if style == .bar { render(final: true) }
    }

    /// Prints a message on its own line.
    func note(_ message: String) {
        write((style == .bar ? "\n" : "") + message + "\n")
    }

    private func render(final: Bool) {
        let elapsed = (ContinuousClock.now - started).seconds
        let examples = counters.examplesRead
        let rate = elapsed > 0 ? Double(examples) / elapsed : 0
        let total = counters.totalBytes
        let fraction = total > 0 ? min(1, Double(counters.bytesRead) / Double(total)) : 0
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let figures = "\(examples) examples, \(counters.samplesWritten) written, \(Int(rate)) ex/s, elapsed \(Self.clock(elapsed)), ETA \(Self.clock(eta))"
        let reading = counters.flowSnapshot().flatMap { meter.record($0) }
        switch style {
        case .bar:
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let bottleneck = reading.map { reading in
                let stage = reading.stages[reading.bottleneck]
                return ", bottleneck \(stage.name) \(Int(stage.examplesInPerSecond)) ex/s"
            } ?? ""
            write("\r\(bar) \(String(format: "%3.0f%%", fraction * 100)) \(figures)\(bottleneck)\u{1B}[K" + (final ? "\n" : ""))
        default:
            write(String(format: "progress: %.0f%% ", fraction * 100) + figures + "\n")
            if let reading { write(Self.stageLine(reading) + "\n") }
        }
    }

    /// `stages: reader 812/s [link 25%] → tokenizer 810/s [100%] → … ; bottleneck: teacher`.
    static func stageLine(_ reading: FlowMeter.Reading) -> String {
        var parts: [String] = []
        for (index, stage) in reading.stages.enumerated() {
            var part = "\(stage.name) \(Int(stage.examplesInPerSecond.rounded()))/s"
            if index < reading.linkOccupancy.count {
                part += String(format: " [link %.0f%%]", reading.linkOccupancy[index] * 100)
            }
            parts.append(part)
        }
        return "stages: " + parts.joined(separator: " → ") + "; bottleneck: \(reading.stages[reading.bottleneck].name)"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}

import AugProRuntime
import Dispatch
import Foundation

/// Shows run progress on standard error: a live bar on a terminal (examples/s, elapsed, ETA from
/// bytes read of the input), or a plain line every few seconds otherwise.
final class ProgressDisplay: @unchecked Sendable {
    private let style: ProgressStyle
    private let counters: ProgressCounters
    /// Touched only by `start` and `stop`, from the command's task.
    private var timer: DispatchSourceTimer?
    private let started = ContinuousClock.now

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
        switch style {
        case .bar:
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\(bar) \(String(format: "%3.0f%%", fraction * 100)) \(figures)\u{1B}[K" + (final ? "\n" : ""))
        default:
            write(String(format: "progress: %.0f%% ", fraction * 100) + figures + "\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}

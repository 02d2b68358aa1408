import ArgumentParser
import Foundation
import WhistleCore

/// `whistle bench wheel`: schedule and cancel in the in-memory timer wheel at a million armed timers.
struct BenchWheel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wheel",
        abstract: "Timer wheel at N armed timers: schedule + cancel per operation, and bytes per timer.")

    @Option(name: .long, help: "Armed timers.")
    var timers: Int = 1_000_000

    @Option(name: .long, help: "Rounds of cancel-and-reschedule over all timers (the median round is reported).")
    var rounds: Int = 5

    func run() throws {
        BenchCommand.warnIfDebug()
        let now = TimerInstant(milliseconds: 1_790_000_000_000)
        let day: Int64 = 86_400_000
        // Due times spread over a month, as deadlines are; a fixed seed so runs compare.
        var generator = SplitMix64(seed: 20_261_123)
        let dues = (0..<timers).map { _ in now.advanced(byMilliseconds: Int64.random(in: 1...(30 * day), using: &generator)) }
        var wheel = TimerWheel<Int64>(now: now)
        var ids: [TimerID] = []
        ids.reserveCapacity(timers)
        for (index, due) in dues.enumerated() { ids.append(wheel.schedule(at: due, Int64(index))) }
        BenchCommand.progress("\(wheel.count) timers armed")
        let bytes = Double(wheel.allocatedBytes) / Double(wheel.count)

        // Each round cancels every timer in random order and schedules it again at a new due time
        // (an extension): 2N operations with N timers armed throughout, within one of the limit.
        // The inputs of a round are laid out in the order they are used, so that what is timed is
        // the wheel's work (its entries are touched in random order), not the bench's own lookups.
        var order = Array(0..<timers)
        var perOperation: [Double] = []
        var cancelling = [TimerID](repeating: ids[0], count: timers)
        var newDues = [TimerInstant](repeating: now, count: timers)
        for round in 0..<rounds {
            order.shuffle(using: &generator)
            for (position, index) in order.enumerated() {
                cancelling[position] = ids[index]
                newDues[position] = now.advanced(byMilliseconds: Int64.random(in: 1...(30 * day), using: &generator))
            }
            let start = ContinuousClock.now
            for position in 0..<timers {
                _ = wheel.cancel(cancelling[position])
                cancelling[position] = wheel.schedule(at: newDues[position], Int64(position))
            }
            let elapsed = ContinuousClock.now - start
            for (position, index) in order.enumerated() { ids[index] = cancelling[position] }
            let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            perOperation.append(nanoseconds / Double(2 * timers))
            BenchCommand.progress("round \(round + 1): \(String(format: "%.1f", perOperation.last!)) ns per operation")
        }
        precondition(wheel.count == timers)
        BenchCommand.figure("wheel_schedule_cancel_per_op", perOperation.sorted()[perOperation.count / 2], "ns")
        BenchCommand.figure("wheel_bytes_per_timer", bytes, "B")
    }
}

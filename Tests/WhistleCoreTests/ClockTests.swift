import Foundation
import Testing
@testable import WhistleCore

@Suite("Clocks, doorbell and gate")
struct ClockTests {
    @Test("a manual clock wakes exactly the sleepers whose deadline has come")
    func manualClock() async throws {
        let start = Date(timeIntervalSince1970: 0)
        let clock = ManualClock(now: start)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for hours in [1, 2, 3] {
                group.addTask {
                    try await clock.sleep(until: start.addingTimeInterval(Double(hours) * 3600))
                    return hours
                }
            }
            while clock.sleeperCount < 3 { await Task.yield() }
            clock.advance(to: start.addingTimeInterval(2 * 3600))
            var woken = [try await group.next()!, try await group.next()!]
            woken.sort()
            #expect(woken == [1, 2])
            #expect(clock.sleeperCount == 1)
            clock.advance(to: start)  // never backwards
            #expect(clock.now() == start.addingTimeInterval(2 * 3600))
            clock.advance(by: 3600)
            #expect(try await group.next() == 3)
        }
    }

    @Test("sleeping until a moment already past returns at once; cancelling a sleeper throws")
    func pastAndCancel() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 100))
        try await clock.sleep(until: Date(timeIntervalSince1970: 50))
        let task = Task { try await clock.sleep(until: Date(timeIntervalSince1970: 1_000)) }
        while clock.sleeperCount < 1 { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test("a ring while nobody waits is kept for the next wait; a deadline also ends the wait")
    func doorbell() async {
        let bell = Doorbell()
        bell.ring()
        await bell.wait()  // returns at once: the ring was kept
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let waiter = Task { await bell.wait(until: Date(timeIntervalSince1970: 10), on: clock) }
        while clock.sleeperCount < 1 { await Task.yield() }
        clock.advance(by: 10)
        await waiter.value
        let rung = Task { await bell.wait(until: Date(timeIntervalSince1970: 1_000), on: clock) }
        while clock.sleeperCount < 1 { await Task.yield() }
        bell.ring()
        await rung.value
        #expect(clock.sleeperCount == 0)
    }

    @Test("a gate lets every waiter through once open, and later ones at once")
    func gate() async {
        let gate = Gate()
        #expect(!gate.isOpen)
        async let first: Void = gate.wait()
        async let second: Void = gate.wait()
        gate.open()
        _ = await (first, second)
        await gate.wait()
        #expect(gate.isOpen)
    }
}

import Foundation
import Testing
import WhistleCore

private func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? .max : .min) : sum
}

extension SplitMix64 {
    /// A value in `0 ..< bound` (bound > 0); the slight modulo bias does not matter here.
    mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

    mutating func int(_ range: Range<Int64>) -> Int64 {
        range.lowerBound + Int64(bitPattern: below(UInt64(range.upperBound - range.lowerBound)))
    }

    /// A percentage roll.
    mutating func percent() -> Int { Int(below(100)) }
}

@Suite("Timer wheel")
struct TimerWheelTests {
    @Test func firesInDueOrderWithTiesInScheduleOrder() {
        var wheel = TimerWheel<String>(now: 1_000)
        _ = wheel.schedule(at: 1_500, "c")
        _ = wheel.schedule(at: 1_200, "a")
        _ = wheel.schedule(at: 1_500, "d")
        _ = wheel.schedule(at: 1_200, "b")
        _ = wheel.schedule(at: 90_000_000, "far")
        #expect(wheel.count == 5)
        #expect(wheel.nextDeadline == 1_200)
        #expect(wheel.advance(to: 1_199).isEmpty)
        #expect(wheel.advance(to: 1_200).map(\.payload) == ["a", "b"])
        #expect(wheel.nextDeadline == 1_500)
        let fired = wheel.advance(to: 10_000)
        #expect(fired.map(\.payload) == ["c", "d"])
        #expect(fired.map(\.due) == [1_500, 1_500])
        #expect(wheel.now == 10_000)
        #expect(wheel.count == 1)
        #expect(wheel.nextDeadline == 90_000_000)
        #expect(wheel.advance(to: 90_000_000).map(\.payload) == ["far"])
        #expect(wheel.isEmpty)
        #expect(wheel.nextDeadline == nil)
    }

    @Test func tiesKeepScheduleOrderAcrossLevels() {
        // The first timer is filed high (due is far from now), the second low (scheduled when the
        // due time is near): they meet in one slot and must still fire first-scheduled first.
        var wheel = TimerWheel<Int>(now: 0)
        _ = wheel.schedule(at: 1_000_000, 1)
        _ = wheel.advance(to: 999_990)
        _ = wheel.schedule(at: 1_000_000, 2)
        _ = wheel.schedule(at: 999_995, 0)
        #expect(wheel.advance(to: 1_000_000).map(\.payload) == [0, 1, 2])
    }

    @Test func cancelReturnsThePayloadOnce() {
        var wheel = TimerWheel<String>(now: 0)
        let a = wheel.schedule(at: 10, "a")
        let b = wheel.schedule(at: 10, "b")
        #expect(wheel.contains(a))
        #expect(wheel.due(of: a) == 10)
        #expect(wheel.payload(of: b) == "b")
        #expect(wheel.cancel(a) == "a")
        #expect(wheel.cancel(a) == nil)
        #expect(!wheel.contains(a))
        #expect(wheel.count == 1)
        // The freed entry is reused, but the old handle stays dead.
        let c = wheel.schedule(at: 5, "c")
        #expect(wheel.cancel(a) == nil)
        #expect(wheel.advance(to: 10).map(\.payload) == ["c", "b"])
        #expect(wheel.cancel(b) == nil)
        #expect(wheel.cancel(c) == nil)
        #expect(wheel.isEmpty)
    }

    @Test func overdueTimersFireOnTheNextAdvanceFirst() {
        var wheel = TimerWheel<String>(now: 5_000)
        _ = wheel.schedule(at: 5_001, "next")
        _ = wheel.schedule(at: 4_000, "late")
        _ = wheel.schedule(at: 5_000, "now")
        _ = wheel.schedule(at: 100, "very late")
        #expect(wheel.nextDeadline == 100)
        // Advancing to the current instant fires what is already due.
        let fired = wheel.advance(to: 5_000)
        #expect(fired.map(\.payload) == ["very late", "late", "now"])
        #expect(fired.map(\.due) == [100, 4_000, 5_000])
        #expect(wheel.advance(to: 5_001).map(\.payload) == ["next"])
    }

    @Test func timeNeverRunsBackwards() {
        var wheel = TimerWheel<Int>(now: 1_000)
        _ = wheel.schedule(at: 1_010, 1)
        #expect(wheel.advance(to: 500).isEmpty)
        #expect(wheel.now == 1_000)
        #expect(wheel.advance(to: 1_010).map(\.payload) == [1])
    }

    @Test func coversTheWholeRangeOfInstants() {
        var wheel = TimerWheel<Int>(now: TimerInstant(milliseconds: -5_000_000_000))
        _ = wheel.schedule(at: TimerInstant(milliseconds: .max), 4)
        _ = wheel.schedule(at: TimerInstant(milliseconds: 3), 3)
        _ = wheel.schedule(at: TimerInstant(milliseconds: -1), 2)
        _ = wheel.schedule(at: TimerInstant(milliseconds: -4_999_999_999), 1)
        _ = wheel.schedule(at: TimerInstant(milliseconds: .min), 0)
        #expect(wheel.nextDeadline == TimerInstant(milliseconds: .min))
        #expect(wheel.advance(to: 0).map(\.payload) == [0, 1, 2])
        #expect(wheel.nextDeadline == 3)
        #expect(wheel.advance(to: TimerInstant(milliseconds: .max - 1)).map(\.payload) == [3])
        #expect(wheel.advance(to: TimerInstant(milliseconds: .max)).map(\.payload) == [4])
    }

    @Test func advanceIntoABufferAppends() {
        var wheel = TimerWheel<Int>(now: 0)
        for i in 0..<10 { _ = wheel.schedule(at: TimerInstant(milliseconds: Int64(i * 100)), i) }
        var buffer: [TimerWheel<Int>.Fired] = []
        wheel.advance(to: 450, into: &buffer)
        wheel.advance(to: 1_000, into: &buffer)
        #expect(buffer.map(\.payload) == Array(0..<10))
    }

    @Test func instantsConvertFromDates() {
        let instant = TimerInstant(milliseconds: 1_771_025_400_123)
        #expect(TimerInstant(instant.date) == instant)
        // Round trips survive floating point, and a date between milliseconds rounds up.
        var random = SplitMix64(seed: 9)
        for _ in 0..<10_000 {
            let value = TimerInstant(milliseconds: random.int(-(1 << 42)..<(1 << 42)))
            #expect(TimerInstant(value.date) == value)
        }
        #expect(TimerInstant(Date(timeIntervalSince1970: 1.0004)) == 1_001)
        #expect(TimerInstant(Date(timeIntervalSince1970: -1.0004)) == -1_000)
        #expect(instant.advanced(by: .seconds(2)) == TimerInstant(milliseconds: 1_771_025_402_123))
        #expect(instant.advanced(by: .milliseconds(-123)).milliseconds == 1_771_025_400_000)
        #expect(TimerInstant(milliseconds: .max).advanced(byMilliseconds: 1) == TimerInstant(milliseconds: .max))
    }

    @Test func memoryPerTimerStaysWithinTheBar() {
        // Not a benchmark: the storage layout alone must stay within 64 bytes per armed timer.
        let count = 100_000
        var wheel = TimerWheel<Int64>(now: 0, capacity: count)
        for i in 0..<count { _ = wheel.schedule(at: TimerInstant(milliseconds: Int64(i) * 7_919), Int64(i)) }
        #expect(wheel.count == count)
        #expect(wheel.allocatedBytes / count <= 64)
        // Without a reservation, growth by doubling still stays within it at this size.
        var grown = TimerWheel<Int64>(now: 0)
        for i in 0..<count { _ = grown.schedule(at: TimerInstant(milliseconds: Int64(i)), Int64(i)) }
        #expect(grown.allocatedBytes / count <= 64)
    }

    @Test func usableFromAnActor() async {
        actor Scheduler {
            var wheel = TimerWheel<Int>(now: 0)
            func arm(_ due: Int64, _ value: Int) -> TimerID { wheel.schedule(at: TimerInstant(milliseconds: due), value) }
            func tick(_ to: Int64) -> [Int] { wheel.advance(to: TimerInstant(milliseconds: to)).map(\.payload) }
        }
        let scheduler = Scheduler()
        let id = await scheduler.arm(20, 2)
        _ = await scheduler.arm(10, 1)
        let fired = await scheduler.tick(30)
        #expect(fired == [1, 2])
        #expect(id.description.hasPrefix("timer#"))
    }
}

@Suite("Timer wheel against a sorted reference")
struct TimerWheelPropertyTests {
    /// The obviously right model: a list of armed timers, sorted on demand.
    struct Reference {
        struct Timer {
            var id: TimerID
            var due: Int64
            var order: Int
            var payload: Int
        }
        var now: Int64
        var armed: [Timer] = []

        mutating func advance(to instant: Int64) -> [Timer] {
            guard instant >= now else { return [] }
            now = instant
            let due = armed.filter { $0.due <= instant }.sorted { ($0.due, $0.order) < ($1.due, $1.order) }
            armed.removeAll { $0.due <= instant }
            return due
        }
    }

    @Test(arguments: [1, 2, 3, 0x5EED, 0xC0FFEE, 20_260_215] as [UInt64])
    func randomSequencesFireLikeTheReference(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let start = random.int(-(1 << 40)..<(1 << 41))
        var wheel = TimerWheel<Int>(now: TimerInstant(milliseconds: start))
        var reference = Reference(now: start)
        var dead: [TimerID] = []
        var order = 0
        var firedCount = 0
        var levelsReached = Set<Int>()

        func check(_ fired: [TimerWheel<Int>.Fired], _ expected: [Reference.Timer], _ step: Int) {
            firedCount += fired.count
            #expect(fired.map(\.id) == expected.map(\.id), "seed \(seed), step \(step)")
            #expect(fired.map(\.due.milliseconds) == expected.map(\.due), "seed \(seed), step \(step)")
            #expect(fired.map(\.payload) == expected.map(\.payload), "seed \(seed), step \(step)")
            dead += fired.map(\.id)
        }

        for step in 0..<5_000 {
            let now = reference.now
            let roll = random.percent()
            if roll < 50 {
                // Schedule: past, present, near, far and very far due times, and exact ties.
                let kind = random.percent()
                let instant: Int64
                switch kind {
                case ..<8: instant = now - random.int(1..<100_000)
                case ..<14: instant = now
                case ..<40: instant = saturatingAdd(now, random.int(1..<200))  // levels 0 and 1
                case ..<62: instant = saturatingAdd(now, random.int(1..<10_000_000))  // up to level 3
                case ..<80: instant = saturatingAdd(now, random.int(1..<(1 << 36)))  // up to level 5
                case ..<88: instant = saturatingAdd(now, random.int(1..<(1 << 50)))  // up to level 8
                default:
                    instant =
                        reference.armed.isEmpty
                        ? now : reference.armed[Int(random.below(UInt64(reference.armed.count)))].due
                }
                if instant > now {
                    // Which level a timer starts in (for the record of what the run exercised).
                    let bits = 64 - UInt64(bitPattern: instant ^ now).leadingZeroBitCount
                    levelsReached.insert(max(0, bits - 1) / 6)
                }
                order += 1
                let id = wheel.schedule(at: TimerInstant(milliseconds: instant), order)
                reference.armed.append(.init(id: id, due: instant, order: order, payload: order))
            } else if roll < 70 {
                // Cancel a live timer, or (sometimes) one that already fired or was cancelled.
                if random.percent() < 80, !reference.armed.isEmpty {
                    let index = Int(random.below(UInt64(reference.armed.count)))
                    let timer = reference.armed.remove(at: index)
                    #expect(wheel.cancel(timer.id) == timer.payload, "seed \(seed), step \(step)")
                    dead.append(timer.id)
                } else if !dead.isEmpty {
                    let id = dead[Int(random.below(UInt64(dead.count)))]
                    #expect(wheel.cancel(id) == nil, "seed \(seed), step \(step)")
                }
            } else {
                // Advance: small steps, big jumps, exactly onto a due time, or backwards.
                let kind = random.percent()
                let target: Int64
                switch kind {
                case ..<30: target = saturatingAdd(now, random.int(0..<64))
                case ..<55: target = saturatingAdd(now, random.int(0..<5_000))
                case ..<75: target = saturatingAdd(now, random.int(0..<(1 << 24)))
                case ..<85: target = saturatingAdd(now, random.int(0..<(1 << 38)))
                case ..<95:
                    // Exactly onto the next due time (or a millisecond before), if it is not absurdly far.
                    let next = reference.armed.map(\.due).filter { $0 > now && $0 <= saturatingAdd(now, 1 << 45) }.min() ?? now
                    target = next - (random.percent() < 50 || next == now ? 0 : 1)
                default: target = now - random.int(1..<1_000)
                }
                let fired = wheel.advance(to: TimerInstant(milliseconds: target))
                check(fired, reference.advance(to: target), step)
            }
            #expect(wheel.count == reference.armed.count, "seed \(seed), step \(step)")
            #expect(wheel.nextDeadline?.milliseconds == reference.armed.map(\.due).min(), "seed \(seed), step \(step)")
            #expect(wheel.now.milliseconds == reference.now, "seed \(seed), step \(step)")
        }
        // Drain everything, far-future timers included.
        check(wheel.advance(to: TimerInstant(milliseconds: .max)), reference.advance(to: .max), -1)
        #expect(wheel.isEmpty)
        // The run really spread over the levels and fired plenty.
        #expect(levelsReached.isSuperset(of: 0...7), "levels \(levelsReached.sorted())")
        #expect(firedCount > 1_000)
    }
}

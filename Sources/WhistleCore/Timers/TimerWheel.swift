/// A hierarchical hashed timing wheel: O(1) schedule and cancel, driven only by the instants its
/// owner passes to `advance(to:)`.
///
/// ## Semantics
///
/// - `advance(to: t)` fires every armed timer due at or before `t`, in due order; timers due at the
///   same millisecond fire in the order they were scheduled. Afterwards `now == t`. Advancing to an
///   instant before `now` fires nothing and does not move `now` (time never runs backwards).
/// - A timer scheduled with a due time at or before `now` (overdue, for instance one loaded after
///   downtime) fires on the next `advance`, before every timer that is due later.
/// - Firing or cancelling a timer retires its `TimerID`: cancelling it again returns nil.
///
/// ## Structure
///
/// Time is a 64-bit millisecond count split into eleven 6-bit digits; level *L* has 64 slots of
/// 64^*L* ms each (level 0: 1 ms slots, level 1: 64 ms, level 2: 4.1 s, level 3: 4.4 min, level 4:
/// 4.7 h, level 5: 12.4 days, level 6: 2.2 years, and so on up to the whole `Int64` range).
/// A timer lives in the level of the highest digit in which its due time differs from the wheel's
/// position, in the slot named by that digit, so the lowest non-empty level always holds the
/// earliest timer. When the wheel reaches a slot above level 0 it re-files that slot's timers into
/// lower levels (each timer moves at most ten times in its life); a level-0 slot is one
/// millisecond and fires whole. A 64-bit occupancy mask per level finds the next non-empty slot
/// with one instruction, so advancing across idle time costs nothing per empty millisecond.
///
/// ## Memory
///
/// Timers live in one array of entries indexed by a slab index (no object or dictionary entry per
/// timer): due time, schedule serial, previous and next index in its slot's list, slot, and the
/// payload inline, so that cancelling touches one entry and its two neighbours. That is 48 bytes
/// for an `Int64` or a `UUID` payload. Freed entries are chained into a free list and reused.
/// Slot lists are intrusive doubly linked lists by index, which makes cancel O(1). Capacity grows
/// by doubling; `reserveCapacity(_:)` avoids the slack when the size is known.
///
/// Everything is `@inlinable` so that callers in other modules get the wheel specialised for their
/// payload; unspecialised generic code measured more than ten times slower.
public struct TimerWheel<Payload> {
    /// A timer that came due.
    public struct Fired {
        public let id: TimerID
        public let due: TimerInstant
        public let payload: Payload

        @inlinable
        init(id: TimerID, due: TimerInstant, payload: Payload) {
            self.id = id
            self.due = due
            self.payload = payload
        }
    }

    /// One armed (or free) timer.
    @usableFromInline
    struct Entry {
        /// The due time as an order-preserving key (see `key(_:)`).
        @usableFromInline var due: UInt64
        /// Schedule order, which breaks ties between equal due times; also tells a live ID from a stale one.
        @usableFromInline var serial: UInt64
        @usableFromInline var previous: Int32
        /// The next entry in the slot list, or in the free list when free.
        @usableFromInline var next: Int32
        /// `level * 64 + slot`, or -1 when the entry is free.
        @usableFromInline var slot: Int32
        /// Nil when the entry is free.
        @usableFromInline var payload: Payload?

        @inlinable
        init(due: UInt64, serial: UInt64, payload: Payload?) {
            self.due = due
            self.serial = serial
            self.previous = -1
            self.next = -1
            self.slot = -1
            self.payload = payload
        }
    }

    @usableFromInline
    struct SlotList {
        @usableFromInline var head: Int32
        @usableFromInline var tail: Int32

        @inlinable
        init() {
            head = -1
            tail = -1
        }
    }

    /// The instant the wheel was last advanced to (or created at).
    @inlinable public var now: TimerInstant { position }
    /// The number of armed timers.
    @inlinable public var count: Int { armed }

    @usableFromInline var position: TimerInstant
    @usableFromInline var armed: Int = 0

    @usableFromInline var entries: ContiguousArray<Entry> = []
    @usableFromInline var slots: ContiguousArray<SlotList>
    /// Bit *s* of `occupied[L]` is set when slot *s* of level *L* is non-empty.
    @usableFromInline var occupied: ContiguousArray<UInt64>
    @usableFromInline var freeHead: Int32 = -1
    @usableFromInline var lastSerial: UInt64 = 0
    /// The wheel's position as a key: every armed timer is filed relative to it.
    @usableFromInline var elapsed: UInt64

    @inlinable static var levelBits: Int { 6 }
    @inlinable static var slotsPerLevel: Int { 64 }
    @inlinable static var levelCount: Int { 11 }  // 11 × 6 bits ≥ 64 bits

    /// An empty wheel positioned at `now`, with room for `capacity` timers before it reallocates.
    @inlinable
    public init(now: TimerInstant, capacity: Int = 0) {
        self.position = now
        self.elapsed = Self.key(now)
        self.slots = ContiguousArray(repeating: SlotList(), count: Self.levelCount * Self.slotsPerLevel)
        self.occupied = ContiguousArray(repeating: 0, count: Self.levelCount)
        entries.reserveCapacity(capacity)
    }

    @inlinable public var isEmpty: Bool { count == 0 }

    /// Makes room for `capacity` timers in total.
    @inlinable
    public mutating func reserveCapacity(_ capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    /// The bytes the wheel has allocated: entry storage at its capacity, plus the slot tables.
    /// Divided by `count`, this is the memory per armed timer (payloads that own heap storage,
    /// such as `String`s, add theirs).
    @inlinable
    public var allocatedBytes: Int {
        entries.capacity * MemoryLayout<Entry>.stride
            + slots.capacity * MemoryLayout<SlotList>.stride
            + occupied.capacity * MemoryLayout<UInt64>.stride
    }

    // MARK: Schedule and cancel

    /// Arms a timer due at `due` and returns its handle. O(1).
    ///
    /// A due time at or before `now` fires on the next `advance(to:)`.
    @inlinable
    public mutating func schedule(at due: TimerInstant, _ payload: Payload) -> TimerID {
        lastSerial &+= 1
        let key = Self.key(due)
        let entry = Entry(due: key, serial: lastSerial, payload: payload)
        let index: Int32
        if freeHead >= 0 {
            index = freeHead
            freeHead = entries.withUnsafeMutableBufferPointer { entries in
                let next = entries[Int(index)].next
                entries[Int(index)] = entry
                return next
            }
        } else {
            precondition(entries.count < Int(Int32.max), "a timer wheel holds at most \(Int32.max) timers")
            index = Int32(entries.count)
            entries.append(entry)
        }
        // An overdue timer is filed at the wheel's position, so it fires on the next advance.
        file(index, at: max(key, elapsed))
        armed += 1
        return TimerID(index: UInt32(index), serial: lastSerial)
    }

    /// Disarms the timer and returns its payload, or nil when it already fired or was cancelled. O(1).
    @inlinable @discardableResult
    public mutating func cancel(_ id: TimerID) -> Payload? {
        guard let index = liveIndex(id) else { return nil }
        unfile(index)
        let freeHead = self.freeHead
        let payload = entries.withUnsafeMutableBufferPointer { entries -> Payload? in
            let payload = entries[index].payload.take()
            // Back onto the free list (what `release` does, in the same storage access).
            entries[index].slot = -1
            entries[index].next = freeHead
            return payload
        }
        self.freeHead = Int32(index)
        armed -= 1
        return payload
    }

    /// Whether the timer is still armed.
    @inlinable
    public func contains(_ id: TimerID) -> Bool { liveIndex(id) != nil }

    /// The due time of an armed timer, or nil.
    @inlinable
    public func due(of id: TimerID) -> TimerInstant? {
        liveIndex(id).map { Self.instant(entries[$0].due) }
    }

    /// The payload of an armed timer, or nil.
    @inlinable
    public func payload(of id: TimerID) -> Payload? {
        liveIndex(id).flatMap { entries[$0].payload }
    }

    @inlinable
    func liveIndex(_ id: TimerID) -> Int? {
        let index = Int(id.index)
        guard index < entries.count, entries[index].slot >= 0, entries[index].serial == id.serial else { return nil }
        return index
    }

    // MARK: Time

    /// The earliest due time among the armed timers (at or before `now` when one is overdue), or nil
    /// when none is armed: the instant to sleep until.
    ///
    /// Costs one scan of the earliest non-empty slot, so call it once per wake-up, not per timer.
    @inlinable
    public var nextDeadline: TimerInstant? {
        guard let (level, slot) = firstOccupied() else { return nil }
        var index = slots[level * Self.slotsPerLevel + slot].head
        var earliest = UInt64.max
        while index >= 0 {
            earliest = min(earliest, entries[Int(index)].due)
            index = entries[Int(index)].next
        }
        return Self.instant(earliest)
    }

    /// Fires every timer due at or before `instant`, in due order (equal due times in schedule
    /// order), and moves `now` to `instant`. An `instant` before `now` fires nothing.
    @inlinable
    public mutating func advance(to instant: TimerInstant) -> [Fired] {
        var fired: [Fired] = []
        advance(to: instant, into: &fired)
        return fired
    }

    /// `advance(to:)` that appends to a caller's buffer, to reuse its storage between wake-ups.
    @inlinable
    public mutating func advance(to instant: TimerInstant, into fired: inout [Fired]) {
        guard instant >= now else { return }
        let target = Self.key(instant)
        while let (level, slot) = firstOccupied() {
            let start = Self.slotStart(level: level, slot: slot, elapsed: elapsed)
            if start > target { break }
            let list = level * Self.slotsPerLevel + slot
            var index = slots[list].head
            slots[list] = SlotList()
            occupied[level] &= ~(1 << UInt64(slot))
            elapsed = max(elapsed, start)
            if level == 0 {
                // A level-0 slot is one millisecond: everything in it is due (overdue timers included).
                let first = fired.count
                while index >= 0 {
                    let i = Int(index)
                    let next = entries[i].next
                    fired.append(
                        Fired(
                            id: TimerID(index: UInt32(i), serial: entries[i].serial),
                            due: Self.instant(entries[i].due), payload: entries[i].payload.take()!))
                    release(i)
                    index = next
                }
                armed -= fired.count - first
                Self.sortDueOrder(&fired, from: first)
            } else {
                // Re-file relative to the slot's start: every timer lands in a lower level.
                while index >= 0 {
                    let next = entries[Int(index)].next
                    file(index, at: entries[Int(index)].due)
                    index = next
                }
            }
        }
        elapsed = target
        position = instant
    }

    /// Timers that meet in a slot arrive in the order they were filed, which is not always the
    /// order they were scheduled (one may have been re-filed from a higher level); restore it.
    @inlinable
    static func sortDueOrder(_ fired: inout [Fired], from first: Int) {
        func precedes(_ a: Fired, _ b: Fired) -> Bool {
            a.due != b.due ? a.due < b.due : a.id.serial < b.id.serial
        }
        var i = first + 1
        while i < fired.count {
            if precedes(fired[i], fired[i - 1]) {
                fired[first...].sort(by: precedes)
                return
            }
            i += 1
        }
    }

    // MARK: Slots

    /// Files entry `index` for the wheel position `elapsed` by `placement` (its due time, or the
    /// wheel's position when it is overdue).
    @inlinable
    mutating func file(_ index: Int32, at placement: UInt64) {
        // The highest 6-bit digit in which placement and position differ names the level.
        let significant = 63 - ((placement ^ elapsed) | 63).leadingZeroBitCount
        let level = significant / Self.levelBits
        let slot = Int(truncatingIfNeeded: placement >> UInt64(level * Self.levelBits)) & 63
        let list = level * Self.slotsPerLevel + slot
        let tail = slots[list].tail
        // One exclusive access to the storage for the three entry writes (no per-subscript checks).
        entries.withUnsafeMutableBufferPointer { entries in
            entries[Int(index)].slot = Int32(list)
            entries[Int(index)].previous = tail
            entries[Int(index)].next = -1
            if tail >= 0 { entries[Int(tail)].next = index }
        }
        if tail < 0 {
            slots[list].head = index
            occupied[level] |= 1 << UInt64(slot)
        }
        slots[list].tail = index
    }

    @inlinable
    mutating func unfile(_ index: Int) {
        let (previous, next, list) = entries.withUnsafeMutableBufferPointer { entries -> (Int32, Int32, Int) in
            let previous = entries[index].previous
            let next = entries[index].next
            if previous >= 0 { entries[Int(previous)].next = next }
            if next >= 0 { entries[Int(next)].previous = previous }
            return (previous, next, Int(entries[index].slot))
        }
        if previous < 0 { slots[list].head = next }
        if next < 0 { slots[list].tail = previous }
        if slots[list].head < 0 {
            occupied[list / Self.slotsPerLevel] &= ~(1 << UInt64(list % Self.slotsPerLevel))
        }
    }

    /// Returns entry `index` to the free list (its payload already taken).
    @inlinable
    mutating func release(_ index: Int) {
        entries[index].slot = -1
        entries[index].next = freeHead
        freeHead = Int32(index)
    }

    /// The lowest non-empty level and its first non-empty slot, which hold the earliest timers.
    @inlinable
    func firstOccupied() -> (level: Int, slot: Int)? {
        for level in 0..<Self.levelCount where occupied[level] != 0 {
            return (level, occupied[level].trailingZeroBitCount)
        }
        return nil
    }

    /// The first key of `slot` at `level` for the wheel position `elapsed`.
    @inlinable
    static func slotStart(level: Int, slot: Int, elapsed: UInt64) -> UInt64 {
        let shift = level * levelBits
        let span = shift + levelBits
        let high = span >= 64 ? 0 : (elapsed >> UInt64(span)) << UInt64(span)
        return high | (UInt64(slot) << UInt64(shift))
    }

    /// Maps instants onto unsigned keys in the same order (flipping the sign bit), so the digit
    /// arithmetic works for negative instants too.
    @inlinable
    static func key(_ instant: TimerInstant) -> UInt64 {
        UInt64(bitPattern: instant.milliseconds) ^ (1 << 63)
    }

    @inlinable
    static func instant(_ key: UInt64) -> TimerInstant {
        TimerInstant(milliseconds: Int64(bitPattern: key ^ (1 << 63)))
    }
}

extension TimerWheel: Sendable where Payload: Sendable {}
extension TimerWheel.Fired: Sendable where Payload: Sendable {}
extension TimerWheel.Fired: Equatable where Payload: Equatable {}
extension TimerWheel.Entry: Sendable where Payload: Sendable {}
extension TimerWheel.SlotList: Sendable {}

/// The handle of a scheduled timer, for cancelling it. Handles are never reused: one that fired or
/// was cancelled stays dead even when its storage holds a new timer.
public struct TimerID: Hashable, Sendable, CustomStringConvertible {
    /// The slab index of the timer's entry.
    @usableFromInline let index: UInt32
    /// The schedule serial, unique per wheel.
    @usableFromInline let serial: UInt64

    @inlinable
    init(index: UInt32, serial: UInt64) {
        self.index = index
        self.serial = serial
    }

    public var description: String { "timer#\(serial)@\(index)" }
}

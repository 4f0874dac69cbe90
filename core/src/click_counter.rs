//! The click counter of links whose clicks need their count at the click: a link with
//! `max_clicks` (a person's click is let through only while fewer than max_clicks are
//! taken) and a link with a callback or webhooks (each event carries the link's count).
//!
//! One slot per link in a fixed table in shared memory, found by hashing the link's key
//! into a set of `WAYS` slots. A slot holds the clicks **taken**: those committed plus
//! those of transactions still in progress. A click takes one with a compare-and-swap
//! (never more than the limit), the transaction's end settles it: a commit keeps it (the
//! click row is then durable and visible), a rollback gives it back. So the limit holds
//! without a row lock, and a click never waits for another click's commit.
//!
//! A slot is loaded from the durable count (the committed clicks, read under a snapshot
//! taken after the slot was claimed) the first time its link is clicked after a start, a
//! crash restart, or its eviction. A slot is evicted only when no transaction holds a click
//! taken from it (`pins` is zero), so what a fresh load reads is everything there is.
//!
//! Locking is the caller's: `lookup` and `take` under the table's lock held shared,
//! `claim` under it held exclusively (PostgreSQL: one LWLock); `loaded`, `abandon`,
//! `count` and `settle` need no lock (the first two by the claimant of a loading slot,
//! the last two on a slot the caller holds a pin on or finds under the lock).

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};

/// Slots in the table.
pub const SLOTS: usize = 16384;
/// Slots a link may sit in: the ways of its set.
pub const WAYS: usize = 16;
const SETS: usize = SLOTS / WAYS;

const EMPTY: u32 = 0;
/// Claimed and being loaded by one backend; the others wait for it.
const LOADING: u32 = 1;
const READY: u32 = 2;

/// What a slot counts: one link of one table of one database. `table` is the file of
/// the links table, which a TRUNCATE or a rewrite of the table changes, so that ids it
/// may hand out again never meet the counts of the links they named before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub database: u32,
    pub table: u32,
    pub link: i64,
}

impl Key {
    fn set(self) -> usize {
        // splitmix64's finaliser over the three fields: links of one table spread evenly.
        let mut x = (self.link as u64)
            ^ (u64::from(self.database) << 32 | u64::from(self.table)).rotate_left(17);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        (x % SETS as u64) as usize
    }
}

#[repr(C)]
#[derive(Default)]
pub struct Slot {
    database: AtomicU32,
    table: AtomicU32,
    link: AtomicI64,
    state: AtomicU32,
    /// Clicks committed or in progress.
    taken: AtomicI64,
    /// Clicks taken by transactions still in progress: the slot stays while any is.
    pins: AtomicI64,
    /// When a click last took from it (the caller's clock): the eviction order.
    used: AtomicU64,
}

impl Slot {
    fn holds(&self, key: Key) -> bool {
        self.link.load(Ordering::Relaxed) == key.link
            && self.database.load(Ordering::Relaxed) == key.database
            && self.table.load(Ordering::Relaxed) == key.table
    }
}

/// The table, as it lies in shared memory.
#[repr(C)]
pub struct Table {
    slots: [Slot; SLOTS],
}

impl Default for Table {
    fn default() -> Self {
        Table {
            slots: std::array::from_fn(|_| Slot::default()),
        }
    }
}

/// Where a link's slot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Loaded: slot number.
    Ready(usize),
    /// Being loaded by another backend: look again shortly.
    Loading,
    /// The link has no slot.
    Absent,
}

/// Every way of a link's set is loading or held by a transaction in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetFull;

impl Table {
    /// An empty table on the heap, built in place (a table on the stack is 768 KiB).
    pub fn boxed() -> Box<Table> {
        // SAFETY: every field of every slot is an atomic integer, for which all-zero bytes
        // are a valid value, and zero is what `Default` gives each (state 0 is EMPTY).
        unsafe { Box::<Table>::new_zeroed().assume_init() }
    }

    fn ways(&self, key: Key) -> impl Iterator<Item = (usize, &Slot)> {
        let first = key.set() * WAYS;
        self.slots[first..first + WAYS]
            .iter()
            .enumerate()
            .map(move |(i, s)| (first + i, s))
    }

    /// The slot of `key`. Under the lock, shared or exclusive.
    pub fn lookup(&self, key: Key) -> Lookup {
        for (n, slot) in self.ways(key) {
            match slot.state.load(Ordering::Acquire) {
                READY if slot.holds(key) => return Lookup::Ready(n),
                LOADING if slot.holds(key) => return Lookup::Loading,
                _ => {}
            }
        }
        Lookup::Absent
    }

    /// Takes one click of ready slot `slot` if fewer than `limit` are taken (any number
    /// without a limit), at time `now`, and pins the slot until `settle`. The count with
    /// this click, or None at the limit (nothing taken, nothing pinned). Under the lock,
    /// shared or exclusive.
    pub fn take(&self, slot: usize, limit: Option<i64>, now: u64) -> Option<i64> {
        let s = &self.slots[slot];
        let mut seen = s.taken.load(Ordering::Acquire);
        loop {
            if limit.is_some_and(|max| seen >= max) {
                return None;
            }
            match s
                .taken
                .compare_exchange_weak(seen, seen + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    s.pins.fetch_add(1, Ordering::AcqRel);
                    s.used.store(now, Ordering::Relaxed);
                    return Some(seen + 1);
                }
                Err(now_seen) => seen = now_seen,
            }
        }
    }

    /// The clicks taken from `slot`: committed or in progress.
    pub fn count(&self, slot: usize) -> i64 {
        self.slots[slot].taken.load(Ordering::Acquire)
    }

    /// Settles a click taken from `slot` by a transaction that ended: kept when it
    /// committed, given back when it rolled back; the pin goes either way.
    pub fn settle(&self, slot: usize, committed: bool) {
        let s = &self.slots[slot];
        if !committed {
            s.taken.fetch_sub(1, Ordering::AcqRel);
        }
        s.pins.fetch_sub(1, Ordering::AcqRel);
    }

    /// A slot for `key`, which has none, claimed as loading for the caller: an empty way
    /// of its set, else the ready way no transaction holds that was used longest ago.
    /// Under the lock held exclusively (no `take` runs meanwhile, so `pins` is exact).
    pub fn claim(&self, key: Key) -> Result<usize, SetFull> {
        let mut victim: Option<(usize, u64)> = None;
        for (n, slot) in self.ways(key) {
            match slot.state.load(Ordering::Acquire) {
                EMPTY => {
                    victim = Some((n, 0));
                    break;
                }
                READY if slot.pins.load(Ordering::Acquire) == 0 => {
                    let used = slot.used.load(Ordering::Relaxed);
                    if victim.is_none_or(|(_, u)| used < u) {
                        victim = Some((n, used));
                    }
                }
                _ => {}
            }
        }
        let (n, _) = victim.ok_or(SetFull)?;
        let s = &self.slots[n];
        s.database.store(key.database, Ordering::Relaxed);
        s.table.store(key.table, Ordering::Relaxed);
        s.link.store(key.link, Ordering::Relaxed);
        s.taken.store(0, Ordering::Relaxed);
        s.pins.store(0, Ordering::Relaxed);
        s.used.store(0, Ordering::Relaxed);
        s.state.store(LOADING, Ordering::Release);
        Ok(n)
    }

    /// The claimant of loading slot `slot` read its durable count: the slot is ready.
    pub fn loaded(&self, slot: usize, count: i64) {
        let s = &self.slots[slot];
        s.taken.store(count, Ordering::Relaxed);
        s.state.store(READY, Ordering::Release);
    }

    /// The claimant of loading slot `slot` could not load it (its transaction failed):
    /// the slot is free again, and the next click claims it anew.
    pub fn abandon(&self, slot: usize) {
        self.slots[slot].state.store(EMPTY, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::RwLock;

    fn key(link: i64) -> Key {
        Key {
            database: 5,
            table: 16_384,
            link,
        }
    }

    fn ready(t: &Table, k: Key, count: i64) -> usize {
        let n = t.claim(k).expect("a free way");
        assert_eq!(t.lookup(k), Lookup::Loading);
        t.loaded(n, count);
        assert_eq!(t.lookup(k), Lookup::Ready(n));
        n
    }

    #[test]
    fn a_limit_is_never_passed_and_a_rollback_gives_back() {
        let t = Table::boxed();
        let n = ready(&t, key(1), 8);
        assert_eq!(t.take(n, Some(10), 1), Some(9));
        assert_eq!(t.take(n, Some(10), 1), Some(10));
        assert_eq!(t.take(n, Some(10), 1), None);
        t.settle(n, false);
        assert_eq!(t.count(n), 9);
        assert_eq!(t.take(n, Some(10), 1), Some(10));
        t.settle(n, true);
        t.settle(n, true);
        assert_eq!(t.count(n), 10);
        assert_eq!(
            t.take(n, None, 1),
            Some(11),
            "without a limit it only counts"
        );
    }

    #[test]
    fn keys_differ_by_database_table_and_link() {
        let t = Table::boxed();
        let a = key(7);
        ready(&t, a, 0);
        for other in [Key { database: 6, ..a }, Key { table: 1, ..a }, key(8)] {
            assert_eq!(t.lookup(other), Lookup::Absent);
        }
    }

    #[test]
    fn a_held_slot_is_never_evicted_and_a_full_set_says_so() {
        let t = Table::boxed();
        // WAYS + 1 links of the same set.
        let same_set: Vec<Key> = (0..)
            .map(key)
            .filter(|k| k.set() == key(0).set())
            .take(WAYS + 1)
            .collect();
        let slots: Vec<usize> = same_set[..WAYS].iter().map(|&k| ready(&t, k, 0)).collect();
        for (i, &n) in slots.iter().enumerate() {
            assert_eq!(t.take(n, None, i as u64 + 10), Some(1));
        }
        assert_eq!(t.claim(same_set[WAYS]), Err(SetFull));
        // The least recently used of those no transaction holds goes first.
        t.settle(slots[3], true);
        t.settle(slots[5], true);
        let n = t.claim(same_set[WAYS]).expect("an unpinned way");
        assert_eq!(n, slots[3]);
        assert_eq!(t.lookup(same_set[3]), Lookup::Absent);
        assert_eq!(t.lookup(same_set[5]), Lookup::Ready(slots[5]));
        t.abandon(n);
        assert_eq!(t.lookup(same_set[WAYS]), Lookup::Absent);
    }

    #[test]
    fn racing_clicks_take_exactly_the_limit() {
        let t = RwLock::new(Table::boxed());
        let k = key(42);
        let n = ready(&t.write().expect("lock"), k, 0);
        let limit = 1000;
        let taken = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|w| {
                    let t = &t;
                    scope.spawn(move || {
                        let mut ok = 0;
                        for i in 0..500 {
                            let table = t.read().expect("lock");
                            if table.take(n, Some(limit), 1).is_some() {
                                // Every third click of every worker rolls back.
                                let commit = (i + w) % 3 != 0;
                                table.settle(n, commit);
                                ok += i64::from(commit);
                            }
                        }
                        ok
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("worker"))
                .sum::<i64>()
        });
        let table = t.read().expect("lock");
        assert_eq!(
            taken, limit,
            "4000 tries, a third rolled back: exactly the limit kept"
        );
        assert_eq!(table.count(n), limit);
    }
}

//! The gate of the dispatcher's wake-up: at most one notification per database per
//! window, decided through one word of shared memory per slot.
//!
//! PostgreSQL commits every transaction that sent a NOTIFY one at a time, under one lock
//! held through the commit's WAL flush, so a notification per hooked click caps the clicks
//! of every such link in the cluster near one per flush. The dispatcher needs a wake-up,
//! not one per event: the first transaction of a window notifies, the others of that window
//! do not, and the dispatcher looks again shortly after each wake-up for the events of
//! transactions that committed after the one that woke it (`shortlink-server`'s
//! dispatcher), with its poll as the last resort.
//!
//! A slot holds the database's oid and the time of its last notification in milliseconds
//! (both 32 bits, the time wrapping every 49 days). Databases that share a slot overwrite
//! each other's time and so notify more often, never less.

use std::sync::atomic::{AtomicU64, Ordering};

/// How long one notification stands for every event of its database, in milliseconds.
pub const WINDOW_MS: u32 = 50;

/// The slots of a cluster's gate: one per database, by oid, shared when oids collide.
pub const SLOTS: usize = 64;

fn pack(database: u32, at_ms: u32) -> u64 {
    (u64::from(database) << 32) | u64::from(at_ms)
}

fn unpack(word: u64) -> (u32, u32) {
    // Truncations on purpose: the halves of the word.
    ((word >> 32) as u32, word as u32)
}

/// The slot of `database` among `SLOTS`.
pub fn slot_of(database: u32) -> usize {
    database as usize % SLOTS
}

/// Whether a transaction of `database` committing at `now_ms` should notify, given its
/// slot: true when no notification of that database was decided in the last `WINDOW_MS`
/// (recording this one), false when one was. Of transactions that race for the same
/// window, exactly one is told to notify.
pub fn should_notify(slot: &AtomicU64, database: u32, now_ms: u32) -> bool {
    let mut seen = slot.load(Ordering::Acquire);
    loop {
        let (db, at) = unpack(seen);
        if seen != 0 && db == database && now_ms.wrapping_sub(at) < WINDOW_MS {
            return false;
        }
        match slot.compare_exchange_weak(
            seen,
            pack(database, now_ms),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return true,
            Err(now_seen) => seen = now_seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn the_first_of_a_window_notifies_and_the_rest_do_not() {
        let slot = AtomicU64::new(0);
        assert!(should_notify(&slot, 5, 1_000));
        assert!(!should_notify(&slot, 5, 1_000));
        assert!(!should_notify(&slot, 5, 1_000 + WINDOW_MS - 1));
        assert!(should_notify(&slot, 5, 1_000 + WINDOW_MS));
        assert!(!should_notify(&slot, 5, 1_000 + WINDOW_MS + 1));
    }

    #[test]
    fn another_database_in_the_slot_is_never_silenced() {
        let slot = AtomicU64::new(0);
        assert!(should_notify(&slot, 5, 1_000));
        assert!(should_notify(&slot, 5 + SLOTS as u32, 1_001));
        // The slot now holds the other database: the first one notifies again.
        assert!(should_notify(&slot, 5, 1_002));
        assert_eq!(slot_of(5), slot_of(5 + SLOTS as u32));
    }

    #[test]
    fn a_clock_that_wraps_or_goes_back_notifies() {
        let slot = AtomicU64::new(0);
        assert!(should_notify(&slot, 7, u32::MAX - 10));
        assert!(!should_notify(&slot, 7, u32::MAX));
        assert!(should_notify(&slot, 7, WINDOW_MS)); // wrapped: WINDOW_MS + 11 ms later
        assert!(should_notify(&slot, 7, 0)); // back in time: notify rather than stay silent
    }

    #[test]
    fn a_time_of_zero_in_database_zero_is_not_taken_for_an_empty_slot() {
        let slot = AtomicU64::new(0);
        assert!(should_notify(&slot, 0, 0));
        // The slot reads as empty again: notifying twice is the safe side.
        assert!(should_notify(&slot, 0, 1));
        assert!(!should_notify(&slot, 0, 2));
    }

    #[test]
    fn racing_transactions_elect_one_per_window() {
        let slot = Arc::new(AtomicU64::new(0));
        let told = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (slot, told) = (slot.clone(), told.clone());
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        if should_notify(&slot, 42, 123_456) {
                            told.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("a racing thread panicked");
        }
        assert_eq!(told.load(Ordering::Relaxed), 1);
    }
}

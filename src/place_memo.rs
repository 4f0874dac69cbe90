//! The backend's place memo: where the links this backend read last live, a hash of
//! (domain, code) to the heap TID of the version read. A hot link is then read from its
//! heap page, without the index descent, when that version is still the one the statement
//! sees (`link_row::fetch_at` checks); otherwise through the index, which records its new
//! place here. The cluster-wide memo beside it is `shared_places`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use pgrx::pg_sys;

thread_local! {
    static PLACES: RefCell<Memo> = RefCell::new(Memo::default());
    /// The keys of [`PLACES`]' hash of (domain, code): random per backend.
    static PLACE_KEYS: RandomState = RandomState::new();
}

/// Remembered places, keyed by the hash of (domain, code) under [`PLACE_KEYS`].
type Places = HashMap<u64, pg_sys::ItemPointerData, BuildHasherDefault<Prehashed>>;

/// How many places the memo holds while it is not paying (see [`Memo`]).
const FEW_PLACES: usize = 1024;

/// The places and whether remembering them pays. A memo that is full is emptied (a link
/// read again is remembered again); if fewer than one read in 8 found its place since it
/// was last emptied, the links read are too many for it, and a memo of
/// `remembered_links` places would only cost: each read would look into, and each miss
/// write into, a table of megabytes at random (docs/internals.md, "The place memos"),
/// where a memo of 1024 costs nothing measurable. It then holds at most
/// [`FEW_PLACES`] for the next `8 × remembered_links` reads, and tries its full size
/// again after them.
#[derive(Default)]
struct Memo {
    places: Places,
    /// Reads since the memo was last emptied that found their link at its place, and that
    /// went through the index.
    hits: u64,
    misses: u64,
    /// Reads left with at most FEW_PLACES places.
    few_for: u64,
}

impl Memo {
    fn place(&mut self, place: u64) -> Option<pg_sys::ItemPointerData> {
        self.few_for = self.few_for.saturating_sub(1);
        self.places.get(&place).copied()
    }

    /// Remembers a place read through the index; `limit` is `shortlink.remembered_links`.
    fn remember(&mut self, place: u64, tid: pg_sys::ItemPointerData, limit: usize) {
        if limit == 0 {
            *self = Memo::default();
            return;
        }
        self.misses += 1;
        let capacity = if self.few_for > 0 {
            limit.min(FEW_PLACES)
        } else {
            limit
        };
        if self.places.len() >= capacity {
            if self.few_for == 0 && self.hits.saturating_mul(8) < self.hits + self.misses {
                self.few_for = (limit as u64).saturating_mul(8);
            }
            self.places = Places::default();
            self.hits = 0;
            self.misses = 0;
        }
        self.places.insert(place, tid);
    }
}

/// The hasher of [`Places`]: its keys are already hashes, so it takes them as they are
/// rather than hashing each key a second time on every read.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here (write_u64); any other input is folded in whole.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The key of link (domain, code) in this backend's memo, when there is no shared memo to
/// key it (whose key serves both).
pub fn key(domain: &str, code: &str) -> u64 {
    PLACE_KEYS.with(|keys| keys.hash_one((domain, code)))
}

/// The place remembered under `key`, if any.
pub fn place(key: u64) -> Option<pg_sys::ItemPointerData> {
    PLACES.with(|p| p.borrow_mut().place(key))
}

/// Counts a read that found its link at the place remembered.
pub fn found_at_place() {
    PLACES.with(|p| p.borrow_mut().hits += 1);
}

/// Remembers a place read elsewhere (the index, the shared memo); `limit` is
/// `shortlink.remembered_links` (see [`Memo`]; 0 frees the memo).
pub fn remember(key: u64, tid: pg_sys::ItemPointerData, limit: usize) {
    PLACES.with(|p| p.borrow_mut().remember(key, tid, limit));
}

/// Forgets every place (the table was rewritten: VACUUM FULL, TRUNCATE). Only a shortcut:
/// `link_row::fetch_at` checks every place it is given.
pub fn forget_all() {
    PLACES.with(|p| p.borrow_mut().places.clear());
}

/// How many links' places this backend remembers now (for the tests).
#[cfg(any(test, feature = "pg_test"))]
pub fn remembered_places() -> usize {
    PLACES.with(|p| p.borrow().places.len())
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
pub(crate) mod tests {
    use pgrx::prelude::*;

    use super::remembered_places;

    fn run(sql: &str) {
        Spi::run(sql).expect("statement runs");
    }

    fn text(sql: &str) -> String {
        Spi::get_one::<String>(sql)
            .expect("query runs")
            .unwrap_or_else(|| panic!("NULL from {sql}"))
    }

    /// The SQLSTATE `sql` fails with, or "ok".
    pub(crate) fn sqlstate(sql: &str) -> String {
        run("CREATE OR REPLACE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
             BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$");
        Spi::get_one_with_args::<String>("SELECT pg_temp.sqlstate_of($1)", &[sql.into()])
            .expect("query runs")
            .expect("a state")
    }

    #[pg_test]
    fn remembered_links_bounds_the_places_a_backend_remembers() {
        run("SELECT count(*) FROM generate_series(1, 11) g, LATERAL shortlink.shorten('https://example.com/r' || g, jsonb_build_object('code', 'rem' || g))");
        let resolve = |from: i32, to: i32| {
            for g in from..=to {
                assert_eq!(
                    text(&format!("SELECT shortlink.resolve('rem{g}')")),
                    format!("https://example.com/r{g}")
                );
            }
        };
        run("SET LOCAL shortlink.remembered_links = 1000");
        resolve(1, 5);
        assert!(remembered_places() >= 5);
        // Room for 2: each link read through the index empties a full memo first, so it
        // never holds more than 2; links read from their remembered place still resolve.
        run("SET LOCAL shortlink.remembered_links = 2");
        resolve(6, 10);
        assert!(remembered_places() <= 2);
        resolve(1, 10);
        assert!(remembered_places() <= 2);
        // 0: the next link read through the index empties it and nothing is remembered.
        run("SET LOCAL shortlink.remembered_links = 0");
        resolve(11, 11);
        assert_eq!(remembered_places(), 0);
        resolve(1, 11);
        assert_eq!(remembered_places(), 0);
        assert_eq!(sqlstate("SET shortlink.remembered_links = -1"), "22023");
    }

    #[pg_test]
    fn a_memo_that_does_not_pay_holds_few_places_for_a_while() {
        run("SELECT count(*) FROM generate_series(1, 4000) g, LATERAL shortlink.shorten('https://example.com/f' || g, jsonb_build_object('code', 'few' || g))");
        // Reads links few<from> .. few<to> in one statement.
        let read = |from: i32, to: i32| {
            let n = text(&format!(
                "SELECT count(*)::text FROM generate_series({from}, {to}) g WHERE shortlink.resolve('few' || g) = 'https://example.com/f' || g"
            ));
            assert_eq!(n, (to - from + 1).to_string());
        };
        let empty = || {
            run("SET LOCAL shortlink.remembered_links = 0");
            read(1, 1);
            assert_eq!(remembered_places(), 0);
            run("SET LOCAL shortlink.remembered_links = 1100");
        };
        // Paying: 600 of the 1,101 reads before it filled found their place. Emptied when
        // full, it fills to its whole 1,100 again.
        empty();
        read(1, 600);
        read(1, 600);
        read(601, 1101);
        read(1102, 2200);
        assert_eq!(remembered_places(), 1100);
        // Not paying: no read found its place before it filled. For the next 8 x 1,100 reads
        // it holds at most 1,024 places, then its whole 1,100 again.
        empty();
        read(1, 1101);
        let mut most = 0;
        for i in 0..8800 {
            let g = 1102 + i % 1800;
            assert_eq!(
                text(&format!("SELECT shortlink.resolve('few{g}')")),
                format!("https://example.com/f{g}")
            );
            most = most.max(remembered_places());
        }
        assert!(most <= 1024, "held {most} places while not paying");
        for g in 3001..=4000 {
            assert_eq!(
                text(&format!("SELECT shortlink.resolve('few{g}')")),
                format!("https://example.com/f{g}")
            );
            most = most.max(remembered_places());
        }
        assert!(
            most > 1024,
            "held at most {most} places after the reads with few"
        );
    }
}

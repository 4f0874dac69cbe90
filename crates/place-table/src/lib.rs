//! A table from a 64-bit key to a 64-bit place (a heap TID), shared by many processes
//! without locks: the memory of shortlink's shared place memo, in PostgreSQL's shared
//! memory, where every backend writes the places it reads through the index and reads
//! them back to skip the index descent.
//!
//! It is a cache, not a map: a write may evict another key, and a read racing a write to
//! the same slot may pair one key with another key's place. Its users check every place
//! they are given (shortlink reads the row there and compares its key), so neither costs
//! more than a lookup through the index.
//!
//! Layout: buckets of [`WAYS`] slots, each slot two words (key, place), so a bucket is 64
//! bytes, one cache line when the words start on one: a lookup touches one line. Key 0
//! marks an empty slot (a key of 0 is stored as 1).

use std::sync::atomic::{AtomicU64, Ordering};

/// Slots per bucket.
pub const WAYS: usize = 4;
/// Words per slot: the key, then the place.
const SLOT_WORDS: usize = 2;
/// Words per bucket.
pub const BUCKET_WORDS: usize = WAYS * SLOT_WORDS;

/// A place table over words someone else owns (shared memory, or a test's vector).
#[derive(Clone, Copy)]
pub struct PlaceTable<'a> {
    words: &'a [AtomicU64],
    buckets: usize,
}

/// The words a table of at least `slots` slots takes (whole buckets; at least one).
pub fn words_for(slots: usize) -> usize {
    slots.div_ceil(WAYS).max(1).saturating_mul(BUCKET_WORDS)
}

fn stored(key: u64) -> u64 {
    key.max(1)
}

impl<'a> PlaceTable<'a> {
    /// A table over `words` (whole buckets of them; a trailing part is left unused).
    /// None when they hold no bucket.
    pub fn new(words: &'a [AtomicU64]) -> Option<Self> {
        let buckets = words.len() / BUCKET_WORDS;
        (buckets > 0).then_some(Self { words, buckets })
    }

    /// How many places the table holds at most.
    pub fn slots(&self) -> usize {
        self.buckets * WAYS
    }

    fn bucket(&self, key: u64) -> &'a [AtomicU64] {
        // The key's high bits pick the bucket (a multiply-shift, no division); keys are
        // hashes, so every bit is as good as another.
        let i = ((u128::from(key) * self.buckets as u128) >> 64) as usize;
        &self.words[i * BUCKET_WORDS..(i + 1) * BUCKET_WORDS]
    }

    /// The place last written for `key`, if it is still there.
    pub fn get(&self, key: u64) -> Option<u64> {
        let key = stored(key);
        let bucket = self.bucket(key);
        bucket.chunks_exact(SLOT_WORDS).find_map(|slot| {
            (slot[0].load(Ordering::Acquire) == key).then(|| slot[1].load(Ordering::Relaxed))
        })
    }

    /// Remembers `place` for `key`: in its slot if it has one, else in an empty slot of
    /// its bucket, else over one of the bucket's keys (picked by the key and the place,
    /// so that two keys that keep meeting do not keep evicting the same third).
    pub fn put(&self, key: u64, place: u64) {
        let key = stored(key);
        let bucket = self.bucket(key);
        if let Some(slot) = bucket
            .chunks_exact(SLOT_WORDS)
            .find(|slot| slot[0].load(Ordering::Relaxed) == key)
        {
            slot[1].store(place, Ordering::Relaxed);
            return;
        }
        let victim = ((key ^ place) % WAYS as u64) as usize;
        let slot = bucket
            .chunks_exact(SLOT_WORDS)
            .find(|slot| slot[0].load(Ordering::Relaxed) == 0)
            .unwrap_or(&bucket[victim * SLOT_WORDS..(victim + 1) * SLOT_WORDS]);
        // The place before the key: a reader that sees the key sees this place, unless
        // another write to the slot races it (and then its reader's check catches it).
        slot[1].store(place, Ordering::Relaxed);
        slot[0].store(key, Ordering::Release);
    }

    /// Forgets every place.
    pub fn clear(&self) {
        for word in self.words {
            word.store(0, Ordering::Relaxed);
        }
    }

    /// How many slots hold a key now (a scan of the whole table).
    pub fn used(&self) -> usize {
        self.words[..self.buckets * BUCKET_WORDS]
            .chunks_exact(SLOT_WORDS)
            .filter(|slot| slot[0].load(Ordering::Relaxed) != 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;

    fn words(n: usize) -> Vec<AtomicU64> {
        (0..n).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn sizes_are_whole_buckets() {
        assert_eq!(words_for(0), BUCKET_WORDS);
        assert_eq!(words_for(1), BUCKET_WORDS);
        assert_eq!(words_for(4), BUCKET_WORDS);
        assert_eq!(words_for(5), 2 * BUCKET_WORDS);
        assert!(PlaceTable::new(&words(BUCKET_WORDS - 1)).is_none());
        assert_eq!(
            PlaceTable::new(&words(3 * BUCKET_WORDS + 5))
                .unwrap()
                .slots(),
            12
        );
    }

    #[test]
    fn a_place_put_is_got_back_and_overwritten_in_place() {
        let w = words(words_for(1024));
        let t = PlaceTable::new(&w).unwrap();
        assert_eq!(t.get(42), None);
        t.put(42, 7);
        assert_eq!(t.get(42), Some(7));
        t.put(42, 9);
        assert_eq!(t.get(42), Some(9));
        assert_eq!(t.used(), 1);
        // Key 0 is stored as 1: the two share a slot, never an empty one.
        t.put(0, 5);
        assert_eq!(t.get(0), Some(5));
        assert_eq!(t.get(1), Some(5));
        t.clear();
        assert_eq!(t.get(42), None);
        assert_eq!(t.used(), 0);
    }

    #[test]
    fn a_full_bucket_evicts_one_key_and_keeps_the_others() {
        // One bucket: every key lands in it.
        let w = words(BUCKET_WORDS);
        let t = PlaceTable::new(&w).unwrap();
        for k in 1..=WAYS as u64 {
            t.put(k, k * 10);
        }
        assert!((1..=WAYS as u64).all(|k| t.get(k) == Some(k * 10)));
        t.put(99, 990);
        assert_eq!(t.get(99), Some(990));
        let kept = (1..=WAYS as u64)
            .filter(|&k| t.get(k) == Some(k * 10))
            .count();
        assert_eq!(kept, WAYS - 1);
        assert_eq!(t.used(), WAYS);
    }

    #[test]
    fn a_table_holds_most_of_what_fills_six_tenths_of_it() {
        let w = words(words_for(1 << 16));
        let t = PlaceTable::new(&w).unwrap();
        let hasher = RandomState::new();
        let n = (1u64 << 16) * 6 / 10;
        for i in 0..n {
            t.put(hasher.hash_one(i), i);
        }
        let found = (0..n)
            .filter(|&i| t.get(hasher.hash_one(i)) == Some(i))
            .count();
        // Keys per bucket are Poisson with a mean of 2.4, and those past the fourth are
        // lost: about 6% (E[max(X - 4, 0)] / 2.4).
        assert!(found as f64 > n as f64 * 0.92, "{found} of {n}");
    }

    #[test]
    fn racing_writers_never_leave_a_place_that_was_not_put() {
        // Four threads write into one bucket at once; every place read back must be one
        // that some thread put for some key (a torn pair is allowed, a made-up word not).
        let w = words(BUCKET_WORDS);
        let t = PlaceTable::new(&w).unwrap();
        std::thread::scope(|s| {
            for th in 0..4u64 {
                s.spawn(move || {
                    for i in 0..20_000u64 {
                        let key = 1 + (i % 16);
                        t.put(key, (th << 32) | key);
                        if let Some(place) = t.get(key) {
                            assert!(place >> 32 < 4 && (place & 0xffff_ffff) <= 16, "{place:#x}");
                        }
                    }
                });
            }
        });
        assert!(t.used() <= WAYS);
    }
}

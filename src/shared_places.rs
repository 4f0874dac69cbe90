//! The shared place memo: where links live (their heap TIDs), in shared memory, written by
//! every backend that reads a link through the index and read by every backend before it
//! descends the index (`link_row`). A backend's own memo pays only for the links it reads
//! again itself; this one pays for every link any backend has read (or
//! `shortlink.warm_places()` has remembered), so a redirect over 10^7 links read at random
//! skips the index descent too.
//!
//! Present only when shortlink is in `shared_preload_libraries` (shared memory is sized
//! before any backend starts) and `shortlink.shared_places` is above 0. The table itself
//! (`shortlink_place_table`) takes no lock: a place read here is only a shortcut,
//! checked by `link_row::fetch_at` to hold a version of that very link visible to the
//! statement, exactly as a place from the backend's own memo is.

use std::hash::{BuildHasher, DefaultHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use pgrx::pg_sys;
use pgrx::prelude::*;
use shortlink_place_table::{self as place_table, PlaceTable};

use crate::index_scan::{attr, scan};
use crate::{catalog, settings};

/// The segment's name in PostgreSQL's shared memory index.
const NAME: &std::ffi::CStr = c"shortlink shared places";

/// What precedes the table in the segment: the hash seed, padded to a cache line so that
/// the table's buckets start on one (ShmemInitStruct returns cache-line-aligned memory).
#[repr(C, align(64))]
struct Header {
    seed: AtomicU64,
}

/// The segment, once this process has attached it: the header and the table's words.
/// Set again by every shared memory (re)initialization of the postmaster, whose children
/// inherit it.
static HEADER: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
static WORDS: AtomicUsize = AtomicUsize::new(0);

static mut PREV_REQUEST_HOOK: pg_sys::shmem_request_hook_type = None;
static mut PREV_STARTUP_HOOK: pg_sys::shmem_startup_hook_type = None;

/// The words of a table of `shortlink.shared_places` places; 0 when it is off.
fn words() -> usize {
    match settings::shared_places() {
        0 => 0,
        slots => place_table::words_for(slots),
    }
}

fn bytes(words: usize) -> usize {
    size_of::<Header>() + words * size_of::<AtomicU64>()
}

/// Whether shortlink was loaded by shared_preload_libraries (set in the postmaster, whose
/// children inherit it).
static PRELOADED: AtomicBool = AtomicBool::new(false);

fn preloaded() -> bool {
    PRELOADED.load(Ordering::Relaxed)
}

/// Asks for the shared memory; from `_PG_init` while shared_preload_libraries load.
pub fn request() {
    PRELOADED.store(true, Ordering::Relaxed);
    if words() == 0 {
        return;
    }
    // SAFETY: _PG_init runs once in the postmaster, before shared memory is sized; the
    // hooks chain to those installed before.
    unsafe {
        PREV_REQUEST_HOOK = pg_sys::shmem_request_hook;
        pg_sys::shmem_request_hook = Some(on_request);
        PREV_STARTUP_HOOK = pg_sys::shmem_startup_hook;
        pg_sys::shmem_startup_hook = Some(on_startup);
    }
}

/// # Safety
/// Called by PostgreSQL only, as its `shmem_request_hook`, in the postmaster.
#[pg_guard]
unsafe extern "C-unwind" fn on_request() {
    // SAFETY: PostgreSQL calls the hook while shared memory is being sized, the only time
    // RequestAddinShmemSpace may be called; PREV_REQUEST_HOOK was set once, in _PG_init,
    // before this hook was installed, and is only read here.
    unsafe {
        if let Some(prev) = PREV_REQUEST_HOOK {
            prev();
        }
        pg_sys::RequestAddinShmemSpace(bytes(words()));
    }
}

/// # Safety
/// Called by PostgreSQL only, as its `shmem_startup_hook`, when shared memory is made
/// (the postmaster, or each backend on EXEC_BACKEND builds).
#[pg_guard]
unsafe extern "C-unwind" fn on_startup() {
    // SAFETY: PostgreSQL calls the hook once shared memory exists, where ShmemInitStruct
    // may be called under AddinShmemInitLock (taken here, as its callers must); the
    // segment has bytes(words) bytes, as on_request asked for it, so zeroing that many
    // stays inside it; a Header is at its start (cache-line aligned); PREV_STARTUP_HOOK
    // was set once, in _PG_init, and is only read here.
    unsafe {
        if let Some(prev) = PREV_STARTUP_HOOK {
            prev();
        }
        let words = words();
        // AddinShmemInitLock (lwlock.h: MainLWLockArray[21]).
        let lock = &raw mut (*pg_sys::MainLWLockArray.add(21)).lock;
        pg_sys::LWLockAcquire(lock, pg_sys::LWLockMode::LW_EXCLUSIVE);
        let mut found = false;
        let base = pg_sys::ShmemInitStruct(NAME.as_ptr(), bytes(words), &mut found);
        let header = base.cast::<Header>();
        if !found {
            // A new segment: a fresh seed, and every slot empty.
            std::ptr::write_bytes(base.cast::<u8>(), 0, bytes(words));
            (*header)
                .seed
                .store(RandomState::new().hash_one(0u64), Ordering::Relaxed);
        }
        pg_sys::LWLockRelease(lock);
        WORDS.store(words, Ordering::Relaxed);
        HEADER.store(header, Ordering::Release);
    }
}

/// The shared place memo of this cluster, if it has one.
#[derive(Clone, Copy)]
pub struct SharedPlaces {
    table: PlaceTable<'static>,
    seed: u64,
}

/// The memo, when shortlink was preloaded with `shortlink.shared_places` above 0.
pub fn get() -> Option<SharedPlaces> {
    let header = HEADER.load(Ordering::Acquire);
    if header.is_null() {
        return None;
    }
    // SAFETY: the segment lives as long as the process (shared memory is never detached
    // from a backend), and its words follow the header.
    let (seed, words) = unsafe {
        let words = std::slice::from_raw_parts(
            header.add(1).cast::<AtomicU64>(),
            WORDS.load(Ordering::Relaxed),
        );
        ((*header).seed.load(Ordering::Relaxed), words)
    };
    PlaceTable::new(words).map(|table| SharedPlaces { table, seed })
}

/// A heap TID as one word; 0 is never a valid one (offsets start at 1).
pub(crate) fn pack(tid: pg_sys::ItemPointerData) -> u64 {
    (u64::from(tid.ip_blkid.bi_hi) << 32)
        | (u64::from(tid.ip_blkid.bi_lo) << 16)
        | u64::from(tid.ip_posid)
}

pub(crate) fn unpack(word: u64) -> pg_sys::ItemPointerData {
    pg_sys::ItemPointerData {
        ip_blkid: pg_sys::BlockIdData {
            bi_hi: (word >> 32) as u16,
            bi_lo: (word >> 16) as u16,
        },
        ip_posid: word as u16,
    }
}

impl SharedPlaces {
    /// The key of link (domain, code) of table `links` in this database: the cluster's
    /// databases share the memo.
    pub fn key(&self, links: pg_sys::Oid, domain: &str, code: &str) -> u64 {
        // DefaultHasher::new() is the same in every backend (one binary); the seed, drawn
        // when the segment was made, keeps the buckets of keys unguessable.
        let mut h = DefaultHasher::new();
        self.seed.hash(&mut h);
        // SAFETY: MyDatabaseId is set before any SQL runs.
        u32::from(unsafe { pg_sys::MyDatabaseId }).hash(&mut h);
        u32::from(links).hash(&mut h);
        (domain, code).hash(&mut h);
        h.finish()
    }

    pub fn place(&self, key: u64) -> Option<pg_sys::ItemPointerData> {
        self.table.get(key).map(unpack)
    }

    pub fn remember(&self, key: u64, tid: pg_sys::ItemPointerData) {
        self.table.put(key, pack(tid));
    }
}

/// `shortlink.shared_place_memo()`: how many places the shared memo holds at most, and
/// how many it holds now (a scan of all of it); both 0 when it is off. For sizing `shortlink.shared_places`.
#[pg_extern(volatile, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn shared_place_memo() -> TableIterator<'static, (name!(slots, i64), name!(remembered, i64))> {
    let (slots, used) = get().map_or((0, 0), |shared| (shared.table.slots(), shared.table.used()));
    TableIterator::once((
        i64::try_from(slots).unwrap_or(i64::MAX),
        i64::try_from(used).unwrap_or(i64::MAX),
    ))
}

/// Remembers the place of every link this statement sees in the shared memo, read in
/// `(domain, code)` order through the unique index; how many. None when there is no shared
/// memo.
fn remember_every_place() -> Option<i64> {
    let shared = get()?;
    let cat = catalog::get();
    let [domain_num, code_num] = cat.key_columns;
    let mut remembered = 0i64;
    // SAFETY: called from SQL, under the statement's active snapshot; a scan of
    // links_domain_code_key without keys reads every entry; domain and code are text
    // columns, deformed before they are read and read while the slot holds the row.
    unsafe {
        scan(cat.links, cat.links_key, &[], |slot| {
            pg_sys::slot_getsomeattrs_int(slot, i32::from(domain_num.max(code_num)));
            let (d, d_null) = attr(slot, domain_num);
            let (c, c_null) = attr(slot, code_num);
            if let (Some(domain), Some(code)) =
                (<&str>::from_datum(d, d_null), <&str>::from_datum(c, c_null))
            {
                shared.remember(shared.key(cat.links, domain, code), (*slot).tts_tid);
                remembered += 1;
            }
            None::<()>
        })
    };
    Some(remembered)
}

/// `shortlink.warm_places()`: remembers the place of every link in the shared memo, as a
/// server that has just started would otherwise learn them one redirect at a time; returns
/// how many. Owner and superusers only (security.sql grants it to no one).
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn warm_places() -> i64 {
    remember_every_place().unwrap_or_else(|| {
        crate::error::raise(
            shortlink_core::Error::new(
                shortlink_core::Kind::NotInPrerequisiteState,
                "shortlink's shared place memo is off",
            )
            .with_detail(if preloaded() {
                "shortlink.shared_places is 0."
            } else {
                "shortlink is not in shared_preload_libraries: no shared memory was set aside for it at server start."
            })
            .with_hint(
                "Add shortlink to shared_preload_libraries and set shortlink.shared_places above 0, then restart the server.",
            ),
        )
    })
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::place_memo::tests::sqlstate;

    #[pg_test]
    fn a_shared_place_is_one_word_and_back() {
        let tid = pg_sys::ItemPointerData {
            ip_blkid: pg_sys::BlockIdData {
                bi_hi: 0xfffe,
                bi_lo: 0x1234,
            },
            ip_posid: 291,
        };
        let word = super::pack(tid);
        assert_ne!(word, 0);
        let back = super::unpack(word);
        assert_eq!(
            (back.ip_blkid.bi_hi, back.ip_blkid.bi_lo, back.ip_posid),
            (0xfffe, 0x1234, 291)
        );
    }

    // The one SQL-only test kept here: pg_regress runs against a cluster that preloads
    // shortlink, and only `cargo pgrx test`'s cluster does not.
    #[pg_test]
    fn the_shared_place_memo_is_off_without_preloading() {
        // `cargo pgrx test` does not preload shortlink: no shared memory was set aside, so
        // links are read through each backend's memo and the index, and warming is an error.
        let get = |sql: &str| Spi::get_one::<String>(sql).expect("query runs");
        assert_eq!(
            get("SELECT format('%s/%s', slots, remembered) FROM shortlink.shared_place_memo()"),
            Some("0/0".to_owned())
        );
        assert_eq!(sqlstate("SELECT shortlink.warm_places()"), "55000");
        Spi::run("SELECT FROM shortlink.shorten('https://example.com/unshared', '{\"code\": \"unshared\"}')")
            .expect("shorten runs");
        assert_eq!(
            get("SELECT shortlink.resolve('unshared')"),
            Some("https://example.com/unshared".to_owned())
        );
        // The setting is defined only by a preloaded library: it sizes shared memory at start.
        assert_eq!(sqlstate("SHOW shortlink.shared_places"), "42704");
    }
}

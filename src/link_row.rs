//! The row of one link, read straight from the `(domain, code)` unique index, without SPI
//! or the executor: `resolve`'s whole job, at the cost of a bare indexed SELECT.
//!
//! The relations are found by name in schema `shortlink` (never through `search_path`),
//! read under the calling statement's snapshot with `AccessShareLock` held to the end of
//! the transaction, as the executor would. No privilege or row-level security check is
//! made here: the functions that call this are the gate (EXECUTE is granted).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CStr;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

use crate::{settings, shared_places};

/// What `resolve` needs of a link.
pub struct LinkRow {
    pub id: i64,
    pub url: String,
    pub disabled: bool,
    pub has_password: bool,
    pub expires_at: Option<i64>,
    pub max_clicks: Option<i64>,
    /// The clicks counted on the link's row; read (and meaningful) only with max_clicks.
    pub limited_clicks: i64,
}

/// Columns `resolve` reads from `shortlink.links`, in this order.
const COLUMNS: [&CStr; 7] = [
    c"id",
    c"url",
    c"disabled",
    c"password_hash",
    c"expires_at",
    c"max_clicks",
    c"limited_clicks",
];

/// Columns `record_click` and `peek_click` read from `shortlink.links`; the `CLICK_*`
/// constants are their positions.
pub const CLICK_COLUMNS: [&CStr; 17] = [
    c"id",
    c"url",
    c"tracking",
    c"disabled",
    c"expires_at",
    c"max_clicks",
    c"redirect_type",
    c"password_hash",
    c"forward_params",
    c"block_bots",
    c"expired_url",
    c"callback_url",
    c"webhook_urls",
    c"title",
    c"description",
    c"image",
    c"cloaked",
];

/// The relations read here and the attribute numbers of COLUMNS in `links`, found once
/// per backend and forgotten when any of them is invalidated (a dropped and recreated
/// extension gets new ones).
#[derive(Clone, Copy)]
pub struct Catalog {
    pub links: pg_sys::Oid,
    pub links_key: pg_sys::Oid,
    counts: pg_sys::Oid,
    counts_key: pg_sys::Oid,
    columns: [i16; 7],
    click_columns: [i16; 17],
    /// links.domain and links.code.
    key_columns: [i16; 2],
    counts_clicks: i16,
    /// click_log, its (link_id) index, and its is_bot column.
    pub log: pg_sys::Oid,
    log_key: pg_sys::Oid,
    log_is_bot: i16,
    /// click_events (partitioned) and the sequence of its identity column id.
    pub events: pg_sys::Oid,
    pub events_id_seq: pg_sys::Oid,
    /// domains, its primary key and its workspace_id column; blocked_hosts and its key.
    domains: pg_sys::Oid,
    domains_key: pg_sys::Oid,
    domains_workspace: i16,
    blocked: pg_sys::Oid,
    blocked_key: pg_sys::Oid,
}

thread_local! {
    static CATALOG: Cell<Option<Catalog>> = const { Cell::new(None) };
    /// Where the links this backend read last live: a hash of (domain, code) to the heap
    /// TID of the version read. A hot link is then read from its heap page, without the
    /// index descent, when that version is still the one the statement sees (see
    /// [`fetch_at`]); otherwise through the index, which records its new place.
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
/// write into, a table of megabytes at random, which measured 3-4% of `resolve` over 10^7
/// links read at random, against nothing for a memo of 1024. It then holds at most
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

/// What [`domain_for_link`] read last: the generation of the domain tables it was read
/// at, the question, and the answer.
type DomainRead = (
    u64,
    (String, Vec<String>, Vec<String>),
    (Option<i32>, Option<String>, Option<String>),
);

thread_local! {
    static DOMAIN_READ: RefCell<Option<DomainRead>> = const { RefCell::new(None) };
    /// Counts the changes to `domains` and `blocked_hosts` this backend has heard of (their
    /// statement triggers queue a relcache invalidation; sql/caches.sql), and resets of the
    /// whole relcache: an answer of [`domain_for_link`] holds while it stays the same.
    static DOMAINS_GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The oids of `domains` and `blocked_hosts`, once known.
    static DOMAIN_TABLES: Cell<[pg_sys::Oid; 2]> =
        const { Cell::new([pg_sys::InvalidOid; 2]) };
}

/// Registers the relcache callback; from `_PG_init`.
pub fn register() {
    // SAFETY: called once per process from _PG_init; the callback only clears a cell.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0usize));
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_relcache(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    // InvalidOid: the whole relcache was reset.
    if relid == pg_sys::InvalidOid || DOMAIN_TABLES.with(Cell::get).contains(&relid) {
        DOMAINS_GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
    }
    let Some(c) = CATALOG.with(Cell::get) else {
        return;
    };
    // InvalidOid: the whole relcache was reset.
    if relid == pg_sys::InvalidOid || relid == c.links {
        // A rewritten table (VACUUM FULL, TRUNCATE) has new TIDs. Only a shortcut:
        // fetch_at checks every place it is given.
        PLACES.with(|p| p.borrow_mut().places.clear());
    }
    if relid == pg_sys::InvalidOid
        || [
            c.links,
            c.links_key,
            c.counts,
            c.counts_key,
            c.log,
            c.log_key,
            c.events,
            c.domains,
            c.domains_key,
            c.blocked,
            c.blocked_key,
        ]
        .contains(&relid)
    {
        CATALOG.with(|cell| cell.set(None));
    }
}

fn relation(name: &CStr) -> pg_sys::Oid {
    // SAFETY: catalog lookups by name inside a transaction; missing_ok keeps an absent
    // schema from raising here, so the error below names what is missing.
    let oid = unsafe {
        let nsp = pg_sys::get_namespace_oid(c"shortlink".as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            pg_sys::InvalidOid
        } else {
            pg_sys::get_relname_relid(name.as_ptr(), nsp)
        }
    };
    if oid == pg_sys::InvalidOid {
        missing(
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            format!(
                "relation shortlink.{} does not exist",
                name.to_string_lossy()
            ),
        );
    }
    oid
}

/// A table or column of shortlink's that is gone: dropped or altered by hand.
fn missing(code: PgSqlErrorCode, message: String) -> ! {
    ErrorReport::new(code, message, "shortlink")
        .set_hint("Reinstall the extension's tables: they were dropped or altered by hand.")
        .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

fn attnum(rel: pg_sys::Oid, table: &str, name: &CStr) -> i16 {
    // SAFETY: a syscache lookup of a column by name.
    let num = unsafe { pg_sys::get_attnum(rel, name.as_ptr()) };
    if num <= 0 {
        missing(
            PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN,
            format!(
                "column shortlink.{table}.{} does not exist",
                name.to_string_lossy()
            ),
        );
    }
    num
}

pub fn catalog() -> Catalog {
    if let Some(c) = CATALOG.with(Cell::get) {
        return c;
    }
    let links = relation(c"links");
    let counts = relation(c"click_counts");
    let mut columns = [0i16; 7];
    for (num, name) in columns.iter_mut().zip(COLUMNS) {
        *num = attnum(links, "links", name);
    }
    let mut click_columns = [0i16; 17];
    for (num, name) in click_columns.iter_mut().zip(CLICK_COLUMNS) {
        *num = attnum(links, "links", name);
    }
    let log = relation(c"click_log");
    let events = relation(c"click_events");
    let events_id = attnum(events, "click_events", c"id");
    // SAFETY: a catalog lookup; missing_ok false raises if the identity is gone.
    let events_id_seq = unsafe { pg_sys::getIdentitySequence(events, events_id, false) };
    let key_columns = [
        attnum(links, "links", c"domain"),
        attnum(links, "links", c"code"),
    ];
    let domains = relation(c"domains");
    let blocked = relation(c"blocked_hosts");
    DOMAIN_TABLES.with(|t| t.set([domains, blocked]));
    let c = Catalog {
        domains,
        domains_key: relation(c"domains_pkey"),
        domains_workspace: attnum(domains, "domains", c"workspace_id"),
        blocked,
        blocked_key: relation(c"blocked_hosts_pkey"),
        links,
        key_columns,
        links_key: relation(c"links_domain_code_key"),
        counts,
        counts_key: relation(c"click_counts_pkey"),
        columns,
        click_columns,
        counts_clicks: attnum(counts, "click_counts", c"clicks"),
        log,
        log_key: relation(c"click_log_link_id_idx"),
        log_is_bot: attnum(log, "click_log", c"is_bot"),
        events,
        events_id_seq,
    };
    CATALOG.with(|cell| cell.set(Some(c)));
    c
}

/// One visible row of `index` on `heap` whose leading columns equal `keys`, handed to
/// `read` while its slot is valid, under the calling statement's snapshot. Each key is
/// (procedure, collation, datum).
///
/// # Safety
/// The relation ids must name a table and an index on it whose leading columns take the
/// keys' types; the datums must stay valid for the call.
unsafe fn scan<T>(
    heap_id: pg_sys::Oid,
    index_id: pg_sys::Oid,
    keys: &[(u32, pg_sys::Oid, pg_sys::Datum)],
    read: impl FnMut(*mut pg_sys::TupleTableSlot) -> Option<T>,
) -> Vec<T> {
    unsafe { scan_as_of(pg_sys::GetActiveSnapshot(), heap_id, index_id, keys, read) }
}

/// [`scan`] under `snapshot`.
///
/// # Safety
/// As for [`scan`]; `snapshot` stays valid (registered or active) for the call.
unsafe fn scan_as_of<T>(
    snapshot: pg_sys::Snapshot,
    heap_id: pg_sys::Oid,
    index_id: pg_sys::Oid,
    keys: &[(u32, pg_sys::Oid, pg_sys::Datum)],
    mut read: impl FnMut(*mut pg_sys::TupleTableSlot) -> Option<T>,
) -> Vec<T> {
    unsafe {
        let heap = pg_sys::table_open(heap_id, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let index = pg_sys::index_open(index_id, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let mut scankeys: Vec<pg_sys::ScanKeyData> = Vec::with_capacity(keys.len());
        for (i, &(procedure, collation, datum)) in keys.iter().enumerate() {
            let mut key = pg_sys::ScanKeyData::default();
            pg_sys::ScanKeyEntryInitialize(
                &mut key,
                0,
                (i + 1) as pg_sys::AttrNumber,
                pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
                pg_sys::InvalidOid,
                collation,
                pg_sys::Oid::from(procedure),
                datum,
            );
            scankeys.push(key);
        }
        let desc = pg_sys::index_beginscan(heap, index, snapshot, keys.len() as i32, 0);
        pg_sys::index_rescan(
            desc,
            scankeys.as_mut_ptr(),
            keys.len() as i32,
            std::ptr::null_mut(),
            0,
        );
        let slot = pg_sys::table_slot_create(heap, std::ptr::null_mut());
        let mut rows = Vec::new();
        while pg_sys::index_getnext_slot(desc, pg_sys::ScanDirection::ForwardScanDirection, slot) {
            if let Some(row) = read(slot) {
                rows.push(row);
            }
        }
        pg_sys::ExecDropSingleTupleTableSlot(slot);
        pg_sys::index_endscan(desc);
        // Locks stay until the end of the transaction, as the executor keeps them.
        pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
        pg_sys::table_close(heap, pg_sys::NoLock as pg_sys::LOCKMODE);
        rows
    }
}

/// The datum and null flag of attribute `num` (1-based) of a slot whose attributes up to
/// it are deformed.
unsafe fn attr(slot: *mut pg_sys::TupleTableSlot, num: i16) -> (pg_sys::Datum, bool) {
    let i = (num - 1) as usize;
    unsafe { (*(*slot).tts_values.add(i), *(*slot).tts_isnull.add(i)) }
}

/// A row of `links` in a scan's slot, its columns addressed by position in a column set.
pub struct Row<'a> {
    slot: *mut pg_sys::TupleTableSlot,
    nums: &'a [i16],
}

impl Row<'_> {
    /// Column `i` of the set, the tuple deformed up to it only when it is first asked for:
    /// a plain link's read stops before the late columns it does not need (a link without
    /// max_clicks never deforms up to limited_clicks, the 33rd).
    fn column(&self, i: usize) -> (pg_sys::Datum, bool) {
        let num = self.nums[i];
        // SAFETY: the slot holds a row of links while the row is lent out; num is one of
        // its attribute numbers.
        unsafe {
            if i32::from((*self.slot).tts_nvalid) < i32::from(num) {
                pg_sys::slot_getsomeattrs_int(self.slot, i32::from(num));
            }
            attr(self.slot, num)
        }
    }

    pub fn is_null(&self, i: usize) -> bool {
        self.column(i).1
    }

    /// Column `i` of the set, NULL as None. The caller names the column's Rust type.
    pub fn get<T: FromDatum>(&self, i: usize) -> Option<T> {
        let (datum, null) = self.column(i);
        // SAFETY: T is the type of the column at position i (see the set).
        unsafe { T::from_datum(datum, null) }
    }
}

/// The link `code` on `domain` (already normalized) as the calling statement sees it,
/// read by `read` through the columns of `record_click` (CLICK_COLUMNS).
pub fn find_for_click<T>(
    domain: &str,
    code: &str,
    read: impl FnMut(&Row<'_>) -> Option<T>,
) -> Option<T> {
    find_with(domain, code, |c| &c.click_columns, read)
}

fn find_with<T>(
    domain: &str,
    code: &str,
    set: fn(&Catalog) -> &[i16],
    mut read: impl FnMut(&Row<'_>) -> Option<T>,
) -> Option<T> {
    // SAFETY: a transaction is open (we are called from SQL) and the active snapshot is
    // the calling statement's.
    if !unsafe { pg_sys::ActiveSnapshotSet() } {
        error!("shortlink: no active snapshot to read links with");
    }
    let cat = catalog();
    let nums = set(&cat);
    // Keyed for the shared memo when there is one, so that one hash serves both.
    let shared = shared_places::get();
    let place = match shared {
        Some(shared) => shared.key(cat.links, domain, code),
        None => PLACE_KEYS.with(|keys| keys.hash_one((domain, code))),
    };
    if let Some(tid) = PLACES.with(|p| p.borrow_mut().place(place)) {
        // SAFETY: tid was read from links in this backend; fetch_at checks that its block
        // still exists and that the version there is visible and is this link's.
        let found = unsafe { fetch_at(&cat, tid, domain, code, |slot| read(&Row { slot, nums })) };
        if let Some(found) = found {
            PLACES.with(|p| p.borrow_mut().hits += 1);
            return found;
        }
    }
    // At most shortlink.remembered_links places (see Memo); freed when it is 0.
    let limit = settings::remembered_links();
    if let Some(tid) = shared.and_then(|shared| shared.place(place)) {
        // SAFETY: as above; a place from the shared memo may be any TID of links (another
        // backend's, or one torn by a racing write): fetch_at checks it all the same.
        let found = unsafe { fetch_at(&cat, tid, domain, code, |slot| read(&Row { slot, nums })) };
        if let Some(found) = found {
            PLACES.with(|p| p.borrow_mut().remember(place, tid, limit));
            return found;
        }
    }
    let (Some(domain_datum), Some(code_datum)) = (domain.into_datum(), code.into_datum()) else {
        return None;
    };
    let keys = [
        (
            pg_sys::F_TEXTEQ,
            pg_sys::DEFAULT_COLLATION_OID,
            domain_datum,
        ),
        (pg_sys::F_TEXTEQ, pg_sys::DEFAULT_COLLATION_OID, code_datum),
    ];
    let mut seen = None;
    // SAFETY: links_domain_code_key is the unique index on links (domain text, code text).
    let mut rows = unsafe {
        scan(cat.links, cat.links_key, &keys, |slot| {
            seen = Some((*slot).tts_tid);
            read(&Row { slot, nums })
        })
    };
    if let Some(tid) = seen {
        PLACES.with(|p| p.borrow_mut().remember(place, tid, limit));
        if let Some(shared) = shared {
            shared.remember(place, tid);
        }
    }
    rows.pop()
}

/// Remembers the place of every link this statement sees in the shared memo, read in
/// `(domain, code)` order through the unique index; how many. None when there is no shared
/// memo.
pub fn remember_every_place() -> Option<i64> {
    let shared = shared_places::get()?;
    let cat = catalog();
    let [domain_num, code_num] = cat.key_columns;
    let mut remembered = 0i64;
    // SAFETY: a scan of links_domain_code_key without keys reads every entry; domain and
    // code are text columns, read while the slot holds the row.
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

/// How many links' places this backend remembers now (for the tests).
#[cfg(any(test, feature = "pg_test"))]
pub fn remembered_places() -> usize {
    PLACES.with(|p| p.borrow().places.len())
}

/// The link `code` on `domain` read at heap TID `tid`: `Some(read(row))` when the version
/// there is visible to the statement's snapshot and is that link's, else None (moved,
/// updated, deleted, or its page gone). Under one snapshot at most one version of a row
/// is visible, and `(domain, code)` is unique among visible rows, so that version is the
/// one the index would have found.
///
/// # Safety
/// A transaction is open with an active snapshot; `cat` is this backend's catalog.
unsafe fn fetch_at<T>(
    cat: &Catalog,
    mut tid: pg_sys::ItemPointerData,
    domain: &str,
    code: &str,
    read: impl FnOnce(*mut pg_sys::TupleTableSlot) -> Option<T>,
) -> Option<Option<T>> {
    unsafe {
        let heap = pg_sys::table_open(cat.links, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let block = (u32::from(tid.ip_blkid.bi_hi) << 16) | u32::from(tid.ip_blkid.bi_lo);
        // A page VACUUM truncated away would be an error to read (VACUUM releases its
        // lock after truncating and before it commits and sends the invalidation that
        // makes this backend forget its places, on_relcache). Below the block count
        // this backend's storage manager last knew, the page exists: PostgreSQL keeps that
        // count on every size look-up, extension and truncation of this backend's, and
        // another backend's truncation sends an invalidation, before it truncates and under
        // a lock that conflicts with ours, which closes this backend's storage handle (its
        // count starts over unknown) when our lock is granted. Only past it (a table grown
        // by others since) is the file's size asked, an lseek.
        let known = if (*heap).rd_smgr.is_null() {
            pg_sys::InvalidBlockNumber
        } else {
            (*(*heap).rd_smgr).smgr_cached_nblocks[pg_sys::ForkNumber::MAIN_FORKNUM as usize]
        };
        let exists = (known != pg_sys::InvalidBlockNumber && block < known)
            || block
                < pg_sys::RelationGetNumberOfBlocksInFork(heap, pg_sys::ForkNumber::MAIN_FORKNUM);
        let mut found = None;
        if exists {
            let slot = pg_sys::table_slot_create(heap, std::ptr::null_mut());
            if pg_sys::table_tuple_fetch_row_version(
                heap,
                &mut tid,
                pg_sys::GetActiveSnapshot(),
                slot,
            ) {
                let [domain_num, code_num] = cat.key_columns;
                pg_sys::slot_getsomeattrs_int(slot, i32::from(domain_num.max(code_num)));
                let (d, d_null) = attr(slot, domain_num);
                let (c, c_null) = attr(slot, code_num);
                let same = !d_null
                    && !c_null
                    && <&str>::from_datum(d, false) == Some(domain)
                    && <&str>::from_datum(c, false) == Some(code);
                if same {
                    found = Some(read(slot));
                }
            }
            pg_sys::ExecDropSingleTupleTableSlot(slot);
        }
        pg_sys::table_close(heap, pg_sys::NoLock as pg_sys::LOCKMODE);
        found
    }
}

/// The link `code` on `domain` (already normalized), as the calling statement sees it.
pub fn find(domain: &str, code: &str) -> Option<LinkRow> {
    find_with(
        domain,
        code,
        |c| &c.columns,
        |row| {
            let max_clicks: Option<i64> = row.get(5);
            Some(LinkRow {
                id: row.get(0)?,
                url: row.get(1)?,
                disabled: row.get(2).unwrap_or(false),
                has_password: !row.is_null(3),
                expires_at: row.get::<i64>(4),
                // Counted on the row only while the link has max_clicks.
                limited_clicks: if max_clicks.is_some() {
                    row.get(6).unwrap_or(0)
                } else {
                    0
                },
                max_clicks,
            })
        },
    )
}

/// The clicks of people counted for link `id` besides those on its own row: its counters
/// (shortlink.click_counts) and its clicks appended to shortlink.click_log since
/// shortlink.maintain() last added them up.
pub fn counted_clicks(id: i64) -> i64 {
    let cat = catalog();
    let clicks_num = cat.counts_clicks;
    let bot_num = cat.log_is_bot;
    let Some(id_datum) = id.into_datum() else {
        return 0;
    };
    let keys = [(pg_sys::F_INT8EQ, pg_sys::InvalidOid, id_datum)];
    // SAFETY: click_counts_pkey is the index on click_counts (link_id bigint, shard int);
    // clicks is a bigint column.
    let counters: i64 = unsafe {
        scan(cat.counts, cat.counts_key, &keys, |slot| {
            pg_sys::slot_getsomeattrs_int(slot, clicks_num as i32);
            let (clicks, null) = attr(slot, clicks_num);
            i64::from_datum(clicks, null)
        })
    }
    .iter()
    .sum();
    // SAFETY: click_log_link_id_idx is the index on click_log (link_id bigint); is_bot is
    // a boolean column.
    let appended = unsafe {
        scan(cat.log, cat.log_key, &keys, |slot| {
            pg_sys::slot_getsomeattrs_int(slot, bot_num as i32);
            let (bot, null) = attr(slot, bot_num);
            (bool::from_datum(bot, null) == Some(false)).then_some(())
        })
    };
    counters + appended.len() as i64
}

/// A text datum of `s`, for a scan key.
fn text_key(s: &str) -> Option<(u32, pg_sys::Oid, pg_sys::Datum)> {
    s.into_datum()
        .map(|d| (pg_sys::F_TEXTEQ, pg_sys::DEFAULT_COLLATION_OID, d))
}

/// What a new link needs to know of its domain, read under a snapshot taken now (the
/// caller holds the domain's lock, so it sees any removal that committed before): the
/// domain's workspace (None: not registered), the first of `suffixes` that is a blocked
/// host, and the first of `hosts` that is a short domain.
///
/// The answer is kept until `domains` or `blocked_hosts` change: their statement triggers
/// queue a relcache invalidation (sql/caches.sql), which a committing writer sends to every
/// backend before it releases its locks or tells its client, and which is taken in here
/// before the answer is looked at. So an answer is reused only while no change to the two
/// tables has been acknowledged to anyone since it was read (a removal of the domain waits
/// for the lock the caller holds, and is heard of once the lock is granted); the writer's
/// own change is heard of at its next command. A campaign's links, and an application's
/// one link per transaction, on one domain to one site read the tables once.
pub fn domain_for_link(
    name: &str,
    suffixes: &[String],
    hosts: &[String],
) -> (Option<i32>, Option<String>, Option<String>) {
    let cat = catalog();
    let ws_num = cat.domains_workspace;
    // SAFETY: processes the invalidation messages queued for this backend, as taking a
    // relation lock does.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let generation = DOMAINS_GENERATION.with(Cell::get);
    let remembered = DOMAIN_READ.with(|r| {
        r.borrow()
            .as_ref()
            .filter(|(g, (n, s, h), _)| {
                *g == generation && n == name && s.as_slice() == suffixes && h.as_slice() == hosts
            })
            .map(|(_, _, answer)| answer.clone())
    });
    if let Some(answer) = remembered {
        return answer;
    }
    // SAFETY: the snapshot is registered for the scans and unregistered after; the keys
    // are text datums for the text primary keys of domains and blocked_hosts, and
    // workspace_id is an integer column.
    unsafe {
        let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot());
        let probe =
            |heap,
             index,
             key: &str,
             read: &mut dyn FnMut(*mut pg_sys::TupleTableSlot) -> Option<i32>| {
                text_key(key).map_or(Vec::new(), |k| {
                    scan_as_of(snapshot, heap, index, &[k], read)
                })
            };
        let workspace = probe(cat.domains, cat.domains_key, name, &mut |slot| {
            pg_sys::slot_getsomeattrs_int(slot, ws_num as i32);
            let (ws, null) = attr(slot, ws_num);
            i32::from_datum(ws, null)
        })
        .pop();
        // No page, no row: a row this snapshot sees was committed before it was taken, on
        // a page that existed by then, which VACUUM cannot cut off while the row lives
        // (TRUNCATE waits for this lock). Where nothing was ever blocked, no probe.
        let blocked_rel =
            pg_sys::table_open(cat.blocked, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let none_blocked =
            pg_sys::RelationGetNumberOfBlocksInFork(blocked_rel, pg_sys::ForkNumber::MAIN_FORKNUM)
                == 0;
        pg_sys::table_close(blocked_rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        let blocked = if none_blocked {
            None
        } else {
            suffixes
                .iter()
                .find(|h| !probe(cat.blocked, cat.blocked_key, h, &mut |_| Some(0)).is_empty())
                .cloned()
        };
        let short = hosts
            .iter()
            .find(|h| !probe(cat.domains, cat.domains_key, h, &mut |_| Some(0)).is_empty())
            .cloned();
        pg_sys::UnregisterSnapshot(snapshot);
        let answer = (workspace, blocked, short);
        // Kept under the generation read before the scans: a change heard of during them
        // makes the next call read again.
        let asked = (name.to_owned(), suffixes.to_vec(), hosts.to_vec());
        DOMAIN_READ.with(|r| *r.borrow_mut() = Some((generation, asked, answer.clone())));
        answer
    }
}

//! The row of one link, read straight from the `(domain, code)` unique index, without SPI
//! or the executor: `resolve`'s whole job, at the cost of a bare indexed SELECT.
//!
//! The relations are found by name in schema `shortlink` (never through `search_path`),
//! read under the calling statement's snapshot with `AccessShareLock` held to the end of
//! the transaction, as the executor would. No privilege or row-level security check is
//! made here: the functions that call this are the gate (EXECUTE is granted).

use std::cell::Cell;
use std::ffi::CStr;

use pgrx::pg_sys;
use pgrx::prelude::*;

/// What `resolve` needs of a link.
pub struct LinkRow {
    pub id: i64,
    pub url: String,
    pub disabled: bool,
    pub has_password: bool,
    pub expires_at: Option<pg_sys::TimestampTz>,
    pub max_clicks: Option<i64>,
    pub limited_clicks: i64,
}

/// Columns read from `shortlink.links`, in this order.
const COLUMNS: [&CStr; 7] = [
    c"id",
    c"url",
    c"disabled",
    c"password_hash",
    c"expires_at",
    c"max_clicks",
    c"limited_clicks",
];

thread_local! {
    /// Attribute numbers of COLUMNS, for the `links` relation they were read from (a
    /// dropped and recreated extension gets new relation ids).
    static ATTNUMS: Cell<(pg_sys::Oid, [i16; 7])> = const { Cell::new((pg_sys::InvalidOid, [0; 7])) };
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
        error!(
            "relation shortlink.{} does not exist",
            name.to_string_lossy()
        );
    }
    oid
}

fn attnums(links: pg_sys::Oid) -> [i16; 7] {
    let (cached_for, cached) = ATTNUMS.with(Cell::get);
    if cached_for == links {
        return cached;
    }
    let mut nums = [0i16; 7];
    for (num, name) in nums.iter_mut().zip(COLUMNS) {
        // SAFETY: a syscache lookup of a column by name.
        *num = unsafe { pg_sys::get_attnum(links, name.as_ptr()) };
        if *num <= 0 {
            error!(
                "column shortlink.links.{} does not exist",
                name.to_string_lossy()
            );
        }
    }
    ATTNUMS.with(|c| c.set((links, nums)));
    nums
}

/// One visible row of `index` on `heap` whose leading columns equal `keys`, handed to
/// `read` while its slot is valid. Each key is (procedure, collation, datum).
///
/// # Safety
/// The relation ids must name a table and an index on it whose leading columns take the
/// keys' types; the datums must stay valid for the call.
unsafe fn scan<T>(
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
        let snapshot = pg_sys::GetActiveSnapshot();
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

/// The link `code` on `domain` (already normalized), as the calling statement sees it.
pub fn find(domain: &str, code: &str) -> Option<LinkRow> {
    // SAFETY: a transaction is open (we are called from SQL) and the active snapshot is
    // the calling statement's.
    if !unsafe { pg_sys::ActiveSnapshotSet() } {
        error!("shortlink: no active snapshot to read links with");
    }
    let links = relation(c"links");
    let index = relation(c"links_domain_code_key");
    let nums = attnums(links);
    let deform_to = *nums.iter().max().unwrap_or(&1);
    let (domain_datum, code_datum) = (domain.into_datum(), code.into_datum());
    let (Some(domain_datum), Some(code_datum)) = (domain_datum, code_datum) else {
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
    // SAFETY: links_domain_code_key is the unique index on links (domain text, code text);
    // each attribute is read with the type of its column in sql/schema.sql.
    let mut rows = unsafe {
        scan(links, index, &keys, |slot| {
            pg_sys::slot_getsomeattrs_int(slot, deform_to as i32);
            let get = |n: usize| attr(slot, nums[n]);
            let (id, id_null) = get(0);
            let (url, url_null) = get(1);
            let (disabled, _) = get(2);
            let (_, no_password) = get(3);
            let (expires_at, no_expiry) = get(4);
            let (max_clicks, no_max) = get(5);
            let (limited, limited_null) = get(6);
            Some(LinkRow {
                id: i64::from_datum(id, id_null)?,
                url: String::from_datum(url, url_null)?,
                disabled: bool::from_datum(disabled, false).unwrap_or(false),
                has_password: !no_password,
                expires_at: (!no_expiry).then(|| expires_at.value() as pg_sys::TimestampTz),
                max_clicks: i64::from_datum(max_clicks, no_max),
                limited_clicks: i64::from_datum(limited, limited_null).unwrap_or(0),
            })
        })
    };
    rows.pop()
}

/// The sum of the sharded click counters of link `id` (shortlink.click_counts).
pub fn sharded_clicks(id: i64) -> i64 {
    let counts = relation(c"click_counts");
    let index = relation(c"click_counts_pkey");
    // SAFETY: a syscache lookup of a column by name.
    let clicks_num = unsafe { pg_sys::get_attnum(counts, c"clicks".as_ptr()) };
    if clicks_num <= 0 {
        error!("column shortlink.click_counts.clicks does not exist");
    }
    let Some(id_datum) = id.into_datum() else {
        return 0;
    };
    let keys = [(pg_sys::F_INT8EQ, pg_sys::InvalidOid, id_datum)];
    // SAFETY: click_counts_pkey is the index on click_counts (link_id bigint, shard int);
    // clicks is a bigint column.
    let shards = unsafe {
        scan(counts, index, &keys, |slot| {
            pg_sys::slot_getsomeattrs_int(slot, clicks_num as i32);
            let (clicks, null) = attr(slot, clicks_num);
            i64::from_datum(clicks, null)
        })
    };
    shards.iter().sum()
}

//! The row of one link, read straight from the `(domain, code)` unique index, without SPI
//! or the executor: `resolve`'s whole job, at the cost of a bare indexed SELECT.
//!
//! A link whose place (heap TID) is remembered, in the backend's memo (`place_memo`) or
//! the cluster's (`shared_places`), is read from its heap page without the index descent
//! when that version is still the one the statement sees. The relations are those of
//! `catalog`, read under the calling statement's snapshot with `AccessShareLock` held to
//! the end of the transaction, as the executor would. No privilege or row-level security
//! check is made here: the functions that call this are the gate (EXECUTE is granted).

use pgrx::pg_sys;
use pgrx::prelude::*;

use std::marker::PhantomData;

use crate::catalog::{self, Catalog, ClickColumn, ResolveColumn};
use crate::index_scan::{attr, scan};
use crate::{place_memo, settings, shared_places};

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

/// A row of `links` in a scan's slot, its columns addressed by position in a column set.
pub struct Row<'a, C> {
    slot: *mut pg_sys::TupleTableSlot,
    nums: &'a [i16],
    set: PhantomData<C>,
}

impl<C: Into<usize>> Row<'_, C> {
    /// Column `i` of the set, the tuple deformed up to it only when it is first asked for:
    /// a plain link's read stops before the late columns it does not need (a link without
    /// max_clicks never deforms up to limited_clicks, the 33rd).
    fn column(&self, i: usize) -> (pg_sys::Datum, bool) {
        self.attribute(self.nums[i])
    }

    /// Attribute `num` of links, deformed up to it when first asked for.
    fn attribute(&self, num: i16) -> (pg_sys::Datum, bool) {
        // SAFETY: the slot holds a row of links while the row is lent out; num is one of
        // its attribute numbers, and the slot is deformed up to it before it is read.
        unsafe {
            if i32::from((*self.slot).tts_nvalid) < i32::from(num) {
                pg_sys::slot_getsomeattrs_int(self.slot, i32::from(num));
            }
            attr(self.slot, num)
        }
    }

    /// Column number `num` of links, for a column outside the set that the schema may
    /// lack (0: absent, read as NULL). The caller names the column's Rust type.
    pub fn get_attribute<T: FromDatum>(&self, num: i16) -> Option<T> {
        if num <= 0 {
            return None;
        }
        let (datum, null) = self.attribute(num);
        // SAFETY: T is the type of column num (the caller's promise), read while the slot
        // holds the row.
        unsafe { T::from_datum(datum, null) }
    }

    pub fn is_null(&self, column: C) -> bool {
        self.column(column.into()).1
    }

    /// Column `column` of the set, NULL as None. The caller names the column's Rust type.
    pub fn get<T: FromDatum>(&self, column: C) -> Option<T> {
        let (datum, null) = self.column(column.into());
        // SAFETY: T is the type of the column at position i (see the set), and the datum
        // is read while the slot holds the row.
        unsafe { T::from_datum(datum, null) }
    }
}

/// The link `code` on `domain` (already normalized) as the calling statement sees it,
/// read by `read` through the columns of `record_click` (`catalog::ClickColumn`).
pub fn find_for_click<T>(
    domain: &str,
    code: &str,
    read: impl FnMut(&Row<'_, ClickColumn>) -> Option<T>,
) -> Option<T> {
    find_with(domain, code, |c| &c.click_columns, read)
}

fn find_with<C, T>(
    domain: &str,
    code: &str,
    set: fn(&Catalog) -> &[i16],
    mut read: impl FnMut(&Row<'_, C>) -> Option<T>,
) -> Option<T> {
    // SAFETY: a transaction is open (we are called from SQL); this only asks whether the
    // calling statement has set its snapshot.
    if !unsafe { pg_sys::ActiveSnapshotSet() } {
        error!("shortlink: no active snapshot to read links with");
    }
    let cat = catalog::get();
    let nums = set(&cat);
    // Keyed for the shared memo when there is one, so that one hash serves both.
    let shared = shared_places::get();
    let place = match shared {
        Some(shared) => shared.key(cat.links, domain, code),
        None => place_memo::key(domain, code),
    };
    // The link at a remembered place, if that place still holds it.
    let mut fetch = |tid| {
        // SAFETY: an active snapshot is set (above) and cat is this backend's catalog;
        // fetch_at checks that tid's block still exists and that the version there is
        // visible and is this link's, so any TID of links will do: one this backend read,
        // or one from the shared memo (another backend's, or one torn by a racing write).
        unsafe {
            fetch_at(&cat, tid, domain, code, |slot| {
                read(&Row {
                    slot,
                    nums,
                    set: PhantomData,
                })
            })
        }
    };
    if let Some(found) = place_memo::place(place).and_then(&mut fetch) {
        place_memo::found_at_place();
        return found;
    }
    // At most shortlink.remembered_links places (see place_memo); freed when it is 0.
    let limit = settings::remembered_links();
    if let Some(tid) = shared.and_then(|shared| shared.place(place)) {
        if let Some(found) = fetch(tid) {
            place_memo::remember(place, tid, limit);
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
    // SAFETY: an active snapshot is set (above); links_domain_code_key is the unique index
    // on links (domain text, code text), and the keys are text datums that live to the
    // end of the call; the slot is read only inside the callback, while it holds the row.
    let mut rows = unsafe {
        scan(cat.links, cat.links_key, &keys, |slot| {
            seen = Some((*slot).tts_tid);
            read(&Row {
                slot,
                nums,
                set: PhantomData,
            })
        })
    };
    if let Some(tid) = seen {
        place_memo::remember(place, tid, limit);
        if let Some(shared) = shared {
            shared.remember(place, tid);
        }
    }
    rows.pop()
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
    // SAFETY: cat.links is a table (the caller's promise), opened and closed here with its
    // lock kept to the end of the transaction; the block is read only below a block count
    // that exists (see below), through table_tuple_fetch_row_version, which checks the
    // offset and the visibility under the active snapshot; the slot is made for the heap,
    // deformed up to domain and code before they are read, and dropped here.
    unsafe {
        let heap = pg_sys::table_open(cat.links, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let block = (u32::from(tid.ip_blkid.bi_hi) << 16) | u32::from(tid.ip_blkid.bi_lo);
        // A page VACUUM truncated away would be an error to read (VACUUM releases its
        // lock after truncating and before it commits and sends the invalidation that
        // makes this backend forget its places, `relcache`). Below the block count
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
            use ResolveColumn as R;
            let max_clicks: Option<i64> = row.get(R::MaxClicks);
            Some(LinkRow {
                id: row.get(R::Id)?,
                url: row.get(R::Url)?,
                disabled: row.get(R::Disabled).unwrap_or(false),
                has_password: !row.is_null(R::PasswordHash),
                expires_at: row.get::<i64>(R::ExpiresAt),
                // Counted on the row only while the link has max_clicks.
                limited_clicks: if max_clicks.is_some() {
                    row.get(R::LimitedClicks).unwrap_or(0)
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
    let cat = catalog::get();
    let clicks_num = cat.counts_clicks;
    let bot_num = cat.log_is_bot;
    let Some(id_datum) = id.into_datum() else {
        return 0;
    };
    let keys = [(pg_sys::F_INT8EQ, pg_sys::InvalidOid, id_datum)];
    // SAFETY: called from SQL, under the statement's active snapshot; click_counts_pkey is
    // the index on click_counts (link_id bigint, shard int), the key a bigint datum;
    // clicks is a bigint column, deformed before it is read.
    let counters: i64 = unsafe {
        scan(cat.counts, cat.counts_key, &keys, |slot| {
            pg_sys::slot_getsomeattrs_int(slot, clicks_num as i32);
            let (clicks, null) = attr(slot, clicks_num);
            i64::from_datum(clicks, null)
        })
    }
    .iter()
    .sum();
    // SAFETY: as above; click_log_link_id_idx is the index on click_log (link_id bigint);
    // is_bot is a boolean column, deformed before it is read.
    let appended = unsafe {
        scan(cat.log, cat.log_key, &keys, |slot| {
            pg_sys::slot_getsomeattrs_int(slot, bot_num as i32);
            let (bot, null) = attr(slot, bot_num);
            (bool::from_datum(bot, null) == Some(false)).then_some(())
        })
    };
    counters + appended.len() as i64
}

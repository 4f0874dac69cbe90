//! Raw index scans: the rows of a table whose index keys equal given values, read through
//! the index access method without SPI or the executor, under a snapshot of the caller's
//! choosing.
//!
//! Relations are opened with `AccessShareLock`, held to the end of the transaction, as the
//! executor would. No privilege or row-level security check is made here: the functions
//! that call this are the gate (EXECUTE is granted).

use pgrx::pg_sys;
use pgrx::prelude::*;

/// A scan key: (equality procedure, collation, datum).
pub type Key = (u32, pg_sys::Oid, pg_sys::Datum);

/// One visible row of `index` on `heap` whose leading columns equal `keys`, handed to
/// `read` while its slot is valid, under the calling statement's snapshot.
///
/// # Safety
/// A statement is running (there is an active snapshot); the relation ids name a table
/// and an index on it whose leading columns take the keys' types; the datums stay valid
/// for the call.
pub unsafe fn scan<T>(
    heap_id: pg_sys::Oid,
    index_id: pg_sys::Oid,
    keys: &[Key],
    read: impl FnMut(*mut pg_sys::TupleTableSlot) -> Option<T>,
) -> Vec<T> {
    // SAFETY: the active snapshot stays set for the statement, so for this call; the rest
    // is the caller's promise.
    unsafe { scan_as_of(pg_sys::GetActiveSnapshot(), heap_id, index_id, keys, read) }
}

/// [`scan`] under `snapshot`.
///
/// # Safety
/// As for [`scan`]; `snapshot` stays valid (registered or active) for the call.
pub unsafe fn scan_as_of<T>(
    snapshot: pg_sys::Snapshot,
    heap_id: pg_sys::Oid,
    index_id: pg_sys::Oid,
    keys: &[Key],
    mut read: impl FnMut(*mut pg_sys::TupleTableSlot) -> Option<T>,
) -> Vec<T> {
    // SAFETY: the caller's promises (a table, an index on it taking the keys' types, a
    // valid snapshot) are what table_open, index_beginscan and index_rescan require; the
    // scan keys live in `scankeys` until the scan ends; the slot is made for the heap
    // and read only between index_getnext_slot and the next call, while it holds a row;
    // everything opened here is closed here, in reverse order.
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
        let desc = crate::pg_compat::index_beginscan(heap, index, snapshot, keys.len() as i32, 0);
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
///
/// # Safety
/// `slot` is valid and holds a row; `1 <= num <= slot.tts_nvalid`.
pub unsafe fn attr(slot: *mut pg_sys::TupleTableSlot, num: i16) -> (pg_sys::Datum, bool) {
    let i = (num - 1) as usize;
    // SAFETY: tts_values and tts_isnull hold tts_nvalid entries, and i is below it (the
    // caller's promise).
    unsafe { (*(*slot).tts_values.add(i), *(*slot).tts_isnull.add(i)) }
}

/// A text datum of `s`, for a scan key.
pub fn text_key(s: &str) -> Option<Key> {
    s.into_datum()
        .map(|d| (pg_sys::F_TEXTEQ, pg_sys::DEFAULT_COLLATION_OID, d))
}

//! Rows appended straight to a table's heap and indexes, without SPI or the executor:
//! a click's event and its entry in `click_log` cost what the bare insert of a row costs,
//! not an executor start and a plan.
//!
//! Only a table that needs nothing else of the executor takes rows this way: a plain heap
//! table, without triggers that fire on INSERT (nor foreign keys, which are triggers;
//! a DELETE or UPDATE trigger does not matter to an insert), CHECK constraints,
//! generated columns or row-level security that applies to the current role, whose columns are exactly the ones given, of the types given, and
//! whose indexes are on plain columns, without predicates, exclusion or deferred
//! uniqueness. Anything else (a table an operator added a trigger or a column to) makes
//! [`insert`] return `false` having written nothing, and the caller inserts through SPI.
//! Locks are the executor's: `RowExclusiveLock` on the table and its indexes, held to the
//! end of the transaction.
//!
//! Privileges and row-level security are not checked here: the callers run as the
//! extension's owner (SECURITY DEFINER), which the executor would not check either.

use pgrx::pg_sys;

pub use super::Column;

/// The widest table (attributes, dropped ones included) and the most indexes taken here.
const MAX_COLUMNS: usize = 64;
const MAX_INDEXES: usize = 8;

/// Inserts one row into table `relid`, as `INSERT INTO … (columns) VALUES (…)` would, or
/// returns false without writing when the table needs the executor (see the module).
///
/// # Safety
/// A transaction is open and may write; the datums are valid values of their types for
/// the duration of the call.
pub unsafe fn insert(relid: pg_sys::Oid, columns: &[Column<'_>]) -> bool {
    // SAFETY: a transaction is open (the caller's promise) and relid names a table
    // (table_open raises otherwise); the relation is closed here, its lock kept to the end
    // of the transaction as the executor keeps it.
    unsafe {
        let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let done = insert_into(rel, columns);
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        done
    }
}

/// Whether any trigger of `triggers` fires on an INSERT (row or statement, before, after
/// or instead of, with a transition table).
///
/// # Safety
/// `triggers` is NULL or a valid trigger descriptor.
unsafe fn fires_on_insert(triggers: *const pg_sys::TriggerDesc) -> bool {
    // SAFETY: the caller's promise.
    unsafe {
        triggers.as_ref().is_some_and(|t| {
            t.trig_insert_before_row
                || t.trig_insert_after_row
                || t.trig_insert_instead_row
                || t.trig_insert_before_statement
                || t.trig_insert_after_statement
                || t.trig_insert_new_table
        })
    }
}

/// [`insert`] into `rel`.
///
/// # Safety
/// As for [`insert`]; `rel` is open with `RowExclusiveLock`.
unsafe fn insert_into(rel: pg_sys::Relation, columns: &[Column<'_>]) -> bool {
    // SAFETY: rel is open and locked (the caller's promise), so its form, tuple descriptor
    // and index list are valid while it stays open. The tuple is formed from the
    // descriptor it is inserted with, every value of the type of its attribute (checked
    // against atttypid) and at most natts of them (natts <= MAX_COLUMNS, the arrays'
    // size); every index (at most MAX_INDEXES) is opened with RowExclusiveLock and vetted
    // before anything is written, and its keys are taken from plain attribute numbers
    // below natts (no expressions); the tuple is freed after the last index entry that
    // points at it.
    unsafe {
        if !super::plain_heap_table(rel) || fires_on_insert((*rel).trigdesc) {
            return false;
        }
        let desc = (*rel).rd_att;
        let constr = (*desc).constr;
        if !constr.is_null() && ((*constr).num_check > 0 || (*constr).has_generated_stored) {
            return false;
        }
        let natts = (*desc).natts as usize;
        // On the stack: a click allocates nothing here. A table wider than this (dropped
        // columns count) is left to the executor.
        if natts > MAX_COLUMNS {
            return false;
        }
        let mut values = [pg_sys::Datum::from(0usize); MAX_COLUMNS];
        let mut nulls = [true; MAX_COLUMNS];
        let mut matched = 0;
        for i in 0..natts {
            let (name, att) = super::attribute(desc, i);
            if att.attisdropped {
                continue;
            }
            // Callers give the columns in the table's order: the next one given is tried
            // first, then all of them. A column not given would take its default: that is
            // the executor's work.
            let given = columns
                .get(matched)
                .filter(|(n, _, _)| *n == name)
                .or_else(|| columns.iter().find(|(n, _, _)| *n == name));
            let Some(&(_, typ, value)) = given else {
                return false;
            };
            if att.atttypid != typ {
                return false;
            }
            match value {
                Some(datum) => {
                    values[i] = datum;
                    nulls[i] = false;
                }
                // The executor raises not_null_violation, with its message.
                None if att.attnotnull => return false,
                None => {}
            }
            matched += 1;
        }
        if matched != columns.len() {
            return false;
        }

        // Every index is vetted before anything is written.
        let mut indexes: [(pg_sys::Relation, *mut pg_sys::IndexInfo); MAX_INDEXES] =
            [(std::ptr::null_mut(), std::ptr::null_mut()); MAX_INDEXES];
        let mut opened = 0;
        let close = |indexes: &[(pg_sys::Relation, *mut pg_sys::IndexInfo)]| {
            for &(index, _) in indexes {
                pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
            }
        };
        let list = pg_sys::RelationGetIndexList(rel);
        let count = if list.is_null() {
            0
        } else {
            (*list).length as usize
        };
        if count > MAX_INDEXES {
            return false;
        }
        for k in 0..count {
            let id = (*(*list).elements.add(k)).oid_value;
            let index = pg_sys::index_open(id, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
            let info = pg_sys::BuildIndexInfo(index);
            let form = (*index).rd_index;
            indexes[opened] = (index, info);
            opened += 1;
            if !(*info).ii_Expressions.is_null()
                || !(*info).ii_Predicate.is_null()
                || !(*info).ii_ExclusionOps.is_null()
                || ((*form).indisunique && !(*form).indimmediate)
            {
                close(&indexes[..opened]);
                return false;
            }
        }
        let indexes = &indexes[..opened];

        let tuple = pg_sys::heap_form_tuple(desc, values.as_mut_ptr(), nulls.as_mut_ptr());
        pg_sys::heap_insert(
            rel,
            tuple,
            pg_sys::GetCurrentCommandId(true),
            0,
            std::ptr::null_mut(),
        );
        for &(index, info) in indexes {
            // An index being built concurrently takes no entries yet, as in the executor.
            if !(*info).ii_ReadyForInserts {
                continue;
            }
            let mut keys = [pg_sys::Datum::from(0usize); pg_sys::INDEX_MAX_KEYS as usize];
            let mut key_nulls = [true; pg_sys::INDEX_MAX_KEYS as usize];
            for k in 0..(*info).ii_NumIndexAttrs as usize {
                let i = ((*info).ii_IndexAttrNumbers[k] - 1) as usize;
                keys[k] = values[i];
                key_nulls[k] = nulls[i];
            }
            let unique = if (*(*index).rd_index).indisunique {
                pg_sys::IndexUniqueCheck::UNIQUE_CHECK_YES
            } else {
                pg_sys::IndexUniqueCheck::UNIQUE_CHECK_NO
            };
            pg_sys::index_insert(
                index,
                keys.as_mut_ptr(),
                key_nulls.as_mut_ptr(),
                &mut (*tuple).t_self,
                rel,
                unique,
                false,
                info,
            );
        }
        // As ExecCloseIndices ends an access method's inserts (from 17).
        for &(index, info) in indexes {
            crate::pg_compat::index_insert_cleanup(index, info);
        }
        close(indexes);
        pg_sys::heap_freetuple(tuple);
        true
    }
}

/// The leaf partition of the range-partitioned table `parent` that takes `key` (a
/// timestamptz, as microseconds), as PostgreSQL's tuple routing would choose it: the
/// partition whose bounds hold it, else the default partition. None when there is none,
/// when the partitioning is not a plain range of values, or when `parent` has triggers
/// (the executor then routes, fires them, or raises its error).
///
/// # Safety
/// `parent` is open and locked, partitioned by RANGE on one timestamptz column.
pub unsafe fn range_partition(parent: pg_sys::Relation, key: i64) -> Option<pg_sys::Oid> {
    // SAFETY: parent is open and locked (the caller's promise), which keeps its partition
    // descriptor valid (RelationGetPartitionDesc); the binary search reads kind[],
    // datums[] below ndatums and indexes[] at most at ndatums (indexes has ndatums + 1
    // entries for RANGE), is_leaf[] and oids[] at an index below nparts (default_index
    // and indexes[] hold partition numbers or -1, checked before use).
    unsafe {
        // Statement triggers on the parent fire only when the executor inserts through it.
        if !(*parent).trigdesc.is_null() {
            return None;
        }
        let partitions = pg_sys::RelationGetPartitionDesc(parent, true);
        if partitions.is_null() || (*partitions).nparts == 0 {
            return None;
        }
        let bounds = (*partitions).boundinfo;
        if bounds.is_null() || !crate::pg_compat::is_range_partitioning(bounds) {
            return None;
        }
        // The number of bounds at or below the key; the partition above the last of them
        // is indexes[that number].
        let (mut low, mut high) = (0usize, (*bounds).ndatums as usize);
        while low < high {
            let mid = (low + high) / 2;
            if *(*(*bounds).kind.add(mid))
                != pg_sys::PartitionRangeDatumKind::PARTITION_RANGE_DATUM_VALUE
            {
                return None;
            }
            let bound = (*(*(*bounds).datums.add(mid))).value() as i64;
            if bound <= key {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        let mut index = *(*bounds).indexes.add(low);
        if index < 0 {
            index = (*bounds).default_index;
        }
        if index < 0 || !*(*partitions).is_leaf.add(index as usize) {
            return None;
        }
        Some(*(*partitions).oids.add(index as usize))
    }
}

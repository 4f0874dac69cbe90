//! Everything that differs between the PostgreSQL majors shortlink builds for (15 to 18,
//! one Cargo feature each): the rest of the crate calls these and never looks at the
//! version. Each function does what the same C code does on every major; its variants sit
//! side by side, and its comment says what changed and in which release (from the
//! installed server headers of each, `pg_config --includedir-server`).

use std::ffi::{c_char, c_int, CStr};

use pgrx::pg_sys;

/// Attribute `i` (0-based) of `desc`: C's `TupleDescAttr(desc, i)`.
///
/// Up to 17 the `FormData_pg_attribute`s are `desc->attrs[]`. From 18 the descriptor's
/// flexible array is `compact_attrs[natts]` (the abbreviated `CompactAttribute`s), and
/// the full attributes follow it, which is what 18's `TupleDescAttr` computes: the same
/// arithmetic here, inline, rather than a call into the C shim per attribute on the paths
/// that run per click.
///
/// # Safety
/// `desc` is a valid tuple descriptor and `i < desc->natts`; the attribute lives as long
/// as the descriptor (the caller picks `'a` no longer than that).
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17"))]
pub unsafe fn attribute<'a>(
    desc: pg_sys::TupleDesc,
    i: usize,
) -> &'a pg_sys::FormData_pg_attribute {
    // SAFETY: attrs[] holds natts attributes and i is below natts (the caller's promise).
    unsafe { &*(*desc).attrs.as_ptr().add(i) }
}

/// # Safety
/// As for the variant above.
#[cfg(feature = "pg18")]
pub unsafe fn attribute<'a>(
    desc: pg_sys::TupleDesc,
    i: usize,
) -> &'a pg_sys::FormData_pg_attribute {
    // SAFETY: 18's tupdesc.h lays the natts FormData_pg_attribute right after the natts
    // CompactAttribute of compact_attrs[] (TupleDescAttrAddress), suitably aligned (the
    // allocation is TupleDescSize); i is below natts (the caller's promise).
    unsafe {
        let natts = (*desc).natts as usize;
        let full = (*desc)
            .compact_attrs
            .as_ptr()
            .add(natts)
            .cast::<pg_sys::FormData_pg_attribute>();
        &*full.add(i)
    }
}

/// Whether a partitioned table's bounds are a RANGE partitioning. 16 made the strategy
/// an enum (`PartitionStrategy`) where 15 kept the `char` of pg_partitioned_table; the
/// value, `'r'`, is the same.
///
/// # Safety
/// `bounds` points to a valid `PartitionBoundInfoData`.
#[cfg(feature = "pg15")]
pub unsafe fn is_range_partitioning(bounds: pg_sys::PartitionBoundInfo) -> bool {
    // SAFETY: the caller's promise.
    unsafe { (*bounds).strategy as u8 == pg_sys::PARTITION_STRATEGY_RANGE }
}

/// # Safety
/// As for the variant above.
#[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
pub unsafe fn is_range_partitioning(bounds: pg_sys::PartitionBoundInfo) -> bool {
    // SAFETY: the caller's promise.
    unsafe { (*bounds).strategy == pg_sys::PartitionStrategy::PARTITION_STRATEGY_RANGE }
}

/// `ExecInsertIndexTuples` for the row of an INSERT (not an update): an entry in every
/// index of `info`, the unique ones among `arbiters` checked without raising when
/// `no_dup_err` (ON CONFLICT), `*conflict` set when one found a conflicting row; the list
/// of indexes whose entries need rechecking. 16 added `onlySummarizing`, which only a HOT
/// update sets (to touch just the summarizing indexes); an insert passes false, which is
/// what 15 does for every index.
///
/// # Safety
/// As for the C function: `info` has its indexes open (`ExecOpenIndices`), `slot` holds
/// the row just inserted into the heap (its TID set), `estate` is the executor state they
/// were made in.
pub unsafe fn insert_index_tuples(
    info: *mut pg_sys::ResultRelInfo,
    slot: *mut pg_sys::TupleTableSlot,
    estate: *mut pg_sys::EState,
    no_dup_err: bool,
    conflict: *mut bool,
    arbiters: *mut pg_sys::List,
) -> *mut pg_sys::List {
    #[cfg(feature = "pg15")]
    // SAFETY: the caller's promise.
    unsafe {
        pg_sys::ExecInsertIndexTuples(info, slot, estate, false, no_dup_err, conflict, arbiters)
    }
    #[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
    // SAFETY: the caller's promise.
    unsafe {
        pg_sys::ExecInsertIndexTuples(
            info, slot, estate, false, no_dup_err, conflict, arbiters, false,
        )
    }
}

/// `index_beginscan` without instrumentation: 18 added an `IndexScanInstrumentation *`
/// (for EXPLAIN ANALYZE's index search counts), which may be NULL, as it is outside
/// EXPLAIN.
///
/// # Safety
/// As for the C function: `heap` and `index` are open and locked, `index` is an index on
/// `heap`, `snapshot` stays valid until the scan ends.
pub unsafe fn index_beginscan(
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    snapshot: pg_sys::Snapshot,
    nkeys: c_int,
    norderbys: c_int,
) -> pg_sys::IndexScanDesc {
    #[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17"))]
    // SAFETY: the caller's promise.
    unsafe {
        pg_sys::index_beginscan(heap, index, snapshot, nkeys, norderbys)
    }
    #[cfg(feature = "pg18")]
    // SAFETY: the caller's promise; a NULL instrumentation is what every scan outside
    // EXPLAIN ANALYZE passes.
    unsafe {
        pg_sys::index_beginscan(
            heap,
            index,
            snapshot,
            std::ptr::null_mut(),
            nkeys,
            norderbys,
        )
    }
}

/// What the executor does for an index after its last `index_insert` of a statement:
/// from 17, `index_insert_cleanup` (ExecCloseIndices calls it), which lets an access
/// method free what it kept between inserts (BRIN does; btree keeps nothing). 15 and 16
/// have no such step.
///
/// # Safety
/// `index` is open and `info` is the `IndexInfo` that its `index_insert` calls were given.
#[cfg(any(feature = "pg15", feature = "pg16"))]
pub unsafe fn index_insert_cleanup(_index: pg_sys::Relation, _info: *mut pg_sys::IndexInfo) {}

/// # Safety
/// As for the variant above.
#[cfg(any(feature = "pg17", feature = "pg18"))]
pub unsafe fn index_insert_cleanup(index: pg_sys::Relation, info: *mut pg_sys::IndexInfo) {
    // SAFETY: the caller's promise.
    unsafe { pg_sys::index_insert_cleanup(index, info) }
}

/// The local id of this backend's current top-level transaction: `MyProc->lxid`, which 17
/// moved to `MyProc->vxid.lxid` (with the backend's ProcNumber beside it).
pub fn local_transaction_id() -> pg_sys::LocalTransactionId {
    #[cfg(any(feature = "pg15", feature = "pg16"))]
    // SAFETY: MyProc is set for the life of a backend, before any SQL runs.
    unsafe {
        (*pg_sys::MyProc).lxid
    }
    #[cfg(any(feature = "pg17", feature = "pg18"))]
    // SAFETY: as above.
    unsafe {
        (*pg_sys::MyProc).vxid.lxid
    }
}

/// The expression of CHECK constraint `check` of `rel` as `ExecRelCheck` evaluates it, or
/// None for one it skips. Up to 17 that is the stored `ccbin`. 18 adds NOT ENFORCED
/// constraints, which ExecRelCheck skips (its state stays NULL), and virtual generated
/// columns, whose expressions it substitutes into the constraint
/// (`expand_generated_columns_in_expr`, range table index 1) before preparing it.
///
/// # Safety
/// `rel` is open, `check` is one of its descriptor's `constr->check`, and a transaction is
/// open (the expression is read in the current memory context).
pub unsafe fn check_constraint_expr(
    rel: pg_sys::Relation,
    check: &pg_sys::ConstrCheck,
) -> Option<*mut pg_sys::Expr> {
    #[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17"))]
    // SAFETY: ccbin is the nodeToString of the constraint's expression.
    unsafe {
        let _ = rel;
        Some(pg_sys::stringToNode(check.ccbin).cast())
    }
    #[cfg(feature = "pg18")]
    // SAFETY: as above; rel is the relation whose columns the expression's Vars (varno 1)
    // name.
    unsafe {
        if !check.ccenforced {
            return None;
        }
        let expr = pg_sys::stringToNode(check.ccbin).cast::<pg_sys::Node>();
        Some(pg_sys::expand_generated_columns_in_expr(expr, rel, 1).cast())
    }
}

/// Hands `info` the prepared CHECK constraint states (one per `constr->check`, in its
/// order, NULL for one not checked), so that `ExecConstraints` uses them instead of
/// preparing its own: `ri_ConstraintExprs`, renamed `ri_CheckConstraintExprs` in 18.
///
/// # Safety
/// `info` is a valid ResultRelInfo; `states` has `num_check` entries and outlives its use.
pub unsafe fn set_check_constraint_states(
    info: *mut pg_sys::ResultRelInfo,
    states: *mut *mut pg_sys::ExprState,
) {
    #[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17"))]
    // SAFETY: the caller's promise.
    unsafe {
        (*info).ri_ConstraintExprs = states;
    }
    #[cfg(feature = "pg18")]
    // SAFETY: the caller's promise.
    unsafe {
        (*info).ri_CheckConstraintExprs = states;
    }
}

/// `DecodeDateTime` of fields split by `ParseDateTime`, as `timestamptz_in` calls it: 0 or
/// a DTERR_ code. Up to 15 an unknown time zone name raised its own error from inside
/// (`time zone "…" not recognized`); 16 returns DTERR_BAD_TIMEZONE or
/// DTERR_BAD_ZONE_ABBREV instead, with the name in a `DateTimeErrorExtra` for
/// `DateTimeParseError` to report. Those two are raised here as 16's `DateTimeParseError`
/// words them, which is what 15 raised, so the error is the same on every major; any
/// other code is returned to the caller.
///
/// # Safety
/// As for the C function: the field arrays come from `ParseDateTime` with `nf` fields;
/// `text` is the string they were parsed from.
#[allow(clippy::too_many_arguments)]
pub unsafe fn decode_date_time(
    text: &CStr,
    field: *mut *mut c_char,
    ftype: *mut c_int,
    nf: c_int,
    dtype: *mut c_int,
    tm: *mut pg_sys::pg_tm,
    fsec: *mut pg_sys::fsec_t,
    tz: *mut c_int,
) -> c_int {
    #[cfg(feature = "pg15")]
    // SAFETY: the caller's promise.
    unsafe {
        let _ = text;
        pg_sys::DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tz)
    }
    #[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
    // SAFETY: the caller's promise; `extra` is what DecodeDateTime fills for
    // DateTimeParseError, which raises (no escontext) for the two codes passed to it.
    unsafe {
        let mut extra: pg_sys::DateTimeErrorExtra = std::mem::zeroed();
        let err = pg_sys::DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tz, &mut extra);
        if err == pg_sys::DTERR_BAD_TIMEZONE || err == pg_sys::DTERR_BAD_ZONE_ABBREV {
            pg_sys::DateTimeParseError(
                err,
                &mut extra,
                text.as_ptr(),
                c"timestamp with time zone".as_ptr(),
                std::ptr::null_mut(),
            );
        }
        err
    }
}

/// The sequence of identity column `attnum` of table `relid` (InvalidOid when it has none
/// and `missing_ok`). 17 made `getIdentitySequence` take the open relation, so that for a
/// partition it can look up the sequence of its topmost parent; it reads only the
/// relation's id and whether it is a partition. The relcache entry is pinned for the call
/// without taking a lock, as 15 and 16 took none.
pub fn identity_sequence(relid: pg_sys::Oid, attnum: i16, missing_ok: bool) -> pg_sys::Oid {
    #[cfg(any(feature = "pg15", feature = "pg16"))]
    // SAFETY: a catalog lookup inside a transaction; missing_ok false raises.
    unsafe {
        pg_sys::getIdentitySequence(relid, attnum, missing_ok)
    }
    #[cfg(any(feature = "pg17", feature = "pg18"))]
    // SAFETY: a relcache entry pinned inside a transaction and released after; a NULL one
    // (the relation is gone) is reported as relation_open reports it.
    unsafe {
        let rel = pg_sys::RelationIdGetRelation(relid);
        if rel.is_null() {
            pgrx::error!("could not open relation with OID {}", u32::from(relid));
        }
        let seq = pg_sys::getIdentitySequence(rel, attnum, missing_ok);
        pg_sys::RelationClose(rel);
        seq
    }
}

/// The file number (relfilenode) of open relation `rel`, which a TRUNCATE or a rewrite of
/// the table changes. 16 renamed `rd_node.relNode` (a `RelFileNode`) to
/// `rd_locator.relNumber` (a `RelFileLocator`); both are the same Oid.
///
/// # Safety
/// `rel` is a valid, open relation.
pub unsafe fn relation_file_number(rel: pg_sys::Relation) -> u32 {
    #[cfg(feature = "pg15")]
    // SAFETY: the caller's promise.
    unsafe {
        (*rel).rd_node.relNode.to_u32()
    }
    #[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
    // SAFETY: the caller's promise.
    unsafe {
        (*rel).rd_locator.relNumber.to_u32()
    }
}

//! New links written to `shortlink.links` with the executor's own pieces of an `INSERT …
//! ON CONFLICT DO NOTHING` (a speculative heap insert, `ExecInsertIndexTuples` with the
//! unique key as arbiter, `ExecConstraints`), without SPI, a parse, a plan or an executor
//! start: a link created one call at a time (a campaign `INSERT … SELECT shorten()`, an
//! `autolink` trigger) costs a row insert, not a statement.
//!
//! The row gets what `INSERT INTO shortlink.links (given columns) VALUES (…)` would give
//! it: every other column's default (the identity, `now()`, constants, an operator's
//! changed default or added column), stored generated columns, NOT NULL and CHECK
//! constraints (the executor's errors), and an entry in every index, partial ones by their
//! predicates. The expressions are planned once per backend, as a statement would plan
//! them, and planned again when the table's relcache entry is invalidated (any ALTER).
//! Only a table that needs nothing else of the executor takes rows this way: a plain heap
//! table with no INSERT trigger (row or statement), no rule, not a partition, and no
//! row-level security that applies to the current role (its WITH CHECK policies are the
//! executor's); anything else makes [`insert`] answer [`Outcome::Executor`] having
//! written nothing, and the caller inserts through SPI.
//!
//! Uniqueness is `ON CONFLICT (arbiter) DO NOTHING`'s: a row of the same key that another
//! transaction inserts at the same moment makes this one go back ([`Outcome::Taken`]),
//! never a unique_violation; the caller tries another code.
//!
//! Privileges are not checked here: the caller runs as the owner of `shortlink.links`
//! (see `privilege::Caller::as_owner`), which the executor would not check either.

use std::ffi::CStr;

use pgrx::pg_sys;

use super::attribute;
use super::link_defaults::with_defaults;
pub use super::Column;

/// What became of an insert.
pub enum Outcome {
    /// The row went in; the values of its columns named in `wanted`, in that order, and
    /// where it went (its TID).
    Inserted(Vec<Option<pg_sys::Datum>>, pg_sys::ItemPointerData),
    /// A row with the same key in `arbiter` got in first (the row went back, as with
    /// `ON CONFLICT DO NOTHING`).
    Taken,
    /// The table needs the executor: nothing was written.
    Executor,
}

/// Inserts one row into table `relid` with `columns` given and every other column's
/// default, or answers [`Outcome::Executor`] (see the module). `wanted` names columns
/// whose stored values come back (by-value types only: an id, a timestamp).
///
/// # Safety
/// A transaction is open and may write; the datums are valid values of their types for
/// the duration of the call.
pub unsafe fn insert(
    relid: pg_sys::Oid,
    arbiter: pg_sys::Oid,
    columns: &[Column<'_>],
    wanted: &[&CStr],
) -> Outcome {
    // SAFETY: a transaction is open (the caller's promise); relid names a table
    // (table_open raises otherwise), opened with the lock an INSERT takes and closed here
    // with the lock kept to the end of the transaction.
    unsafe {
        // The executor's own checks of an INSERT (ExecCheckXactReadOnly): 25006 in a
        // read-only transaction or on a hot standby, and none in a parallel worker.
        pg_sys::PreventCommandIfReadOnly(c"INSERT".as_ptr());
        pg_sys::PreventCommandIfParallelMode(c"INSERT".as_ptr());
        let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let outcome = if takes_rows_here(rel) {
            insert_into(rel, arbiter, columns, wanted)
        } else {
            Outcome::Executor
        };
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        outcome
    }
}

/// Whether `rel` needs nothing of the executor beyond what [`insert_into`] does: what
/// every direct write requires (`plain_heap_table`), no rule, not a partition, and no
/// INSERT trigger (row or statement).
///
/// # Safety
/// `rel` is an open relation.
unsafe fn takes_rows_here(rel: pg_sys::Relation) -> bool {
    // SAFETY: rel is open (the caller's promise), so its form and trigger descriptor are
    // valid (trigdesc read only when not null).
    unsafe {
        let form = (*rel).rd_rel;
        if !super::plain_heap_table(rel) || (*form).relhasrules || (*form).relispartition {
            return false;
        }
        let triggers = (*rel).trigdesc;
        triggers.is_null()
            || !((*triggers).trig_insert_before_row
                || (*triggers).trig_insert_after_row
                || (*triggers).trig_insert_instead_row
                || (*triggers).trig_insert_before_statement
                || (*triggers).trig_insert_after_statement
                || (*triggers).trig_insert_new_table)
    }
}

/// [`insert`] into `rel`, which [`takes_rows_here`].
///
/// # Safety
/// As for [`insert`]; `rel` is open with `RowExclusiveLock`, and `arbiter` is a unique
/// index on it.
unsafe fn insert_into(
    rel: pg_sys::Relation,
    arbiter: pg_sys::Oid,
    columns: &[Column<'_>],
    wanted: &[&CStr],
) -> Outcome {
    // SAFETY: rel is open and locked (the caller's promise), so its descriptor is valid
    // and attributes are read below natts. Every given column was matched to an attribute
    // of its type, and `wanted` to by-value ones, so the slot holds values of the
    // descriptor's types. The executor state, the ResultRelInfo and the slot are made in
    // the state's query context (switched to and back), the per-tuple expressions are
    // evaluated in its per-tuple context; the planned defaults stay alive in their own
    // context for the call (with_defaults). The speculative insertion follows
    // ExecInsert's order: token acquired, heap tuple inserted speculatively, index entries
    // with the arbiter checked, tuple confirmed or taken back, token released; everything
    // opened or made here is closed or freed here.
    unsafe {
        let desc = (*rel).rd_att;
        let natts = (*desc).natts as usize;
        // The given columns must be the table's, of the types given.
        let mut places = Vec::with_capacity(columns.len());
        for (name, typ, _) in columns {
            let found = (0..natts).find(|&i| {
                let (n, att) = attribute(desc, i);
                !att.attisdropped && att.attgenerated == 0 && n == *name
            });
            match found {
                Some(i) if attribute(desc, i).1.atttypid == *typ => places.push(i),
                _ => return Outcome::Executor,
            }
        }
        let mut wanted_at = Vec::with_capacity(wanted.len());
        for name in wanted {
            match (0..natts)
                .find(|&i| attribute(desc, i).0 == *name && !attribute(desc, i).1.attisdropped)
            {
                Some(i) if attribute(desc, i).1.attbyval => wanted_at.push(i),
                _ => return Outcome::Executor,
            }
        }

        with_defaults(rel, columns, |defaults| {
            let estate = pg_sys::CreateExecutorState();
            let old = pg_sys::MemoryContextSwitchTo((*estate).es_query_cxt);
            let info: *mut pg_sys::ResultRelInfo =
                pg_sys::palloc0(std::mem::size_of::<pg_sys::ResultRelInfo>()).cast();
            (*info).type_ = pg_sys::NodeTag::T_ResultRelInfo;
            pg_sys::InitResultRelInfo(info, rel, 0, std::ptr::null_mut(), 0);
            // Speculative: the unique indexes can be checked without raising (ON CONFLICT).
            pg_sys::ExecOpenIndices(info, true);
            // What the executor would prepare for this statement, prepared once.
            if !defaults.checks.is_empty() {
                let checks: *mut *mut pg_sys::ExprState = pg_sys::palloc(
                    defaults.checks.len() * std::mem::size_of::<*mut pg_sys::ExprState>(),
                )
                .cast();
                for (k, &state) in defaults.checks.iter().enumerate() {
                    *checks.add(k) = state;
                }
                crate::pg_compat::set_check_constraint_states(info, checks);
            }
            for k in 0..(*info).ri_NumIndices as usize {
                let index = *(*info).ri_IndexRelationDescs.add(k);
                let index_info = *(*info).ri_IndexRelationInfo.add(k);
                let cached = defaults
                    .predicates
                    .iter()
                    .find(|&&(oid, _)| oid == (*index).rd_id)
                    .map(|&(_, state)| state);
                if let Some(state) = cached.filter(|s| !s.is_null()) {
                    if !(*index_info).ii_Predicate.is_null() {
                        (*index_info).ii_PredicateState = state;
                    }
                }
            }
            (*estate).es_output_cid = pg_sys::GetCurrentCommandId(true);
            let slot = pg_sys::table_slot_create(rel, std::ptr::null_mut());
            pg_sys::MemoryContextSwitchTo(old);

            pg_sys::ExecClearTuple(slot);
            let values = (*slot).tts_values;
            let nulls = (*slot).tts_isnull;
            for i in 0..natts {
                *values.add(i) = pg_sys::Datum::from(0usize);
                *nulls.add(i) = true;
            }
            for (&i, (_, _, value)) in places.iter().zip(columns) {
                if let Some(datum) = value {
                    *values.add(i) = *datum;
                    *nulls.add(i) = false;
                }
            }
            let econtext = pg_sys::MakePerTupleExprContext(estate);
            let old = pg_sys::MemoryContextSwitchTo((*econtext).ecxt_per_tuple_memory);
            for &(i, state) in &defaults.states {
                let eval = (*state)
                    .evalfunc
                    .expect("an initialized expression has evalfunc");
                let mut null = false;
                *values.add(i) = eval(state, econtext, &mut null);
                *nulls.add(i) = null;
            }
            pg_sys::MemoryContextSwitchTo(old);
            pg_sys::ExecStoreVirtualTuple(slot);
            let kept: Vec<Option<pg_sys::Datum>> = wanted_at
                .iter()
                .map(|&i| (!*nulls.add(i)).then(|| *values.add(i)))
                .collect();

            // Stored generated columns, computed from the others (as
            // ExecComputeStoredGenerated does; they never read each other).
            if !defaults.generated.is_null() {
                (*econtext).ecxt_scantuple = slot;
                let old = pg_sys::MemoryContextSwitchTo((*econtext).ecxt_per_tuple_memory);
                let mut computed = Vec::with_capacity(defaults.generated_count as usize);
                for i in 0..natts {
                    let state = *defaults.generated.add(i);
                    if !state.is_null() {
                        let eval = (*state)
                            .evalfunc
                            .expect("an initialized expression has evalfunc");
                        let mut null = false;
                        let value = eval(state, econtext, &mut null);
                        computed.push((i, value, null));
                    }
                }
                pg_sys::MemoryContextSwitchTo(old);
                for (i, value, null) in computed {
                    *values.add(i) = value;
                    *nulls.add(i) = null;
                }
            }
            // NOT NULL and CHECK constraints, with the executor's errors.
            if !(*(*rel).rd_att).constr.is_null() {
                pg_sys::ExecConstraints(info, slot, estate);
            }
            // The insert of INSERT … ON CONFLICT (arbiter) DO NOTHING: a speculative
            // heap tuple, its index entries (the arbiter's checked without raising), then
            // the tuple confirmed, or taken back when another transaction's row of the
            // same key got in first.
            let xid = pg_sys::GetCurrentTransactionId();
            let token = pg_sys::SpeculativeInsertionLockAcquire(xid);
            let am = &*(*rel).rd_tableam;
            let insert = am
                .tuple_insert_speculative
                .expect("heap has tuple_insert_speculative");
            let complete = am
                .tuple_complete_speculative
                .expect("heap has tuple_complete_speculative");
            insert(
                rel,
                slot,
                (*estate).es_output_cid,
                0,
                std::ptr::null_mut(),
                token,
            );
            let arbiters = pg_sys::lappend_oid(std::ptr::null_mut(), arbiter);
            let mut conflict = false;
            let recheck = crate::pg_compat::insert_index_tuples(
                info,
                slot,
                estate,
                true,
                &mut conflict,
                arbiters,
            );
            complete(rel, slot, token, !conflict);
            pg_sys::SpeculativeInsertionLockRelease(xid);
            pg_sys::list_free(recheck);
            pg_sys::list_free(arbiters);

            let tid = (*slot).tts_tid;
            pg_sys::ExecCloseIndices(info);
            pg_sys::ExecDropSingleTupleTableSlot(slot);
            pg_sys::FreeExecutorState(estate);
            if conflict {
                Outcome::Taken
            } else {
                Outcome::Inserted(kept, tid)
            }
        })
    }
}

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

use std::cell::{Cell, RefCell};
use std::ffi::CStr;

use pgrx::pg_sys;

/// A column of the row: its name, type and value (None: NULL).
pub type Column<'a> = (&'a CStr, pg_sys::Oid, Option<pg_sys::Datum>);

/// What became of an insert.
pub enum Outcome {
    /// The row went in; the values of its columns named in `wanted`, in that order.
    Inserted(Vec<Option<pg_sys::Datum>>),
    /// A row with the same key in `arbiter` got in first (the row went back, as with
    /// `ON CONFLICT DO NOTHING`).
    Taken,
    /// The table needs the executor: nothing was written.
    Executor,
}

/// The default expressions of the columns not given, planned and ready to evaluate.
struct Defaults {
    relid: pg_sys::Oid,
    natts: i32,
    /// The given columns' names, in order: the defaults are those of the other columns.
    given: Vec<Vec<u8>>,
    /// Where the expression states live (a child of CacheMemoryContext).
    context: pg_sys::MemoryContext,
    /// (0-based attribute, its default), for every column with one that is not given.
    states: Vec<(usize, *mut pg_sys::ExprState)>,
    /// The table's CHECK constraints, in the order of its tuple descriptor's, and its
    /// stored generated columns (one per attribute, NULL for the others; null pointer
    /// when there are none): what the executor would parse and plan again for each
    /// statement, handed to each insert's ResultRelInfo.
    checks: Vec<*mut pg_sys::ExprState>,
    generated: *mut *mut pg_sys::ExprState,
    generated_count: i32,
    /// The predicate of each partial index, by index oid.
    predicates: Vec<(pg_sys::Oid, *mut pg_sys::ExprState)>,
}

thread_local! {
    static DEFAULTS: RefCell<Option<Defaults>> = const { RefCell::new(None) };
    /// Set by the relcache callback; the defaults are rebuilt before their next use (never
    /// freed inside the callback, which may run while they are being evaluated).
    static STALE: Cell<bool> = const { Cell::new(false) };
}

/// Registers the relcache callback; from `_PG_init`.
pub fn register() {
    // SAFETY: called once per process from _PG_init; the callback only sets a flag.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0usize));
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_relcache(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    let ours = DEFAULTS.with(|d| {
        d.borrow().as_ref().is_some_and(|d| {
            relid == pg_sys::InvalidOid
                || relid == d.relid
                || d.predicates.iter().any(|&(index, _)| index == relid)
        })
    });
    if ours {
        STALE.with(|s| s.set(true));
    }
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

thread_local! {
    static CITUS: std::cell::OnceCell<bool> = const { std::cell::OnceCell::new() };
}

/// Whether Citus is loaded in this server (it works only from `shared_preload_libraries`,
/// fixed for the server's life). Its distributed tables are empty shells on the node a
/// statement runs on, which only its executor routes to the shards: no row may be written
/// around it, so every direct write (links, clicks) takes the executor.
pub fn citus_loaded() -> bool {
    CITUS.with(|c| {
        *c.get_or_init(|| {
            // SAFETY: reads a GUC's current value, a string PostgreSQL owns.
            let preload = unsafe {
                let v = pg_sys::GetConfigOption(c"shared_preload_libraries".as_ptr(), true, false);
                if v.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(v).to_string_lossy().into_owned()
                }
            };
            preload
                .split(',')
                .any(|l| l.trim().trim_matches('"').eq_ignore_ascii_case("citus"))
        })
    })
}

/// Whether `rel` needs nothing of the executor beyond what [`insert_into`] does.
unsafe fn takes_rows_here(rel: pg_sys::Relation) -> bool {
    if citus_loaded() {
        return false;
    }
    unsafe {
        let form = (*rel).rd_rel;
        if (*form).relkind != pg_sys::RELKIND_RELATION as std::ffi::c_char
            || (*form).relam != pg_sys::HEAP_TABLE_AM_OID
            || (*form).relhasrules
            || (*form).relispartition
            || pg_sys::check_enable_rls((*rel).rd_id, pg_sys::InvalidOid, true)
                == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
        {
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

/// The name of 0-based attribute `i` of `desc`, and the attribute.
unsafe fn attribute<'a>(
    desc: pg_sys::TupleDesc,
    i: usize,
) -> (&'a CStr, &'a pg_sys::FormData_pg_attribute) {
    unsafe {
        let att = &*(*desc).attrs.as_ptr().add(i);
        (CStr::from_ptr(att.attname.data.as_ptr()), att)
    }
}

/// An expression planned and made ready to evaluate, as ExecPrepareExpr does, in the
/// current memory context.
unsafe fn prepare(expr: *mut pg_sys::Expr) -> *mut pg_sys::ExprState {
    unsafe { pg_sys::ExecInitExpr(pg_sys::expression_planner(expr), std::ptr::null_mut()) }
}

/// Plans the defaults of `rel`'s columns not among `given`, in a context of their own.
unsafe fn build_defaults(rel: pg_sys::Relation, given: &[Column<'_>]) -> Defaults {
    unsafe {
        let context = pg_sys::AllocSetContextCreateInternal(
            pg_sys::CacheMemoryContext,
            c"shortlink link defaults".as_ptr(),
            pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
            pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
            pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
        );
        let desc = (*rel).rd_att;
        let natts = (*desc).natts;
        let mut states = Vec::new();
        let old = pg_sys::MemoryContextSwitchTo(context);
        for i in 0..natts as usize {
            let (name, att) = attribute(desc, i);
            if att.attisdropped || att.attgenerated != 0 || given.iter().any(|(n, _, _)| *n == name)
            {
                continue;
            }
            let expr = pg_sys::build_column_default(rel, (i + 1) as i32);
            if expr.is_null() {
                continue;
            }
            states.push((i, prepare(expr.cast())));
        }
        // As ExecRelCheck and ExecInitStoredGenerated prepare them.
        let constr = (*desc).constr;
        let mut checks = Vec::new();
        let mut generated = std::ptr::null_mut();
        let mut generated_count = 0;
        if !constr.is_null() {
            for k in 0..(*constr).num_check as usize {
                let check = &*(*constr).check.add(k);
                checks.push(prepare(pg_sys::stringToNode(check.ccbin).cast()));
            }
            if (*constr).has_generated_stored {
                generated =
                    pg_sys::palloc0(natts as usize * std::mem::size_of::<*mut pg_sys::ExprState>())
                        .cast::<*mut pg_sys::ExprState>();
                for i in 0..natts as usize {
                    let (_, att) = attribute(desc, i);
                    if att.attgenerated == pg_sys::ATTRIBUTE_GENERATED_STORED as std::ffi::c_char {
                        let expr = pg_sys::build_column_default(rel, (i + 1) as i32);
                        if expr.is_null() {
                            pgrx::error!("no generation expression found for column number {} of table \"shortlink.links\"", i + 1);
                        }
                        *generated.add(i) = prepare(expr.cast());
                        generated_count += 1;
                    }
                }
            }
        }
        // As ExecInsertIndexTuples prepares them (ExecPrepareQual).
        let mut predicates = Vec::new();
        let list = pg_sys::RelationGetIndexList(rel);
        if !list.is_null() {
            for k in 0..(*list).length as usize {
                let index = (*(*list).elements.add(k)).oid_value;
                let index_rel =
                    pg_sys::index_open(index, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
                let predicate = pg_sys::RelationGetIndexPredicate(index_rel);
                if !predicate.is_null() {
                    let planned = pg_sys::expression_planner(predicate.cast());
                    predicates.push((
                        index,
                        pg_sys::ExecInitQual(planned.cast(), std::ptr::null_mut()),
                    ));
                } else {
                    predicates.push((index, std::ptr::null_mut()));
                }
                pg_sys::index_close(index_rel, pg_sys::NoLock as pg_sys::LOCKMODE);
            }
        }
        pg_sys::MemoryContextSwitchTo(old);
        Defaults {
            relid: (*rel).rd_id,
            natts,
            given: given
                .iter()
                .map(|(n, _, _)| n.to_bytes().to_vec())
                .collect(),
            context,
            states,
            checks,
            generated,
            generated_count,
            predicates,
        }
    }
}

/// This backend's defaults for `rel` and `given`, rebuilt when they are stale or another's.
unsafe fn with_defaults<R>(
    rel: pg_sys::Relation,
    given: &[Column<'_>],
    f: impl FnOnce(&Defaults) -> R,
) -> R {
    unsafe {
        let fresh = !STALE.with(|s| s.replace(false))
            && DEFAULTS.with(|d| {
                d.borrow().as_ref().is_some_and(|d| {
                    d.relid == (*rel).rd_id
                        && d.natts == (*(*rel).rd_att).natts
                        && d.given.len() == given.len()
                        && d.given
                            .iter()
                            .zip(given)
                            .all(|(a, (b, _, _))| a == b.to_bytes())
                })
            });
        if !fresh {
            let built = build_defaults(rel, given);
            if let Some(old) = DEFAULTS.with(|d| d.borrow_mut().replace(built)) {
                pg_sys::MemoryContextDelete(old.context);
            }
        }
        DEFAULTS.with(|d| f(d.borrow().as_ref().expect("defaults were just built")))
    }
}

unsafe fn insert_into(
    rel: pg_sys::Relation,
    arbiter: pg_sys::Oid,
    columns: &[Column<'_>],
    wanted: &[&CStr],
) -> Outcome {
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
                (*info).ri_ConstraintExprs = checks;
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
            let recheck = pg_sys::ExecInsertIndexTuples(
                info,
                slot,
                estate,
                false,
                true,
                &mut conflict,
                arbiters,
            );
            complete(rel, slot, token, !conflict);
            pg_sys::SpeculativeInsertionLockRelease(xid);
            pg_sys::list_free(recheck);
            pg_sys::list_free(arbiters);

            pg_sys::ExecCloseIndices(info);
            pg_sys::ExecDropSingleTupleTableSlot(slot);
            pg_sys::FreeExecutorState(estate);
            if conflict {
                Outcome::Taken
            } else {
                Outcome::Inserted(kept)
            }
        })
    }
}

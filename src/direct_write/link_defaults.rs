//! The defaults of a new link's columns not given, its CHECK constraints, stored
//! generated columns and partial index predicates, planned once per backend as a statement
//! would plan them (`link_insert` evaluates them for each row), and planned again when
//! the table's relcache entry is invalidated (any ALTER).

use std::cell::{Cell, RefCell};

use pgrx::pg_sys;

use super::{attribute, Column};

/// The default expressions of the columns not given, planned and ready to evaluate.
pub(super) struct Defaults {
    relid: pg_sys::Oid,
    natts: i32,
    /// The given columns' names, in order: the defaults are those of the other columns.
    given: Vec<Vec<u8>>,
    /// Where the expression states live (a child of CacheMemoryContext).
    context: pg_sys::MemoryContext,
    /// (0-based attribute, its default), for every column with one that is not given.
    pub(super) states: Vec<(usize, *mut pg_sys::ExprState)>,
    /// The table's CHECK constraints, in the order of its tuple descriptor's, and its
    /// stored generated columns (one per attribute, NULL for the others; null pointer
    /// when there are none): what the executor would parse and plan again for each
    /// statement, handed to each insert's ResultRelInfo.
    pub(super) checks: Vec<*mut pg_sys::ExprState>,
    pub(super) generated: *mut *mut pg_sys::ExprState,
    pub(super) generated_count: i32,
    /// The predicate of each partial index, by index oid.
    pub(super) predicates: Vec<(pg_sys::Oid, *mut pg_sys::ExprState)>,
}

thread_local! {
    static DEFAULTS: RefCell<Option<Defaults>> = const { RefCell::new(None) };
    /// Set by the relcache callback; the defaults are rebuilt before their next use (never
    /// freed inside the callback, which may run while they are being evaluated).
    static STALE: Cell<bool> = const { Cell::new(false) };
}

/// Registers the relcache callback; from `_PG_init`.
pub(super) fn register() {
    // SAFETY: called once per process from _PG_init; the callback is a plain function for
    // the process's life and only sets a flag of this backend.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0usize));
    }
}

/// # Safety
/// Called by PostgreSQL only, as a relcache callback (`CacheRegisterRelcacheCallback`).
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

/// An expression planned and made ready to evaluate, as ExecPrepareExpr does, in the
/// current memory context.
///
/// # Safety
/// `expr` is a valid expression tree, inside a transaction.
unsafe fn prepare(expr: *mut pg_sys::Expr) -> *mut pg_sys::ExprState {
    // SAFETY: expr is a valid expression (the caller's promise); with no parent plan
    // state, ExecInitExpr makes a standalone state, as ExecPrepareExpr does.
    unsafe { pg_sys::ExecInitExpr(pg_sys::expression_planner(expr), std::ptr::null_mut()) }
}

/// Plans the defaults of `rel`'s columns not among `given`, in a context of their own.
///
/// # Safety
/// `rel` is open and locked, inside a transaction.
unsafe fn build_defaults(rel: pg_sys::Relation, given: &[Column<'_>]) -> Defaults {
    // SAFETY: rel is open and locked (the caller's promise), so its tuple descriptor,
    // constraints and index list are valid; attributes are read below natts, checks below
    // num_check, and the generated array has natts entries; every expression state is made
    // in `context`, a child of CacheMemoryContext (so it outlives the statement, and is
    // deleted only when the defaults are replaced), switched to before and back after;
    // each index is opened with RowExclusiveLock and closed again.
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
                checks.push(
                    crate::pg_compat::check_constraint_expr(rel, check)
                        .map_or(std::ptr::null_mut(), |expr| prepare(expr)),
                );
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
///
/// # Safety
/// As for [`build_defaults`].
pub(super) unsafe fn with_defaults<R>(
    rel: pg_sys::Relation,
    given: &[Column<'_>],
    f: impl FnOnce(&Defaults) -> R,
) -> R {
    // SAFETY: rel is open (the caller's promise), so its descriptor is valid; the old
    // defaults' context is deleted only after they are taken out of DEFAULTS, never while
    // `f` holds them (the relcache callback only marks them stale, and the RefCell refuses
    // a replacement while they are borrowed).
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

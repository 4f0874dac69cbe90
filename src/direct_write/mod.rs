//! Direct writes: rows written straight to a table's heap and indexes, without SPI or the
//! executor, on the paths that run once per click or per link. Two of them:
//! - [`append`]: a click's event and its entry in `click_log`, as a bare `INSERT` of
//!   every column;
//! - [`link_insert`]: a new link, as `INSERT … ON CONFLICT DO NOTHING` with every other
//!   column's default, its constraints and generated columns ([`link_defaults`] plans
//!   them once per backend).
//!
//! Both take a row only when the table needs nothing of the executor beyond what they do
//! ([`plain_heap_table`] is what they both require, each module says what else); anything
//! else makes them write nothing and say so, and the caller inserts through SPI. Locks are
//! the executor's: `RowExclusiveLock` on the table and its indexes, held to the end of the
//! transaction. Privileges are not checked here: the callers run as the tables' owner,
//! which the executor would not check either.

pub mod append;
mod link_defaults;
pub mod link_insert;
pub mod plain_link;

use std::cell::OnceCell;
use std::ffi::CStr;

use pgrx::pg_sys;

/// A column of the row: its name, type and value (None: NULL).
pub type Column<'a> = (&'a CStr, pg_sys::Oid, Option<pg_sys::Datum>);

/// Registers the relcache callback of the planned defaults; from `_PG_init`.
pub fn register() {
    link_defaults::register();
}

thread_local! {
    static CITUS: OnceCell<bool> = const { OnceCell::new() };
}

/// Whether Citus is loaded in this server (it works only from `shared_preload_libraries`,
/// fixed for the server's life). Its distributed tables are empty shells on the node a
/// statement runs on, which only its executor routes to the shards: no row may be written
/// around it, so every direct write (links, clicks) takes the executor.
fn citus_loaded() -> bool {
    CITUS.with(|c| {
        *c.get_or_init(|| {
            // SAFETY: reads a GUC's current value, a string PostgreSQL owns, copied before
            // anything else can change it; missing_ok, so an unknown name is NULL.
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

/// What both direct writes require of a table: Citus not loaded, a plain table (not a
/// view, a foreign or a partitioned table) in the heap access method, and no row-level
/// security that applies to the current role (FORCE, for the owner): its WITH CHECK
/// policies are the executor's.
///
/// # Safety
/// `rel` is an open relation.
unsafe fn plain_heap_table(rel: pg_sys::Relation) -> bool {
    if citus_loaded() {
        return false;
    }
    // SAFETY: rel is open (the caller's promise), so its rd_rel form is valid;
    // check_enable_rls is asked with noError, so it only answers.
    unsafe {
        let form = (*rel).rd_rel;
        (*form).relkind == pg_sys::RELKIND_RELATION as std::ffi::c_char
            && (*form).relam == pg_sys::HEAP_TABLE_AM_OID
            && pg_sys::check_enable_rls((*rel).rd_id, pg_sys::InvalidOid, true)
                != pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
    }
}

/// The name of 0-based attribute `i` of `desc`, and the attribute.
///
/// # Safety
/// As for `pg_compat::attribute`: `desc` is valid, `i < desc->natts`, and `'a` is no
/// longer than the descriptor lives.
unsafe fn attribute<'a>(
    desc: pg_sys::TupleDesc,
    i: usize,
) -> (&'a CStr, &'a pg_sys::FormData_pg_attribute) {
    // SAFETY: the caller's promise; attname is a NUL-terminated NameData inside the
    // attribute, so it lives as long.
    unsafe {
        let att = crate::pg_compat::attribute(desc, i);
        (CStr::from_ptr(att.attname.data.as_ptr()), att)
    }
}

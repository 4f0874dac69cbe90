//! Kept SPI plans for the hot paths: each statement is parsed and planned once per
//! backend, then executed with bound parameters. PostgreSQL's plan cache revalidates a
//! kept plan when the tables under it change.
//!
//! Every kept plan is prepared and run with `search_path` = `pg_catalog, pg_temp`: the
//! plan cache parses a statement again under the search_path of the moment when it finds
//! it changed, and an operator or function a caller's schema shadows must never be
//! chosen. Functions pinned by their `SET search_path` pay nothing more; `record_click`
//! and `peek_click`, which run SPI only off their hot path, pin it here instead of on
//! every call (src/clicks.rs).

use pgrx::pg_sys::{self, PgOid};
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiTupleTable};
use std::cell::OnceCell;
use std::ffi::CStr;
use std::thread::LocalKey;

use crate::error::OrRaise;

/// A statement text, its parameter types, and the backend-local kept plan.
pub struct Plan {
    /// The statement's text: a literal, or one built once from the link-field registry
    /// (`link_columns`).
    pub sql: fn() -> &'static str,
    pub types: &'static [pg_sys::Oid],
    /// A read-only statement runs read-only (it must work on a hot standby).
    pub writes: bool,
    pub cell: &'static LocalKey<OnceCell<OwnedPreparedStatement>>,
}

/// The search_path of every kept plan, as PostgreSQL spells the value of the functions'
/// `SET search_path = pg_catalog, pg_temp`.
const PINNED_SEARCH_PATH: &CStr = c"pg_catalog, pg_temp";

/// Runs `f` with `search_path` = `pg_catalog, pg_temp`. The old value comes back when `f`
/// returns; on an error, the transaction's or subtransaction's abort puts it back, as for
/// a function's own `SET` clause.
fn with_pinned_search_path<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: namespace_search_path is the GUC's current value, a string PostgreSQL owns.
    let pinned = unsafe {
        let current = pg_sys::namespace_search_path;
        !current.is_null() && CStr::from_ptr(current) == PINNED_SEARCH_PATH
    };
    if pinned {
        return f();
    }
    // SAFETY: a GUC nest level opened and closed around f, as fmgr does for a function's
    // SET clause; search_path is a user-settable GUC and the value is valid.
    let level = unsafe {
        let level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            PINNED_SEARCH_PATH.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        level
    };
    let result = f();
    // SAFETY: closes the level opened above.
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
    result
}

impl Plan {
    /// Runs `f` with the kept plan, prepared on first use in this backend.
    pub fn with<R>(
        &self,
        client: &SpiClient<'_>,
        f: impl FnOnce(&OwnedPreparedStatement) -> R,
    ) -> R {
        with_pinned_search_path(|| self.with_unpinned(client, f))
    }

    fn with_unpinned<R>(
        &self,
        client: &SpiClient<'_>,
        f: impl FnOnce(&OwnedPreparedStatement) -> R,
    ) -> R {
        self.cell.with(|cell| {
            if cell.get().is_none() {
                let types: Vec<PgOid> = self.types.iter().map(|&o| PgOid::from(o)).collect();
                let stmt = if self.writes {
                    client.prepare_mut((self.sql)(), &types)
                } else {
                    client.prepare((self.sql)(), &types)
                };
                let _ = cell.set(stmt.or_raise().keep());
            }
            f(cell.get().expect("plan was just set"))
        })
    }

    /// Like [`Plan::with`], for a statement that writes: `f` gets the client mutably.
    pub fn with_mut<'c, R>(
        &self,
        client: &mut SpiClient<'c>,
        f: impl FnOnce(&mut SpiClient<'c>, &OwnedPreparedStatement) -> R,
    ) -> R {
        with_pinned_search_path(|| {
            self.with_unpinned(client, |_| ());
            self.cell
                .with(|cell| f(client, cell.get().expect("plan was prepared")))
        })
    }
}

impl Plan {
    /// `f` of the first row of a read-only plan, or None when there is no row.
    pub fn select_row<R>(
        &self,
        client: &SpiClient<'_>,
        args: &[pgrx::datum::DatumWithOid<'_>],
        f: impl FnOnce(&SpiTupleTable<'_>) -> R,
    ) -> Option<R> {
        self.with(client, |stmt| {
            let t = client.select(stmt, Some(1), args).or_raise();
            (!t.is_empty()).then(|| f(&t.first()))
        })
    }

    /// The first column of the first row of a read-only plan, or None.
    pub fn select_one<T: pgrx::IntoDatum + pgrx::FromDatum>(
        &self,
        client: &SpiClient<'_>,
        args: &[pgrx::datum::DatumWithOid<'_>],
    ) -> Option<T> {
        self.select_row(client, args, |t| t.get::<T>(1).or_raise())
            .flatten()
    }
}

/// Declares a kept plan: `plan!(NAME, read|write, "SQL", [TEXTOID, INT8OID])`, or with
/// `built FN` in place of the text, a statement that `FN() -> &'static str` builds.
#[macro_export]
macro_rules! plan {
    ($name:ident, write, built $f:path, [$($ty:ident),* $(,)?]) => {
        $crate::plan!(@@ $name, true, $f, [$($ty),*]);
    };
    ($name:ident, read, $sql:expr, [$($ty:ident),* $(,)?]) => {
        $crate::plan!(@ $name, false, $sql, [$($ty),*]);
    };
    ($name:ident, write, $sql:expr, [$($ty:ident),* $(,)?]) => {
        $crate::plan!(@ $name, true, $sql, [$($ty),*]);
    };
    (@ $name:ident, $writes:expr, $sql:expr, [$($ty:ident),*]) => {
        $crate::plan!(@@ $name, $writes, {
            fn text() -> &'static str {
                $sql
            }
            text
        }, [$($ty),*]);
    };
    (@@ $name:ident, $writes:expr, $sql:expr, [$($ty:ident),*]) => {
        pub static $name: $crate::plans::Plan = {
            ::std::thread_local! {
                static CELL: ::std::cell::OnceCell<::pgrx::spi::OwnedPreparedStatement> =
                    const { ::std::cell::OnceCell::new() };
            }
            $crate::plans::Plan {
                sql: $sql,
                types: &[$(::pgrx::pg_sys::$ty),*],
                writes: $writes,
                cell: &CELL,
            }
        };
    };
}

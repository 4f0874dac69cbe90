//! `shortlink.bot_rules`: an operator's own bot patterns and exceptions, changed with SQL.
//!
//! Each backend compiles the table once and keeps it. A statement trigger on the table
//! (sql/caches.sql) calls [`invalidate_cached_table`], which queues a relcache
//! invalidation of the table; every backend receives it when the writing transaction
//! commits (and the writer at its next command), and its callback marks the compiled
//! rules stale, so the next click reloads them. Nothing is read per click while the table
//! does not change.

use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::error::{required, OrRaise};
use crate::plan;
use shortlink_useragent::bots::{self, OperatorRule, OperatorRules};

thread_local! {
    static STALE: Cell<bool> = const { Cell::new(true) };
    static TABLE: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    static RULES: RefCell<Option<Rc<OperatorRules>>> = const { RefCell::new(None) };
    /// Counts the loads of the rules: remembered classifications of older generations
    /// are void (useragent::parse_remembered).
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

plan!(
    LOAD_BOT_RULES,
    read,
    "SELECT t.oid, r.pattern, r.is_bot, r.name
     FROM (SELECT 'shortlink.bot_rules'::pg_catalog.regclass::pg_catalog.oid) t(oid)
     LEFT JOIN shortlink.bot_rules r ON true
     ORDER BY r.id",
    []
);

/// Registers the relcache callback; from `_PG_init`.
pub fn register() {
    // SAFETY: called once per process from _PG_init; the callback only sets flags.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0usize));
    }
}

/// # Safety
/// Called by PostgreSQL only, as a relcache callback (`CacheRegisterRelcacheCallback`).
#[pg_guard]
unsafe extern "C-unwind" fn on_relcache(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    // InvalidOid: the whole relcache was reset (e.g. after a cache overflow).
    if relid == pg_sys::InvalidOid || relid == TABLE.with(Cell::get) {
        STALE.with(|s| s.set(true));
    }
}

/// The operator's rules, compiled; `None` while the table is empty. Reads the table (over
/// SPI) only when it changed since the last read.
pub fn current() -> Option<Rc<OperatorRules>> {
    if STALE.with(Cell::get) {
        // Marked fresh before reading, so that a change committed meanwhile marks it
        // stale again.
        STALE.with(|s| s.set(false));
        let loaded = pgrx::spi::Spi::connect_mut(load);
        RULES.with(|r| *r.borrow_mut() = loaded);
        GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
    }
    RULES.with(|r| r.borrow().clone())
}

/// Which load of the rules [`current`] returned last.
pub fn generation() -> u64 {
    GENERATION.with(Cell::get)
}

fn load(client: &mut pgrx::spi::SpiClient<'_>) -> Option<Rc<OperatorRules>> {
    let mut rules = Vec::new();
    LOAD_BOT_RULES.with(client, |stmt| {
        let table = client.select(stmt, None, &[]).or_raise();
        for row in table {
            TABLE.with(|t| t.set(required(row.get(1).or_raise(), "bot_rules oid")));
            if let Some(pattern) = row.get::<String>(2).or_raise() {
                rules.push(OperatorRule {
                    pattern,
                    is_bot: required(row.get(3).or_raise(), "bot_rules.is_bot"),
                    name: row.get::<String>(4).or_raise().unwrap_or_default(),
                });
            }
        }
    });
    if rules.is_empty() {
        return None;
    }
    match OperatorRules::new(&rules) {
        Ok(compiled) => Some(Rc::new(compiled)),
        // The trigger checks every pattern as it is written; this is a table written
        // around it (a restore without triggers, say).
        Err(e) => {
            STALE.with(|s| s.set(true));
            crate::error::raise(
                shortlink_core::Error::new(
                    shortlink_core::Kind::InvalidRegularExpression,
                    "shortlink.bot_rules holds an invalid pattern",
                )
                .with_detail(e.to_string())
                .with_hint("Fix or delete the rule with UPDATE or DELETE on shortlink.bot_rules."),
            )
        }
    }
}

/// Why a `shortlink.bot_rules` pattern would not compile, or NULL if it does.
#[pg_extern(immutable, strict, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn bot_pattern_error(pattern: &str) -> Option<String> {
    bots::check_operator_pattern(pattern)
        .err()
        .map(|e| e.reason)
}

/// Tells every backend that a table whose contents backends keep (`bot_rules`, `domains`,
/// `blocked_hosts`) changed: a relcache invalidation of it, sent to the others when the
/// transaction commits and processed by the writer at its next command. Called by the
/// tables' statement triggers (sql/caches.sql) with their `TG_RELID`.
#[pg_extern(volatile, strict, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn invalidate_cached_table(table: pg_sys::Oid) {
    // SAFETY: queues an invalidation message for a relation id; any id is accepted.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(table) };
}

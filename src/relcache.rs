//! The relcache callback of the direct reads: what this backend keeps of shortlink's
//! relations (`catalog`, `place_memo`, `domain_lookup`, and the API keys of
//! `presented_key`) is forgotten when PostgreSQL invalidates them. One callback for the three: PostgreSQL has room for few
//! (MAX_RELCACHE_CALLBACKS, 10, shared by every library loaded).

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::{catalog, domain_lookup, place_memo, presented_key};

/// Registers the relcache callback; from `_PG_init`.
pub fn register() {
    // SAFETY: called once per process from _PG_init, outside any transaction as
    // PostgreSQL allows; the callback is a plain function for the process's life and only
    // clears cells of this backend.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0usize));
    }
}

/// # Safety
/// Called by PostgreSQL only, as a relcache callback (`CacheRegisterRelcacheCallback`).
#[pg_guard]
unsafe extern "C-unwind" fn on_relcache(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    domain_lookup::heard_of(relid);
    presented_key::heard_of(relid);
    let Some(c) = catalog::cached() else {
        return;
    };
    // InvalidOid: the whole relcache was reset.
    if relid == pg_sys::InvalidOid || relid == c.links {
        // A rewritten table (VACUUM FULL, TRUNCATE) has new TIDs.
        place_memo::forget_all();
    }
    catalog::forget(relid);
}

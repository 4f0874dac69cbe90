//! `shortlink.resolve`: code to destination, read-only, straight from the
//! `(domain, code)` unique index (`link_row`), at the cost of a bare indexed SELECT.

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::{click_counter, domains, link_row};

/// The destination of `code`, or NULL when it is unknown, expired, disabled, out of
/// clicks or password-protected. Counts nothing: a redirect proxy calls record_click.
///
/// Neither SECURITY DEFINER nor a pinned `search_path`, deliberately: both make every
/// call go through fmgr's security-definer path (a GUC save and restore), a visible share
/// of a lookup (docs/internals.md). Neither is needed: `link_row` reads the table without
/// the executor, so no privilege on it is needed (EXECUTE on resolve is the gate, as
/// before), and it finds the relations in schema `shortlink` by name, never through
/// `search_path`.
#[pg_extern(stable, parallel_safe)]
fn resolve(code: Option<&str>, domain: default!(Option<&str>, "NULL")) -> Option<String> {
    let code = code?;
    let domain = domains::lookup_key(domain)?;
    let link = link_row::find(&domain, code)?;
    if link.disabled || link.has_password {
        return None;
    }
    // SAFETY: reads the transaction's start time, as now() does.
    let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    if link.expires_at.is_some_and(|at| at <= now) {
        return None;
    }
    if let Some(max) = link.max_clicks {
        // The click counter's count when the link has a slot there (never loaded here:
        // resolve may run in a parallel worker, on a standby, or for a link never clicked).
        let taken = click_counter::available()
            .then(|| click_counter::count(link.id, link.limited_clicks, false))
            .flatten()
            .unwrap_or_else(|| link.limited_clicks + link_row::counted_clicks(link.id));
        if taken >= max {
            return None;
        }
    }
    Some(link.url)
}

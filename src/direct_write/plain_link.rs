//! A plain link (no column options) written straight into `shortlink.links` through
//! `link_insert`, for `shorten`'s common case.

use pgrx::prelude::*;

use super::link_insert;
use crate::catalog;
use crate::error::required;

/// What became of a link inserted directly.
pub enum Direct {
    Made {
        id: i64,
        created_at: TimestampWithTimeZone,
        expires_at: Option<TimestampWithTimeZone>,
        /// Where the row went.
        tid: pg_sys::ItemPointerData,
    },
    /// Another transaction's link of the same code got in first: none was made.
    Taken,
}

/// Inserts a plain link (no column options) straight into `shortlink.links` (see
/// src/direct_write/link_insert.rs), or None when the table needs the executor (an operator's
/// trigger, rule or policy), nothing written.
pub fn insert(
    domain: &str,
    code: &str,
    url: &str,
    expire_in: Option<f64>,
    password_hash: Option<&str>,
) -> Option<Direct> {
    // now() + make_interval(secs => expire_in), as INSERT_PLAIN_LINK computes it.
    // SAFETY: make_interval and timestamptz_pl_interval take these argument types; the
    // transaction start is now().
    let expires_at = expire_in.and_then(|secs| unsafe {
        let zero = Some(pg_sys::Datum::from(0i32));
        let interval = pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::make_interval,
            &[zero, zero, zero, zero, zero, zero, secs.into_datum()],
        );
        pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::timestamptz_pl_interval,
            &[
                pg_sys::GetCurrentTransactionStartTimestamp().into_datum(),
                interval,
            ],
        )
    });
    let columns: [link_insert::Column<'_>; 5] = [
        (c"domain", pg_sys::TEXTOID, domain.into_datum()),
        (c"code", pg_sys::TEXTOID, code.into_datum()),
        (c"url", pg_sys::TEXTOID, url.into_datum()),
        (c"expires_at", pg_sys::TIMESTAMPTZOID, expires_at),
        (
            c"password_hash",
            pg_sys::TEXTOID,
            password_hash.and_then(|p| p.into_datum()),
        ),
    ];
    let cat = catalog::get();
    // SAFETY: a transaction is open (we are called from SQL, after the domain check);
    // the datums are valid for the call; id and created_at are by-value columns.
    let outcome =
        unsafe { link_insert::insert(cat.links, cat.links_key, &columns, &[c"id", c"created_at"]) };
    match outcome {
        link_insert::Outcome::Inserted(kept, tid) => {
            // SAFETY: the datums are an int8 and a timestamptz, by value.
            let (id, created_at) = unsafe {
                (
                    kept[0].and_then(|d| i64::from_datum(d, false)),
                    kept[1].and_then(|d| TimestampWithTimeZone::from_datum(d, false)),
                )
            };
            Some(Direct::Made {
                id: required(id, "links.id"),
                created_at: required(created_at, "links.created_at"),
                // SAFETY: a timestamptz datum, by value.
                expires_at: expires_at
                    .and_then(|d| unsafe { TimestampWithTimeZone::from_datum(d, false) }),
                tid,
            })
        }
        link_insert::Outcome::Taken => Some(Direct::Taken),
        link_insert::Outcome::Executor => None,
    }
}

//! The webhook event of a click on a link with a `callback_url` or `webhook_urls`: one
//! outbox row and one delivery per target, written in the clicking transaction (so it is
//! sent only if the click commits), and a wake-up of the dispatcher at commit
//! (`wake_gate`: one per database per window, not one per event).
//!
//! When the click counter gave the event its `total_clicks`, the whole payload is made
//! here and both rows are written straight to the heap and indexes (`append`), as the
//! click's own rows are: no statement planned or started per event. A table an operator
//! changed (a trigger, a column) takes the statement below instead, as does an event
//! whose count must be read from the tables.

use std::ffi::CStr;

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::direct_write::append;
use crate::error::OrRaise;
use crate::plan;
use crate::{catalog, wake_gate};

plan!(
    INSERT_OUTBOX,
    write,
    "WITH o AS (
         INSERT INTO shortlink.outbox (link_id, targets, payload)
         SELECT l.id, $2, $3 || jsonb_build_object(
                    $5::text, coalesce($4, l.limited_clicks + (SELECT k.clicks
                                                   FROM shortlink.link_clicks(l.id) k)))
         FROM shortlink.links l WHERE l.id = $1
         RETURNING id),
     d AS (
         INSERT INTO shortlink.deliveries (event_id, target)
         SELECT DISTINCT o.id, t.target FROM o, unnest($2::text[]) AS t(target))
     SELECT o.id FROM o",
    [INT8OID, TEXTARRAYOID, JSONBOID, INT8OID, TEXTOID]
);

/// The body of a click event: shortlink's, or Exotel's click callback
/// (`shortlink_core::exotel_callback`), each naming the click's time and the link's
/// clicks its own way.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Shortlink,
    Exotel,
}

impl Shape {
    fn clicked_at_key(self) -> &'static str {
        match self {
            Shape::Shortlink => "clicked_at",
            Shape::Exotel => shortlink_core::exotel_callback::CLICKED_AT_KEY,
        }
    }

    fn total_clicks_key(self) -> &'static str {
        match self {
            Shape::Shortlink => "total_clicks",
            Shape::Exotel => shortlink_core::exotel_callback::TOTAL_CLICKS_KEY,
        }
    }

    /// The click's time (the transaction's start, now()) as this shape writes it.
    fn clicked_at(self) -> String {
        match self {
            Shape::Shortlink => clicked_at(),
            Shape::Exotel => {
                // SAFETY: reads the transaction's start time, now()'s value.
                let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
                shortlink_core::exotel_callback::iso(now)
            }
        }
    }
}

plan!(
    INSERT_DELIVERIES,
    write,
    "INSERT INTO shortlink.deliveries (event_id, target)
     SELECT DISTINCT $1, t.target FROM unnest($2::text[]) AS t(target)
     ON CONFLICT (event_id, target) DO NOTHING",
    [INT8OID, TEXTARRAYOID]
);

/// Queues the event `payload` (of `shape`) of a click of link `link_id` for each of
/// `targets`, with the click's time and the link's clicks `total` as the click counter
/// took them (counted from the tables when it did not).
pub fn queue(
    link_id: i64,
    targets: &[Option<String>],
    mut payload: serde_json::Value,
    total: Option<i64>,
    shape: Shape,
) {
    let targets: Vec<String> = targets.iter().flatten().cloned().collect();
    if let serde_json::Value::Object(fields) = &mut payload {
        fields.insert(shape.clicked_at_key().into(), shape.clicked_at().into());
    }
    if let (Some(total), serde_json::Value::Object(fields)) = (total, &mut payload) {
        fields.insert(shape.total_clicks_key().into(), total.into());
        if let Some(event) = write_directly(link_id, &targets, &payload) {
            wake_gate::event_queued(event);
            return;
        }
    }
    let event = Spi::connect_mut(|client| {
        INSERT_OUTBOX.with_mut(client, |client, stmt| {
            client
                .update(
                    stmt,
                    None,
                    &[
                        link_id.into(),
                        targets.into(),
                        pgrx::JsonB(payload).into(),
                        total.into(),
                        shape.total_clicks_key().into(),
                    ],
                )
                .or_raise()
                .first()
                .get_one::<i64>()
                .or_raise()
        })
    });
    if let Some(event) = event {
        wake_gate::event_queued(event);
    }
}

/// now() as a JSON timestamp, as `jsonb_build_object('clicked_at', now())` writes it (ISO
/// 8601 in the session's time zone).
fn clicked_at() -> String {
    let mut buf = [0 as std::ffi::c_char; pg_sys::MAXDATELEN as usize + 1];
    // SAFETY: JsonEncodeDateTime writes at most MAXDATELEN characters and a NUL into the
    // buffer it is given and returns it; the value is a timestamptz datum (the
    // transaction's start, as now()); tzp NULL: the session's time zone.
    unsafe {
        let now = pg_sys::GetCurrentTransactionStartTimestamp();
        let out = pg_sys::JsonEncodeDateTime(
            buf.as_mut_ptr(),
            pg_sys::Datum::from(now),
            pg_sys::TIMESTAMPTZOID,
            std::ptr::null(),
        );
        CStr::from_ptr(out).to_string_lossy().into_owned()
    }
}

/// Writes the event and its deliveries straight to the heap and indexes; its id, or None
/// when the outbox needs the executor (nothing written then; the caller's statement
/// writes both). A deliveries table that needs the executor gets its rows through it.
fn write_directly(link_id: i64, targets: &[String], payload: &serde_json::Value) -> Option<i64> {
    let cat = catalog::get();
    // SAFETY: the transaction is open and may write (record_click refused read-only ones);
    // the datums are of the columns' types and live through each call; nextval of
    // outbox's identity sequence, as the column's default would take it.
    unsafe {
        let now = pg_sys::Datum::from(pg_sys::GetCurrentTransactionStartTimestamp());
        let id = pg_sys::OidFunctionCall1Coll(
            pg_sys::Oid::from(pg_sys::F_NEXTVAL),
            pg_sys::InvalidOid,
            pg_sys::Datum::from(cat.outbox_id_seq),
        );
        let event = i64::from_datum(id, false)?;
        let outbox: [append::Column<'_>; 5] = [
            (c"id", pg_sys::INT8OID, Some(id)),
            (c"link_id", pg_sys::INT8OID, link_id.into_datum()),
            (c"created_at", pg_sys::TIMESTAMPTZOID, Some(now)),
            (
                c"targets",
                pg_sys::TEXTARRAYOID,
                targets.to_vec().into_datum(),
            ),
            (
                c"payload",
                pg_sys::JSONBOID,
                pgrx::JsonB(payload.clone()).into_datum(),
            ),
        ];
        if !append::insert(cat.outbox, &outbox) {
            return None;
        }
        // One delivery per distinct target, as the statement's SELECT DISTINCT.
        let mut distinct: Vec<&String> = targets.iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let all_direct = distinct.into_iter().all(|target| {
            let delivery: [append::Column<'_>; 9] = [
                (c"event_id", pg_sys::INT8OID, Some(id)),
                (c"target", pg_sys::TEXTOID, target.as_str().into_datum()),
                (c"state", pg_sys::TEXTOID, "pending".into_datum()),
                (c"attempts", pg_sys::INT4OID, 0i32.into_datum()),
                (c"next_attempt_at", pg_sys::TIMESTAMPTZOID, Some(now)),
                (c"last_attempt_at", pg_sys::TIMESTAMPTZOID, None),
                (c"last_status", pg_sys::INT4OID, None),
                (c"last_error", pg_sys::TEXTOID, None),
                (c"delivered_at", pg_sys::TIMESTAMPTZOID, None),
            ];
            append::insert(cat.deliveries, &delivery)
        });
        if !all_direct {
            // The event is written; a deliveries table an operator changed takes its rows
            // through the executor (the first refusal wrote nothing, and the table cannot
            // change under the lock the first insert took).
            let targets = targets.to_vec();
            Spi::connect_mut(|client| {
                INSERT_DELIVERIES.with_mut(client, |client, stmt| {
                    client
                        .update(stmt, None, &[event.into(), targets.into()])
                        .or_raise();
                })
            });
        }
        Some(event)
    }
}

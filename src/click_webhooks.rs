//! The webhook event of a click on a link with a `callback_url` or `webhook_urls`: one
//! outbox row and one delivery per target, written in the clicking transaction (so it is
//! sent only if the click commits), and a wake-up of the dispatcher at commit
//! (`wake_gate`: one per database per window, not one per event).

use pgrx::prelude::*;

use crate::error::OrRaise;
use crate::plan;
use crate::wake_gate;

plan!(
    INSERT_OUTBOX,
    write,
    "WITH o AS (
         INSERT INTO shortlink.outbox (link_id, targets, payload)
         SELECT l.id, $2, $3 || jsonb_build_object(
                    'clicked_at', now(),
                    'total_clicks', coalesce($4, l.limited_clicks + (SELECT k.clicks
                                                        FROM shortlink.link_clicks(l.id) k)))
         FROM shortlink.links l WHERE l.id = $1
         RETURNING id),
     d AS (
         INSERT INTO shortlink.deliveries (event_id, target)
         SELECT DISTINCT o.id, t.target FROM o, unnest($2::text[]) AS t(target))
     SELECT o.id FROM o",
    [INT8OID, TEXTARRAYOID, JSONBOID, INT8OID]
);

/// Queues the event `payload` of a click of link `link_id` for each of `targets`, with
/// the link's clicks `total` as the click counter took them (counted from the tables
/// when it did not).
pub fn queue(
    link_id: i64,
    targets: &[Option<String>],
    payload: serde_json::Value,
    total: Option<i64>,
) {
    let targets: Vec<String> = targets.iter().flatten().cloned().collect();
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

//! `shortlink.shorten_many`: many links in one call, each item succeeding or failing on
//! its own (partial success, like a batch API's HTTP 207).

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::{options, Error, Kind};

use crate::error::raise;
use crate::shorten;

/// Creates a link for each object of the `items` array: `{"url": …, <shorten options>}`.
/// `idx` is the item's 0-based position in the array.
#[pg_extern(volatile, parallel_unsafe)]
fn shorten_many(
    items: Option<JsonB>,
) -> TableIterator<
    'static,
    (
        name!(idx, i32),
        name!(ok, bool),
        name!(code, Option<String>),
        name!(short_url, Option<String>),
        name!(error, Option<String>),
        name!(sqlstate, Option<String>),
    ),
> {
    let items = match items.map(|j| j.0) {
        Some(Value::Array(a)) => a,
        other => raise(Error::new(
            Kind::InvalidParameter,
            format!(
                "invalid items: must be a JSON array of objects, not {}",
                other.map_or("NULL".into(), |v| v
                    .to_string()
                    .chars()
                    .take(60)
                    .collect::<String>())
            ),
        )),
    };
    let rows: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let idx = i32::try_from(i).unwrap_or(i32::MAX);
            let created = match item {
                Value::Object(_) => options::parse(item, options::Mode::Batch)
                    .and_then(|o| shorten::create(None, &o)),
                _ => Err(Error::new(
                    Kind::InvalidParameter,
                    "invalid item: must be a JSON object",
                )),
            };
            match created {
                Ok(link) => {
                    let short_url = link.short_url();
                    (idx, true, Some(link.code), Some(short_url), None, None)
                }
                Err(e) => (
                    idx,
                    false,
                    None,
                    None,
                    Some(e.message.clone()),
                    Some(e.sqlstate().to_owned()),
                ),
            }
        })
        .collect();
    TableIterator::new(rows)
}

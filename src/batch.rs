//! `shortlink.shorten_many`: many links in one call, each item succeeding or failing on
//! its own (partial success, like a batch API's HTTP 207).

use pgrx::prelude::*;
use serde_json::Value;
use shortlink_core::{options, Error, Kind};

use crate::error::raise;
use crate::json_arg::JsonbText;
use crate::shorten;
use shortlink_core::json_text;

/// Creates a link for each object of the `items` array: `{"url": …, <shorten options>}`.
/// `idx` is the item's 0-based position in the array.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn shorten_many(
    items: Option<JsonbText>,
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
    // Each item is parsed on its own, so that one too deep or too large fails alone.
    let texts = items.as_ref().and_then(|j| json_text::split_array(&j.0));
    let Some(items) = texts else {
        raise(Error::new(
            Kind::InvalidParameter,
            format!(
                "invalid items: must be a JSON array of objects, not {}",
                items
                    .as_ref()
                    .map_or("NULL".into(), |v| v.0.chars().take(60).collect::<String>())
            ),
        ))
    };
    // Each item is parsed and checked on its own; plain links are then made together.
    let parsed: Vec<_> = items
        .iter()
        .map(|item| {
            JsonbText((*item).to_owned())
                .parse("item")
                .and_then(|item| match item {
                    Value::Object(_) => options::parse(&item, options::Mode::Batch),
                    _ => Err(Error::new(
                        Kind::InvalidParameter,
                        "invalid item: must be a JSON object",
                    )),
                })
        })
        .collect();
    let rows: Vec<_> = shorten::create_many(&parsed)
        .into_iter()
        .enumerate()
        .map(|(i, created)| {
            let idx = i32::try_from(i).unwrap_or(i32::MAX);
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

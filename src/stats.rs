//! `shortlink.stats`: one link's counters, exact at the moment of the call.

use pgrx::prelude::*;

use crate::error::{required, OrRaise};
use crate::{domains, plan};

plan!(
    STATS,
    read,
    "SELECT l.code, l.domain, l.url, l.created_at, l.expires_at, l.max_clicks,
            l.limited_clicks + c.clicks AS clicks, c.bot_clicks,
            greatest(l.limited_last_clicked_at, c.last_clicked_at) AS last_clicked_at
     FROM shortlink.links l
     CROSS JOIN LATERAL shortlink.link_clicks(l.id) c
     WHERE l.domain = $1 AND l.code = $2",
    [TEXTOID, TEXTOID]
);

/// Counters of one link; no row for an unknown code.
#[pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn stats(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(code, String),
        name!(domain, String),
        name!(url, String),
        name!(created_at, TimestampWithTimeZone),
        name!(expires_at, Option<TimestampWithTimeZone>),
        name!(max_clicks, Option<i64>),
        name!(clicks, i64),
        name!(bot_clicks, i64),
        name!(last_clicked_at, Option<TimestampWithTimeZone>),
    ),
> {
    crate::presented_key::require("links:read").or_raise();
    let (Some(code), Some(domain)) = (code, domains::lookup_key(domain)) else {
        return TableIterator::new(std::iter::empty());
    };
    let row = Spi::connect(|client| {
        STATS.select_row(client, &[domain.as_str().into(), code.into()], |t| {
            (
                required(t.get::<String>(1).or_raise(), "code"),
                required(t.get::<String>(2).or_raise(), "domain"),
                required(t.get::<String>(3).or_raise(), "url"),
                required(t.get::<TimestampWithTimeZone>(4).or_raise(), "created_at"),
                t.get::<TimestampWithTimeZone>(5).or_raise(),
                t.get::<i64>(6).or_raise(),
                required(t.get::<i64>(7).or_raise(), "clicks"),
                required(t.get::<i64>(8).or_raise(), "bot_clicks"),
                t.get::<TimestampWithTimeZone>(9).or_raise(),
            )
        })
    });
    TableIterator::new(row)
}

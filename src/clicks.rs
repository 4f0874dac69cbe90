//! `shortlink.record_click`: one call per redirect. It enforces expiry and limits,
//! counts exactly and stores the click event.
//!
//! Counting: a link with max_clicks counts on its own row under its row lock (a
//! conditional UPDATE), so the limit holds under any concurrency. A link without
//! max_clicks counts into one of `shortlink.click_counts`' shards, chosen by backend pid,
//! so concurrent clicks of a viral link do not queue on one row lock.

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::{required, OrRaise};
use crate::{domains, plan, settings};

/// Longest user agent and referer kept, in bytes; longer ones are cut at a character
/// boundary.
pub const MAX_HEADER_BYTES: usize = 4096;

plan!(
    FIND_LINK,
    read,
    "SELECT id, url, tracking, disabled,
            expires_at IS NOT NULL AND expires_at <= now() AS expired,
            max_clicks IS NOT NULL AS limited
     FROM shortlink.links WHERE domain = $1 AND code = $2",
    [TEXTOID, TEXTOID]
);
plan!(
    COUNT_LIMITED,
    write,
    "UPDATE shortlink.links l
     SET limited_clicks = l.limited_clicks + 1, limited_last_clicked_at = now()
     WHERE l.id = $1
       AND l.limited_clicks + coalesce((SELECT sum(c.clicks) FROM shortlink.click_counts c
                                        WHERE c.link_id = $1), 0) < l.max_clicks
     RETURNING 1",
    [INT8OID]
);
plan!(
    COUNT_SHARDED,
    write,
    "INSERT INTO shortlink.click_counts AS c (link_id, shard, clicks, last_clicked_at)
     VALUES ($1, $2, 1, now())
     ON CONFLICT (link_id, shard) DO UPDATE
     SET clicks = c.clicks + 1, last_clicked_at = excluded.last_clicked_at",
    [INT8OID, INT4OID]
);
plan!(
    INSERT_EVENT,
    write,
    "INSERT INTO shortlink.click_events (link_id, ip, user_agent, referer) VALUES ($1, $2, $3, $4)",
    [INT8OID, INETOID, TEXTOID, TEXTOID]
);

/// What a redirect proxy does with a request for a short code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    NotFound,
    Expired,
    Exhausted,
    Disabled,
}

impl Outcome {
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::Expired => "expired",
            Outcome::Exhausted => "exhausted",
            Outcome::Disabled => "disabled",
        }
    }

    pub fn http_status(self) -> i32 {
        match self {
            Outcome::Ok => 302,
            Outcome::NotFound => 404,
            Outcome::Expired | Outcome::Exhausted | Outcome::Disabled => 410,
        }
    }
}

fn clip(s: Option<&str>) -> Option<&str> {
    s.map(|s| {
        if s.len() <= MAX_HEADER_BYTES {
            return s;
        }
        let mut end = MAX_HEADER_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        &s[..end]
    })
}

/// Records one click of `code` and says where to send the client.
#[pg_extern(volatile, parallel_unsafe)]
fn record_click(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
    ip: default!(Option<pgrx::Inet>, "NULL"),
    user_agent: default!(Option<&str>, "NULL"),
    referer: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(status, String),
        name!(location, Option<String>),
        name!(http_status, i32),
    ),
> {
    let (outcome, location) = click(code, domain, ip, clip(user_agent), clip(referer));
    TableIterator::once((outcome.status().to_owned(), location, outcome.http_status()))
}

fn click(
    code: Option<&str>,
    domain: Option<&str>,
    ip: Option<pgrx::Inet>,
    user_agent: Option<&str>,
    referer: Option<&str>,
) -> (Outcome, Option<String>) {
    let (Some(code), Some(domain)) = (code, domains::lookup_key(domain)) else {
        return (Outcome::NotFound, None);
    };
    Spi::connect_mut(|client| {
        let found = FIND_LINK.with(client, |stmt| {
            let t = client
                .select(stmt, Some(1), &[domain.as_str().into(), code.into()])
                .or_raise();
            if t.is_empty() {
                return None;
            }
            let t = t.first();
            Some((
                required(t.get::<i64>(1).or_raise(), "links.id"),
                required(t.get::<String>(2).or_raise(), "links.url"),
                required(t.get::<bool>(3).or_raise(), "links.tracking"),
                required(t.get::<bool>(4).or_raise(), "links.disabled"),
                required(t.get::<bool>(5).or_raise(), "expired"),
                required(t.get::<bool>(6).or_raise(), "limited"),
            ))
        });
        let Some((id, url, tracking, disabled, expired, limited)) = found else {
            return (Outcome::NotFound, None);
        };
        if disabled {
            return (Outcome::Disabled, None);
        }
        if expired {
            return (Outcome::Expired, None);
        }
        if limited {
            let counted = COUNT_LIMITED.with_mut(client, |client, stmt| {
                !client
                    .update(stmt, None, &[id.into()])
                    .or_raise()
                    .is_empty()
            });
            if !counted {
                return (Outcome::Exhausted, None);
            }
        } else {
            // SAFETY: MyProcPid is set once at backend start and only read here.
            let pid = unsafe { pg_sys::MyProcPid };
            let shard = pid.rem_euclid(settings::click_shards());
            COUNT_SHARDED.with_mut(client, |client, stmt| {
                client
                    .update(stmt, None, &[id.into(), shard.into()])
                    .or_raise();
            });
        }
        if tracking {
            INSERT_EVENT.with_mut(client, |client, stmt| {
                client
                    .update(
                        stmt,
                        None,
                        &[id.into(), ip.into(), user_agent.into(), referer.into()],
                    )
                    .or_raise();
            });
        }
        (Outcome::Ok, Some(url))
    })
}

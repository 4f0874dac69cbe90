//! `shortlink.record_click`: one call per redirect. It enforces expiry and limits,
//! counts exactly and stores the click event.
//!
//! Counting: a link with max_clicks counts on its own row under its row lock (a
//! conditional UPDATE), so the limit holds under any concurrency. A link without
//! max_clicks counts into one of `shortlink.click_counts`' shards, chosen by backend pid,
//! so concurrent clicks of a viral link do not queue on one row lock.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

use crate::error::OrRaise;
use crate::{bot_rules, domains, link_row, plan, settings};
use shortlink_core::destination::MAX_URL_BYTES;
use shortlink_core::{bots, ipanon, password, query, useragent};

/// Longest user agent and referer kept, in bytes; longer ones are cut at a character
/// boundary.
pub const MAX_HEADER_BYTES: usize = 4096;

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
    HAS_CLICKS_LEFT,
    read,
    "SELECT l.max_clicks IS NULL
            OR l.limited_clicks + coalesce((SELECT sum(c.clicks) FROM shortlink.click_counts c
                                            WHERE c.link_id = l.id), 0) < l.max_clicks
     FROM shortlink.links l WHERE l.id = $1",
    [INT8OID]
);
// A click's counter row and event row. The counter takes $1-$4 (link, shard, people,
// bots); the event $1 and $5-$16. One numbering for both, so that the statement that
// does both (COUNT_SHARDED_WITH_EVENT) is the two texts joined.
macro_rules! count_sharded_sql {
    () => {
        "INSERT INTO shortlink.click_counts AS c (link_id, shard, clicks, bot_clicks, last_clicked_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $3 > 0 THEN now() END)
         ON CONFLICT (link_id, shard) DO UPDATE
         SET clicks = c.clicks + excluded.clicks,
             bot_clicks = c.bot_clicks + excluded.bot_clicks,
             last_clicked_at = coalesce(excluded.last_clicked_at, c.last_clicked_at)"
    };
}
macro_rules! insert_event_sql {
    () => {
        "INSERT INTO shortlink.click_events (link_id, ip, user_agent, referer, referer_host, location,
             is_bot, visitor_hash, device, os, browser, country, bot)
         VALUES ($1, $5, $6, $7, $8, $9, $10,
                 CASE WHEN $11::text IS NOT NULL OR $6 IS NOT NULL THEN
                     encode(sha256(convert_to(
                         coalesce((SELECT s.value FROM shortlink.secrets s WHERE s.name = 'visitor_salt'), '')
                         || '|' || coalesce($11, '') || '|' || coalesce($6, ''), 'UTF8')), 'hex')
                 END,
                 $12, $13, $14, $15, $16)"
    };
}
plan!(
    COUNT_SHARDED,
    write,
    count_sharded_sql!(),
    [INT8OID, INT4OID, INT8OID, INT8OID]
);
// $2-$4 are the counter's and go unused here.
plan!(
    INSERT_EVENT,
    write,
    insert_event_sql!(),
    [
        INT8OID, INT4OID, INT8OID, INT8OID, INETOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID,
        TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID
    ]
);
// Both in one statement: the common click of a tracking link pays for one executor start
// instead of two.
plan!(
    COUNT_SHARDED_WITH_EVENT,
    write,
    concat!(
        "WITH counted AS (",
        count_sharded_sql!(),
        ") ",
        insert_event_sql!()
    ),
    [
        INT8OID, INT4OID, INT8OID, INT8OID, INETOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID,
        TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID
    ]
);
plan!(
    INSERT_OUTBOX,
    write,
    "WITH o AS (
         INSERT INTO shortlink.outbox (link_id, targets, payload)
         SELECT l.id, $2, $3 || jsonb_build_object(
                    'clicked_at', now(),
                    'total_clicks', l.limited_clicks + coalesce((SELECT sum(c.clicks)
                                                                 FROM shortlink.click_counts c
                                                                 WHERE c.link_id = l.id), 0))
         FROM shortlink.links l WHERE l.id = $1
         RETURNING id),
     d AS (
         INSERT INTO shortlink.deliveries (event_id, target)
         SELECT DISTINCT o.id, t.target FROM o, unnest($2::text[]) AS t(target))
     SELECT pg_notify('shortlink_events', o.id::text) FROM o",
    [INT8OID, TEXTARRAYOID, JSONBOID]
);

/// What a redirect proxy does with a request for a short code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    NotFound,
    Expired,
    Exhausted,
    Disabled,
    PasswordRequired,
    Blocked,
    /// A bot or link-preview fetcher on a link with a title, description or image: a
    /// page of its card, counted as a bot click.
    Preview,
    /// A cloaked link: a page framing the destination, counted as a click.
    Cloaked,
}

impl Outcome {
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::Expired => "expired",
            Outcome::Exhausted => "exhausted",
            Outcome::Disabled => "disabled",
            Outcome::PasswordRequired => "password_required",
            Outcome::Blocked => "blocked",
            Outcome::Preview => "preview",
            Outcome::Cloaked => "cloaked",
        }
    }

    fn http_status(self) -> i32 {
        match self {
            Outcome::Ok => 302,
            Outcome::NotFound => 404,
            Outcome::Expired | Outcome::Exhausted | Outcome::Disabled => 410,
            Outcome::PasswordRequired => 401,
            Outcome::Blocked => 403,
            Outcome::Preview | Outcome::Cloaked => 200,
        }
    }
}

/// The answer to one request: status, where to send the client, and the HTTP status.
struct Answer(Outcome, Option<String>, i32);

impl From<Outcome> for Answer {
    fn from(o: Outcome) -> Self {
        Answer(o, None, o.http_status())
    }
}

fn clip(s: Option<&str>) -> Option<&str> {
    s.map(|s| bots::truncate_at_char_boundary(s, MAX_HEADER_BYTES))
}

/// A country code from a geo header: two ASCII letters, uppercased; anything else is
/// not kept (a bad header must not fail a redirect).
fn country_code(c: Option<&str>) -> Option<String> {
    c.map(str::trim)
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

/// The host of a referer URL, lowercased.
fn referer_host(referer: Option<&str>) -> Option<String> {
    url::Url::parse(referer?)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// The address stored for a click: anonymised unless `shortlink.anonymize_ip` is off.
fn stored_ip(ip: &Option<pgrx::Inet>) -> (Option<pgrx::Inet>, Option<String>) {
    let Some(ip) = ip else { return (None, None) };
    let host = ip.0.split('/').next().unwrap_or_default();
    // PostgreSQL's inet output always parses; should it not, keep no address rather than
    // one that was not anonymised.
    let Ok(addr) = host.parse::<std::net::IpAddr>() else {
        return (None, None);
    };
    let kept = if settings::anonymize_ip() {
        ipanon::anonymize(addr)
    } else {
        addr
    };
    (Some(pgrx::Inet(kept.to_string())), Some(addr.to_string()))
}

/// Records one click of `code` and says where to send the client. SECURITY DEFINER: the
/// redirect role has no right on any table, nor on the salt of visitor hashes.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn record_click(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
    ip: default!(Option<pgrx::Inet>, "NULL"),
    user_agent: default!(Option<&str>, "NULL"),
    referer: default!(Option<&str>, "NULL"),
    country: default!(Option<&str>, "NULL"),
    password: default!(Option<&str>, "NULL"),
    query: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(status, String),
        name!(location, Option<String>),
        name!(http_status, i32),
    ),
> {
    let headers = (user_agent, referer, country);
    answer(true, code, domain, ip, headers, password, query)
}

/// The answer `record_click` would give now, counting nothing and storing nothing: for a
/// redirect server's HEAD requests and link checkers. SECURITY DEFINER, like
/// record_click.
#[allow(clippy::too_many_arguments)]
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn peek_click(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
    ip: default!(Option<pgrx::Inet>, "NULL"),
    user_agent: default!(Option<&str>, "NULL"),
    referer: default!(Option<&str>, "NULL"),
    country: default!(Option<&str>, "NULL"),
    password: default!(Option<&str>, "NULL"),
    query: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(status, String),
        name!(location, Option<String>),
        name!(http_status, i32),
    ),
> {
    let headers = (user_agent, referer, country);
    answer(false, code, domain, ip, headers, password, query)
}

/// The row of record_click (`counting`) and peek_click; `headers` are the user agent,
/// referer and country as the proxy passed them.
fn answer(
    counting: bool,
    code: Option<&str>,
    domain: Option<&str>,
    ip: Option<pgrx::Inet>,
    (user_agent, referer, country): (Option<&str>, Option<&str>, Option<&str>),
    password: Option<&str>,
    query: Option<&str>,
) -> TableIterator<'static, (String, Option<String>, i32)> {
    // SAFETY: a flag PostgreSQL sets at transaction start (always on a hot standby).
    if counting && unsafe { pg_sys::XactReadOnly } {
        read_only_click();
    }
    let req = Request {
        counting,
        ip,
        user_agent: clip(user_agent),
        referer: clip(referer),
        country: country_code(country),
        password,
        query,
    };
    let Answer(outcome, location, http) = match (code, domains::lookup_key(domain)) {
        (Some(code), Some(domain)) => click(code, &domain, &req),
        _ => Outcome::NotFound.into(),
    };
    TableIterator::once((outcome.status().to_owned(), location, http))
}

/// A click counts and stores its event: a hot standby or a read-only transaction cannot.
fn read_only_click() -> ! {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
        "cannot record a click in a read-only transaction",
        "shortlink",
    )
    .set_detail("record_click counts the click and stores its event; this transaction cannot write (a hot standby, or transaction_read_only).")
    .set_hint("Call record_click on the primary. resolve, peek_click and link_card answer on standbys.")
    .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

struct Request<'a> {
    /// false for peek_click: decide, but count and store nothing.
    counting: bool,
    ip: Option<pgrx::Inet>,
    user_agent: Option<&'a str>,
    referer: Option<&'a str>,
    country: Option<String>,
    password: Option<&'a str>,
    query: Option<&'a str>,
}

struct Found {
    id: i64,
    url: String,
    tracking: bool,
    disabled: bool,
    expired: bool,
    limited: bool,
    redirect_type: i32,
    password_hash: Option<String>,
    forward_params: bool,
    block_bots: bool,
    expired_url: Option<String>,
    targets: Option<Vec<Option<String>>>,
    has_card: bool,
    cloaked: bool,
}

impl Found {
    /// The answer to a click that is let through: a redirect, or a page.
    fn ok(&self, is_bot: bool, location: String) -> Answer {
        let outcome = if is_bot && self.has_card {
            Outcome::Preview
        } else if self.cloaked {
            Outcome::Cloaked
        } else {
            return Answer(Outcome::Ok, Some(location), self.redirect_type);
        };
        Answer(outcome, Some(location), outcome.http_status())
    }
}

/// Where an `ok` click of `link` is sent: its destination, with the request's query
/// merged in for `forward_params`.
fn location_of(link: &Found, req: &Request<'_>) -> String {
    match req
        .query
        .filter(|q| link.forward_params && !q.trim_start_matches('?').is_empty())
    {
        // A merge past the destination cap redirects without the extra query.
        Some(q) => query::merge_query(&link.url, q)
            .ok()
            .filter(|merged| merged.len() <= MAX_URL_BYTES)
            .unwrap_or_else(|| link.url.clone()),
        None => link.url.clone(),
    }
}

fn click(code: &str, domain: &str, req: &Request<'_>) -> Answer {
    Spi::connect_mut(|client| {
        let found = link_row::find_for_click(domain, code, |row| {
            // Positions in link_row::CLICK_COLUMNS.
            let expires_at: Option<i64> = row.get(4);
            // SAFETY: reads the transaction's start time, as now() does.
            let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
            let mut targets: Vec<Option<String>> = Vec::new();
            if let Some(callback) = row.get::<String>(11) {
                targets.push(Some(callback));
            }
            if let Some(hooks) = row.get::<Vec<Option<String>>>(12) {
                targets.extend(hooks.into_iter().filter(Option::is_some));
            }
            Some(Found {
                id: row.get(0)?,
                url: row.get(1)?,
                tracking: row.get(2).unwrap_or(true),
                disabled: row.get(3).unwrap_or(false),
                expired: expires_at.is_some_and(|at| at <= now),
                limited: !row.is_null(5),
                redirect_type: row.get::<i16>(6).map_or(302, i32::from),
                password_hash: row.get(7),
                forward_params: row.get(8).unwrap_or(false),
                block_bots: row.get(9).unwrap_or(false),
                expired_url: row.get(10),
                targets: (!targets.is_empty()).then_some(targets),
                has_card: !(row.is_null(13) && row.is_null(14) && row.is_null(15)),
                cloaked: row.get(16).unwrap_or(false),
            })
        });
        let Some(link) = found else {
            return Outcome::NotFound.into();
        };
        let gone = |o: Outcome| match &link.expired_url {
            Some(u) => Answer(o, Some(u.clone()), 302),
            None => o.into(),
        };
        // A protected link reveals nothing, not even that it is disabled or expired,
        // before the right password.
        if let Some(phc) = &link.password_hash {
            if !req.password.is_some_and(|p| password::verify(p, phc)) {
                return Outcome::PasswordRequired.into();
            }
        }
        if link.disabled {
            return Outcome::Disabled.into();
        }
        if link.expired {
            return gone(Outcome::Expired);
        }
        // The user agent is parsed once, and fully only when an event or callback needs it.
        let operator = bot_rules::current(client);
        // Repeated user agents (most of real traffic) are classified once per backend.
        let client_info = useragent::parse_remembered(
            req.user_agent,
            operator.as_deref(),
            bot_rules::generation(),
        );
        let is_bot = client_info.is_bot();
        if is_bot && link.block_bots {
            return Outcome::Blocked.into();
        }
        // SAFETY: MyProcPid is set once at backend start and only read here.
        let shard = unsafe { pg_sys::MyProcPid }.rem_euclid(settings::click_shards());
        let count_sharded = |client: &mut pgrx::spi::SpiClient<'_>, human: i64, bot: i64| {
            COUNT_SHARDED.with_mut(client, |client, stmt| {
                client
                    .update(
                        stmt,
                        None,
                        &[link.id.into(), shard.into(), human.into(), bot.into()],
                    )
                    .or_raise();
            });
        };
        let exhausted = || {
            link.limited
                && HAS_CLICKS_LEFT.select_one::<bool>(client, &[link.id.into()]) != Some(true)
        };
        if !req.counting {
            // peek_click: the answer a click would get, counting and storing nothing.
            if exhausted() {
                return gone(Outcome::Exhausted);
            }
            return link.ok(is_bot, location_of(&link, req));
        }
        // The sharded counter to add (people, bots) to, or None when the click was counted
        // on the link's own row (max_clicks).
        let sharded = if is_bot {
            // Bots never count against max_clicks, but an exhausted link is gone for them too.
            if exhausted() {
                return gone(Outcome::Exhausted);
            }
            Some((0i64, 1i64))
        } else if link.limited {
            let counted = COUNT_LIMITED.with_mut(client, |client, stmt| {
                !client
                    .update(stmt, None, &[link.id.into()])
                    .or_raise()
                    .is_empty()
            });
            if !counted {
                return gone(Outcome::Exhausted);
            }
            None
        } else {
            Some((1, 0))
        };
        let location = location_of(&link, req);
        let (ip, full_ip) = if link.tracking {
            stored_ip(&req.ip)
        } else {
            (None, None)
        };
        let event = || -> Vec<pgrx::datum::DatumWithOid<'_>> {
            vec![
                ip.clone().into(),
                req.user_agent.into(),
                req.referer.into(),
                referer_host(req.referer).into(),
                location.as_str().into(),
                is_bot.into(),
                full_ip.as_deref().into(),
                client_info.device.into(),
                client_info.os.as_deref().into(),
                client_info.browser.as_deref().into(),
                req.country.as_deref().into(),
                client_info.bot.as_deref().into(),
            ]
        };
        match (sharded, link.tracking) {
            (Some((human, bot)), true) => {
                let mut args: Vec<pgrx::datum::DatumWithOid<'_>> =
                    vec![link.id.into(), shard.into(), human.into(), bot.into()];
                args.extend(event());
                COUNT_SHARDED_WITH_EVENT.with_mut(client, |client, stmt| {
                    client.update(stmt, None, &args).or_raise();
                });
            }
            (Some((human, bot)), false) => count_sharded(client, human, bot),
            (None, true) => {
                // Counted on the link's own row: the counter parameters go unused.
                let mut args: Vec<pgrx::datum::DatumWithOid<'_>> =
                    vec![link.id.into(), shard.into(), 0i64.into(), 0i64.into()];
                args.extend(event());
                INSERT_EVENT.with_mut(client, |client, stmt| {
                    client.update(stmt, None, &args).or_raise();
                });
            }
            (None, false) => {}
        }
        if let Some(targets) = &link.targets {
            let payload = serde_json::json!({
                "event": "click",
                "code": code,
                "domain": domain,
                "short_url": format!("https://{domain}/{code}"),
                "long_url": location,
                "bot": is_bot,
                "bot_rule": client_info.bot,
                "ip": ip.as_ref().map(|i| i.0.clone()),
                "user_agent": if link.tracking { req.user_agent } else { None },
                "referer": if link.tracking { req.referer } else { None },
                "device": client_info.device,
                "os": client_info.os,
                "browser": client_info.browser,
                "country": req.country,
            });
            let targets: Vec<String> = targets.iter().flatten().cloned().collect();
            INSERT_OUTBOX.with_mut(client, |client, stmt| {
                client
                    .update(
                        stmt,
                        None,
                        &[link.id.into(), targets.into(), pgrx::JsonB(payload).into()],
                    )
                    .or_raise();
            });
        }
        link.ok(is_bot, location)
    })
}

plan!(
    LINK_CARD,
    read,
    "SELECT title, description, image FROM shortlink.links
     WHERE domain = $1 AND code = $2
       AND password_hash IS NULL AND NOT disabled
       AND (expires_at IS NULL OR expires_at > now())",
    [TEXTOID, TEXTOID]
);

/// The card of a link (title, description, image) for the page a redirect server shows
/// for `preview` and `cloaked` answers; no row for an unknown, protected, disabled or
/// expired link. SECURITY DEFINER, for the redirect role.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn link_card(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(title, Option<String>),
        name!(description, Option<String>),
        name!(image, Option<String>),
    ),
> {
    let (Some(code), Some(domain)) = (code, domains::lookup_key(domain)) else {
        return TableIterator::new(std::iter::empty());
    };
    let row = Spi::connect(|client| {
        LINK_CARD.select_row(client, &[domain.as_str().into(), code.into()], |t| {
            (
                t.get::<String>(1).or_raise(),
                t.get::<String>(2).or_raise(),
                t.get::<String>(3).or_raise(),
            )
        })
    });
    TableIterator::new(row)
}

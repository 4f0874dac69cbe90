//! `shortlink.record_click`: one call per redirect. It enforces expiry and limits,
//! counts exactly and stores the click event.
//!
//! Counting: a person's click of a link with max_clicks counts on the link's own row under
//! its row lock (a conditional UPDATE), so the limit holds under any concurrency. Every
//! other click is a row appended to `shortlink.click_log` (and a tracking link's event to
//! its day partition of `click_events`), straight to the heap and indexes (`append`):
//! appends never wait on one another, and cost what a bare INSERT of the row costs.
//! `shortlink.link_clicks()` counts the rows still in click_log on top of the counters
//! that `shortlink.maintain()` adds them to, so counts are exact whenever they are read.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

use crate::error::OrRaise;
use crate::{append, bot_rules, domains, link_row, plan, row_value, settings};
use shortlink_core::destination::MAX_URL_BYTES;
use shortlink_core::{bots, ipanon, password, query, useragent, visitor};

/// Longest user agent and referer kept, in bytes; longer ones are cut at a character
/// boundary.
pub const MAX_HEADER_BYTES: usize = 4096;

plan!(
    COUNT_LIMITED,
    write,
    "UPDATE shortlink.links l
     SET limited_clicks = l.limited_clicks + 1, limited_last_clicked_at = now()
     WHERE l.id = $1
       AND l.limited_clicks + (SELECT k.clicks FROM shortlink.link_clicks(l.id) k) < l.max_clicks
     RETURNING 1",
    [INT8OID]
);
plan!(
    HAS_CLICKS_LEFT,
    read,
    "SELECT l.max_clicks IS NULL
            OR l.limited_clicks + (SELECT k.clicks FROM shortlink.link_clicks(l.id) k) < l.max_clicks
     FROM shortlink.links l WHERE l.id = $1",
    [INT8OID]
);
// The executor's way of appending a click, for tables that `append` leaves to it.
plan!(
    LOG_CLICK,
    write,
    "INSERT INTO shortlink.click_log (link_id, clicked_at, is_bot) VALUES ($1, now(), $2)",
    [INT8OID, BOOLOID]
);
plan!(
    INSERT_EVENT,
    write,
    "INSERT INTO shortlink.click_events (link_id, ip, user_agent, referer, referer_host, location,
         is_bot, visitor_hash, device, os, browser, country, bot)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    [
        INT8OID, INETOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID,
        TEXTOID, TEXTOID, TEXTOID
    ]
);
plan!(
    VISITOR_SALT,
    read,
    "SELECT s.value FROM shortlink.secrets s WHERE s.name = 'visitor_salt'",
    []
);
plan!(
    INSERT_OUTBOX,
    write,
    "WITH o AS (
         INSERT INTO shortlink.outbox (link_id, targets, payload)
         SELECT l.id, $2, $3 || jsonb_build_object(
                    'clicked_at', now(),
                    'total_clicks', l.limited_clicks + (SELECT k.clicks
                                                        FROM shortlink.link_clicks(l.id) k))
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

v1_function_info!(pg_finfo_shortlink_record_click);

v1_function_info!(pg_finfo_shortlink_peek_click);

/// `shortlink.record_click(code, domain, ip, user_agent, referer, country, password,
/// query)` (declared in sql/functions.sql): records one click of `code` and says where to
/// send the client, as one `shortlink.click_answer`.
///
/// A C function returning one composite value, not a set: a set-returning function is
/// called twice per row through fmgr and SECURITY DEFINER and builds its row type from
/// `pg_proc` at every call, a tenth of a click on one core.
///
/// # Safety
/// Called by fmgr with a valid `fcinfo` of the eight arguments the SQL declaration has.
#[unsafe(no_mangle)]
#[pg_guard]
pub unsafe extern "C-unwind" fn shortlink_record_click(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: as the caller promises.
    unsafe { answer_call(fcinfo, true) }
}

/// `shortlink.peek_click(...)`, the same arguments as record_click: the answer a click
/// would get now, counting nothing and storing nothing, for a redirect server's HEAD
/// requests and link checkers.
///
/// # Safety
/// Called by fmgr with a valid `fcinfo` of the eight arguments the SQL declaration has.
#[unsafe(no_mangle)]
#[pg_guard]
pub unsafe extern "C-unwind" fn shortlink_peek_click(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: as the caller promises.
    unsafe { answer_call(fcinfo, false) }
}

const CLICK_SIGNATURE: &str = "(code text, domain text, ip inet, user_agent text, referer text, country text, password text, query text) RETURNS shortlink.click_answer (status text, location text, http_status integer)";
const CLICK_ANSWER: [pg_sys::Oid; 3] = [pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::INT4OID];
static RECORD_CLICK: row_value::Declaration = row_value::Declaration {
    name: "shortlink.record_click",
    signature: CLICK_SIGNATURE,
    nargs: 8,
    attributes: &CLICK_ANSWER,
};
static PEEK_CLICK: row_value::Declaration = row_value::Declaration {
    name: "shortlink.peek_click",
    signature: CLICK_SIGNATURE,
    nargs: 8,
    attributes: &CLICK_ANSWER,
};

/// Reads the arguments of record_click or peek_click and returns the answer as a
/// `shortlink.click_answer` datum.
unsafe fn answer_call(fcinfo: pg_sys::FunctionCallInfo, counting: bool) -> pg_sys::Datum {
    let declaration = if counting { &RECORD_CLICK } else { &PEEK_CLICK };
    // SAFETY: fmgr passes the arguments the SQL declaration lists (checked): text, text,
    // inet, then five text; each is read as its type, NULL as None. The answer's datums
    // are its attributes' types and live through the call.
    unsafe {
        declaration.check_args(fcinfo);
        let text = |n| pgrx::fcinfo::pg_getarg::<&str>(fcinfo, n);
        let headers = (text(3), text(4), text(5));
        let Answer(outcome, location, http) = answer(
            counting,
            text(0),
            text(1),
            pgrx::fcinfo::pg_getarg::<pgrx::Inet>(fcinfo, 2),
            headers,
            text(6),
            text(7),
        );
        declaration.row(
            fcinfo,
            &[
                outcome.status().into_datum(),
                location.into_datum(),
                http.into_datum(),
            ],
        )
    }
}

/// The answer of record_click (`counting`) or peek_click; `headers` are the user agent,
/// referer and country as the proxy passed them.
fn answer(
    counting: bool,
    code: Option<&str>,
    domain: Option<&str>,
    ip: Option<pgrx::Inet>,
    (user_agent, referer, country): (Option<&str>, Option<&str>, Option<&str>),
    password: Option<&str>,
    query: Option<&str>,
) -> Answer {
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
    match (code, domains::lookup_key(domain)) {
        (Some(code), Some(domain)) => click(code, &domain, &req),
        _ => Outcome::NotFound.into(),
    }
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

/// One click or peek. The common click (a link without max_clicks or webhooks, tables as
/// shortlink made them) runs no SQL and opens no SPI connection: the link is read from its
/// index and the click appended (`link_row`, `append`). Each of the other steps connects
/// to SPI for itself.
fn click(code: &str, domain: &str, req: &Request<'_>) -> Answer {
    {
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
        let operator = bot_rules::current();
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
        let exhausted = || {
            link.limited
                && Spi::connect(|client| {
                    HAS_CLICKS_LEFT.select_one::<bool>(client, &[link.id.into()])
                }) != Some(true)
        };
        if !req.counting {
            // peek_click: the answer a click would get, counting and storing nothing.
            if exhausted() {
                return gone(Outcome::Exhausted);
            }
            return link.ok(is_bot, location_of(&link, req));
        }
        // A person's click of a link with max_clicks counts on the link's own row, under
        // its lock; every other click is appended to click_log.
        if is_bot {
            // Bots never count against max_clicks, but an exhausted link is gone for them too.
            if exhausted() {
                return gone(Outcome::Exhausted);
            }
            log_click(link.id, true);
        } else if link.limited {
            let counted = Spi::connect_mut(|client| {
                COUNT_LIMITED.with_mut(client, |client, stmt| {
                    !client
                        .update(stmt, None, &[link.id.into()])
                        .or_raise()
                        .is_empty()
                })
            });
            if !counted {
                return gone(Outcome::Exhausted);
            }
        } else {
            log_click(link.id, false);
        }
        let location = location_of(&link, req);
        let (ip, full_ip) = if link.tracking {
            stored_ip(&req.ip)
        } else {
            (None, None)
        };
        if link.tracking {
            let visitor_hash = visitor_hash(full_ip.as_deref(), req.user_agent);
            store_event(&Event {
                link_id: link.id,
                ip: ip.clone(),
                user_agent: req.user_agent,
                referer: req.referer,
                referer_host: referer_host(req.referer),
                location: &location,
                is_bot,
                bot: client_info.bot.as_deref(),
                visitor_hash,
                device: Some(client_info.device),
                os: client_info.os.as_deref(),
                browser: client_info.browser.as_deref(),
                country: req.country.as_deref(),
            });
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
            Spi::connect_mut(|client| {
                INSERT_OUTBOX.with_mut(client, |client, stmt| {
                    client
                        .update(
                            stmt,
                            None,
                            &[link.id.into(), targets.into(), pgrx::JsonB(payload).into()],
                        )
                        .or_raise();
                });
            });
        }
        link.ok(is_bot, location)
    }
}

/// The click event of a link with tracking on, as stored in shortlink.click_events.
struct Event<'a> {
    link_id: i64,
    ip: Option<pgrx::Inet>,
    user_agent: Option<&'a str>,
    referer: Option<&'a str>,
    referer_host: Option<String>,
    location: &'a str,
    is_bot: bool,
    bot: Option<&'a str>,
    visitor_hash: Option<String>,
    device: Option<&'a str>,
    os: Option<&'a str>,
    browser: Option<&'a str>,
    country: Option<&'a str>,
}

/// The transaction's start, which is `now()` and what clicks are stamped with.
fn click_time() -> i64 {
    // SAFETY: reads the transaction's start time, as now() does.
    unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }
}

/// Appends one click of link `id` to shortlink.click_log, where stats() counts it until
/// shortlink.maintain() adds it to the link's counter.
fn log_click(id: i64, is_bot: bool) {
    let columns: [append::Column<'_>; 3] = [
        (c"link_id", pg_sys::INT8OID, id.into_datum()),
        (
            c"clicked_at",
            pg_sys::TIMESTAMPTZOID,
            Some(pg_sys::Datum::from(click_time())),
        ),
        (c"is_bot", pg_sys::BOOLOID, is_bot.into_datum()),
    ];
    // SAFETY: record_click writes (read-only transactions were refused); the datums are
    // the columns' types and live through the call.
    if unsafe { append::insert(link_row::catalog().log, &columns) } {
        return;
    }
    Spi::connect_mut(|client| {
        LOG_CLICK.with_mut(client, |client, stmt| {
            client
                .update(stmt, None, &[id.into(), is_bot.into()])
                .or_raise();
        })
    });
}

/// Stores a click event in the day partition of shortlink.click_events that takes it.
fn store_event(e: &Event<'_>) {
    let cat = link_row::catalog();
    let at = click_time();
    // SAFETY: click_events is partitioned by RANGE (clicked_at timestamptz); it is locked
    // as an INSERT into it would lock it, and the partition found is locked by insert().
    let stored = unsafe {
        let parent = pg_sys::table_open(cat.events, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let partition = append::range_partition(parent, at);
        pg_sys::table_close(parent, pg_sys::NoLock as pg_sys::LOCKMODE);
        partition.is_some_and(|partition| {
            let id = pg_sys::OidFunctionCall1Coll(
                pg_sys::Oid::from(pg_sys::F_NEXTVAL),
                pg_sys::InvalidOid,
                pg_sys::Datum::from(cat.events_id_seq),
            );
            let columns: [append::Column<'_>; 15] = [
                (c"id", pg_sys::INT8OID, Some(id)),
                (c"link_id", pg_sys::INT8OID, e.link_id.into_datum()),
                (
                    c"clicked_at",
                    pg_sys::TIMESTAMPTZOID,
                    Some(pg_sys::Datum::from(at)),
                ),
                (c"ip", pg_sys::INETOID, e.ip.clone().into_datum()),
                (c"user_agent", pg_sys::TEXTOID, e.user_agent.into_datum()),
                (c"referer", pg_sys::TEXTOID, e.referer.into_datum()),
                (
                    c"referer_host",
                    pg_sys::TEXTOID,
                    e.referer_host.as_deref().into_datum(),
                ),
                (c"location", pg_sys::TEXTOID, e.location.into_datum()),
                (c"is_bot", pg_sys::BOOLOID, e.is_bot.into_datum()),
                (c"bot", pg_sys::TEXTOID, e.bot.into_datum()),
                (
                    c"visitor_hash",
                    pg_sys::TEXTOID,
                    e.visitor_hash.as_deref().into_datum(),
                ),
                (c"device", pg_sys::TEXTOID, e.device.into_datum()),
                (c"os", pg_sys::TEXTOID, e.os.into_datum()),
                (c"browser", pg_sys::TEXTOID, e.browser.into_datum()),
                (c"country", pg_sys::TEXTOID, e.country.into_datum()),
            ];
            append::insert(partition, &columns)
        })
    };
    if stored {
        return;
    }
    let args: Vec<pgrx::datum::DatumWithOid<'_>> = vec![
        e.link_id.into(),
        e.ip.clone().into(),
        e.user_agent.into(),
        e.referer.into(),
        e.referer_host.as_deref().into(),
        e.location.into(),
        e.is_bot.into(),
        e.visitor_hash.as_deref().into(),
        e.device.into(),
        e.os.into(),
        e.browser.into(),
        e.country.into(),
        e.bot.into(),
    ];
    Spi::connect_mut(|client| {
        INSERT_EVENT.with_mut(client, |client, stmt| {
            client.update(stmt, None, &args).or_raise();
        })
    });
}

thread_local! {
    /// shortlink.secrets' visitor_salt, read once per backend: it is made at CREATE
    /// EXTENSION and nothing in shortlink changes it.
    static VISITOR_SALT_VALUE: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
}

/// The visitor hash of a click from the full (not anonymised) address and user agent.
fn visitor_hash(full_ip: Option<&str>, user_agent: Option<&str>) -> Option<String> {
    if full_ip.is_none() && user_agent.is_none() {
        return None;
    }
    VISITOR_SALT_VALUE.with(|salt| {
        let salt = salt.get_or_init(|| {
            Spi::connect(|client| VISITOR_SALT.select_one::<String>(client, &[]))
                .unwrap_or_default()
        });
        visitor::hash(salt, full_ip, user_agent)
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

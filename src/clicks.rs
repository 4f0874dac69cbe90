//! `shortlink.record_click`: one call per redirect. It enforces expiry and limits,
//! counts exactly and stores the click event.
//!
//! Counting: every click is a row appended to `shortlink.click_log` (and a tracking link's
//! event to its day partition of `click_events`), straight to the heap and indexes
//! (`append`): appends never wait on one another, and cost what a bare INSERT of the row
//! costs. `shortlink.link_clicks()` counts the rows still in click_log on top of the
//! counters that `shortlink.maintain()` adds them to, so counts are exact whenever they
//! are read. A person's click of a link with max_clicks first takes one from the link's
//! slot in the click counter in shared memory (`click_counter`), which never lets more
//! than max_clicks through and gives back the clicks of transactions that roll back; the
//! same slot gives a hooked link's event its count. Without shortlink preloaded, such a
//! click counts on the link's own row under its row lock instead (a conditional UPDATE).

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::catalog::ClickColumn;
use crate::click_webhooks::Shape;
use crate::error::OrRaise;
use crate::{
    bot_rules, click_counter, click_events, click_webhooks, domain_lookup, domains, geoip,
    link_row, plan, row_value,
};
use shortlink_core::click::{self, Decision, LimitedClick, LinkFacts, Location, Outcome, Probe};
use shortlink_core::destination::MAX_URL_BYTES;
use shortlink_core::exotel_callback;
use shortlink_core::query;
use shortlink_password as password;
use shortlink_useragent::useragent;

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
/// The answer to one request: status, where to send the client, and the HTTP status.
struct Answer(Outcome, Option<String>, i32);

impl From<Outcome> for Answer {
    fn from(o: Outcome) -> Self {
        Answer(o, None, i32::from(o.http_status()))
    }
}

fn clip(s: Option<&str>) -> Option<&str> {
    s.map(click::clip_header)
}

/// A country code from a geo header: two ASCII letters, uppercased; anything else is
/// not kept (a bad header must not fail a redirect).
fn country_code(c: Option<&str>) -> Option<String> {
    c.map(str::trim)
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

v1_function_info!(pg_finfo_shortlink_record_click);

v1_function_info!(pg_finfo_shortlink_peek_click);

/// `shortlink.record_click(code, domain, ip, user_agent, referer, country, password,
/// query)` (declared in sql/functions.sql): records one click of `code` and says where to
/// send the client, as one `shortlink.click_answer`.
///
/// A C function returning one composite value, not a set: a set-returning function is
/// called twice per row through fmgr and SECURITY DEFINER and builds its row type from
/// `pg_proc` at every call, work a click need not do (docs/internals.md, "One row value,
/// not a set").
///
/// # Safety
/// Called by fmgr with a valid `fcinfo` of the eight arguments the SQL declaration has.
#[unsafe(no_mangle)]
#[pg_guard]
pub unsafe extern "C-unwind" fn shortlink_record_click(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // A VOLATILE function sees what its own statement wrote before calling it, as a SQL
    // or PL/pgSQL function does: a link made earlier in the same statement
    // (`WITH l AS (SELECT * FROM shortlink.shorten(…)) SELECT shortlink.record_click(l.code)
    // FROM l`) is found. When the statement has written something, the command counter
    // moves past it and the click reads under a copy of the statement's snapshot that
    // counts it; the statement's own snapshot is left as it was. When it has written
    // nothing (a lone click), neither happens.
    // SAFETY: a transaction is open (we are called from SQL); CommandCounterIncrement is
    // what SPI does between the commands of a volatile function; the active snapshot is
    // read, and a copy of it pushed, only when one is set and popped before returning (an ERROR unwinds the
    // snapshot stack with the transaction or subtransaction). answer_call: as the caller
    // promises.
    unsafe {
        // The statement wrote since its snapshot was taken when the command counter has
        // moved past the snapshot's command (SPI moves it after each write; a direct write
        // leaves it used, and CommandCounterIncrement moves it then).
        let reread = pg_sys::ActiveSnapshotSet() && {
            pg_sys::CommandCounterIncrement();
            (*pg_sys::GetActiveSnapshot()).curcid != pg_sys::GetCurrentCommandId(false)
        };
        if reread {
            pg_sys::PushCopiedSnapshot(pg_sys::GetActiveSnapshot());
            pg_sys::UpdateActiveSnapshotCommandId();
        }
        let answer = answer_call(fcinfo, true);
        if reread {
            pg_sys::PopActiveSnapshot();
        }
        answer
    }
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
///
/// # Safety
/// `fcinfo` is the one fmgr passed to the calling C function, valid for the call.
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
                outcome.as_str().into_datum(),
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
    crate::error::raise(
        shortlink_core::Error::new(
            shortlink_core::Kind::ReadOnlyTransaction,
            "cannot record a click in a read-only transaction",
        )
        .with_detail("record_click counts the click and stores its event; this transaction cannot write (a hot standby, or transaction_read_only).")
        .with_hint("Call record_click on the primary. resolve, peek_click and link_card answer on standbys."),
    )
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

/// What Exotel's click callback says of its link beyond what a click reads anyway.
struct ExotelFacts {
    custom_field: Option<String>,
    expires_at: Option<i64>,
    created_at: i64,
}

struct Found {
    id: i64,
    url: String,
    tracking: bool,
    facts: LinkFacts,
    password_hash: Option<String>,
    forward_params: bool,
    expired_url: Option<String>,
    targets: Option<Vec<Option<String>>>,
    /// Read for a link whose callback_url takes Exotel's click callback (its first target).
    exotel: Option<ExotelFacts>,
    max_clicks: Option<i64>,
    /// The clicks an older shortlink (or one not preloaded) counted on the link's row;
    /// read only for a link with max_clicks or targets, 0 otherwise.
    on_row: i64,
}

/// The facts `decide` asks for, read or written when it asks: the password hash
/// checked, the user agent parsed (kept for the event), the click count read or taken.
struct ClickProbe<'a> {
    link: &'a Found,
    req: &'a Request<'a>,
    client: Option<useragent::ClientInfo>,
    /// The link's clicks with this one, when the click counter took it.
    taken: Option<i64>,
}

impl ClickProbe<'_> {
    fn client(&mut self) -> &useragent::ClientInfo {
        let req = self.req;
        self.client.get_or_insert_with(|| {
            let operator = bot_rules::current();
            // Repeated user agents (most of real traffic) are classified once per backend.
            useragent::parse_remembered(
                req.user_agent,
                operator.as_deref(),
                bot_rules::generation(),
            )
        })
    }

    /// The parsed user agent, parsed now if the decision did not need it.
    fn into_client(mut self) -> useragent::ClientInfo {
        self.client();
        self.client.unwrap_or(useragent::ClientInfo::UNKNOWN)
    }
}

impl Probe for ClickProbe<'_> {
    fn password_matches(&mut self) -> bool {
        match &self.link.password_hash {
            Some(phc) => self.req.password.is_some_and(|p| password::verify(p, phc)),
            None => true,
        }
    }

    fn is_bot(&mut self) -> bool {
        self.client().is_bot()
    }

    fn has_clicks_left(&mut self) -> bool {
        let link = self.link;
        // The counter, when the link has a slot there: its clicks in progress count too.
        if let (Some(max), true) = (link.max_clicks, click_counter::available()) {
            if let Some(taken) = click_counter::count(link.id, link.on_row, false) {
                return taken < max;
            }
        }
        let id = link.id;
        Spi::connect(|client| HAS_CLICKS_LEFT.select_one::<bool>(client, &[id.into()]))
            == Some(true)
    }

    fn take_limited_click(&mut self) -> LimitedClick {
        let link = self.link;
        if let (Some(max), true) = (link.max_clicks, click_counter::available()) {
            return match click_counter::take_limited(link.id, max, link.on_row) {
                Some(taken) => {
                    self.taken = Some(taken);
                    LimitedClick::Taken
                }
                None => LimitedClick::Exhausted,
            };
        }
        let id = link.id;
        let counted = Spi::connect_mut(|client| {
            COUNT_LIMITED.with_mut(client, |client, stmt| {
                !client
                    .update(stmt, None, &[id.into()])
                    .or_raise()
                    .is_empty()
            })
        });
        if counted {
            LimitedClick::OnLinkRow
        } else {
            LimitedClick::Exhausted
        }
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
    let found = link_row::find_for_click(domain, code, |row| {
        use ClickColumn as C;
        let expires_at: Option<i64> = row.get(C::ExpiresAt);
        // SAFETY: reads the transaction's start time, as now() does.
        let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
        let mut targets: Vec<Option<String>> = Vec::new();
        let mut exotel = None;
        if let Some(callback) = row.get::<String>(C::CallbackUrl) {
            targets.push(Some(callback));
            let format: Option<String> = row.get_attribute(crate::catalog::get().callback_format);
            if format.as_deref() == Some("exotel") {
                exotel = Some(ExotelFacts {
                    custom_field: row.get(C::CustomField),
                    expires_at,
                    created_at: row.get(C::CreatedAt).unwrap_or(0),
                });
            }
        }
        if let Some(hooks) = row.get::<Vec<Option<String>>>(C::WebhookUrls) {
            targets.extend(hooks.into_iter().filter(Option::is_some));
        }
        let password_hash: Option<String> = row.get(C::PasswordHash);
        let expired_url: Option<String> = row.get(C::ExpiredUrl);
        let max_clicks: Option<i64> = row.get(C::MaxClicks);
        // The last column: deformed only for the links whose clicks the counter counts.
        let on_row: i64 = if max_clicks.is_some() || !targets.is_empty() {
            row.get(C::LimitedClicks).unwrap_or(0)
        } else {
            0
        };
        Some(Found {
            id: row.get(C::Id)?,
            url: row.get(C::Url)?,
            tracking: row.get(C::Tracking).unwrap_or(true),
            facts: LinkFacts {
                password_protected: password_hash.is_some(),
                disabled: row.get(C::Disabled).unwrap_or(false),
                expired: expires_at.is_some_and(|at| at <= now),
                limited: max_clicks.is_some(),
                block_bots: row.get(C::BlockBots).unwrap_or(false),
                has_card: !(row.is_null(C::Title)
                    && row.is_null(C::Description)
                    && row.is_null(C::Image)),
                cloaked: row.get(C::Cloaked).unwrap_or(false),
                has_pixels: !(row.is_null(C::MetaPixelId) && row.is_null(C::GoogleTagId)),
                redirect_type: row
                    .get::<i16>(C::RedirectType)
                    .and_then(|t| u16::try_from(t).ok())
                    .unwrap_or(302),
                has_expired_url: expired_url.is_some(),
            },
            password_hash,
            forward_params: row.get(C::ForwardParams).unwrap_or(false),
            expired_url,
            targets: (!targets.is_empty()).then_some(targets),
            exotel,
            max_clicks,
            on_row,
        })
    });
    let Some(link) = found else {
        return Outcome::NotFound.into();
    };
    let mut probe = ClickProbe {
        link: &link,
        req,
        client: None,
        taken: None,
    };
    let Decision { answer, recorded } = click::decide(&link.facts, req.counting, &mut probe);
    let location = match answer.location {
        Location::None => None,
        Location::Destination => Some(location_of(&link, req)),
        Location::ExpiredUrl => link.expired_url.clone(),
    };
    let http_status = i32::from(answer.http_status);
    let Some(recorded) = recorded else {
        return Answer(answer.outcome, location, http_status);
    };
    let is_bot = recorded.is_bot;
    // The link's clicks with this one, for its event: taken against the limit, or from
    // the slot of a link with targets (a plain link's slot, if it has one, keeps count).
    let total = match probe.taken {
        Some(taken) => Some(taken),
        None if !click_counter::available() => None,
        None if is_bot => link
            .targets
            .as_ref()
            .and_then(|_| click_counter::count(link.id, link.on_row, true)),
        None => click_counter::take_unlimited(link.id, link.on_row, link.targets.is_some()),
    };
    if recorded.append {
        click_events::log_click(link.id, is_bot);
    }
    let client_info = probe.into_client();
    let location_text = location.as_deref().unwrap_or(&link.url);
    // What a link with tracking off keeps of the client: nothing of its address, so
    // neither the address nor the place it gives (the proxy's country is kept).
    let address = if link.tracking {
        req.ip.as_ref().and_then(click_events::address)
    } else {
        None
    };
    let place = address
        .and_then(geoip::place)
        .unwrap_or_default()
        .with_proxy_country(req.country.as_deref());
    let country = place.country.as_deref();
    let ip = address.map(click_events::stored_ip);
    if link.tracking {
        let visitor_hash = click_events::visitor_hash(address, req.user_agent);
        click_events::store_event(&click_events::Event {
            link_id: link.id,
            ip: ip.clone(),
            user_agent: req.user_agent,
            referer: req.referer,
            referer_host: click_events::referer_host(req.referer),
            location: location_text,
            is_bot,
            bot: client_info.bot.as_deref(),
            visitor_hash,
            device: Some(client_info.device),
            os: client_info.os.as_deref(),
            browser: client_info.browser.as_deref(),
            country,
            place: &place,
            os_version: client_info.os_version.as_deref(),
            device_model: client_info.device_model.as_deref(),
        });
    }
    if let Some(targets) = &link.targets {
        // The fields of Exotel's click callback, under the names of click_events
        // (README, "Webhooks"): a link with tracking off sends no address, user agent,
        // referer or place beyond the proxy's country.
        let payload = serde_json::json!({
            "event": "click",
            "code": code,
            "domain": domain,
            "short_url": shortlink_core::codes::short_url(domain, code),
            "long_url": location_text,
            "bot": is_bot,
            "bot_rule": client_info.bot,
            "ip": ip.as_ref().map(|i| i.0.clone()),
            "user_agent": if link.tracking { req.user_agent } else { None },
            "referer": if link.tracking { req.referer } else { None },
            "device": client_info.device,
            "device_model": client_info.device_model,
            "os": client_info.os,
            "os_version": client_info.os_version,
            "browser": client_info.browser,
            "country": country,
            "region": place.region,
            "city": place.city,
            "postal_code": place.postal_code,
            "accuracy_radius_km": place.accuracy_radius_km,
        });
        match &link.exotel {
            // The callback_url (the first target) takes Exotel's body; webhook_urls, if
            // any, shortlink's.
            Some(facts) => {
                let account = domain_lookup::workspace_name(domain);
                let short_url = shortlink_core::codes::short_url(domain, code);
                let body = exotel_callback::body(
                    &exotel_callback::Link {
                        id: link.id,
                        short_url: &short_url,
                        code,
                        long_url: location_text,
                        tracking: link.tracking,
                        custom_field: facts.custom_field.as_deref(),
                        expires_at: facts.expires_at,
                        created_at: facts.created_at,
                        account_sid: account.as_deref(),
                    },
                    &exotel_callback::Click {
                        city: place.city.as_deref(),
                        country,
                        ip: ip.as_ref().map(|i| i.0.as_str()),
                        postal_code: place.postal_code.as_deref(),
                        region: place.region.as_deref(),
                        accuracy_radius_km: place.accuracy_radius_km,
                        os_version: client_info.os_version.as_deref(),
                        os_name: client_info.os.as_deref(),
                        device_name: client_info.device_model.as_deref(),
                        platform_type: Some(client_info.device),
                    },
                );
                click_webhooks::queue(link.id, &targets[..1], body, total, Shape::Exotel);
                if targets.len() > 1 {
                    click_webhooks::queue(link.id, &targets[1..], payload, total, Shape::Shortlink);
                }
            }
            None => click_webhooks::queue(link.id, targets, payload, total, Shape::Shortlink),
        }
    }
    Answer(answer.outcome, location, http_status)
}

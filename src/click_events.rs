//! What a counted click leaves behind: its row in `shortlink.click_log`, where the link's
//! count comes from until `maintain()` adds it to the counter, and for a link with
//! tracking on, its event in the day partition of `shortlink.click_events`. Both are
//! appended straight to the heap and indexes (`direct_write::append`) where the tables are
//! as shortlink made them, by the executor otherwise.

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::catalog;
use crate::direct_write::append;
use crate::error::OrRaise;
use crate::{plan, settings};
use shortlink_core::{ipanon, visitor};
use shortlink_geoip::Place;

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
         is_bot, visitor_hash, device, os, browser, country, bot, region, city, postal_code,
         accuracy_radius_km, os_version, device_model)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    [
        INT8OID, INETOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID,
        TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID
    ]
);
// The same for the click_events of 0.1.0 (a new library before ALTER EXTENSION … UPDATE).
plan!(
    INSERT_EVENT_0_1,
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
/// The host of a referer URL, lowercased.
pub fn referer_host(referer: Option<&str>) -> Option<String> {
    url::Url::parse(referer?)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// The address of a click, as the proxy passed it (an `inet` of one host).
pub fn address(ip: &pgrx::Inet) -> Option<std::net::IpAddr> {
    // PostgreSQL's inet output always parses; should it not, keep no address rather than
    // one that was not anonymised.
    ip.0.split('/').next()?.parse().ok()
}

/// The address stored for a click: anonymised unless `shortlink.anonymize_ip` is off.
pub fn stored_ip(addr: std::net::IpAddr) -> pgrx::Inet {
    let kept = if settings::anonymize_ip() {
        ipanon::anonymize(addr)
    } else {
        addr
    };
    pgrx::Inet(kept.to_string())
}

/// The click event of a link with tracking on, as stored in shortlink.click_events.
pub struct Event<'a> {
    pub link_id: i64,
    pub ip: Option<pgrx::Inet>,
    pub user_agent: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub referer_host: Option<String>,
    pub location: &'a str,
    pub is_bot: bool,
    pub bot: Option<&'a str>,
    pub visitor_hash: Option<String>,
    pub device: Option<&'a str>,
    pub os: Option<&'a str>,
    pub browser: Option<&'a str>,
    pub country: Option<&'a str>,
    /// Region, city, postal code and accuracy from `shortlink.geoip_database`.
    pub place: &'a Place,
    pub os_version: Option<&'a str>,
    pub device_model: Option<&'a str>,
}

/// The transaction's start, which is `now()` and what clicks are stamped with.
pub fn click_time() -> i64 {
    // SAFETY: reads the transaction's start time, as now() does.
    unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }
}

/// Appends one click of link `id` to shortlink.click_log, where stats() counts it until
/// shortlink.maintain() adds it to the link's counter.
pub fn log_click(id: i64, is_bot: bool) {
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
    if unsafe { append::insert(catalog::get().log, &columns) } {
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
pub fn store_event(e: &Event<'_>) {
    let cat = catalog::get();
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
            let place = e.place;
            let columns: [append::Column<'_>; 21] = [
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
                (
                    c"region",
                    pg_sys::TEXTOID,
                    place.region.as_deref().into_datum(),
                ),
                (c"city", pg_sys::TEXTOID, place.city.as_deref().into_datum()),
                (
                    c"postal_code",
                    pg_sys::TEXTOID,
                    place.postal_code.as_deref().into_datum(),
                ),
                (
                    c"accuracy_radius_km",
                    pg_sys::INT4OID,
                    place.accuracy_radius_km.into_datum(),
                ),
                (c"os_version", pg_sys::TEXTOID, e.os_version.into_datum()),
                (
                    c"device_model",
                    pg_sys::TEXTOID,
                    e.device_model.into_datum(),
                ),
            ];
            // 0.1.0's table (not yet updated) has the first 15 of them.
            let given = if cat.events_described { 21 } else { 15 };
            append::insert(partition, &columns[..given])
        })
    };
    if stored {
        return;
    }
    let mut args: Vec<pgrx::datum::DatumWithOid<'_>> = vec![
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
    if !cat.events_described {
        Spi::connect_mut(|client| {
            INSERT_EVENT_0_1.with_mut(client, |client, stmt| {
                client.update(stmt, None, &args).or_raise();
            })
        });
        return;
    }
    args.extend([
        e.place.region.as_deref().into(),
        e.place.city.as_deref().into(),
        e.place.postal_code.as_deref().into(),
        e.place.accuracy_radius_km.into(),
        e.os_version.into(),
        e.device_model.into(),
    ]);
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
pub fn visitor_hash(address: Option<std::net::IpAddr>, user_agent: Option<&str>) -> Option<String> {
    if address.is_none() && user_agent.is_none() {
        return None;
    }
    let full_ip = address.map(|a| a.to_string());
    let full_ip = full_ip.as_deref();
    VISITOR_SALT_VALUE.with(|salt| {
        let salt = salt.get_or_init(|| {
            Spi::connect(|client| VISITOR_SALT.select_one::<String>(client, &[]))
                .unwrap_or_default()
        });
        visitor::hash(salt, full_ip, user_agent)
    })
}

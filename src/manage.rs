//! Link management: finding a link by code, and `update_link`. The read-mostly management
//! functions (get_link, list_links, click_stats, disable, enable, delete_link) are SQL in
//! `sql/manage.sql`, on top of `link_id`.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::options::{self, Expiry, LinkOptions, LinkType, Mode};
use shortlink_core::{destination, Error, Kind, Result};
use shortlink_password as password;

use crate::domains::{self, Destinations};
use crate::error::{required, OrRaise};
use crate::json_arg::{self, JsonbText};
use crate::link::Link;
use crate::privilege::Caller;
use crate::shorten;
use crate::{plan, settings};

plan!(
    LINK_ID,
    read,
    "SELECT id FROM shortlink.links WHERE domain = $1 AND code = $2",
    [TEXTOID, TEXTOID]
);
plan!(
    LOCK_LINK,
    write,
    "SELECT l.id, l.url, l.link_type, d.workspace_id
     FROM shortlink.links l JOIN shortlink.domains d ON d.domain = l.domain
     WHERE l.domain = $1 AND l.code = $2
     FOR UPDATE OF l",
    [TEXTOID, TEXTOID]
);
plan!(
    UPDATE_LINK,
    write,
    built crate::link_columns::update_link_sql,
    [INT8OID, TEXTOID, TEXTOID, FLOAT8OID, BOOLOID, JSONBOID, BOOLOID, TEXTOID]
);
// UPDATE_LINK on the 0.2.0 schema (before ALTER EXTENSION shortlink UPDATE).
plan!(
    UPDATE_LINK_0_2,
    write,
    built crate::link_columns::update_link_sql_0_2,
    [INT8OID, TEXTOID, TEXTOID, FLOAT8OID, BOOLOID, JSONBOID, BOOLOID, TEXTOID]
);

/// The id of the link `code` on `domain` (default `shortlink.default_domain`), or NULL.
#[pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
pub(crate) fn link_id(code: Option<&str>, domain: default!(Option<&str>, "NULL")) -> Option<i64> {
    let code = code?;
    let domain = domains::lookup_key(domain)?;
    Spi::connect(|client| LINK_ID.select_one(client, &[domain.into(), code.into()]))
}

/// The value of a timestamp filter of `list_links` (`name`: created_after or
/// created_before), read as `timestamptz` input is, under the session's TimeZone.
/// PostgreSQL's date/time parser (`ParseDateTime`, `DecodeDateTime`) returns its errors
/// rather than raising them, so a bad value is a 22023 naming the filter without catching
/// an error: no subtransaction.
#[pg_extern(stable, parallel_safe, strict)]
#[search_path(pg_catalog, pg_temp)]
fn filter_timestamp(name: &str, value: &str) -> TimestampWithTimeZone {
    let invalid = || -> ! {
        Err::<(), _>(
            Error::new(
                Kind::InvalidParameter,
                format!(
                    "invalid filter \"{name}\": must be an ISO 8601 timestamp, not \"{value}\""
                ),
            )
            .with_hint("For example \"2026-05-01\" or \"2026-05-01T12:00:00Z\"."),
        )
        .or_raise();
        unreachable!("or_raise raises")
    };
    let Ok(text) = std::ffi::CString::new(value) else {
        invalid()
    };
    const FIELDS: usize = pg_sys::MAXDATEFIELDS as usize;
    let mut workbuf = [0 as std::ffi::c_char; (pg_sys::MAXDATELEN as usize) + FIELDS];
    let mut field = [std::ptr::null_mut::<std::ffi::c_char>(); FIELDS];
    let mut ftype = [0 as std::ffi::c_int; FIELDS];
    let (mut nf, mut dtype, mut tz) = (0, 0, 0);
    let mut fsec: pg_sys::fsec_t = 0;
    // SAFETY: the buffers are the sizes passed (as timestamptz_in passes them); `tm` is
    // filled by DecodeDateTime before tm2timestamp reads it.
    let at = unsafe {
        let mut tm: pg_sys::pg_tm = std::mem::zeroed();
        let mut err = pg_sys::ParseDateTime(
            text.as_ptr(),
            workbuf.as_mut_ptr(),
            workbuf.len(),
            field.as_mut_ptr(),
            ftype.as_mut_ptr(),
            FIELDS as std::ffi::c_int,
            &mut nf,
        );
        if err == 0 {
            err = crate::pg_compat::decode_date_time(
                &text,
                field.as_mut_ptr(),
                ftype.as_mut_ptr(),
                nf,
                &mut dtype,
                &mut tm,
                &mut fsec,
                &mut tz,
            );
        }
        if err != 0 {
            invalid();
        }
        match dtype as u32 {
            pg_sys::DTK_DATE => {
                let mut at: pg_sys::Timestamp = 0;
                if pg_sys::tm2timestamp(&mut tm, fsec, &mut tz, &mut at) != 0 {
                    invalid();
                }
                at
            }
            pg_sys::DTK_EPOCH => pg_sys::SetEpochTimestamp(),
            pg_sys::DTK_LATE => i64::MAX,
            pg_sys::DTK_EARLY => i64::MIN,
            _ => invalid(),
        }
    };
    // SAFETY: a timestamptz datum is its microseconds since 2000-01-01 UTC.
    unsafe { TimestampWithTimeZone::from_datum(pg_sys::Datum::from(at), false) }
        .unwrap_or_else(|| invalid())
}

pub fn not_found(code: &str, domain: Option<&str>) -> Error {
    let domain =
        domains::lookup_key(domain).unwrap_or_else(|| domain.unwrap_or_default().to_owned());
    Error::new(
        Kind::NotFound,
        format!("link \"{code}\" not found on domain \"{domain}\""),
    )
}

/// The id of the link `code` on `domain` (default `shortlink.default_domain`), or P0002
/// with the message every function gives for a link that is not there.
#[pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn require_link(code: Option<&str>, domain: default!(Option<&str>, "NULL")) -> i64 {
    link_id(code, domain)
        .unwrap_or_else(|| crate::error::raise(not_found(code.unwrap_or("<NULL>"), domain)))
}

/// The short URL of `code` on `domain`, as shorten returns it (for the SQL functions
/// that list links, for every link they show). No pinned search_path: it
/// formats two strings and looks no name up, and a SET clause would cost each call a
/// configuration change and its undoing.
#[pg_extern(immutable, strict, parallel_safe)]
fn short_url(domain: &str, code: &str) -> String {
    shortlink_core::codes::short_url(domain, code)
}

/// Changes a link's destination or options; its code stays. `opts` takes shorten's
/// options and `url`; null clears an option that may be absent.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn update_link(
    code: Option<&str>,
    opts: Option<JsonbText>,
    domain: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(id, i64),
        name!(domain, String),
        name!(code, String),
        name!(short_url, String),
        name!(url, String),
        name!(created_at, TimestampWithTimeZone),
        name!(expires_at, Option<TimestampWithTimeZone>),
        name!(max_clicks, Option<i64>),
        name!(metadata, JsonB),
    ),
> {
    let code = code
        .ok_or_else(|| Error::new(Kind::InvalidParameter, "invalid code: must not be NULL"))
        .or_raise();
    let link = json_arg::parse_opts(opts)
        .and_then(|opts| update(code, &opts, domain))
        .or_raise();
    TableIterator::once(link.into_row())
}

fn update(code: &str, opts: &Value, domain_arg: Option<&str>) -> Result<Link> {
    crate::presented_key::require("links:write")?;
    let o = options::parse(opts, Mode::Update)?;
    let domain = domains::lookup_key(domain_arg).ok_or_else(|| not_found(code, domain_arg))?;
    let password_hash = match &o.password {
        Some(Some(p)) => Some(password::hash(p)?),
        _ => None,
    };
    // The option URLs are vetted before any row is touched; a new url once it is built.
    let dest = shorten::vet_destinations(None, &o)?;
    Spi::connect_mut(|client| {
        let caller = Caller::current(client);
        caller.as_owner(|| {
            update_as_owner(
                client,
                &caller,
                code,
                domain_arg,
                &domain,
                &o,
                &dest,
                password_hash.as_deref(),
            )
        })
    })
}

#[allow(clippy::too_many_arguments)]
fn update_as_owner(
    client: &mut pgrx::spi::SpiClient<'_>,
    caller: &Caller,
    code: &str,
    domain_arg: Option<&str>,
    domain: &str,
    o: &LinkOptions,
    dest: &Destinations,
    password_hash: Option<&str>,
) -> Result<Link> {
    {
        let current = LOCK_LINK.with_mut(client, |client, stmt| {
            let t = client
                .update(stmt, Some(1), &[domain.into(), code.into()])
                .or_raise();
            if t.is_empty() {
                return None;
            }
            let t = t.first();
            Some((
                required(t.get::<i64>(1).or_raise(), "links.id"),
                required(t.get::<String>(2).or_raise(), "links.url"),
                required(t.get::<String>(3).or_raise(), "links.link_type"),
                required(t.get::<i32>(4).or_raise(), "domains.workspace_id"),
            ))
        });
        // A link of another workspace is not found, as for every other function.
        // So is one outside a presented key's domains, or not its own to a key restricted
        // to its own links.
        let (id, url, link_type, _) = current
            .filter(|(_, _, _, ws)| caller.sees_domain(*ws, domain))
            .filter(|(id, _, _, _)| {
                caller
                    .key()
                    .is_none_or(|k| crate::presented_key::may_act_on_link(client, k, *id, domain))
            })
            .ok_or_else(|| not_found(code, domain_arg))?;
        let current_type = LinkType::parse(&link_type).unwrap_or(LinkType::Url);
        let new_url = if o.url.is_some()
            || !o.utm.is_empty()
            || o.link_type.is_some_and(|t| t != current_type)
        {
            let raw = o.url.as_deref().unwrap_or(&url);
            Some(destination::build(
                Some(raw),
                o.link_type.unwrap_or(current_type),
                o.template_vars.as_ref(),
                &[("link.code", code), ("link.domain", domain)],
                &o.utm,
            )?)
        } else {
            None
        };
        let mut vetted = dest.0.clone();
        if let Some(u) = &new_url {
            destination::check_public_host("url", u, settings::allow_private_destinations())?;
            vetted.push(("url", u.clone()));
        }
        domains::vet_hosts(client, &Destinations(vetted))?;
        let (expiry_set, expires_at, expire_in) = match &o.expiry {
            None => (false, None, None),
            Some(None) => (true, None, None),
            Some(Some(Expiry::In(s))) => (true, None, Some(*s)),
            Some(Some(Expiry::At(at))) => {
                shorten::check_future(client, at)?;
                (true, Some(at.clone()), None)
            }
        };
        let columns = Value::Object(o.columns.clone());
        let plan = if shorten::schema_updated(&columns)? {
            &UPDATE_LINK
        } else {
            &UPDATE_LINK_0_2
        };
        let row = plan.with_mut(client, |client, stmt| {
            let t = client
                .update(
                    stmt,
                    None,
                    &[
                        id.into(),
                        new_url.as_deref().into(),
                        expires_at.as_deref().into(),
                        expire_in.into(),
                        expiry_set.into(),
                        JsonB(columns.clone()).into(),
                        o.password.is_some().into(),
                        password_hash.into(),
                    ],
                )
                .or_raise();
            let t = t.first();
            Link {
                id: required(t.get(1).or_raise(), "links.id"),
                domain: required(t.get(2).or_raise(), "links.domain"),
                code: required(t.get(3).or_raise(), "links.code"),
                url: required(t.get(4).or_raise(), "links.url"),
                created_at: required(t.get(5).or_raise(), "links.created_at"),
                expires_at: t.get(6).or_raise(),
                max_clicks: t.get(7).or_raise(),
                metadata: required(t.get::<JsonB>(8).or_raise(), "links.metadata").0,
                tid: required(t.get(9).or_raise(), "links.ctid"),
            }
        });
        Ok(row)
    }
}

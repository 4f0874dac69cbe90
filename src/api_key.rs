//! Making, changing and revoking API keys (`create_api_key`, `update_api_key`,
//! `revoke_api_key`), following privilege.rs: the caller's rights are read as the caller,
//! the rows written as the owner. The key a transaction presents is presented_key.rs.

use pgrx::prelude::*;
use serde_json::Value;
use shortlink_core::api_key::{self, SCOPES};
use shortlink_core::destination::normalize_domain;
use shortlink_core::{Error, Kind, Result};

use crate::error::{required, OrRaise};
use crate::json_arg::{self, JsonbText};
use crate::plan;
use crate::presented_key::{presented, Presented};

// ---- Key management -------------------------------------------------------------------

/// The options of create_api_key and update_api_key. Outer None: not given; inner None:
/// given as null (update: cleared).
#[derive(Default)]
struct KeyOpts {
    name: Option<String>,
    scopes: Option<Vec<String>>,
    domains: Option<Option<Vec<String>>>,
    own_links_only: Option<bool>,
    rate_limit: Option<Option<i32>>,
    expires_at: Option<Option<String>>,
    expire_in: Option<f64>,
}

const CREATE_OPTIONS: &str = "scopes, domains, own_links_only, rate_limit, expires_at, expire_in";
const UPDATE_OPTIONS: &str = "name, scopes, domains, rate_limit, expires_at, expire_in";

fn strings(key: &str, v: &Value, what: &str) -> Result<Vec<String>> {
    let bad = || Error::option(key, format!("must be a JSON array of {what}"));
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|s| s.as_str().map(str::to_owned).ok_or_else(bad))
        .collect()
}

fn parse_key_opts(opts: Value, update: bool) -> Result<KeyOpts> {
    let known = if update {
        UPDATE_OPTIONS
    } else {
        CREATE_OPTIONS
    };
    let mut o = KeyOpts::default();
    let map = match opts {
        Value::Null => return Ok(o),
        Value::Object(m) => m,
        _ => {
            return Err(Error::new(
                Kind::InvalidParameter,
                "invalid options: must be a JSON object",
            ))
        }
    };
    for (k, v) in map {
        match (k.as_str(), v) {
            ("name", Value::String(s)) if update => o.name = Some(s),
            ("name", _) if update => return Err(Error::option("name", "must be a string")),
            ("scopes", v) => {
                o.scopes = Some(api_key::check_scopes(
                    "scopes",
                    &strings("scopes", &v, "scope names")?,
                )?)
            }
            ("domains", Value::Null) => o.domains = Some(None),
            ("domains", v) => {
                let mut names = Vec::new();
                for d in strings("domains", &v, "domain names")? {
                    let n = normalize_domain(&d).map_err(|_| {
                        Error::option("domains", format!("\"{d}\" is not a domain name"))
                    })?;
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                if names.is_empty() {
                    return Err(Error::option(
                        "domains",
                        "must name at least one domain (null: every domain of the workspace)",
                    ));
                }
                o.domains = Some(Some(names));
            }
            ("own_links_only", Value::Bool(b)) if !update => o.own_links_only = Some(b),
            ("own_links_only", _) if !update => {
                return Err(Error::option("own_links_only", "must be true or false"))
            }
            ("rate_limit", Value::Null) => o.rate_limit = Some(None),
            ("rate_limit", v) => {
                let n = v
                    .as_i64()
                    .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
                    .ok_or_else(|| {
                        Error::option(
                            "rate_limit",
                            "must be a whole number of requests per minute, at least 1",
                        )
                    })?;
                o.rate_limit = Some(Some(n as i32));
            }
            ("expires_at", Value::Null) => o.expires_at = Some(None),
            ("expires_at", Value::String(s)) => {
                if !shortlink_core::timestamp::is_iso8601(&s) {
                    return Err(Error::option(
                        "expires_at",
                        format!("must be an ISO 8601 timestamp such as 2030-01-31T12:00:00Z, not \"{s}\""),
                    ));
                }
                o.expires_at = Some(Some(s));
            }
            ("expires_at", _) => {
                return Err(Error::option(
                    "expires_at",
                    "must be an ISO 8601 timestamp string",
                ))
            }
            ("expire_in", v) => {
                let secs = v
                    .as_f64()
                    .filter(|s| *s > 0.0 && s.is_finite())
                    .ok_or_else(|| {
                        Error::option("expire_in", "must be a positive number of seconds")
                    })?;
                o.expire_in = Some(secs);
            }
            (other, _) => {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("unknown option \"{other}\""),
                )
                .with_hint(format!("Known options: {known}.")))
            }
        }
    }
    if o.expire_in.is_some() && o.expires_at.is_some() {
        return Err(Error::option(
            "expire_in",
            "cannot be combined with \"expires_at\"",
        ));
    }
    Ok(o)
}

fn check_name(name: &str) -> Result<()> {
    let n = name.chars().count();
    if (1..=100).contains(&n) {
        Ok(())
    } else {
        Err(Error::new(
            Kind::InvalidParameter,
            format!("invalid name: must be 1 to 100 characters, not {n}"),
        ))
    }
}

/// What a key managing keys may give: no scope it lacks, no domain outside its own, and
/// no key that is not restricted to its own links when it is.
fn within(
    by: &Presented,
    scopes: &[String],
    domains: &Option<Vec<String>>,
    own: bool,
) -> Result<()> {
    if let Some(s) = scopes.iter().find(|s| !by.has(s)) {
        return Err(Error::new(
            Kind::InsufficientPrivilege,
            format!(
                "API key \"sl_{}\" cannot grant scope \"{s}\": it lacks it",
                by.prefix
            ),
        ));
    }
    if let Some(mine) = &by.domains {
        let outside = match domains {
            None => Some("every domain".to_owned()),
            Some(d) => d
                .iter()
                .find(|d| !mine.contains(d))
                .map(|d| format!("domain \"{d}\"")),
        };
        if let Some(o) = outside {
            return Err(Error::new(
                Kind::InsufficientPrivilege,
                format!(
                    "API key \"sl_{}\" cannot grant {o}: it is restricted to {}",
                    by.prefix,
                    mine.join(", ")
                ),
            ));
        }
    }
    if by.own_links_only && !own {
        return Err(Error::new(
            Kind::InsufficientPrivilege,
            format!(
                "API key \"sl_{}\" is restricted to its own links and can only make keys that are",
                by.prefix
            ),
        ));
    }
    Ok(())
}

fn not_granted(workspace: &str) -> Error {
    Error::new(
        Kind::InvalidParameter,
        format!("workspace \"{workspace}\" does not exist or is not granted to the caller"),
    )
}

plan!(
    WORKSPACE_GRANTED,
    read,
    "SELECT shortlink.workspace_granted($1)",
    [TEXTOID]
);
plan!(
    WORKSPACE_BY_NAME,
    read,
    "SELECT id FROM shortlink.workspaces WHERE name = $1",
    [TEXTOID]
);
plan!(
    UNREGISTERED_DOMAINS,
    read,
    "SELECT ARRAY(SELECT d FROM unnest($2::text[]) d
                  WHERE NOT EXISTS (SELECT 1 FROM shortlink.domains x
                                    WHERE x.domain = d AND x.workspace_id = $1))",
    [INT4OID, TEXTARRAYOID]
);
plan!(
    INSERT_KEY,
    write,
    "INSERT INTO shortlink.api_keys (workspace_id, name, prefix, secret_hash, scopes, domains,
                                     own_links_only, rate_limit, expires_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
             CASE WHEN $10 IS NOT NULL THEN now() + make_interval(secs => $10) ELSE $9::timestamptz END,
             $11)
     ON CONFLICT DO NOTHING
     RETURNING id, expires_at, created_at",
    [INT4OID, TEXTOID, TEXTOID, BYTEAOID, TEXTARRAYOID, TEXTARRAYOID, BOOLOID, INT4OID, TEXTOID, FLOAT8OID, TEXTOID]
);
// A key as its manager sees it: as the caller, under row-level security (the policy
// shows the keys of the caller's workspaces, to a presented key with keys:manage).
plan!(
    VISIBLE_KEY,
    read,
    "SELECT k.id, k.workspace_id, k.name, k.scopes, k.domains, k.own_links_only,
            k.rate_limit, k.expires_at, k.revoked_at IS NOT NULL
     FROM shortlink.api_keys k WHERE k.id = $1",
    [INT8OID]
);
plan!(
    REVOKE_KEY,
    write,
    "UPDATE shortlink.api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
     RETURNING id",
    [INT8OID]
);
plan!(
    UPDATE_KEY,
    write,
    "UPDATE shortlink.api_keys k
     SET name = $2, scopes = $3, domains = $4, rate_limit = $5,
         expires_at = CASE WHEN NOT $8 THEN k.expires_at
                           WHEN $7 IS NOT NULL THEN now() + make_interval(secs => $7)
                           ELSE $6::timestamptz END
     FROM shortlink.workspaces w
     WHERE k.id = $1 AND w.id = k.workspace_id
     RETURNING k.id, k.prefix, k.name, w.name, k.scopes, k.domains, k.own_links_only,
               k.rate_limit, k.expires_at, k.created_at, k.revoked_at",
    [
        INT8OID,
        TEXTOID,
        TEXTARRAYOID,
        TEXTARRAYOID,
        INT4OID,
        TEXTOID,
        FLOAT8OID,
        BOOLOID
    ]
);

/// The current role's name, for `created_by`.
fn current_role_name() -> String {
    // SAFETY: GetUserId is the current role, which exists; the name is palloc'd.
    unsafe {
        let name = pg_sys::GetUserNameFromId(pg_sys::GetUserId(), false);
        std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned()
    }
}

/// The registered domains of `workspace_id` among `domains`, or 22023 naming one that is
/// not (as the owner: a domain of another workspace reads as unregistered).
fn check_domains(
    client: &pgrx::spi::SpiClient<'_>,
    workspace_id: i32,
    domains: &Option<Vec<String>>,
) -> Result<()> {
    let Some(d) = domains else { return Ok(()) };
    let missing: Vec<String> = UNREGISTERED_DOMAINS
        .select_one(client, &[workspace_id.into(), d.clone().into()])
        .unwrap_or_default();
    match missing.first() {
        Some(m) => Err(Error::option(
            "domains",
            format!("domain \"{m}\" is not registered in the workspace"),
        )
        .with_hint("Register it first with shortlink.add_domain().")),
        None => Ok(()),
    }
}

/// Creates an API key for `workspace`. The secret is in the row returned, and nowhere
/// else, ever: only its SHA-256 is stored.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn create_api_key(
    workspace: Option<&str>,
    name: Option<&str>,
    opts: default!(Option<JsonbText>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(id, i64),
        name!(prefix, String),
        name!(secret, String),
        name!(name, String),
        name!(workspace, String),
        name!(scopes, Vec<String>),
        name!(domains, Option<Vec<String>>),
        name!(own_links_only, bool),
        name!(rate_limit, Option<i32>),
        name!(expires_at, Option<TimestampWithTimeZone>),
        name!(created_at, TimestampWithTimeZone),
    ),
> {
    let o = json_arg::parse_opts(opts)
        .and_then(|v| parse_key_opts(v, false))
        .or_raise();
    let workspace = workspace.unwrap_or_default();
    let name = name.unwrap_or_default();
    check_name(name).or_raise();
    let by = presented();
    if let Some(k) = &by {
        k.require("keys:manage").or_raise();
    }
    let scopes = o
        .scopes
        .clone()
        .unwrap_or_else(|| SCOPES.iter().map(|s| (*s).to_owned()).collect());
    // A restricted key makes restricted keys: its domains and own_links_only by default.
    let domains = match (&o.domains, &by) {
        (Some(d), _) => d.clone(),
        (None, Some(k)) => k.domains.clone(),
        (None, None) => None,
    };
    let own = o
        .own_links_only
        .unwrap_or_else(|| by.as_ref().is_some_and(|k| k.own_links_only));
    if let Some(k) = &by {
        within(k, &scopes, &domains, own).or_raise();
    }
    let created_by = match &by {
        Some(k) => format!("key {}", k.prefix),
        None => current_role_name(),
    };
    let row = Spi::connect_mut(|client| {
        let caller = crate::privilege::Caller::current(client);
        let granted = by.is_some()
            || WORKSPACE_GRANTED.select_one::<bool>(client, &[workspace.into()]) == Some(true);
        caller.as_owner(|| -> Result<_> {
            let id = WORKSPACE_BY_NAME
                .select_one::<i32>(client, &[workspace.into()])
                .filter(|id| granted && by.as_ref().is_none_or(|k| k.workspace_id == *id))
                .ok_or_else(|| not_granted(workspace))?;
            check_domains(client, id, &domains)?;
            if let Some(Some(at)) = &o.expires_at {
                crate::shorten::check_future(client, at)?;
            }
            // A prefix drawn twice (about 1 in 2e14 per pair) is refused by its unique
            // index: draw again.
            for _ in 0..5 {
                let key = api_key::generate()?;
                let hash = api_key::hash(&key.secret).to_vec();
                let made = INSERT_KEY.with_mut(client, |client, stmt| {
                    let t = client
                        .update(
                            stmt,
                            None,
                            &[
                                id.into(),
                                name.into(),
                                key.prefix.as_str().into(),
                                hash.into(),
                                scopes.clone().into(),
                                domains.clone().into(),
                                own.into(),
                                o.rate_limit.flatten().into(),
                                o.expires_at.clone().flatten().into(),
                                o.expire_in.into(),
                                created_by.as_str().into(),
                            ],
                        )
                        .or_raise();
                    (!t.is_empty()).then(|| {
                        let t = t.first();
                        (
                            required(t.get::<i64>(1).or_raise(), "api_keys.id"),
                            t.get::<TimestampWithTimeZone>(2).or_raise(),
                            required(t.get::<TimestampWithTimeZone>(3).or_raise(), "created_at"),
                        )
                    })
                });
                if let Some((key_id, expires_at, created_at)) = made {
                    return Ok((
                        key_id,
                        key.prefix,
                        key.secret,
                        name.to_owned(),
                        workspace.to_owned(),
                        scopes.clone(),
                        domains.clone(),
                        own,
                        o.rate_limit.flatten(),
                        expires_at,
                        created_at,
                    ));
                }
            }
            Err(Error::new(
                Kind::Internal,
                "could not draw an unused API key prefix in 5 attempts",
            ))
        })
    })
    .or_raise();
    TableIterator::once(row)
}

/// A key the caller manages: visible to it (row-level security), and, for a presented
/// key, no broader than that key. (workspace_id, name, scopes, domains, own_links_only,
/// rate_limit, revoked)
type Managed = (
    i32,
    String,
    Vec<String>,
    Option<Vec<String>>,
    bool,
    Option<i32>,
    bool,
);

fn managed_key(client: &pgrx::spi::SpiClient<'_>, id: i64) -> Result<Managed> {
    let by = presented();
    if let Some(k) = &by {
        k.require("keys:manage")?;
    }
    let row = VISIBLE_KEY
        .select_row(client, &[id.into()], |t| {
            (
                required(t.get::<i32>(2).or_raise(), "api_keys.workspace_id"),
                required(t.get::<String>(3).or_raise(), "api_keys.name"),
                required(t.get::<Vec<String>>(4).or_raise(), "api_keys.scopes"),
                t.get::<Vec<String>>(5).or_raise(),
                required(t.get::<bool>(6).or_raise(), "api_keys.own_links_only"),
                t.get::<i32>(7).or_raise(),
                required(t.get::<bool>(9).or_raise(), "revoked"),
            )
        })
        .ok_or_else(|| Error::new(Kind::NotFound, format!("API key {id} not found")))?;
    if let Some(k) = &by {
        // A key manages only keys no broader than itself.
        within(k, &row.2, &row.3, row.4)?;
    }
    Ok(row)
}

/// Revokes key `id`: from the next transaction on, `api_begin` refuses it. false when it
/// was revoked already; P0002 when the caller does not see it.
#[pg_extern(volatile, parallel_unsafe, strict)]
#[search_path(pg_catalog, pg_temp)]
fn revoke_api_key(id: i64) -> bool {
    Spi::connect_mut(|client| {
        managed_key(client, id).or_raise();
        let caller = crate::privilege::Caller::current(client);
        caller.as_owner(|| {
            REVOKE_KEY.with_mut(client, |client, stmt| {
                !client
                    .update(stmt, None, &[id.into()])
                    .or_raise()
                    .is_empty()
            })
        })
    })
}

/// Changes key `id`'s name, scopes, domains, rate_limit or expiry (null clears the last
/// three), by the rules of create_api_key.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn update_api_key(
    id: Option<i64>,
    opts: Option<JsonbText>,
) -> TableIterator<
    'static,
    (
        name!(id, i64),
        name!(prefix, String),
        name!(name, String),
        name!(workspace, String),
        name!(scopes, Vec<String>),
        name!(domains, Option<Vec<String>>),
        name!(own_links_only, bool),
        name!(rate_limit, Option<i32>),
        name!(expires_at, Option<TimestampWithTimeZone>),
        name!(created_at, TimestampWithTimeZone),
        name!(revoked_at, Option<TimestampWithTimeZone>),
    ),
> {
    let id = id.unwrap_or_default();
    let o = json_arg::parse_opts(opts)
        .and_then(|v| parse_key_opts(v, true))
        .or_raise();
    if let Some(n) = &o.name {
        check_name(n).or_raise();
    }
    let row = Spi::connect_mut(|client| -> Result<_> {
        let (ws, name, scopes, domains, own, rate, _) = managed_key(client, id)?;
        let name = o.name.clone().unwrap_or(name);
        let scopes = o.scopes.clone().unwrap_or(scopes);
        let domains = o.domains.clone().unwrap_or(domains);
        let rate = o.rate_limit.unwrap_or(rate);
        if let Some(k) = presented() {
            within(&k, &scopes, &domains, own)?;
        }
        let caller = crate::privilege::Caller::current(client);
        caller.as_owner(|| {
            check_domains(client, ws, &domains)?;
            if let Some(Some(at)) = &o.expires_at {
                crate::shorten::check_future(client, at)?;
            }
            let expiry_set = o.expires_at.is_some() || o.expire_in.is_some();
            Ok(UPDATE_KEY.with_mut(client, |client, stmt| {
                let t = client
                    .update(
                        stmt,
                        None,
                        &[
                            id.into(),
                            name.as_str().into(),
                            scopes.clone().into(),
                            domains.clone().into(),
                            rate.into(),
                            o.expires_at.clone().flatten().into(),
                            o.expire_in.into(),
                            expiry_set.into(),
                        ],
                    )
                    .or_raise();
                let t = t.first();
                (
                    required(t.get::<i64>(1).or_raise(), "api_keys.id"),
                    required(t.get::<String>(2).or_raise(), "api_keys.prefix"),
                    required(t.get::<String>(3).or_raise(), "api_keys.name"),
                    required(t.get::<String>(4).or_raise(), "workspaces.name"),
                    required(t.get::<Vec<String>>(5).or_raise(), "api_keys.scopes"),
                    t.get::<Vec<String>>(6).or_raise(),
                    required(t.get::<bool>(7).or_raise(), "api_keys.own_links_only"),
                    t.get::<i32>(8).or_raise(),
                    t.get::<TimestampWithTimeZone>(9).or_raise(),
                    required(t.get::<TimestampWithTimeZone>(10).or_raise(), "created_at"),
                    t.get::<TimestampWithTimeZone>(11).or_raise(),
                )
            }))
        })
    })
    .or_raise();
    TableIterator::once(row)
}

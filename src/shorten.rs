//! Creating links: `shortlink.shorten`. Collision retry goes through the unique index
//! with `INSERT … ON CONFLICT DO NOTHING`: no subtransaction, no caught error, one
//! transaction id per call whatever the retries.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::codes::Growth;
use shortlink_core::options::{self, Expiry, LinkOptions, LinkType, Mode};
use shortlink_core::{destination, template, Error, Kind, Result};
use shortlink_password as password;

use crate::direct_write::plain_link;
use crate::domains::{self, Destinations};
use crate::error::{required, OrRaise};
use crate::json_arg::{self, JsonbText};
use crate::link::Link;
use crate::privilege::Caller;
use crate::{existing_link, plan, row_value, settings};

plan!(
    INSERT_LINK,
    write,
    built crate::link_columns::insert_link_sql,
    [TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, JSONBOID, TEXTOID]
);
// INSERT_LINK on the 0.2.0 schema (before ALTER EXTENSION shortlink UPDATE).
plan!(
    INSERT_LINK_0_2,
    write,
    built crate::link_columns::insert_link_sql_0_2,
    [TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, JSONBOID, TEXTOID]
);
// INSERT_LINK for a link without column options (the common, campaign case): no
// jsonb_populate_record to set up and run per link.
plan!(
    INSERT_PLAIN_LINK,
    write,
    "INSERT INTO shortlink.links (domain, code, url, expires_at, password_hash)
     VALUES ($1, $2, $3,
             CASE WHEN $5 IS NOT NULL THEN now() + make_interval(secs => $5) ELSE $4::timestamptz END,
             $6)
     ON CONFLICT (domain, code) DO NOTHING
     RETURNING id, created_at, expires_at, ctid",
    [TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, TEXTOID]
);
plan!(IS_FUTURE, read, "SELECT $1::timestamptz > now()", [TEXTOID]);

v1_function_info!(pg_finfo_shortlink_shorten);

static SHORTEN: row_value::Declaration = row_value::Declaration {
    name: "shortlink.shorten",
    signature: "(url text, opts jsonb) RETURNS shortlink.short_link (id bigint, domain text, code text, short_url text, url text, created_at timestamptz, expires_at timestamptz, max_clicks bigint, metadata jsonb)",
    nargs: 2,
    attributes: &[
        pg_sys::INT8OID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TIMESTAMPTZOID,
        pg_sys::TIMESTAMPTZOID,
        pg_sys::INT8OID,
        pg_sys::JSONBOID,
    ],
};

/// `shortlink.shorten(url text, opts jsonb DEFAULT '{}')` (declared in
/// sql/functions.sql): creates a short link to `url` and returns it as one
/// `shortlink.short_link`. See docs/reference.md for every option of `opts`.
///
/// A C function returning one row value (src/row_value.rs), not a set-returning function.
/// No `SET search_path`: fmgr's SET path (a GUC nest level, the path parsed and the
/// namespace cache rebuilt on every call) would be paid by every row of a campaign
/// `INSERT … SELECT shorten()` (docs/security.md, "No hijacking"). Nothing here looks a
/// name up through `search_path`: the statements are kept plans that pin their own
/// (src/plans.rs), the direct insert binds everything by oid (src/direct_write/link_insert.rs);
/// 10_hijack runs both paths under an attacker's path.
///
/// # Safety
/// Called by fmgr with a valid `fcinfo` of the two arguments the SQL declaration has.
#[unsafe(no_mangle)]
#[pg_guard]
pub unsafe extern "C-unwind" fn shortlink_shorten(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: fmgr passes the declared arguments (checked): text and jsonb, NULL as None;
    // the row's datums are its attributes' types and live through the call.
    unsafe {
        SHORTEN.check_args(fcinfo);
        let url = pgrx::fcinfo::pg_getarg::<&str>(fcinfo, 0);
        let opts = pgrx::fcinfo::pg_getarg::<JsonbText>(fcinfo, 1);
        let link = json_arg::parse_opts(opts)
            .and_then(|opts| options::parse(&opts, Mode::Create))
            .and_then(|o| create(url, &o))
            .or_raise();
        let short_url = link.short_url();
        SHORTEN.row(
            fcinfo,
            &[
                link.id.into_datum(),
                link.domain.into_datum(),
                link.code.into_datum(),
                short_url.into_datum(),
                link.url.into_datum(),
                link.created_at.into_datum(),
                link.expires_at.into_datum(),
                link.max_clicks.into_datum(),
                JsonB(link.metadata).into_datum(),
            ],
        )
    }
}

/// Whether links has the columns of this library's schema (0.3.0's): false on the 0.2.0
/// schema, which this library serves until `ALTER EXTENSION shortlink UPDATE`, unless
/// `columns` (the stored options given) names one of the newer columns: an error then.
pub fn schema_updated(columns: &serde_json::Value) -> Result<bool> {
    if crate::catalog::get().callback_format > 0 {
        return Ok(true);
    }
    match shortlink_core::fields::NEWER_COLUMNS
        .iter()
        .find(|c| columns.get(**c).is_some())
    {
        Some(c) => Err(crate::catalog::not_updated(c)),
        None => Ok(false),
    }
}

/// Checks an `expires_at` option against the clock: it must lie in the future.
pub fn check_future(client: &pgrx::spi::SpiClient<'_>, at: &str) -> Result<()> {
    let future = IS_FUTURE.select_one::<bool>(client, &[at.into()]);
    if future == Some(true) {
        Ok(())
    } else {
        Err(Error::option(
            "expires_at",
            format!("must be in the future, not {at}"),
        ))
    }
}

/// Validates and inserts one link. Every input error comes back as an `Error`, never as
/// a PostgreSQL ERROR, so a batch can report it and go on.
pub fn create(url: Option<&str>, o: &LinkOptions) -> Result<Link> {
    let raw = url.or(o.url.as_deref());
    let link_type = o.link_type.unwrap_or(LinkType::Url);
    let build = |domain: &str, code: &str| {
        destination::build(
            raw,
            link_type,
            o.template_vars.as_ref(),
            &[("link.code", code), ("link.domain", domain)],
            &o.utm,
        )
    };
    // Input errors first, before any row is touched. Without macros the destination does
    // not depend on the code, so it is built once, not once per collision retry.
    let fixed = build("localhost", "code")?;
    let fixed = (!raw.is_some_and(template::has_macros)).then_some(fixed);
    let dest_for = |domain: &str, code: &str| match &fixed {
        Some(url) => Ok(url.clone()),
        None => build(domain, code),
    };
    let password_hash = match &o.password {
        Some(Some(p)) => Some(password::hash(p)?),
        _ => None,
    };
    let dest = vet_destinations(fixed.as_deref(), o)?;
    // A static read, no statement: the plain path stays free of SQL.
    crate::presented_key::require("links:write")?;
    Spi::connect_mut(|client| {
        let caller = Caller::current(client);
        caller.as_owner(|| {
            let link = insert_link(
                client,
                &caller,
                o,
                &dest,
                &dest_for,
                fixed.is_none(),
                password_hash.as_deref(),
            )?;
            if let Some(k) = caller.key().filter(|k| k.own_links_only) {
                crate::presented_key::record_links(client, k.key_id, vec![link.id]);
            }
            Ok(link)
        })
    })
}

/// The destinations of a new or changed link, checked against the private-address rule;
/// `url` is the link's destination when it is known before its code.
pub fn vet_destinations(url: Option<&str>, o: &LinkOptions) -> Result<Destinations> {
    let allow_private = settings::allow_private_destinations();
    let mut all: Vec<(&'static str, String)> = Vec::new();
    if let Some(u) = url {
        all.push(("url", u.to_owned()));
    }
    all.extend(o.destinations());
    for (field, u) in &all {
        destination::check_public_host(field, u, allow_private)?;
    }
    Ok(Destinations(all))
}

/// Inserts the link, as the owner of shortlink's tables, on a domain of the caller's.
fn insert_link(
    client: &mut pgrx::spi::SpiClient<'_>,
    caller: &Caller,
    o: &LinkOptions,
    dest: &Destinations,
    dest_for: &dyn Fn(&str, &str) -> Result<String>,
    macro_url: bool,
    password_hash: Option<&str>,
) -> Result<Link> {
    {
        let domain = domains::for_new_link(client, o.domain.as_deref(), caller, dest)?;
        let (expires_at, expire_in) = match &o.expiry {
            Some(Some(Expiry::In(secs))) => (None, Some(*secs)),
            Some(Some(Expiry::At(at))) => {
                check_future(client, at)?;
                (Some(at.clone()), None)
            }
            _ => (None, None),
        };
        let columns = Value::Object(o.columns.clone());
        // `generated`: the code is a random one, which a race may lose (src/direct_write/link_insert.rs).
        let mut insert = |code: &str, generated: bool| -> Result<Option<Link>> {
            let url = dest_for(&domain, code)?;
            if macro_url {
                // A URL with macros is known only now: vet it like the others.
                destination::check_public_host(
                    "url",
                    &url,
                    settings::allow_private_destinations(),
                )?;
                domains::vet_hosts(client, &Destinations(vec![("url", url.clone())]))?;
            }
            let plain = o.columns.is_empty();
            if generated && plain && expires_at.is_none() {
                // No probe for a taken code first, unlike `INSERT … ON CONFLICT`'s: a random
                // code is almost never taken, and when it is, the speculative insert finds
                // it and goes back (a dead row, a used identity value), so the probe would
                // be an index descent per link spent on the rare case.
                match plain_link::insert(&domain, code, &url, expire_in, password_hash) {
                    Some(plain_link::Direct::Made {
                        id,
                        created_at,
                        expires_at,
                        tid,
                    }) => {
                        return Ok(Some(Link {
                            id,
                            domain: domain.clone(),
                            code: code.to_owned(),
                            url,
                            created_at,
                            expires_at,
                            max_clicks: None,
                            metadata: Value::Object(serde_json::Map::new()),
                            tid,
                        }))
                    }
                    Some(plain_link::Direct::Taken) => return Ok(None),
                    None => {}
                }
            }
            let mut args: Vec<pgrx::datum::DatumWithOid<'_>> = vec![
                domain.as_str().into(),
                code.into(),
                url.as_str().into(),
                expires_at.as_deref().into(),
                expire_in.into(),
            ];
            if !plain {
                args.push(JsonB(columns.clone()).into());
            }
            args.push(password_hash.into());
            let plan = if plain {
                &INSERT_PLAIN_LINK
            } else if schema_updated(&columns)? {
                &INSERT_LINK
            } else {
                &INSERT_LINK_0_2
            };
            Ok(plan.with_mut(client, |client, stmt| {
                let t = client.update(stmt, None, &args).or_raise();
                if t.is_empty() {
                    return None;
                }
                let t = t.first();
                Some(Link {
                    id: required(t.get::<i64>(1).or_raise(), "links.id"),
                    domain: domain.clone(),
                    code: code.to_owned(),
                    url: url.clone(),
                    created_at: required(t.get(2).or_raise(), "links.created_at"),
                    expires_at: t.get(3).or_raise(),
                    max_clicks: o.max_clicks(),
                    metadata: Value::Object(o.metadata()),
                    tid: required(t.get(4).or_raise(), "links.ctid"),
                })
            }))
        };
        if let Some(code) = &o.code {
            if let Some(link) = insert(code, false)? {
                return Ok(link);
            }
            let url = dest_for(&domain, code)?;
            let taken = Error::new(
                Kind::AlreadyExists,
                format!("code \"{code}\" already exists on domain \"{domain}\""),
            );
            if !o.return_existing {
                return Err(taken.with_hint(
                    "Choose another code, leave \"code\" out to get a generated one, or pass \"if_exists\": \"return\" to get the existing link back when it is the one asked for.",
                ));
            }
            let Some(link) = existing_link::existing(client, &domain, code) else {
                // Deleted since the insert found it: nothing to return.
                return Err(taken.with_hint("Try again: the existing link was just deleted."));
            };
            let mut differing = Vec::new();
            if link.url != url {
                differing.push("url".to_owned());
            }
            differing.extend(existing_link::differing_options(
                client,
                &domain,
                code,
                &columns,
                expires_at.as_deref(),
                expire_in,
                o,
            ));
            if differing.is_empty() {
                return Ok(link);
            }
            return Err(taken
                .with_detail(format!(
                    "The existing link differs in {}.",
                    differing.join(", ")
                ))
                .with_hint(
                    "\"if_exists\": \"return\" returns a link only when its URL and every option given match. Choose another code, or change the link with shortlink.update_link().",
                ));
        }
        let alphabet = settings::alphabet()?;
        let start = o.length.unwrap_or_else(settings::code_length);
        let growth = Growth {
            start,
            max: settings::max_code_length().max(start),
            attempts: settings::collision_retries(),
        };
        for len in growth.lengths() {
            if let Some(link) = insert(&alphabet.generate(len), true)? {
                return Ok(link);
            }
        }
        Err(Error::new(
            Kind::CodeSpaceExhausted,
            format!(
                "no free code left on domain \"{domain}\" up to {} characters",
                growth.max
            ),
        )
        .with_detail(format!(
            "{} random codes of {} characters from a {}-character alphabet were all taken.",
            growth.lengths().count(),
            if growth.start == growth.max {
                growth.start.to_string()
            } else {
                format!("{} to {}", growth.start, growth.max)
            },
            alphabet.len()
        ))
        .with_hint("Raise shortlink.max_code_length, or use a larger shortlink.alphabet."))
    }
}

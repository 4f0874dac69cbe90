//! Domains: registration, and which domain a call means.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::destination::normalize_domain;
use shortlink_core::{Error, Kind, Result};

use crate::error::{required, OrRaise};
use crate::{plan, settings};

plan!(
    DOMAIN_EXISTS,
    read,
    "SELECT 1 FROM shortlink.domains WHERE domain = $1",
    [TEXTOID]
);
plan!(
    INSERT_DOMAIN,
    write,
    "INSERT INTO shortlink.domains (domain, metadata) VALUES ($1, $2)
     ON CONFLICT (domain) DO NOTHING
     RETURNING domain, created_at, metadata",
    [TEXTOID, JSONBOID]
);
plan!(
    SELECT_DOMAIN,
    read,
    "SELECT domain, created_at, metadata FROM shortlink.domains WHERE domain = $1",
    [TEXTOID]
);

/// The domain a lookup (resolve, record_click, stats) means: the default when NULL,
/// otherwise the name normalized. A name that cannot be a domain yields None: such a
/// code cannot exist, so the caller answers "not found".
pub fn lookup_key(domain: Option<&str>) -> Option<String> {
    let d = match domain {
        Some(d) => d.to_owned(),
        None => settings::default_domain(),
    };
    // The common case, a lowercase ASCII host, needs no IDNA pass.
    let plain = !d.is_empty()
        && d.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if plain {
        Some(d)
    } else {
        normalize_domain(&d).ok()
    }
}

/// The registered domain a new link goes on: opts' `domain` or the default.
pub fn for_new_link(client: &pgrx::spi::SpiClient<'_>, domain: Option<&str>) -> Result<String> {
    let (name, from_setting) = match domain {
        Some(d) => (
            normalize_domain(d)
                .map_err(|e| e.with_hint("Pass a registered domain such as go.example.com."))?,
            false,
        ),
        None => {
            let d = settings::default_domain();
            let n = normalize_domain(&d).map_err(|_| {
                Error::setting(
                    "shortlink.default_domain",
                    format!("\"{d}\" is not a domain name"),
                )
            })?;
            (n, true)
        }
    };
    if DOMAIN_EXISTS
        .select_one::<i32>(client, &[name.as_str().into()])
        .is_none()
    {
        let source = if from_setting {
            "shortlink.default_domain names"
        } else {
            "option \"domain\" names"
        };
        return Err(Error::new(
            Kind::InvalidParameter,
            format!("domain \"{name}\" is not registered"),
        )
        .with_detail(format!(
            "{source} a domain that shortlink.add_domain() has not registered."
        ))
        .with_hint(format!("SELECT shortlink.add_domain('{name}');")));
    }
    Ok(name)
}

/// Registers a domain for short links. `opts`: `metadata` (object), `if_not_exists` (bool).
#[pg_extern(volatile, parallel_unsafe)]
fn add_domain(
    domain: Option<&str>,
    opts: default!(Option<JsonB>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(domain, String),
        name!(created_at, TimestampWithTimeZone),
        name!(metadata, JsonB),
    ),
> {
    let (metadata, if_not_exists) = parse_opts(opts.map(|j| j.0)).or_raise();
    let name = normalize_domain(domain.unwrap_or_default()).or_raise();
    let row = Spi::connect_mut(|client| {
        let inserted = INSERT_DOMAIN.with_mut(client, |client, stmt| {
            let t = client
                .update(
                    stmt,
                    None,
                    &[name.clone().into(), JsonB(metadata.clone()).into()],
                )
                .or_raise();
            (!t.is_empty()).then(|| row_of(&t.first()))
        });
        match inserted {
            Some(r) => Ok(r),
            None if if_not_exists => Ok(required(
                SELECT_DOMAIN.select_row(client, &[name.as_str().into()], row_of),
                "the conflicting domain",
            )),
            None => Err(Error::new(
                Kind::AlreadyExists,
                format!("domain \"{name}\" already exists"),
            )
            .with_hint("Pass {\"if_not_exists\": true} to make registration idempotent.")),
        }
    })
    .or_raise();
    TableIterator::once(row)
}

/// A `shortlink.domains` row `(domain, created_at, metadata)` from a positioned table.
fn row_of(t: &pgrx::spi::SpiTupleTable<'_>) -> (String, TimestampWithTimeZone, JsonB) {
    (
        required(t.get(1).or_raise(), "domains.domain"),
        required(t.get(2).or_raise(), "domains.created_at"),
        required(t.get(3).or_raise(), "domains.metadata"),
    )
}

fn parse_opts(opts: Option<Value>) -> Result<(Value, bool)> {
    let mut metadata = Value::Object(Default::default());
    let mut if_not_exists = false;
    match opts {
        None | Some(Value::Null) => {}
        Some(Value::Object(o)) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("metadata", v @ Value::Object(_)) => metadata = v,
                    ("metadata", _) => {
                        return Err(Error::option("metadata", "must be a JSON object"))
                    }
                    ("if_not_exists", Value::Bool(b)) => if_not_exists = b,
                    ("if_not_exists", _) => {
                        return Err(Error::option("if_not_exists", "must be true or false"))
                    }
                    (other, _) => {
                        return Err(Error::new(
                            Kind::InvalidParameter,
                            format!("unknown option \"{other}\""),
                        )
                        .with_hint("Known options: metadata, if_not_exists."))
                    }
                }
            }
        }
        Some(_) => {
            return Err(Error::new(
                Kind::InvalidParameter,
                "invalid options: must be a JSON object",
            ))
        }
    }
    Ok((metadata, if_not_exists))
}

//! Creating links: `shortlink.shorten`. Collision retry goes through the unique index
//! with `INSERT … ON CONFLICT DO NOTHING`: no subtransaction, no caught error, one
//! transaction id per call whatever the retries.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::codes::Growth;
use shortlink_core::options::{self, Expiry, LinkOptions};
use shortlink_core::{destination, Error, Kind, Result};

use crate::error::{required, OrRaise};
use crate::{domains, plan, settings};

plan!(
    INSERT_LINK,
    write,
    "INSERT INTO shortlink.links (domain, code, url, expires_at, max_clicks, metadata, tracking)
     VALUES ($1, $2, $3, coalesce($4::timestamptz, now() + make_interval(secs => $5)), $6, $7, $8)
     ON CONFLICT (domain, code) DO NOTHING
     RETURNING id, created_at, expires_at",
    [TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, INT8OID, JSONBOID, BOOLOID]
);

/// A new link, as shorten returns it.
pub struct Link {
    pub id: i64,
    pub domain: String,
    pub code: String,
    pub url: String,
    pub created_at: TimestampWithTimeZone,
    pub expires_at: Option<TimestampWithTimeZone>,
    pub max_clicks: Option<i64>,
    pub metadata: Value,
}

impl Link {
    pub fn short_url(&self) -> String {
        format!("https://{}/{}", self.domain, self.code)
    }
}

/// Creates a short link to `url`. See the README for every option of `opts`.
#[pg_extern(volatile, parallel_unsafe)]
fn shorten(
    url: Option<&str>,
    opts: default!(Option<JsonB>, "'{}'"),
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
    let opts = opts.map(|j| j.0).unwrap_or(Value::Null);
    let link = options::parse(&opts, false)
        .and_then(|(_, o)| create(url, &o))
        .or_raise();
    let short_url = link.short_url();
    TableIterator::once((
        link.id,
        link.domain,
        link.code,
        short_url,
        link.url,
        link.created_at,
        link.expires_at,
        link.max_clicks,
        JsonB(link.metadata),
    ))
}

/// Validates and inserts one link. Every input error comes back as an `Error`, never as
/// a PostgreSQL ERROR, so a batch can report it and go on.
pub fn create(url: Option<&str>, o: &LinkOptions) -> Result<Link> {
    let url = destination::normalize_url(url)?;
    Spi::connect_mut(|client| {
        let domain = domains::for_new_link(client, o.domain.as_deref())?;
        let (expires_at, expire_in) = match &o.expiry {
            None => (None, None),
            Some(Expiry::In(secs)) => (None, Some(*secs)),
            Some(Expiry::At(at)) => {
                let future = client
                    .select(
                        "SELECT $1::timestamptz > now()",
                        Some(1),
                        &[at.as_str().into()],
                    )
                    .or_raise()
                    .first()
                    .get::<bool>(1)
                    .or_raise();
                if future != Some(true) {
                    return Err(Error::option(
                        "expires_at",
                        format!("must be in the future, not {at}"),
                    ));
                }
                (Some(at.clone()), None)
            }
        };
        let metadata = Value::Object(o.metadata.clone().unwrap_or_default());
        let mut insert = |code: &str| -> Option<Link> {
            INSERT_LINK.with_mut(client, |client, stmt| {
                let t = client
                    .update(
                        stmt,
                        None,
                        &[
                            domain.as_str().into(),
                            code.into(),
                            url.as_str().into(),
                            expires_at.as_deref().into(),
                            expire_in.into(),
                            o.max_clicks.into(),
                            JsonB(metadata.clone()).into(),
                            o.tracking.into(),
                        ],
                    )
                    .or_raise();
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
                    max_clicks: o.max_clicks,
                    metadata: metadata.clone(),
                })
            })
        };
        if let Some(code) = &o.code {
            return insert(code).ok_or_else(|| {
                Error::new(
                    Kind::AlreadyExists,
                    format!("code \"{code}\" already exists on domain \"{domain}\""),
                )
                .with_hint("Choose another code, or leave \"code\" out to get a generated one.")
            });
        }
        let alphabet = settings::alphabet()?;
        let start = o.length.unwrap_or_else(settings::code_length);
        let growth = Growth {
            start,
            max: settings::max_code_length().max(start),
            attempts: settings::collision_retries(),
        };
        for len in growth.lengths() {
            if let Some(link) = insert(&alphabet.generate(len)) {
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
    })
}

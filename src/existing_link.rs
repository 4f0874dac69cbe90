//! `if_exists: "return"`: the link a custom code already names, and the options it
//! differs in from the ones asked for (so that it is returned only when it is the one
//! asked for).

use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::options::LinkOptions;
use shortlink_password as password;

use crate::error::{required, OrRaise};
use crate::link::Link;
use crate::plan;

plan!(
    EXISTING_LINK,
    read,
    "SELECT id, created_at, expires_at, url, max_clicks, metadata, ctid
     FROM shortlink.links WHERE domain = $1 AND code = $2",
    [TEXTOID, TEXTOID]
);

// The options of a `shorten` call ($3: its column options; $4 expires_at, $5 expire_in)
// that the stored link `$1/$2` does not have, each read through its column's type (so
// that `"2030-01-01T00:00:00Z"` equals the stored timestamptz); and the link's password
// hash. An expiry given as `expire_in` matches a link that was made with the same one.
plan!(
    DIFFERING_OPTIONS,
    read,
    "SELECT ARRAY(SELECT k FROM pg_catalog.jsonb_object_keys($3) AS k
                  WHERE pg_catalog.to_jsonb(r) -> k IS DISTINCT FROM pg_catalog.to_jsonb(l) -> k
                  ORDER BY k)
            || CASE WHEN $4 IS NOT NULL AND l.expires_at IS DISTINCT FROM $4::timestamptz
                    THEN ARRAY['expires_at'] ELSE '{}'::text[] END
            || CASE WHEN $5 IS NOT NULL
                     AND l.expires_at IS DISTINCT FROM l.created_at + pg_catalog.make_interval(secs => $5)
                    THEN ARRAY['expire_in'] ELSE '{}'::text[] END,
            l.password_hash
     FROM shortlink.links l, pg_catalog.jsonb_populate_record(NULL::shortlink.links, $3) r
     WHERE l.domain = $1 AND l.code = $2",
    [TEXTOID, TEXTOID, JSONBOID, TEXTOID, FLOAT8OID]
);

/// The names of the options given in `o` in which the existing link `domain`/`code`
/// differs from them (`if_exists: "return"`): column options, the expiry and the password
/// (checked against the stored hash, never compared as text).
pub fn differing_options(
    client: &pgrx::spi::SpiClient<'_>,
    domain: &str,
    code: &str,
    columns: &Value,
    expires_at: Option<&str>,
    expire_in: Option<f64>,
    o: &LinkOptions,
) -> Vec<String> {
    let found = DIFFERING_OPTIONS.select_row(
        client,
        &[
            domain.into(),
            code.into(),
            JsonB(columns.clone()).into(),
            expires_at.into(),
            expire_in.into(),
        ],
        |t| {
            (
                t.get::<Vec<String>>(1).or_raise().unwrap_or_default(),
                t.get::<String>(2).or_raise(),
            )
        },
    );
    let Some((mut differing, stored_hash)) = found else {
        return Vec::new();
    };
    if let Some(Some(given)) = &o.password {
        if !stored_hash.is_some_and(|h| password::verify(given, &h)) {
            differing.push("password".to_owned());
        }
    }
    differing
}

pub fn existing(client: &pgrx::spi::SpiClient<'_>, domain: &str, code: &str) -> Option<Link> {
    EXISTING_LINK.select_row(client, &[domain.into(), code.into()], |t| Link {
        id: required(t.get::<i64>(1).or_raise(), "links.id"),
        domain: domain.to_owned(),
        code: code.to_owned(),
        created_at: required(t.get(2).or_raise(), "links.created_at"),
        expires_at: t.get(3).or_raise(),
        url: required(t.get(4).or_raise(), "links.url"),
        max_clicks: t.get(5).or_raise(),
        metadata: required(t.get::<JsonB>(6).or_raise(), "links.metadata").0,
        tid: required(t.get(7).or_raise(), "links.ctid"),
    })
}

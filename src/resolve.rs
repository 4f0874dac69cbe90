//! `shortlink.resolve`: code to destination, read-only, one kept plan over the
//! (domain, code) unique index.

use pgrx::prelude::*;

use crate::{domains, plan};

plan!(
    RESOLVE,
    read,
    "SELECT l.url FROM shortlink.links l
     WHERE l.domain = $1 AND l.code = $2
       AND NOT l.disabled
       AND l.password_hash IS NULL
       AND (l.expires_at IS NULL OR l.expires_at > now())
       AND (l.max_clicks IS NULL
            OR l.limited_clicks + coalesce((SELECT sum(c.clicks) FROM shortlink.click_counts c
                                            WHERE c.link_id = l.id), 0) < l.max_clicks)",
    [TEXTOID, TEXTOID]
);

/// The destination of `code`, or NULL when it is unknown, expired, disabled, out of
/// clicks or password-protected. Counts nothing: a redirect proxy calls record_click.
/// SECURITY DEFINER: the redirect role has no right on any table.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn resolve(code: Option<&str>, domain: default!(Option<&str>, "NULL")) -> Option<String> {
    let code = code?;
    let domain = domains::lookup_key(domain)?;
    Spi::connect(|client| RESOLVE.select_one(client, &[domain.as_str().into(), code.into()]))
}

//! `shortlink.shorten_many`: many links in one call, each item succeeding or failing on
//! its own (partial success, like a batch API's HTTP 207).

use pgrx::prelude::*;
use serde_json::Value;
use shortlink_core::options::{LinkOptions, LinkType};
use shortlink_core::{destination, options, template, Error, Kind, Result};

use crate::domains::{self, Destinations};
use crate::error::{raise, required, OrRaise};
use crate::json_arg::{JsonText, JsonbText};
use crate::link::Link;
use crate::link_json;
use crate::privilege::Caller;
use crate::shorten::{create, vet_destinations};
use crate::{plan, settings};
use shortlink_core::json_text;

/// Creates a link for each object of the `items` array: `{"url": …, <shorten options>}`.
/// `idx` is the item's 0-based position in the array.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn shorten_many(
    items: Option<JsonbText>,
) -> TableIterator<
    'static,
    (
        name!(idx, i32),
        name!(ok, bool),
        name!(code, Option<String>),
        name!(short_url, Option<String>),
        name!(error, Option<String>),
        name!(sqlstate, Option<String>),
    ),
> {
    let rows: Vec<_> = create_items(items.as_ref())
        .into_iter()
        .map(|(idx, created)| match created {
            Ok(link) => {
                let short_url = link.short_url();
                (idx, true, Some(link.code), Some(short_url), None, None)
            }
            Err(e) => (
                idx,
                false,
                None,
                None,
                Some(e.message.clone()),
                Some(e.sqlstate().to_owned()),
            ),
        })
        .collect();
    TableIterator::new(rows)
}

/// `shorten_many`, answering each link made whole, as JSON (as `api_shorten` answers its
/// link): what an HTTP API answers for a bulk request, without a statement to read the
/// links back.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn shorten_many_links(
    items: Option<JsonbText>,
) -> TableIterator<
    'static,
    (
        name!(idx, i32),
        name!(ok, bool),
        name!(link, Option<JsonText>),
        name!(error, Option<String>),
        name!(sqlstate, Option<String>),
    ),
> {
    let rows: Vec<_> = create_items(items.as_ref())
        .into_iter()
        .map(|(idx, created)| match created {
            Ok(link) => (idx, true, Some(JsonText(link_json::of(&link))), None, None),
            Err(e) => (
                idx,
                false,
                None,
                Some(e.message.clone()),
                Some(e.sqlstate().to_owned()),
            ),
        })
        .collect();
    TableIterator::new(rows)
}

/// Each item of `items` made into a link or refused, with its 0-based position.
fn create_items(items: Option<&JsonbText>) -> Vec<(i32, Result<Link>)> {
    crate::presented_key::require("links:write").or_raise();
    // Each item is parsed on its own, so that one too deep or too large fails alone.
    let texts = items.and_then(|j| json_text::split_array(&j.0));
    let Some(texts) = texts else {
        raise(Error::new(
            Kind::InvalidParameter,
            format!(
                "invalid items: must be a JSON array of objects, not {}",
                items.map_or("NULL".into(), |v| v.0.chars().take(60).collect::<String>())
            ),
        ))
    };
    // Each item is parsed and checked on its own; plain links are then made together.
    let parsed: Vec<_> = texts
        .iter()
        .map(|item| {
            JsonbText((*item).to_owned())
                .parse("item")
                .and_then(|item| match item {
                    Value::Object(_) => options::parse(&item, options::Mode::Batch),
                    _ => Err(Error::new(
                        Kind::InvalidParameter,
                        "invalid item: must be a JSON object",
                    )),
                })
        })
        .collect();
    create_many(&parsed)
        .into_iter()
        .enumerate()
        .map(|(i, created)| (i32::try_from(i).unwrap_or(i32::MAX), created))
        .collect()
}

// Many plain links in one statement (create_many); $1-$3 the domains, codes and URLs.
plan!(
    INSERT_PLAIN_LINKS,
    write,
    "INSERT INTO shortlink.links (domain, code, url)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (domain, code) DO NOTHING
     RETURNING domain, code, id, created_at, ctid",
    [TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID]
);

/// Whether a link is plain: a destination (with UTM parameters) on a domain, and no
/// option that needs a statement of its own (a custom code, expiry, password, template,
/// stored field or another link type).
fn is_plain(o: &LinkOptions) -> bool {
    o.code.is_none()
        && o.length.is_none()
        && o.expiry.is_none()
        && o.password.is_none()
        && o.template_vars.is_none()
        && o.columns.is_empty()
        && !o.return_existing
        && matches!(o.link_type, None | Some(LinkType::Url))
        && !o.url.as_deref().is_some_and(template::has_macros)
}

/// A plain link checked and waiting for its code.
struct Pending<'a> {
    idx: usize,
    opts: &'a LinkOptions,
    url: String,
    dest: Destinations,
}

/// Creates the links of `items` (`shorten_many`), each succeeding or failing alone, as
/// [`create`] would one by one. Plain links (see [`is_plain`]) take a set-wise path: one
/// domain check per domain, one host check and one `INSERT … SELECT FROM unnest` for all
/// of them. A plain link whose random code collided, and every other link, go through
/// `create`.
pub fn create_many(items: &[Result<LinkOptions>]) -> Vec<Result<Link>> {
    let mut out: Vec<Option<Result<Link>>> = items.iter().map(|_| None).collect();
    let mut pending: Vec<Pending<'_>> = Vec::new();
    let mut one_by_one: Vec<usize> = Vec::new();
    for (idx, item) in items.iter().enumerate() {
        match item {
            Err(e) => out[idx] = Some(Err(e.clone())),
            Ok(o) if is_plain(o) => {
                let checked =
                    destination::build(o.url.as_deref(), LinkType::Url, None, &[], &o.utm)
                        .and_then(|url| vet_destinations(Some(&url), o).map(|dest| (url, dest)));
                match checked {
                    Ok((url, dest)) => pending.push(Pending {
                        idx,
                        opts: o,
                        url,
                        dest,
                    }),
                    Err(e) => out[idx] = Some(Err(e)),
                }
            }
            Ok(_) => one_by_one.push(idx),
        }
    }
    if !pending.is_empty() {
        let collided = insert_plain(pending, &mut out);
        one_by_one.extend(collided);
    }
    for idx in one_by_one {
        if let Ok(o) = &items[idx] {
            out[idx] = Some(create(None, o));
        }
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| Err(Error::new(Kind::InvalidParameter, "item was not processed")))
        })
        .collect()
}

/// The set-wise part of [`create_many`]: fills `out` for each pending link, and returns
/// the positions of those whose random code collided.
fn insert_plain(pending: Vec<Pending<'_>>, out: &mut [Option<Result<Link>>]) -> Vec<usize> {
    Spi::connect_mut(|client| {
        let caller = Caller::current(client);
        caller.as_owner(|| {
            // One domain check per domain named.
            let mut domains_of: std::collections::HashMap<Option<String>, Result<String>> =
                std::collections::HashMap::new();
            let mut ready: Vec<(Pending<'_>, String)> = Vec::new();
            for p in pending {
                let key = p.opts.domain.clone();
                let domain = domains_of
                    .entry(key)
                    .or_insert_with(|| {
                        domains::for_new_link(
                            client,
                            p.opts.domain.as_deref(),
                            &caller,
                            &Destinations(vec![]),
                        )
                    })
                    .clone();
                match domain {
                    Ok(d) => ready.push((p, d)),
                    Err(e) => out[p.idx] = Some(Err(e)),
                }
            }
            let vetted = domains::vet_hosts_many(
                client,
                &ready.iter().map(|(p, _)| &p.dest).collect::<Vec<_>>(),
            );
            let alphabet = match settings::alphabet() {
                Ok(a) => a,
                Err(e) => {
                    for (p, _) in &ready {
                        out[p.idx] = Some(Err(e.clone()));
                    }
                    return Vec::new();
                }
            };
            let length = settings::code_length();
            let mut rows: Vec<(Pending<'_>, String, String)> = Vec::new();
            for ((p, domain), ok) in ready.into_iter().zip(vetted) {
                match ok {
                    Ok(()) => {
                        let code = alphabet.generate(length);
                        rows.push((p, domain, code));
                    }
                    Err(e) => out[p.idx] = Some(Err(e)),
                }
            }
            if rows.is_empty() {
                return Vec::new();
            }
            let domains: Vec<&str> = rows.iter().map(|(_, d, _)| d.as_str()).collect();
            let codes: Vec<&str> = rows.iter().map(|(_, _, c)| c.as_str()).collect();
            let urls: Vec<&str> = rows.iter().map(|(p, _, _)| p.url.as_str()).collect();
            let mut made: std::collections::HashMap<
                (String, String),
                (i64, TimestampWithTimeZone, pg_sys::ItemPointerData),
            > = std::collections::HashMap::new();
            INSERT_PLAIN_LINKS.with_mut(client, |client, stmt| {
                let t = client
                    .update(stmt, None, &[domains.into(), codes.into(), urls.into()])
                    .or_raise();
                for row in t {
                    let key = (
                        required(row.get::<String>(1).or_raise(), "links.domain"),
                        required(row.get::<String>(2).or_raise(), "links.code"),
                    );
                    let id = required(row.get::<i64>(3).or_raise(), "links.id");
                    let created = required(
                        row.get::<TimestampWithTimeZone>(4).or_raise(),
                        "links.created_at",
                    );
                    let tid = required(
                        row.get::<pg_sys::ItemPointerData>(5).or_raise(),
                        "links.ctid",
                    );
                    made.insert(key, (id, created, tid));
                }
            });
            if let Some(k) = caller.key().filter(|k| k.own_links_only) {
                let ids = made.values().map(|(id, _, _)| *id).collect();
                crate::presented_key::record_links(client, k.key_id, ids);
            }
            let mut collided = Vec::new();
            for (p, domain, code) in rows {
                match made.remove(&(domain.clone(), code.clone())) {
                    Some((id, created_at, tid)) => {
                        out[p.idx] = Some(Ok(Link {
                            id,
                            domain,
                            code,
                            url: p.url,
                            created_at,
                            expires_at: None,
                            max_clicks: None,
                            metadata: Value::Object(serde_json::Map::new()),
                            tid,
                        }))
                    }
                    // Taken already, or twice in this batch: the one-by-one path retries.
                    None => collided.push(p.idx),
                }
            }
            collided
        })
    })
}

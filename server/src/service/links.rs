//! Links: created, read, changed and listed through the extension's functions, in the
//! presented key's view. Options are the extension's own (`shorten`'s snake_case keys):
//! each surface translates its clients' names into them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Class, Error, Service, Session};

/// A link with every stored field and its counts (`shortlink.get_link`).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub id: i64,
    pub domain: String,
    pub code: String,
    #[serde(alias = "short_url")]
    pub short_url: String,
    pub url: String,
    /// URL, MAILTO, TEL or SMS.
    #[serde(alias = "link_type")]
    pub link_type: String,
    /// 301 or 302.
    #[serde(alias = "redirect_type")]
    pub redirect_type: i32,
    #[serde(alias = "created_at")]
    pub created_at: String,
    #[serde(alias = "updated_at")]
    pub updated_at: Option<String>,
    #[serde(alias = "expires_at")]
    pub expires_at: Option<String>,
    pub expired: bool,
    #[serde(alias = "max_clicks")]
    pub max_clicks: Option<i64>,
    pub disabled: bool,
    pub tracking: bool,
    #[serde(alias = "password_protected")]
    pub password_protected: bool,
    #[serde(rename = "forwardParameters", alias = "forward_parameters")]
    pub forward_params: bool,
    #[serde(alias = "block_bots")]
    pub block_bots: bool,
    /// The UTM parameters put into the destination.
    pub utm: Option<Map<String, Value>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub tags: Vec<String>,
    pub cloaked: bool,
    #[serde(alias = "meta_pixel_id")]
    pub meta_pixel_id: Option<String>,
    #[serde(alias = "google_tag_id")]
    pub google_tag_id: Option<String>,
    #[serde(alias = "custom_field")]
    pub custom_field: Option<String>,
    #[serde(alias = "dlt_header")]
    pub dlt_header: Option<String>,
    #[serde(alias = "contact_phone")]
    pub contact_phone: Option<String>,
    #[serde(alias = "callback_url")]
    pub callback_url: Option<String>,
    /// The body callbackUrl receives: null or "shortlink" (shortlink's click event), or
    /// "exotel" (Exotel's click callback).
    #[serde(alias = "callback_format", default)]
    pub callback_format: Option<String>,
    #[serde(alias = "webhook_urls")]
    pub webhook_urls: Option<Vec<String>>,
    #[serde(alias = "expired_url")]
    pub expired_url: Option<String>,
    pub metadata: Map<String, Value>,
    /// Counted clicks of people.
    #[serde(default)]
    pub clicks: i64,
    #[serde(alias = "bot_clicks")]
    #[serde(default)]
    pub bot_clicks: i64,
    #[serde(alias = "unique_visitors")]
    #[serde(default)]
    pub unique_visitors: i64,
    #[serde(alias = "last_clicked_at")]
    #[serde(default)]
    pub last_clicked_at: Option<String>,
    /// The link's QR code (SVG; `?format=png` for PNG), served by the redirect listener.
    #[serde(default)]
    pub qr_code: String,
}

/// get_link's row as JSON; forward_params under the name the API gives it.
const GET_LINK: &str = "SELECT (to_jsonb(g) - 'forward_params'
        || jsonb_build_object('forward_parameters', g.forward_params))::text
     FROM shortlink.get_link($1, $2) g";
const FIND: &str = "SELECT l.code, l.domain FROM shortlink.links l WHERE l.id = $1";

fn parse_link(json: &str) -> Result<Link, Error> {
    finish_link(super::from_row(json)?)
}

/// A link just made, read straight into a Link with no renaming pass (a bulk answer
/// reads 1,000 of them), as `api_shorten` and `shorten_many_links` write it (the
/// database's names, each an alias on Link). No counts: a new link has none.
fn parse_new_link(json: &str) -> Result<Link, Error> {
    finish_link(
        serde_json::from_str(json)
            .map_err(|e| Error::internal(format!("a new link does not read: {e}")))?,
    )
}

fn finish_link(mut link: Link) -> Result<Link, Error> {
    link.qr_code = format!("{}/qr", link.short_url);
    link.link_type = link.link_type.to_ascii_uppercase();
    Ok(link)
}

/// The code and domain of link `id`, if the key sees it.
async fn find(s: &Session, id: i64) -> Result<(String, String), Error> {
    let row = s
        .query_opt(FIND, &[&id])
        .await?
        .ok_or_else(|| Error::not_found("link"))?;
    Ok((row.get(0), row.get(1)))
}

pub async fn get_by_code(s: &Session, domain: &str, code: &str) -> Result<Link, Error> {
    let row = s.query_one(GET_LINK, &[&code, &domain]).await?;
    parse_link(&row.get::<_, String>(0))
}

pub async fn get(s: &Session, id: i64) -> Result<Link, Error> {
    // Before find, whose read of the table would answer 404 (no row) to a key without it.
    s.require("links:read").await?;
    let (code, domain) = find(s, id).await?;
    get_by_code(s, &domain, &code).await
}

/// The id of the link with `code` in the key's view (the oldest, when several domains
/// have one).
pub async fn id_of_code(s: &Session, code: &str) -> Result<Option<i64>, Error> {
    s.require("links:read").await?;
    let row = s
        .query_opt(
            "SELECT l.id FROM shortlink.links l WHERE l.code = $1 ORDER BY l.id LIMIT 1",
            &[&code],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// `api_shorten(NULL, url, opts)`: the link made for the key this session presented,
/// whole, in one statement.
pub async fn create(s: &Session, url: &str, opts: &Map<String, Value>) -> Result<Link, Error> {
    let opts = Value::Object(opts.clone()).to_string();
    let row = s
        .query_one(
            "SELECT link::text FROM shortlink.api_shorten(NULL, $1, $2::text::jsonb)",
            &[&url, &opts],
        )
        .await?;
    parse_new_link(&row.get::<_, String>(0))
}

/// `api_shorten(secret, url, opts)`: the key presented and the link made in one
/// statement; the link, and the key's id and rate limit as the database says now.
pub async fn create_with_key(
    service: &Service,
    secret: &str,
    url: &str,
    opts: &Map<String, Value>,
) -> Result<(Link, i64, Option<i32>), Error> {
    let opts = Value::Object(opts.clone()).to_string();
    let row = service
        .statement_row(
            "SELECT key_id, rate_limit, link::text FROM shortlink.api_shorten($1, $2, $3::text::jsonb)",
            &[&secret, &url, &opts],
        )
        .await?;
    Ok((
        parse_new_link(&row.get::<_, String>(2))?,
        row.get(0),
        row.get(1),
    ))
}

/// `update_link(code, opts, domain)`: the destination and any option; counts and the
/// destination history stay.
pub async fn update(s: &Session, id: i64, opts: &Map<String, Value>) -> Result<Link, Error> {
    let (code, domain) = find(s, id).await?;
    let opts = Value::Object(opts.clone()).to_string();
    s.query(
        "SELECT 1 FROM shortlink.update_link($1, $2::text::jsonb, $3)",
        &[&code, &opts, &domain],
    )
    .await?;
    get_by_code(s, &domain, &code).await
}

pub async fn delete(s: &Session, id: i64) -> Result<(), Error> {
    let (code, domain) = find(s, id).await?;
    s.query("SELECT shortlink.delete_link($1, $2)", &[&code, &domain])
        .await?;
    Ok(())
}

pub async fn set_disabled(s: &Session, id: i64, disabled: bool) -> Result<Link, Error> {
    let (code, domain) = find(s, id).await?;
    s.query(
        "SELECT shortlink.set_disabled($1, $2, $3)",
        &[&code, &domain, &disabled],
    )
    .await?;
    get_by_code(s, &domain, &code).await
}

/// A destination a link had before a change of its url.
#[derive(Clone, Debug)]
pub struct EarlierDestination {
    pub url: String,
    /// Until when (UTC, minutes).
    pub replaced_at: String,
    /// "user <email>", "key <prefix>" or a role.
    pub replaced_by: String,
}

/// Link `id`'s earlier destinations, the latest replaced first (at most `limit`).
pub async fn destination_history(
    s: &Session,
    id: i64,
    limit: i64,
) -> Result<Vec<EarlierDestination>, Error> {
    s.require("links:read").await?;
    let rows = s
        .query(
            "SELECT d.url, to_char(d.replaced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),
                    d.replaced_by
             FROM shortlink.link_destinations d
             WHERE d.link_id = $1
             ORDER BY d.id DESC
             LIMIT $2",
            &[&id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| EarlierDestination {
            url: r.get(0),
            replaced_at: r.get(1),
            replaced_by: r.get(2),
        })
        .collect())
}

/// One item of a bulk create: its link, or why it was refused.
pub type ItemResult = Result<Link, Error>;

/// `shorten_many_links(items)`: every item made or refused on its own, in order, each
/// link made whole. Each item is `{"url": …, <options>}`.
pub async fn create_many(
    s: &Session,
    items: &[Map<String, Value>],
) -> Result<Vec<ItemResult>, Error> {
    let json = Value::Array(items.iter().cloned().map(Value::Object).collect()).to_string();
    let rows = s
        .query(
            "SELECT ok, link::text, error, sqlstate
             FROM shortlink.shorten_many_links($1::text::jsonb) ORDER BY idx",
            &[&json],
        )
        .await?;
    if rows.len() != items.len() {
        return Err(Error::internal(format!(
            "shorten_many_links answered {} rows for {} items",
            rows.len(),
            items.len()
        )));
    }
    rows.iter()
        .map(|row| {
            if row.get::<_, bool>(0) {
                let link: Option<String> = row.get(1);
                let link = link.ok_or_else(|| Error::internal("an item made has no link"))?;
                Ok(Ok(parse_new_link(&link)?))
            } else {
                let message: String = row.get::<_, Option<String>>(2).unwrap_or_default();
                let state: String = row.get::<_, Option<String>>(3).unwrap_or_default();
                Ok(Err(item_error(&message, &state)))
            }
        })
        .collect()
}

/// The links `codes[i]` on `domains[i]`, in that order, in one statement.
async fn get_many(s: &Session, codes: &[String], domains: &[String]) -> Result<Vec<Link>, Error> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = s
        .query(
            "SELECT (to_jsonb(g) - 'forward_params'
                     || jsonb_build_object('forward_parameters', g.forward_params))::text
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(code, domain, n)
             CROSS JOIN LATERAL shortlink.get_link(u.code, u.domain) g
             ORDER BY u.n",
            &[&codes, &domains],
        )
        .await?;
    rows.iter()
        .map(|r| parse_link(&r.get::<_, String>(0)))
        .collect()
}

/// An item's error as shorten_many reports it (message and SQLSTATE as text).
fn item_error(message: &str, state: &str) -> Error {
    let db = crate::db::error::DbError {
        sqlstate: Some(tokio_postgres::error::SqlState::from_code(state)),
        message: message.to_owned(),
        unreachable: false,
    };
    Error::from(db)
}

/// Which links a list or count takes.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub domain: Option<String>,
    pub tag: Option<String>,
    /// Text in the code, the destination or the title (case-insensitive).
    pub search: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub disabled: Option<bool>,
    pub expired: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Sort {
    CreatedAt,
    Clicks,
    LastClickedAt,
}

const LIST_WHERE: &str = "($1::text IS NULL OR l.domain = $1)
  AND ($2::text IS NULL OR (l.tags <> '{}' AND l.tags @> ARRAY[$2::text]))
  AND ($3::text IS NULL OR strpos(lower(l.code), lower($3)) > 0
       OR strpos(lower(l.url), lower($3)) > 0
       OR strpos(lower(coalesce(l.title, '')), lower($3)) > 0)
  AND ($4::text IS NULL OR l.created_at >= $4::timestamptz)
  AND ($5::text IS NULL OR l.created_at < $5::timestamptz)
  AND ($6::boolean IS NULL OR l.disabled = $6)
  AND ($7::boolean IS NULL OR coalesce(l.expires_at <= now(), false) = $7)";

impl Filter {
    /// The filter as LIST_WHERE's parameters $1 … $7.
    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 7] {
        [
            &self.domain,
            &self.tag,
            &self.search,
            &self.created_after,
            &self.created_before,
            &self.disabled,
            &self.expired,
        ]
    }
}

/// How many links match, counting no further than `cap` + 1 (a page says "more than
/// `cap`"): a count of a million visible links costs a scan of them all.
pub async fn count_up_to(s: &Session, f: &Filter, cap: i64) -> Result<i64, Error> {
    count_matching(s, f, Some(cap + 1)).await
}

pub async fn count(s: &Session, f: &Filter) -> Result<i64, Error> {
    count_matching(s, f, None).await
}

/// The links `f` matches, at most `limit` of them (None: all).
async fn count_matching(s: &Session, f: &Filter, limit: Option<i64>) -> Result<i64, Error> {
    s.require("links:read").await?;
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM shortlink.links l WHERE {LIST_WHERE} LIMIT $8) x"
    );
    let mut params = f.params().to_vec();
    params.push(&limit);
    Ok(s.query_one(&sql, &params).await?.get(0))
}

/// A page of links: at most `limit`, after `cursor` (the value a previous page gave),
/// and the cursor of the next page when there is one.
pub async fn list(
    s: &Session,
    f: &Filter,
    sort: Sort,
    descending: bool,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Link>, Option<String>), Error> {
    let (page, next) = page_of(s, f, Order::By(sort), descending, limit, cursor).await?;
    let codes: Vec<String> = page.iter().map(|p| p.1.clone()).collect();
    let domains: Vec<String> = page.iter().map(|p| p.2.clone()).collect();
    Ok((get_many(s, &codes, &domains).await?, next))
}

/// A link as a table of links shows it: its stored fields a person reads and its counts,
/// without what `get_link` adds (its unique visitors of all time cost a look at its
/// rollups, some milliseconds a link).
#[derive(Clone, Debug, Deserialize)]
pub struct LinkSummary {
    pub id: i64,
    pub domain: String,
    pub code: String,
    pub short_url: String,
    pub url: String,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub disabled: bool,
    pub expired: bool,
    pub expires_at: Option<String>,
    pub max_clicks: Option<i64>,
    pub created_at: String,
    pub clicks: i64,
    pub bot_clicks: i64,
    pub last_clicked_at: Option<String>,
}

/// The order of a page of links: a sort of the API's, or the order links were made in
/// (their ids, an identity: the primary key's index gives a page without sorting every
/// link, where `created_at`, which SQL may set, sorts them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    By(Sort),
    Made,
}

/// A page of links as [`list`] takes them, as summaries.
pub async fn list_summaries(
    s: &Session,
    f: &Filter,
    sort: Order,
    descending: bool,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<LinkSummary>, Option<String>), Error> {
    let (page, next) = page_of(s, f, sort, descending, limit, cursor).await?;
    let ids: Vec<i64> = page.iter().map(|p| p.0).collect();
    Ok((summaries(s, &ids).await?, next))
}

/// The summaries of links `ids` the key sees, in that order.
pub async fn summaries(s: &Session, ids: &[i64]) -> Result<Vec<LinkSummary>, Error> {
    s.require("links:read").await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = s
        .query(
            "SELECT jsonb_build_object('id', l.id, 'domain', l.domain, 'code', l.code,
                    'short_url', shortlink.short_url(l.domain, l.code), 'url', l.url,
                    'title', l.title, 'tags', l.tags, 'disabled', l.disabled,
                    'expired', coalesce(l.expires_at <= now(), false), 'expires_at', l.expires_at,
                    'max_clicks', l.max_clicks, 'created_at', l.created_at,
                    'clicks', l.limited_clicks + c.clicks, 'bot_clicks', c.bot_clicks,
                    'last_clicked_at', greatest(l.limited_last_clicked_at, c.last_clicked_at))::text
             FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n)
             JOIN shortlink.links l ON l.id = u.id
             CROSS JOIN LATERAL shortlink.link_clicks(l.id) c
             ORDER BY u.n",
            &[&ids],
        )
        .await?;
    rows.iter()
        .map(|r| {
            serde_json::from_str(&r.get::<_, String>(0))
                .map_err(|e| Error::internal(format!("a link summary does not read: {e}")))
        })
        .collect()
}

/// The ids, codes and domains of a page of links, and the next page's cursor.
async fn page_of(
    s: &Session,
    f: &Filter,
    order: Order,
    descending: bool,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<(i64, String, String)>, Option<String>), Error> {
    s.require("links:read").await?;
    // The sort key of a link, as a number: ids and clicks as they are, times as
    // microseconds since the epoch (a link never clicked sorts first ascending).
    let key = match order {
        Order::Made => "l.id",
        Order::By(Sort::CreatedAt) => "(extract(epoch FROM l.created_at) * 1000000)::numeric",
        Order::By(Sort::Clicks) => "(l.limited_clicks + c.clicks)::numeric",
        Order::By(Sort::LastClickedAt) => {
            "coalesce(extract(epoch FROM greatest(l.limited_last_clicked_at, c.last_clicked_at)) * 1000000, -1)::numeric"
        }
    };
    let join = if matches!(order, Order::Made | Order::By(Sort::CreatedAt)) {
        ""
    } else {
        "CROSS JOIN LATERAL shortlink.link_clicks(l.id) c"
    };
    let (cmp, direction) = if descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let (after_key, after_id) = match cursor {
        None => (None, None),
        Some(c) => {
            let (k, id) = decode_cursor(c)?;
            (Some(k), Some(id))
        }
    };
    let sql = if order == Order::Made {
        format!(
            "SELECT l.id, l.code, l.domain, l.id::text
             FROM shortlink.links l
             WHERE {LIST_WHERE}
               AND ($8::text IS NULL OR l.id {cmp} $9::bigint)
             ORDER BY l.id {direction}
             LIMIT $10"
        )
    } else {
        format!(
            "SELECT l.id, l.code, l.domain, ({key})::text
             FROM shortlink.links l {join}
             WHERE {LIST_WHERE}
               AND ($8::text IS NULL OR ({key}, l.id) {cmp} ($8::text::numeric, $9::bigint))
             ORDER BY {key} {direction}, l.id {direction}
             LIMIT $10"
        )
    };
    let fetch = limit + 1;
    let mut params = f.params().to_vec();
    params.extend_from_slice(&[&after_key, &after_id, &fetch]);
    let rows = s.query(&sql, &params).await?;
    let more = rows.len() as i64 > limit;
    let page = &rows[..rows.len().min(limit as usize)];
    let next = if more {
        page.last()
            .map(|r| encode_cursor(&r.get::<_, String>(3), r.get(0)))
    } else {
        None
    };
    Ok((
        page.iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect(),
        next,
    ))
}

/// A cursor: the last link's sort key and id, opaque to clients.
fn encode_cursor(key: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}|{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, i64), Error> {
    use base64::Engine;
    // A string, but not one this server gave: 422, as for a value the database refuses.
    let bad = || {
        Error::new(
            Class::Unprocessable,
            "invalid cursor: pass nextCursor as it was given",
        )
        .with_field("cursor")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (key, id) = text.rsplit_once('|').ok_or_else(bad)?;
    // The key goes to the database as a numeric parameter: only a number is accepted.
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Err(bad());
    }
    Ok((key.to_owned(), id.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor("1733546318000000", 42);
        assert_eq!(
            decode_cursor(&c).unwrap(),
            ("1733546318000000".to_owned(), 42)
        );
        assert!(decode_cursor("not a cursor").is_err());
        use base64::Engine;
        let evil = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("1); DROP|1");
        assert!(decode_cursor(&evil).is_err());
    }
}

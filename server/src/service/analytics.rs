//! Click analytics over the links the key sees: totals, time series and breakdowns from
//! the rollups and recent events (`shortlink.click_totals`, `click_hour_rows`), and the
//! raw events streamed for export.
//!
//! The time bounds on click_events are written `greatest($4, '-infinity')` and
//! `least($5, 'infinity')` (which skip a NULL, as coalesce would): under row-level
//! security only conditions the planner knows to be leakproof run before a table's policy
//! and bound its index scan, and a comparison with greatest() or least() is one, one with
//! coalesce() is not (the policy would be checked on every event of the link).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Class, Error, Session};

/// Which clicks count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Bots {
    /// People only (the default).
    #[default]
    Exclude,
    /// People and bots.
    Include,
    /// Bots only.
    Only,
}

/// Which links and which time.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub link_id: Option<i64>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    /// ISO 8601; inclusive.
    pub start: Option<String>,
    /// ISO 8601; exclusive.
    pub end: Option<String>,
    pub bots: Bots,
}

/// Clicks of a whole scope.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    /// Clicks of people (with `bots`: as it says).
    pub clicks: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// One key of a breakdown.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    /// The country, device, … null: not known.
    pub key: Option<String>,
    pub clicks: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// One bucket of a time series.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// The bucket's start, local time of the series' time zone.
    pub start: String,
    pub clicks: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// One link of top links.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopLink {
    pub link_id: i64,
    pub code: String,
    pub domain: String,
    pub clicks: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// The links of a scope, seen by the key (row-level security decides).
const LINKS: &str = "SELECT l.id, l.code, l.domain FROM shortlink.links l
     WHERE ($1::bigint IS NULL OR l.id = $1)
       AND ($2::text IS NULL OR l.domain = $2)
       AND ($3::text IS NULL OR (l.tags <> '{}' AND l.tags @> ARRAY[$3::text]))";

/// How clicks are counted for `bots`: `clicks` in the answer.
fn clicks_expr(bots: Bots) -> &'static str {
    match bots {
        Bots::Exclude => "sum(t.clicks)",
        Bots::Include => "sum(t.clicks + t.bot_clicks)",
        Bots::Only => "sum(t.bot_clicks)",
    }
}

fn parse_rows<T: serde::de::DeserializeOwned>(
    rows: Vec<tokio_postgres::Row>,
) -> Result<Vec<T>, Error> {
    rows.iter()
        .map(|r| super::from_row(&r.get::<_, String>(0)))
        .collect()
}

/// The rows of `sql`, whose parameters are the scope's ($1 link, $2 domain, $3 tag,
/// $4 start, $5 end) and then `more` ($6 …).
async fn scope_rows<T: serde::de::DeserializeOwned>(
    s: &Session,
    sql: &str,
    scope: &Scope,
    more: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<T>, Error> {
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &scope.link_id,
        &scope.domain,
        &scope.tag,
        &scope.start,
        &scope.end,
    ];
    params.extend_from_slice(more);
    parse_rows(s.query(sql, &params).await?)
}

/// Checks the key's scope, and that a link named by id is seen: 404 rather than an empty
/// answer.
async fn check_link(s: &Session, scope: &Scope) -> Result<(), Error> {
    s.require("analytics:read").await?;
    if let Some(id) = scope.link_id {
        s.query_opt("SELECT 1 FROM shortlink.links l WHERE l.id = $1", &[&id])
            .await?
            .ok_or_else(|| Error::not_found("link"))?;
    }
    Ok(())
}

/// The clicks of a scope.
pub async fn count(s: &Session, scope: &Scope) -> Result<Count, Error> {
    Ok(totals::<Count>(s, scope, "total", 1)
        .await?
        .pop()
        .unwrap_or_default())
}

/// One breakdown (`dimension`: a click_stats dimension), most clicks first.
pub async fn breakdown(
    s: &Session,
    scope: &Scope,
    dimension: &str,
    limit: i64,
) -> Result<Vec<Breakdown>, Error> {
    totals(s, scope, dimension, limit).await
}

async fn totals<T: serde::de::DeserializeOwned>(
    s: &Session,
    scope: &Scope,
    dimension: &str,
    limit: i64,
) -> Result<Vec<T>, Error> {
    check_link(s, scope).await?;
    let clicks = clicks_expr(scope.bots);
    let key = if dimension == "total" {
        ""
    } else {
        "'key', t.key,"
    };
    let sql = format!(
        "WITH x AS ({LINKS})
         SELECT jsonb_build_object({key} 'clicks', coalesce({clicks}, 0),
                'unique_visitors', coalesce(sum(t.visitors), 0),
                'bot_clicks', coalesce(sum(t.bot_clicks), 0))::text
         FROM x CROSS JOIN LATERAL shortlink.click_totals(x.id, $4::text::timestamptz, $5::text::timestamptz, ARRAY[$6::text]) t
         WHERE t.dimension = $6
         GROUP BY t.key
         ORDER BY {clicks} DESC NULLS LAST, t.key
         LIMIT $7"
    );
    scope_rows(s, &sql, scope, &[&dimension, &limit]).await
}

/// One row of [`breakdowns`]: a dimension's key.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DimensionRow {
    dimension: String,
    key: Option<String>,
    clicks: i64,
    unique_visitors: i64,
    bot_clicks: i64,
}

/// The total and every breakdown of `dimensions` (click_stats dimensions) in one pass over
/// the scope's links, each dimension's keys most clicks first: what a page showing them
/// all needs, in one statement rather than one per dimension.
pub async fn breakdowns(
    s: &Session,
    scope: &Scope,
    dimensions: &[&str],
) -> Result<(Count, std::collections::HashMap<String, Vec<Breakdown>>), Error> {
    check_link(s, scope).await?;
    let clicks = clicks_expr(scope.bots);
    let mut dims: Vec<String> = dimensions.iter().map(|d| (*d).to_owned()).collect();
    dims.push("total".to_owned());
    let sql = format!(
        "WITH x AS ({LINKS})
         SELECT jsonb_build_object('dimension', t.dimension, 'key', t.key,
                'clicks', coalesce({clicks}, 0), 'unique_visitors', coalesce(sum(t.visitors), 0),
                'bot_clicks', coalesce(sum(t.bot_clicks), 0))::text
         FROM x CROSS JOIN LATERAL shortlink.click_totals(x.id, $4::text::timestamptz, $5::text::timestamptz, $6::text[]) t
         GROUP BY t.dimension, t.key"
    );
    let rows: Vec<DimensionRow> = scope_rows(s, &sql, scope, &[&dims]).await?;
    let mut total = Count::default();
    let mut by: std::collections::HashMap<String, Vec<Breakdown>> = dimensions
        .iter()
        .map(|d| ((*d).to_owned(), Vec::new()))
        .collect();
    for r in rows {
        if r.dimension == "total" {
            total = Count {
                clicks: r.clicks,
                unique_visitors: r.unique_visitors,
                bot_clicks: r.bot_clicks,
            };
        } else if let Some(list) = by.get_mut(&r.dimension) {
            list.push(Breakdown {
                key: r.key,
                clicks: r.clicks,
                unique_visitors: r.unique_visitors,
                bot_clicks: r.bot_clicks,
            });
        }
    }
    for list in by.values_mut() {
        // As `breakdown` orders them: most clicks first, then by key (nulls last).
        list.sort_by(|a, b| {
            b.clicks
                .cmp(&a.clicks)
                .then_with(|| match (&a.key, &b.key) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
        });
    }
    Ok((total, by))
}

/// Device models from the raw events (not a rollup dimension): the events still kept.
pub async fn device_models(
    s: &Session,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<Breakdown>, Error> {
    check_link(s, scope).await?;
    let filter = match scope.bots {
        Bots::Exclude => "NOT e.is_bot",
        Bots::Include => "true",
        Bots::Only => "e.is_bot",
    };
    let sql = format!(
        "WITH x AS ({LINKS})
         SELECT jsonb_build_object('key', e.device_model,
                'clicks', count(*) FILTER (WHERE {filter}),
                'unique_visitors', count(DISTINCT e.visitor_hash) FILTER (WHERE NOT e.is_bot),
                'bot_clicks', count(*) FILTER (WHERE e.is_bot))::text
         FROM x JOIN shortlink.click_events e ON e.link_id = x.id
         WHERE e.clicked_at >= greatest($4::text::timestamptz, '-infinity')
           AND e.clicked_at < least($5::text::timestamptz, 'infinity')
         GROUP BY e.device_model
         ORDER BY count(*) FILTER (WHERE {filter}) DESC, e.device_model
         LIMIT $6"
    );
    scope_rows(s, &sql, scope, &[&limit]).await
}

/// Clicks per link, most first.
pub async fn top_links(s: &Session, scope: &Scope, limit: i64) -> Result<Vec<TopLink>, Error> {
    check_link(s, scope).await?;
    let clicks = clicks_expr(scope.bots);
    let sql = format!(
        "WITH x AS ({LINKS})
         SELECT jsonb_build_object('link_id', x.id, 'code', x.code, 'domain', x.domain,
                'clicks', coalesce({clicks}, 0), 'unique_visitors', coalesce(sum(t.visitors), 0),
                'bot_clicks', coalesce(sum(t.bot_clicks), 0))::text
         FROM x CROSS JOIN LATERAL shortlink.click_totals(x.id, $4::text::timestamptz, $5::text::timestamptz, ARRAY['total']) t
         WHERE t.dimension = 'total'
         GROUP BY x.id, x.code, x.domain
         ORDER BY {clicks} DESC, x.id
         LIMIT $6"
    );
    scope_rows(s, &sql, scope, &[&limit]).await
}

/// Clicks per `interval` (hour, day, week, month) in time zone `tz`, oldest first.
pub async fn timeseries(
    s: &Session,
    scope: &Scope,
    interval: &str,
    tz: &str,
) -> Result<Vec<Bucket>, Error> {
    check_link(s, scope).await?;
    if !matches!(interval, "hour" | "day" | "week" | "month") {
        return Err(Error::new(
            Class::BadRequest,
            "invalid interval: hour, day, week or month",
        )
        .with_field("interval"));
    }
    let clicks = clicks_expr(scope.bots);
    let sql = format!(
        "WITH x AS ({LINKS})
         SELECT jsonb_build_object('start', to_char(date_trunc($6, t.bucket_start, $7) AT TIME ZONE $7, 'YYYY-MM-DD\"T\"HH24:MI:SS'),
                'clicks', coalesce({clicks}, 0), 'unique_visitors', coalesce(sum(t.visitors), 0),
                'bot_clicks', coalesce(sum(t.bot_clicks), 0))::text
         FROM x CROSS JOIN LATERAL shortlink.click_hour_rows(x.id, $4::text::timestamptz, $5::text::timestamptz, ARRAY['total']) t
         GROUP BY date_trunc($6, t.bucket_start, $7)
         ORDER BY date_trunc($6, t.bucket_start, $7)"
    );
    scope_rows(s, &sql, scope, &[&interval, &tz]).await
}

/// The raw click events of a scope, oldest first, as a statement to stream: its SQL and
/// the column names of a row.
pub const EVENTS: &str = "SELECT e.clicked_at::text, x.id, x.domain, x.code, e.location, e.referer,
        e.country, e.region, e.city, e.device, e.device_model, e.os, e.os_version, e.browser,
        e.is_bot, e.bot
     FROM (SELECT l.id, l.code, l.domain FROM shortlink.links l
           WHERE ($1::bigint IS NULL OR l.id = $1)
             AND ($2::text IS NULL OR l.domain = $2)
             AND ($3::text IS NULL OR (l.tags <> '{}' AND l.tags @> ARRAY[$3::text]))) x
     JOIN shortlink.click_events e ON e.link_id = x.id
     WHERE e.clicked_at >= greatest($4::text::timestamptz, '-infinity')
       AND e.clicked_at < least($5::text::timestamptz, 'infinity')
       AND ($6::text = 'include' OR e.is_bot = ($6::text = 'only'))
     ORDER BY e.clicked_at, e.id";

pub const EVENT_COLUMNS: [&str; 16] = [
    "clickedAt",
    "linkId",
    "domain",
    "code",
    "location",
    "referer",
    "country",
    "region",
    "city",
    "device",
    "deviceModel",
    "os",
    "osVersion",
    "browser",
    "isBot",
    "bot",
];

/// The scope's checks before its events are streamed.
pub async fn check_events(s: &Session, scope: &Scope) -> Result<(), Error> {
    check_link(s, scope).await
}

//! `/api/v1/analytics` (counts, time series, breakdowns, top links) and `/api/v1/events`
//! (raw clicks as CSV or NDJSON, streamed row by row: memory stays flat whatever the range).

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use super::links::query_error;
use super::{begin, problem, run, Answer, Api};
use crate::http::problem::Problem;
use crate::service::analytics::{self, Bots, Breakdown, Bucket, Count, Scope, TopLink};
use crate::service::{Class, Error};

/// What an analytics request answers, by its groupBy.
#[allow(dead_code)] // the schema of the answers, which are built from each variant's type
#[derive(ToSchema)]
#[serde(untagged)]
pub enum AnalyticsAnswer {
    Count(Count),
    Breakdown(Vec<Breakdown>),
    Timeseries(Vec<Bucket>),
    TopLinks(Vec<TopLink>),
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum GroupBy {
    Count,
    Timeseries,
    Countries,
    Regions,
    Cities,
    Devices,
    DeviceModels,
    Browsers,
    Os,
    OsVersions,
    Referers,
    TopLinks,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// Default count.
    #[param(inline)]
    group_by: Option<GroupBy>,
    link_id: Option<i64>,
    domain: Option<String>,
    tag: Option<String>,
    /// ISO 8601, inclusive.
    start: Option<String>,
    /// ISO 8601, exclusive.
    end: Option<String>,
    /// Time series buckets: hour, day (default), week or month.
    interval: Option<String>,
    /// Time series time zone (IANA name, default UTC).
    timezone: Option<String>,
    /// exclude (default: people only), include, only.
    #[param(inline)]
    bots: Option<Bots>,
    /// Rows of a breakdown, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

fn scope_of(
    link_id: Option<i64>,
    domain: &Option<String>,
    tag: &Option<String>,
    start: &Option<String>,
    end: &Option<String>,
    bots: Option<Bots>,
) -> Scope {
    let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    Scope {
        link_id,
        domain: given(domain),
        tag: given(tag),
        start: given(start),
        end: given(end),
        bots: bots.unwrap_or_default(),
    }
}

/// Clicks of the links the key sees: a count, a time series, a breakdown or top links.
#[utoipa::path(get, path = "/api/v1/analytics", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, body = AnalyticsAnswer, description = "count: one object; the others: an array"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn analytics(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    q: Result<Query<AnalyticsQuery>, QueryRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Query(q) = q.map_err(query_error)?;
        let scope = scope_of(q.link_id, &q.domain, &q.tag, &q.start, &q.end, q.bots);
        let limit = q.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(
                Error::new(Class::BadRequest, "limit must be 1 to 1000").with_field("limit")
            );
        }
        let dimension = match q.group_by.unwrap_or(GroupBy::Count) {
            GroupBy::Count => {
                return Answer::json(StatusCode::OK, analytics::count(s, &scope).await?)
            }
            GroupBy::Timeseries => {
                let rows = analytics::timeseries(
                    s,
                    &scope,
                    q.interval.as_deref().unwrap_or("day"),
                    q.timezone.as_deref().unwrap_or("UTC"),
                )
                .await?;
                return Answer::json(StatusCode::OK, rows);
            }
            GroupBy::TopLinks => {
                return Answer::json(
                    StatusCode::OK,
                    analytics::top_links(s, &scope, limit).await?,
                )
            }
            GroupBy::DeviceModels => {
                return Answer::json(
                    StatusCode::OK,
                    analytics::device_models(s, &scope, limit).await?,
                )
            }
            GroupBy::Countries => "country",
            GroupBy::Regions => "region",
            GroupBy::Cities => "city",
            GroupBy::Devices => "device",
            GroupBy::Browsers => "browser",
            GroupBy::Os => "os",
            GroupBy::OsVersions => "os_version",
            GroupBy::Referers => "referer_host",
        };
        Answer::json(
            StatusCode::OK,
            analytics::breakdown(s, &scope, dimension, limit).await?,
        )
    })
    .await
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Ndjson,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// csv (default) or ndjson.
    #[param(inline)]
    format: Option<Format>,
    link_id: Option<i64>,
    domain: Option<String>,
    tag: Option<String>,
    start: Option<String>,
    end: Option<String>,
    #[param(inline)]
    bots: Option<Bots>,
}

/// One CSV field: quoted when it holds a comma, a quote or a line break; a leading
/// = + - @ is prefixed with ' so that a spreadsheet does not run it as a formula.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

fn line(row: &tokio_postgres::Row, format: Format) -> String {
    let text = |i: usize| -> Option<String> { row.get::<_, Option<String>>(i) };
    let id: i64 = row.get(1);
    let bot: bool = row.get(14);
    match format {
        Format::Csv => {
            let mut fields = Vec::with_capacity(16);
            for i in 0..16 {
                fields.push(match i {
                    1 => id.to_string(),
                    14 => bot.to_string(),
                    _ => csv_field(&text(i).unwrap_or_default()),
                });
            }
            fields.join(",") + "\n"
        }
        Format::Ndjson => {
            let mut o = serde_json::Map::new();
            for (i, name) in analytics::EVENT_COLUMNS.iter().enumerate() {
                let v = match i {
                    1 => serde_json::Value::from(id),
                    14 => serde_json::Value::from(bot),
                    _ => text(i).map_or(serde_json::Value::Null, serde_json::Value::from),
                };
                o.insert((*name).to_owned(), v);
            }
            serde_json::Value::Object(o).to_string() + "\n"
        }
    }
}

/// The raw click events, oldest first, streamed as CSV (with a header line) or NDJSON.
#[utoipa::path(get, path = "/api/v1/events", tag = "analytics", params(EventsQuery),
    responses((status = 200, content((String = "text/csv"), (String = "application/x-ndjson"))), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn events(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    let (session, quota) = match begin(&api, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = match q {
        Ok(Query(q)) => q,
        Err(r) => {
            session.rollback().await;
            let mut r = problem(&query_error(r));
            quota.headers(r.headers_mut());
            return r;
        }
    };
    let scope = scope_of(q.link_id, &q.domain, &q.tag, &q.start, &q.end, q.bots);
    let format = q.format.unwrap_or(Format::Csv);
    let bots = match scope.bots {
        Bots::Exclude => "exclude",
        Bots::Include => "include",
        Bots::Only => "only",
    };
    let started = async {
        analytics::check_events(&session, &scope).await?;
        let client = session.raw();
        let stmt = client
            .prepare(analytics::EVENTS)
            .await
            .map_err(crate::db::error::DbError::from)?;
        let params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> = vec![
            Box::new(scope.link_id),
            Box::new(scope.domain.clone()),
            Box::new(scope.tag.clone()),
            Box::new(scope.start.clone()),
            Box::new(scope.end.clone()),
            Box::new(bots.to_owned()),
        ];
        let rows = client
            .query_raw(
                &stmt,
                params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)),
            )
            .await
            .map_err(crate::db::error::DbError::from)?;
        Ok::<_, Error>(rows)
    }
    .await;
    let rows = match started {
        Ok(r) => r,
        Err(e) => {
            session.rollback().await;
            let mut r = problem(&e);
            quota.headers(r.headers_mut());
            return r;
        }
    };
    let header_line = match format {
        Format::Csv => Some(analytics::EVENT_COLUMNS.join(",") + "\n"),
        Format::Ndjson => None,
    };
    // The session lives as long as the stream: its transaction is the stream's snapshot,
    // and it ends (rolled back: the export changed nothing) when the last row is sent or
    // the client goes away.
    let body = futures_util::stream::iter(header_line.map(Ok))
        .chain(futures_util::stream::unfold(Some((Box::pin(rows), session)), move |state| async move {
            let (mut rows, session) = state?;
            match rows.next().await {
                Some(Ok(row)) => Some((Ok::<String, std::io::Error>(line(&row, format)), Some((rows, session)))),
                Some(Err(e)) => {
                    tracing::warn!(error = %crate::db::error::DbError::from(e), "export stopped by a database error");
                    None
                }
                None => {
                    session.rollback().await;
                    None
                }
            }
        }));
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Ndjson => "application/x-ndjson",
    };
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(body),
    )
        .into_response();
    quota.headers(r.headers_mut());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}

//! `/api/v1/links`: create (one or in bulk), read, change, disable, delete, list, count,
//! and each link's QR code.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use super::fields::link_options;
use super::{read_json, run, run_one_statement, Answer, Api, BODY_LIMIT, BULK_BODY_LIMIT};
use crate::http::problem::Problem;
use crate::service::links::{self, Filter, Link, Sort};
use crate::service::{Class, Error};

/// Most items of one bulk request.
pub const BULK_MAX: usize = 1000;

/// A link to create or change: every option of `shortlink.shorten` in camelCase, and the
/// names of a Dub-style client (`customSlug`, `tagIds`, `PERMANENT_301`, `URL`, a
/// comma-separated `webhookUrls`). In a change, null clears an option that may be absent.
#[allow(dead_code)] // the schema of a body read as JSON (api/fields.rs reads it)
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkBody {
    /// The destination: http(s), or mailto:/tel:/sms: with linkType. Required to create.
    url: Option<String>,
    /// A registered domain of the workspace (default: shortlink.default_domain).
    domain: Option<String>,
    /// The code: 3-64 of A-Z a-z 0-9 - _ (generated when absent). Also `code`.
    custom_slug: Option<String>,
    code: Option<String>,
    /// Generated code length, 3-64.
    length: Option<i32>,
    title: Option<String>,
    description: Option<String>,
    image: Option<String>,
    /// PERMANENT_301 or TEMPORARY_302 (or 301, 302).
    #[schema(value_type = Option<String>)]
    redirect_type: Option<Value>,
    /// URL, MAILTO, TEL or SMS (any case).
    link_type: Option<String>,
    cloaked: Option<bool>,
    password: Option<String>,
    /// ISO 8601, in the future.
    expires_at: Option<String>,
    /// Seconds from now.
    expire_in: Option<f64>,
    max_clicks: Option<i64>,
    tag_ids: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    forward_parameters: Option<bool>,
    block_bots: Option<bool>,
    tracking: Option<bool>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_term: Option<String>,
    utm_content: Option<String>,
    meta_pixel_id: Option<String>,
    google_tag_id: Option<String>,
    /// Comma-separated, or an array.
    #[schema(value_type = Option<Vec<String>>)]
    webhook_urls: Option<Value>,
    callback_url: Option<String>,
    /// The body callbackUrl receives: shortlink's click event ("shortlink", the default)
    /// or Exotel's click callback ("exotel").
    #[schema(pattern = "^(shortlink|exotel)$")]
    callback_format: Option<String>,
    expired_url: Option<String>,
    custom_field: Option<String>,
    dlt_header: Option<String>,
    contact_phone: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    template_vars: Option<Map<String, Value>>,
}

pub fn query_error(r: QueryRejection) -> Error {
    Error::new(Class::BadRequest, r.body_text())
}

pub fn path_error(r: PathRejection) -> Error {
    Error::new(Class::BadRequest, r.body_text())
}

/// Creates a link.
#[utoipa::path(post, path = "/api/v1/links", tag = "links", request_body = LinkBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body answer the first response")),
    responses((status = 201, body = Link), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn create(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A key seen before, without an Idempotency-Key: one statement (api_shorten).
    let one = run_one_statement(&api, &headers, async |secret| {
        let value = read_json(&api, "POST /api/v1/links", &headers, &body, BODY_LIMIT)?;
        let (url, opts) = link_options(&value, true, &[])?;
        let (link, key_id, rate_limit) = links::create_with_key(
            &api.service,
            secret,
            url.as_deref().unwrap_or_default(),
            &opts,
        )
        .await?;
        Ok((Answer::json(StatusCode::CREATED, link)?, key_id, rate_limit))
    })
    .await;
    if let Some(answer) = one {
        return answer;
    }
    run(&api, &headers, method, uri.path(), &body, async |s| {
        let value = read_json(&api, "POST /api/v1/links", &headers, &body, BODY_LIMIT)?;
        let (url, opts) = link_options(&value, true, &[])?;
        let link = links::create(s, url.as_deref().unwrap_or_default(), &opts).await?;
        Answer::json(StatusCode::CREATED, link)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    domain: Option<String>,
    tag: Option<String>,
    /// Text in the code, the destination or the title.
    search: Option<String>,
    /// ISO 8601, inclusive.
    created_after: Option<String>,
    /// ISO 8601, exclusive.
    created_before: Option<String>,
    disabled: Option<bool>,
    expired: Option<bool>,
    #[param(inline)]
    sort: Option<Sort>,
    /// asc or desc (default desc).
    #[param(pattern = "^(asc|desc)?$")]
    order: Option<String>,
    /// 1-1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// nextCursor of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkPage {
    data: Vec<Link>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = LinkCount)]
pub struct Count {
    count: i64,
}

/// A query parameter given empty is one not given.
fn given(v: &Option<String>) -> Option<String> {
    v.clone().filter(|v| !v.is_empty())
}

fn filter(q: &ListQuery) -> Filter {
    Filter {
        domain: given(&q.domain),
        tag: given(&q.tag),
        search: given(&q.search),
        created_after: given(&q.created_after),
        created_before: given(&q.created_before),
        disabled: q.disabled,
        expired: q.expired,
    }
}

/// Lists links, newest first unless sorted otherwise, a page at a time.
#[utoipa::path(get, path = "/api/v1/links", tag = "links", params(ListQuery),
    responses((status = 200, body = LinkPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Query(q) = q.map_err(query_error)?;
        let limit = q.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(
                Error::new(Class::BadRequest, "limit must be 1 to 1000").with_field("limit")
            );
        }
        let descending = match q.order.as_deref().filter(|o| !o.is_empty()) {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => {
                return Err(
                    Error::new(Class::BadRequest, "order must be asc or desc").with_field("order")
                )
            }
        };
        let (data, next_cursor) = links::list(
            s,
            &filter(&q),
            q.sort.unwrap_or(Sort::CreatedAt),
            descending,
            limit,
            given(&q.cursor).as_deref(),
        )
        .await?;
        Answer::json(StatusCode::OK, LinkPage { data, next_cursor })
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    domain: Option<String>,
    tag: Option<String>,
    search: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    disabled: Option<bool>,
    expired: Option<bool>,
}

/// Counts the links a list with the same filters would walk.
#[utoipa::path(get, path = "/api/v1/links/count", tag = "links", params(CountQuery),
    responses((status = 200, body = Count), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn count(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    q: Result<Query<CountQuery>, QueryRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Query(q) = q.map_err(query_error)?;
        let f = Filter {
            domain: given(&q.domain),
            tag: given(&q.tag),
            search: given(&q.search),
            created_after: given(&q.created_after),
            created_before: given(&q.created_before),
            disabled: q.disabled,
            expired: q.expired,
        };
        Answer::json(
            StatusCode::OK,
            Count {
                count: links::count(s, &f).await?,
            },
        )
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InfoQuery {
    domain: String,
    code: String,
}

/// A link by its domain and code.
#[utoipa::path(get, path = "/api/v1/links/info", tag = "links", params(InfoQuery),
    responses((status = 200, body = Link), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn info(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    q: Result<Query<InfoQuery>, QueryRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Query(q) = q.map_err(query_error)?;
        s.require("links:read").await?;
        Answer::json(
            StatusCode::OK,
            links::get_by_code(s, &q.domain, &q.code).await?,
        )
    })
    .await
}

/// A link by id.
#[utoipa::path(get, path = "/api/v1/links/{id}", tag = "links", params(("id" = i64, Path)),
    responses((status = 200, body = Link), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn get(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        Answer::json(StatusCode::OK, links::get(s, id).await?)
    })
    .await
}

/// Changes a link's destination or options; its code, domain, counts and history stay.
#[utoipa::path(patch, path = "/api/v1/links/{id}", tag = "links", params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header)), request_body = LinkBody,
    responses((status = 200, body = Link), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn update(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &body, async |s| {
        let Path(id) = id.map_err(path_error)?;
        let value = read_json(
            &api,
            "PATCH /api/v1/links/{id}",
            &headers,
            &body,
            BODY_LIMIT,
        )?;
        let (url, mut opts) = link_options(&value, false, &[])?;
        if let Some(u) = url {
            opts.insert("url".to_owned(), Value::String(u));
        }
        Answer::json(StatusCode::OK, links::update(s, id, &opts).await?)
    })
    .await
}

/// Deletes a link with its counts and click events.
#[utoipa::path(delete, path = "/api/v1/links/{id}", tag = "links", params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn delete(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        links::delete(s, id).await?;
        Ok(Answer::Empty(StatusCode::NO_CONTENT))
    })
    .await
}

/// Disables a link: it answers 410 until enabled.
#[utoipa::path(post, path = "/api/v1/links/{id}/disable", tag = "links", params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Link), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn disable(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        Answer::json(StatusCode::OK, links::set_disabled(s, id, true).await?)
    })
    .await
}

/// Enables a disabled link.
#[utoipa::path(post, path = "/api/v1/links/{id}/enable", tag = "links", params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Link), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn enable(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        Answer::json(StatusCode::OK, links::set_disabled(s, id, false).await?)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// svg (default) or png.
    #[param(pattern = "^(svg|SVG|png|PNG)?$")]
    format: Option<String>,
    /// Pixels, as GET /{code}/qr takes them.
    #[param(minimum = 64, maximum = 2048)]
    size: Option<u32>,
    /// The quiet zone, in modules.
    #[param(minimum = 0, maximum = 16)]
    margin: Option<u32>,
    /// L, M, Q or H.
    #[param(pattern = "^[LMQHlmqh]?$")]
    ecc: Option<String>,
}

/// The link's QR code, SVG or PNG.
#[utoipa::path(get, path = "/api/v1/links/{id}/qr", tag = "links", params(("id" = i64, Path), QrQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 429, body = Problem)))]
pub async fn qr(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    q: Result<Query<QrQuery>, QueryRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        let Query(q) = q.map_err(query_error)?;
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(f) = given(&q.format) {
            pairs.push(("format", f));
        }
        if let Some(s) = q.size {
            pairs.push(("size", s.to_string()));
        }
        if let Some(m) = q.margin {
            pairs.push(("margin", m.to_string()));
        }
        if let Some(e) = given(&q.ecc) {
            pairs.push(("ecc", e));
        }
        let options =
            match shortlink_qr::Options::from_query(pairs.iter().map(|(k, v)| (*k, v.as_str()))) {
                Ok(o) => o,
                Err(e) => return Err(Error::new(Class::BadRequest, e.to_string())),
            };
        let link = links::get(s, id).await?;
        let image = shortlink_qr::render(&link.short_url, &options)
            .map_err(|e| Error::new(Class::BadRequest, e.to_string()))?;
        Ok(Answer::Raw(
            (
                [(header::CONTENT_TYPE, options.format.content_type())],
                image,
            )
                .into_response(),
        ))
    })
    .await
}

/// One item's outcome in a bulk answer.
#[derive(Serialize, ToSchema)]
pub struct BulkItem {
    /// The item's position in the request, from 0.
    index: usize,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Problem>,
    /// A deleted link's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkAnswer {
    results: Vec<BulkItem>,
}

fn bulk_answer(results: Vec<BulkItem>) -> Result<Answer, Error> {
    let all_ok = results.iter().all(|r| r.status < 300);
    Answer::json(
        if all_ok {
            StatusCode::OK
        } else {
            StatusCode::MULTI_STATUS
        },
        BulkAnswer { results },
    )
}

fn item_problem(index: usize, e: &Error) -> BulkItem {
    let p = Problem::from_error(e, super::fields::api_name);
    BulkItem {
        index,
        status: p.status,
        link: None,
        error: Some(p),
        id: None,
    }
}

/// `item` as it is, unless the API could not read it (a 400, which refuses the whole
/// request, saying which item).
fn unreadable_item<T>(index: usize, item: Result<T, Error>) -> Result<Result<T, Error>, Error> {
    match item {
        Err(e) if e.class == Class::BadRequest => Err(Error {
            detail: format!("item {index}: {}", e.detail),
            ..e
        }),
        other => Ok(other),
    }
}

fn bulk_items(value: &Value) -> Result<&Vec<Value>, Error> {
    let items = value
        .as_array()
        .ok_or_else(|| Error::new(Class::BadRequest, "the body must be a JSON array of links"))?;
    if items.is_empty() || items.len() > BULK_MAX {
        return Err(Error::new(
            Class::BadRequest,
            format!(
                "a bulk request takes 1 to {BULK_MAX} items, not {}",
                items.len()
            ),
        ));
    }
    Ok(items)
}

/// Creates up to 1,000 links; each item succeeds or fails on its own (207 when some fail).
#[utoipa::path(post, path = "/api/v1/links/bulk", tag = "links", request_body = Vec<LinkBody>,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BulkAnswer), (status = 207, body = BulkAnswer), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 429, body = Problem)))]
pub async fn bulk_create(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &body, async |s| {
        let value = read_json(
            &api,
            "POST /api/v1/links/bulk",
            &headers,
            &body,
            BULK_BODY_LIMIT,
        )?;
        let items = bulk_items(&value)?;
        // An item the API cannot read (not an object, an unknown field, a value of the
        // wrong type) makes the whole request unreadable: 400, nothing made. An item read
        // but refused (no url) is answered alone, beside the others.
        let mut parsed: Vec<Result<Map<String, Value>, Error>> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item = link_options(item, true, &[]).map(|(url, mut opts)| {
                opts.insert("url".to_owned(), Value::String(url.unwrap_or_default()));
                opts
            });
            parsed.push(unreadable_item(index, item)?);
        }
        let good: Vec<Map<String, Value>> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        let mut made = if good.is_empty() {
            Vec::new()
        } else {
            links::create_many(s, &good).await?
        }
        .into_iter();
        let mut results = Vec::with_capacity(items.len());
        for (index, p) in parsed.iter().enumerate() {
            match p {
                Err(e) => results.push(item_problem(index, e)),
                Ok(_) => match made.next() {
                    Some(Ok(link)) => results.push(BulkItem {
                        index,
                        status: 201,
                        link: Some(link),
                        error: None,
                        id: None,
                    }),
                    Some(Err(e)) => results.push(item_problem(index, &e)),
                    None => return Err(Error::internal("shorten_many answered fewer items")),
                },
            }
        }
        bulk_answer(results)
    })
    .await
}

/// Changes up to 1,000 links: each item is `{"id": …, <fields to change>}`.
#[utoipa::path(patch, path = "/api/v1/links/bulk", tag = "links", request_body = Vec<Object>,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BulkAnswer), (status = 207, body = BulkAnswer), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 429, body = Problem)))]
pub async fn bulk_update(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &body, async |s| {
        let value = read_json(
            &api,
            "PATCH /api/v1/links/bulk",
            &headers,
            &body,
            BULK_BODY_LIMIT,
        )?;
        // A key that may change no link is refused whole, not item by item.
        s.require("links:write").await?;
        let items = bulk_items(&value)?;
        // Every item read before any is applied: one the API cannot read refuses the whole
        // request (400, nothing changed).
        let mut changes = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Some(id) = item.get("id").and_then(super::fields::integral) else {
                return Err(Error::new(
                    Class::BadRequest,
                    format!("item {index}: each item needs an integer id"),
                )
                .with_field("id"));
            };
            let change = link_options(item, false, &["id"]).map(|(url, mut opts)| {
                if let Some(u) = url {
                    opts.insert("url".to_owned(), Value::String(u));
                }
                opts
            });
            changes.push((id, unreadable_item(index, change)?));
        }
        let mut results = Vec::with_capacity(items.len());
        for (index, (id, change)) in changes.into_iter().enumerate() {
            let opts = match change {
                Ok(opts) => opts,
                Err(e) => {
                    results.push(item_problem(index, &e));
                    continue;
                }
            };
            // Each item on its own: a refused one is rolled back, and no more.
            match s.alone(async |s| links::update(s, id, &opts).await).await? {
                Ok(link) => results.push(BulkItem {
                    index,
                    status: 200,
                    link: Some(link),
                    error: None,
                    id: None,
                }),
                Err(e) => results.push(item_problem(index, &e)),
            }
        }
        bulk_answer(results)
    })
    .await
}

#[allow(dead_code)] // the schema of a body read as JSON (bulk_delete reads it)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDelete {
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<i64>,
}

/// Deletes up to 1,000 links by id.
#[utoipa::path(delete, path = "/api/v1/links/bulk", tag = "links", request_body = BulkDelete,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BulkAnswer), (status = 207, body = BulkAnswer), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 429, body = Problem)))]
pub async fn bulk_delete(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &body, async |s| {
        let value = read_json(
            &api,
            "DELETE /api/v1/links/bulk",
            &headers,
            &body,
            BULK_BODY_LIMIT,
        )?;
        s.require("links:write").await?;
        // Ids as JSON Schema's integers: 5 and 5.0 alike.
        let ids: Vec<i64> = match value.as_object().map(|o| (o.len(), o.get("ids"))) {
            Some((1, Some(Value::Array(ids)))) => ids
                .iter()
                .map(super::fields::integral)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    Error::new(Class::BadRequest, "ids must be integers").with_field("ids")
                })?,
            _ => {
                return Err(Error::new(
                    Class::BadRequest,
                    "the body must be {\"ids\": [..]}",
                ))
            }
        };
        if ids.is_empty() || ids.len() > BULK_MAX {
            return Err(Error::new(
                Class::BadRequest,
                format!("a bulk request takes 1 to {BULK_MAX} ids"),
            )
            .with_field("ids"));
        }
        let mut results = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            match s.alone(async |s| links::delete(s, *id).await).await? {
                Ok(()) => {
                    results.push(BulkItem {
                        index,
                        status: 204,
                        link: None,
                        error: None,
                        id: Some(*id),
                    });
                }
                Err(e) => {
                    results.push(item_problem(index, &e));
                }
            }
        }
        bulk_answer(results)
    })
    .await
}

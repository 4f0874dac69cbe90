//! Cellcast's tracking-link API as a drop-in (`../shared/seeds/000_…`, docs/api.md
//! "Moving from Cellcast"): `POST /api/v2/tracking-link` makes a link and `GET` on the same
//! path lists them, with the key in `Authorization` as it is, answered in Cellcast's
//! envelope. Shapes only: the link is made and read by the service under the key, as
//! `/api/v1`'s are, with the same rate limit and Idempotency-Key.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use super::{run_as, Answer, Api, Dialect, BODY_LIMIT};
use crate::http::problem::status;
use crate::service::links::{self, Filter, Link, Sort};
use crate::service::{Class, Error};

/// Cellcast's routes: the key in `Authorization` as it is (a `Bearer ` before it is
/// taken off too), errors in the envelope.
pub const CELLCAST: Dialect = Dialect {
    secret: key,
    error: failure,
};

/// A generated code's length: Cellcast's "unique 4-character alphanumeric code".
const GENERATED_LENGTH: i64 = 4;

fn key(headers: &HeaderMap) -> Result<Cow<'_, str>, Error> {
    let unauthorized = |d: &str| Error::new(Class::Unauthorized, d.to_owned());
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("an API key is needed in the Authorization header"))?
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not text"))?
        .trim();
    let value = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    if value.is_empty() {
        return Err(unauthorized(
            "an API key is needed in the Authorization header",
        ));
    }
    Ok(Cow::Borrowed(value))
}

/// The fields every Cellcast answer starts with, as the document prints them
/// (`maintainence` included).
#[derive(Serialize, ToSchema)]
struct Head {
    app_type: &'static str,
    app_version: &'static str,
    maintainence: i32,
    new_version: i32,
    force_update: i32,
    /// 1 when the key is unknown, revoked or expired (401).
    invalid_token: i32,
    refresh_token: &'static str,
    show_message: i32,
    is_enc: bool,
    status: bool,
    message: String,
    message_type: &'static str,
}

impl Head {
    fn new(status: bool, message: String, invalid_token: bool) -> Head {
        Head {
            app_type: "web",
            app_version: "1.0",
            maintainence: 0,
            new_version: 0,
            force_update: 0,
            invalid_token: i32::from(invalid_token),
            refresh_token: "",
            show_message: 0,
            is_enc: false,
            status,
            message,
            message_type: "toast",
        }
    }
}

/// An empty JSON object (`"data": {}`, `"error": {}`).
#[derive(Serialize, ToSchema)]
struct Empty {}

/// A tracking link as Cellcast answers one just made.
#[derive(Serialize, ToSchema)]
pub struct TrackingLink {
    /// Clicks counted (0 for a new link).
    click: i64,
    /// Always 0 (as the document's examples).
    #[serde(rename = "linkSequenceNumber")]
    link_sequence_number: i64,
    /// The link's id as 24 hexadecimal digits (an ObjectId's shape).
    #[serde(rename = "_id")]
    id: String,
    /// The code: the link is `https://<domain>/<shortUrl>`.
    #[serde(rename = "shortUrl")]
    short_url: String,
    /// The destination as given.
    #[serde(rename = "upstreamUrl")]
    upstream_url: String,
    /// The id of the API key that made it, as 24 hexadecimal digits.
    user: String,
    /// When the link stops redirecting; null: never.
    #[serde(rename = "expireAt")]
    expire_at: Option<String>,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    #[serde(rename = "__v")]
    version: i32,
}

/// `POST /api/v2/tracking-link`'s answer.
#[derive(Serialize, ToSchema)]
pub struct TrackingLinkCreated {
    #[serde(flatten)]
    head: Head,
    data: TrackingLink,
    error: Empty,
}

/// A link of the list: its id, code and destination.
#[derive(Serialize, ToSchema)]
pub struct TrackingLinkItem {
    #[serde(rename = "_id")]
    id: String,
    #[serde(rename = "shortUrl")]
    short_url: String,
    #[serde(rename = "longUrl")]
    long_url: String,
}

/// `GET /api/v2/tracking-link`'s answer.
#[derive(Serialize, ToSchema)]
pub struct TrackingLinkList {
    #[serde(flatten)]
    head: Head,
    data: Vec<TrackingLinkItem>,
    error: Empty,
}

/// A refusal: `status` false, the reason in `message`, `data` empty, `error` null.
#[derive(Serialize, ToSchema)]
pub struct CellcastFailure {
    #[serde(flatten)]
    head: Head,
    data: Empty,
    #[schema(value_type = Option<Object>)]
    error: Option<()>,
}

/// Cellcast's messages for the failures its document prints; the database's message for
/// the others.
fn message(e: &Error) -> String {
    match (e.class, e.field.as_deref()) {
        (Class::Conflict, Some("code")) => "shortUrl is already exist".to_owned(),
        (Class::Internal, _) => "internal error".to_owned(),
        _ => e.detail.clone(),
    }
}

/// An error in Cellcast's envelope: 400 for what the document answers 400 (a taken
/// `shortUrl`, no `upstreamUrl`, a body that does not read), `/api/v1`'s status for the
/// rest (401 with `invalid_token: 1`, 403, 413, 415, 422, 429, 503).
pub fn failure(e: &Error, _method: &Method) -> Response {
    let code = match e.class {
        Class::Conflict if e.field.as_deref() == Some("code") => StatusCode::BAD_REQUEST,
        c => status(c),
    };
    let body = CellcastFailure {
        head: Head::new(false, message(e), e.class == Class::Unauthorized),
        data: Empty {},
        error: None,
    };
    let mut r = (code, axum::Json(body)).into_response();
    if let Some(secs) = e.retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

/// Cellcast's request body (other fields are ignored, as Cellcast does).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackingLinkBody {
    /// The destination. Without a scheme (`www.example.com`) it is kept as given and
    /// redirects over https.
    #[schema(value_type = String, min_length = 1, pattern = "\\S")]
    upstream_url: Option<Value>,
    /// A custom code of at least 3 letters and digits; a 4-character one is generated
    /// without it.
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9]{3,64}$")]
    short_url: Option<Value>,
}

/// A text field of the body: absent, null and "" are not given.
fn text_field(value: &Option<Value>, name: &str) -> Result<Option<String>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(Error::new(
            Class::BadRequest,
            format!("{name} must be a string"),
        )),
    }
}

/// The destination to store: as given, or with `https://` before a URL without a scheme.
fn destination(upstream: &str) -> String {
    let lower = upstream.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || upstream.contains("://") {
        upstream.to_owned()
    } else {
        format!("https://{upstream}")
    }
}

/// A timestamp of the database's (RFC 3339, any offset) as Cellcast writes one:
/// `2025-10-15T09:35:00.983Z`.
fn cellcast_time(ts: &str) -> Result<String, Error> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::internal(format!("a timestamp {ts:?} does not read: {e}")))?
        .to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format)
        .map_err(|e| Error::internal(format!("a timestamp does not format: {e}")))
}

/// An id as 24 hexadecimal digits, the shape of Cellcast's MongoDB ObjectIds.
fn object_id(id: i64) -> String {
    format!("{id:024x}")
}

fn tracking_link(link: &Link, upstream: &str, key_id: i64) -> Result<TrackingLink, Error> {
    let created = cellcast_time(&link.created_at)?;
    Ok(TrackingLink {
        click: link.clicks,
        link_sequence_number: 0,
        id: object_id(link.id),
        short_url: link.code.clone(),
        upstream_url: upstream.to_owned(),
        user: object_id(key_id),
        expire_at: link.expires_at.as_deref().map(cellcast_time).transpose()?,
        updated_at: match &link.updated_at {
            Some(t) => cellcast_time(t)?,
            None => created.clone(),
        },
        created_at: created,
        version: 0,
    })
}

/// Creates a tracking link (Cellcast's "Create Tracking Link").
#[utoipa::path(post, path = "/api/v2/tracking-link", tag = "cellcast",
    security(("cellcastKey" = [])), request_body = TrackingLinkBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body answer the first response")),
    responses((status = 200, body = TrackingLinkCreated),
        (status = 400, body = CellcastFailure, description = "shortUrl is already exist; upstreamUrl is required; a body that does not read"),
        (status = 401, body = CellcastFailure, description = "An unknown, revoked or expired key (invalid_token: 1)"),
        (status = 403, body = CellcastFailure), (status = 413, body = CellcastFailure),
        (status = 415, body = CellcastFailure), (status = 422, body = CellcastFailure),
        (status = 429, body = CellcastFailure), (status = 503, body = CellcastFailure)))]
pub async fn create(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_as(
        &api,
        &CELLCAST,
        &headers,
        method,
        uri.path(),
        &body,
        async |s| {
            let value = crate::http::body::json(&headers, &body, BODY_LIMIT)?;
            if !value.is_object() {
                return Err(Error::new(
                    Class::BadRequest,
                    "the body must be a JSON object",
                ));
            }
            let fields: TrackingLinkBody = serde_json::from_value(value).map_err(|e| {
                Error::new(Class::BadRequest, format!("the body does not read: {e}"))
            })?;
            let upstream = text_field(&fields.upstream_url, "upstreamUrl")?
                .ok_or_else(|| Error::new(Class::BadRequest, "upstreamUrl is required"))?;
            let mut opts = Map::new();
            match text_field(&fields.short_url, "shortUrl")? {
                Some(code)
                    if code.len() >= 3 && code.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    opts.insert("code".into(), Value::from(code));
                }
                Some(_) => {
                    return Err(Error::new(
                        Class::BadRequest,
                        "shortUrl must be at least 3 alphanumeric characters",
                    ))
                }
                None => {
                    opts.insert("length".into(), Value::from(GENERATED_LENGTH));
                }
            }
            let link = links::create(s, &destination(&upstream), &opts).await?;
            let created = TrackingLinkCreated {
                head: Head::new(true, "tracking link created successfully!".into(), false),
                data: tracking_link(&link, &upstream, s.key().id)?,
                error: Empty {},
            };
            Answer::json(StatusCode::OK, created)
        },
    )
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackingLinkQuery {
    /// 1-1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// The `cursor` of the previous page's `Link: <…>; rel="next"` header.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    cursor: Option<String>,
}

/// Lists the key's tracking links, newest first, a page at a time (Cellcast's "Get
/// Tracking Links"); the next page's address is in the `Link` header (rel="next").
#[utoipa::path(get, path = "/api/v2/tracking-link", tag = "cellcast",
    security(("cellcastKey" = [])), params(TrackingLinkQuery),
    responses((status = 200, body = TrackingLinkList,
            headers(("Link" = String, description = "The next page: <…?cursor=…>; rel=\"next\""))),
        (status = 400, body = CellcastFailure), (status = 401, body = CellcastFailure),
        (status = 403, body = CellcastFailure), (status = 422, body = CellcastFailure),
        (status = 429, body = CellcastFailure), (status = 503, body = CellcastFailure)))]
pub async fn list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    q: Result<Query<TrackingLinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    run_as(
        &api,
        &CELLCAST,
        &headers,
        method,
        uri.path(),
        &[],
        async |s| {
            let Query(q) = q.map_err(|r| Error::new(Class::BadRequest, r.body_text()))?;
            let limit = q.limit.unwrap_or(100);
            if !(1..=1000).contains(&limit) {
                return Err(Error::new(Class::BadRequest, "limit must be 1 to 1000"));
            }
            let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
            let (page, next) =
                links::list(s, &Filter::default(), Sort::CreatedAt, true, limit, cursor).await?;
            let body = TrackingLinkList {
                head: Head::new(true, "tracking links fetched successfully!".into(), false),
                data: page
                    .iter()
                    .map(|l| TrackingLinkItem {
                        id: object_id(l.id),
                        short_url: l.code.clone(),
                        long_url: l.url.clone(),
                    })
                    .collect(),
                error: Empty {},
            };
            let mut r = (StatusCode::OK, axum::Json(body)).into_response();
            if let Some(next) = next {
                let link =
                    format!("</api/v2/tracking-link?limit={limit}&cursor={next}>; rel=\"next\"");
                if let Ok(v) = HeaderValue::from_str(&link) {
                    r.headers_mut().insert(header::LINK, v);
                }
            }
            Ok(Answer::Raw(r))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_scheme_goes_over_https() {
        assert_eq!(destination("www.cellcast.com"), "https://www.cellcast.com");
        assert_eq!(
            destination("example.com/a?b=1"),
            "https://example.com/a?b=1"
        );
        assert_eq!(
            destination("https://www.example.com/promotion"),
            "https://www.example.com/promotion"
        );
        assert_eq!(destination("HTTP://Example.com"), "HTTP://Example.com");
    }

    #[test]
    fn times_are_written_as_cellcast_writes_them() {
        assert_eq!(
            cellcast_time("2025-10-15T09:35:00.983456+00:00").unwrap(),
            "2025-10-15T09:35:00.983Z"
        );
        assert_eq!(
            cellcast_time("2025-10-15T15:05:00+05:30").unwrap(),
            "2025-10-15T09:35:00.000Z"
        );
        assert!(cellcast_time("yesterday").is_err());
    }

    #[test]
    fn ids_have_the_shape_of_object_ids() {
        assert_eq!(object_id(42), "00000000000000000000002a");
        assert_eq!(object_id(42).len(), 24);
    }

    #[test]
    fn the_key_is_the_header_as_it_is_or_after_bearer() {
        let mut h = HeaderMap::new();
        assert_eq!(key(&h).unwrap_err().class, Class::Unauthorized);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("sl_abc"));
        assert_eq!(key(&h).unwrap(), "sl_abc");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sl_abc"),
        );
        assert_eq!(key(&h).unwrap(), "sl_abc");
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("  "));
        assert_eq!(key(&h).unwrap_err().class, Class::Unauthorized);
    }

    #[test]
    fn a_taken_code_is_cellcasts_400() {
        let taken = Error::new(Class::Conflict, "code \"cell\" already exists").with_field("code");
        let r = failure(&taken, &Method::POST);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(message(&taken), "shortUrl is already exist");
        let bad_key = Error::new(Class::Unauthorized, "invalid API key");
        assert_eq!(
            failure(&bad_key, &Method::POST).status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

//! Exotel's link API as a drop-in (`../shared/seeds/003_…` and `004_…`, docs/api.md
//! "Moving from Exotel"): `POST /v2/accounts/{account_sid}/links` makes links (the batch
//! form `{"links": [...]}` or one flat object) and `GET …/links/{sid}` reads one, with
//! HTTP basic auth, answered in Exotel's envelope. The account sid is the workspace's
//! name; the key and token of basic auth are the two halves of one shortlink API key
//! (`sl_<prefix>` and what follows its second `_`), or the whole key as the token.
//! Shapes only: links are made and read by the service under the key, as `/api/v1`'s.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use utoipa::ToSchema;

use super::{run_as, Answer, Api, Dialect, BULK_BODY_LIMIT};
use crate::service::links::{self, ItemResult, Link};
use crate::service::{Class, Error, Session};

/// Exotel's routes: basic auth, errors in the envelope.
pub const EXOTEL: Dialect = Dialect {
    secret: basic_auth_key,
    error: failure,
};

/// `expire_in` bounds and default, in seconds (the document's 60 s, 365 days, 31 days).
const EXPIRE_MIN: i64 = 60;
const EXPIRE_MAX: i64 = 365 * 86_400;
const EXPIRE_DEFAULT: i64 = 31 * 86_400;
/// The longest `custom_field`.
const CUSTOM_FIELD_MAX: usize = 1024;
/// Items of one request, as `/api/v1`'s bulk create.
const ITEMS_MAX: usize = super::links::BULK_MAX;

/// The key of `Authorization: Basic base64(key:token)`: `key_token` rejoined when the key
/// is `sl_<prefix>`, or the token itself when it is a whole key (or the user, with no
/// token); or of `Authorization: Bearer <key>`, as `/api/v1` reads it.
fn basic_auth_key(headers: &HeaderMap) -> Result<Cow<'_, str>, Error> {
    key_of(headers).map(Cow::Owned).ok_or_else(|| {
        Error::new(
            Class::Unauthorized,
            "authentication failed: send the API key by HTTP basic auth (sl_<prefix> and the rest of the key, or the whole key as the password)",
        )
    })
}

/// The key of a request's basic auth, if it has one that reads.
fn key_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    // `/api/v1`'s way too, for clients that already send it.
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(encoded.trim().to_owned()).filter(|k| !k.is_empty());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, token) = decoded.split_once(':').unwrap_or((&decoded, ""));
    let (user, token) = (user.trim(), token.trim());
    if token.starts_with("sl_") {
        Some(token.to_owned())
    } else if user.starts_with("sl_") && !token.is_empty() {
        Some(format!("{user}_{token}"))
    } else if user.starts_with("sl_") && user.matches('_').count() >= 2 {
        Some(user.to_owned())
    } else {
        None
    }
}

/// An API error code of Exotel's document, with its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Code {
    Missing,
    Invalid,
    Unparsable,
    Authentication,
    Forbidden,
    NotFound,
}

impl Code {
    fn number(self) -> i32 {
        match self {
            Code::Missing => 1001,
            Code::Invalid => 1002,
            Code::Unparsable => 1007,
            Code::Authentication => 1015,
            Code::Forbidden => 1010,
            Code::NotFound => 1012,
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Code::Missing | Code::Invalid | Code::Unparsable => StatusCode::BAD_REQUEST,
            Code::Authentication => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Code::Missing => "Bad Request - Mandatory Parameter missing",
            Code::Invalid => "Bad Request - Invalid parameter",
            Code::Unparsable => "Bad Request - Invalid request body,failed parsing",
            Code::Authentication => "Unauthorized - Authentication failed",
            Code::Forbidden => "Forbidden - Your credentials are valid, but you don’t have access to the requested resource.",
            Code::NotFound => "Not Found - short code not found or expired",
        }
    }
}

/// What went wrong with an item or a request.
#[derive(Serialize, ToSchema)]
pub struct ErrorData {
    /// Exotel's API error code (1001, 1002, 1007, 1010, 1012, 1015), or the HTTP status
    /// where the document has none (429, 503, 500).
    code: i32,
    /// The document's message for the code.
    message: String,
    /// What exactly: the field and the rule, or the database's message.
    description: String,
}

/// A link as Exotel answers it.
#[derive(Serialize, ToSchema)]
pub struct ExotelLink {
    /// The link's id as 32 hexadecimal digits.
    sid: String,
    short_url: String,
    short_code: String,
    long_url: String,
    tracking: bool,
    /// "" when not given.
    custom_field: String,
    /// `YYYY-MM-DD HH:mm:ss`, UTC.
    expires_at: Option<String>,
    created_time: String,
    /// `YYYY-MM-DD HH:mm:ss`, UTC; null when never clicked.
    last_viewed: Option<String>,
    total_clicks: i64,
    /// The DLT header; "" when not given.
    url_shorten_header: String,
}

/// One item's result.
#[derive(Serialize, ToSchema)]
pub struct ItemAnswer {
    /// 200, or the API error code.
    code: i32,
    error_data: Option<ErrorData>,
    /// "success" or "failure".
    status: &'static str,
    data: Option<ExotelLink>,
}

#[derive(Serialize, ToSchema)]
pub struct Counts {
    failed: usize,
    total: usize,
    success: usize,
}

/// Exotel's envelope.
#[derive(Serialize, ToSchema)]
pub struct ExotelAnswer {
    request_id: String,
    method: String,
    http_code: u16,
    metadata: Counts,
    response: Vec<ItemAnswer>,
}

/// A request id: 32 hexadecimal digits, unique per request of this process.
fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = Sha256::digest(format!("{}:{now}:{n}", std::process::id()));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn answer(method: &Method, status: StatusCode, items: Vec<ItemAnswer>) -> ExotelAnswer {
    let success = items.iter().filter(|i| i.status == "success").count();
    ExotelAnswer {
        request_id: request_id(),
        method: method.to_string(),
        http_code: status.as_u16(),
        metadata: Counts {
            failed: items.len() - success,
            total: items.len(),
            success,
        },
        response: items,
    }
}

fn item_failure(code: Code, description: String) -> ItemAnswer {
    ItemAnswer {
        code: code.number(),
        error_data: Some(ErrorData {
            code: code.number(),
            message: code.message().to_owned(),
            description,
        }),
        status: "failure",
        data: None,
    }
}

/// The code and status of a service error.
fn code_of(e: &Error) -> Result<Code, StatusCode> {
    match e.class {
        Class::BadRequest | Class::PayloadTooLarge | Class::UnsupportedMediaType => {
            Ok(Code::Unparsable)
        }
        Class::Unprocessable | Class::Conflict => Ok(Code::Invalid),
        Class::Unauthorized => Ok(Code::Authentication),
        Class::Forbidden => Ok(Code::Forbidden),
        Class::NotFound => Ok(Code::NotFound),
        Class::TooManyRequests => Err(StatusCode::TOO_MANY_REQUESTS),
        Class::Unavailable => Err(StatusCode::SERVICE_UNAVAILABLE),
        Class::Internal => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// A whole request refused, in the envelope.
pub fn failure(e: &Error, method: &Method) -> Response {
    let description = if e.class == Class::Internal {
        "internal error".to_owned()
    } else {
        e.detail.clone()
    };
    let (status, item) = match code_of(e) {
        Ok(code) => (code.status(), item_failure(code, description)),
        Err(status) => (
            status,
            ItemAnswer {
                code: i32::from(status.as_u16()),
                error_data: Some(ErrorData {
                    code: i32::from(status.as_u16()),
                    message: status.canonical_reason().unwrap_or("Error").to_owned(),
                    description,
                }),
                status: "failure",
                data: None,
            },
        ),
    };
    let mut r = (status, axum::Json(answer(method, status, vec![item]))).into_response();
    if let Some(secs) = e.retry_after {
        if let Ok(v) = secs.to_string().parse() {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

/// A timestamp of the database's (RFC 3339) as Exotel writes one: `2023-01-09 16:59:26`, UTC.
fn exotel_time(ts: &str) -> Result<String, Error> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::internal(format!("a timestamp {ts:?} does not read: {e}")))?
        .to_offset(time::UtcOffset::UTC);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .map_err(|e| Error::internal(format!("a timestamp does not format: {e}")))
}

fn exotel_link(link: &Link) -> Result<ExotelLink, Error> {
    Ok(ExotelLink {
        sid: format!("{:032x}", link.id),
        short_url: link.short_url.clone(),
        short_code: link.code.clone(),
        long_url: link.url.clone(),
        tracking: link.tracking,
        custom_field: link.custom_field.clone().unwrap_or_default(),
        expires_at: link.expires_at.as_deref().map(exotel_time).transpose()?,
        created_time: exotel_time(&link.created_at)?,
        last_viewed: link
            .last_clicked_at
            .as_deref()
            .map(exotel_time)
            .transpose()?,
        total_clicks: link.clicks,
        url_shorten_header: link.dlt_header.clone().unwrap_or_default(),
    })
}

/// One item of the request as shortlink's options, or its failure's code and what.
fn item_options(item: &Value) -> Result<Map<String, Value>, (Code, String)> {
    let invalid = |d: String| (Code::Invalid, d);
    let Value::Object(o) = item else {
        return Err(invalid("each link must be a JSON object".into()));
    };
    let text = |name: &str| -> Result<Option<String>, (Code, String)> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!("{name} must be a string"))),
        }
    };
    let mut opts = Map::new();
    let url =
        text("long_url")?.ok_or_else(|| (Code::Missing, "long_url is mandatory".to_owned()))?;
    opts.insert("url".into(), Value::from(url));
    let expire_in = match o.get("expire_in") {
        None | Some(Value::Null) => EXPIRE_DEFAULT,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|s| (EXPIRE_MIN..=EXPIRE_MAX).contains(s))
            .ok_or_else(|| {
                invalid(format!(
                    "expire_in must be whole seconds from {EXPIRE_MIN} to {EXPIRE_MAX} (365 days)"
                ))
            })?,
    };
    opts.insert("expire_in".into(), Value::from(expire_in));
    match o.get("tracking") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => {
            opts.insert("tracking".into(), Value::from(*b));
        }
        Some(Value::String(s))
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
        {
            opts.insert(
                "tracking".into(),
                Value::from(s.eq_ignore_ascii_case("true")),
            );
        }
        Some(_) => return Err(invalid("tracking must be true or false".into())),
    }
    // The document spells the DLT header both ways.
    let header = match (text("shorten_url_header")?, text("url_shorten_header")?) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(
                "shorten_url_header and url_shorten_header differ: send one".into(),
            ))
        }
        (a, b) => a.or(b),
    };
    if let Some(h) = header {
        opts.insert("dlt_header".into(), Value::from(h));
    }
    if let Some(cb) = text("callback_url")? {
        opts.insert("callback_url".into(), Value::from(cb));
        // Exotel's clients read Exotel's click callback.
        opts.insert("callback_format".into(), Value::from("exotel"));
    }
    if let Some(cf) = text("custom_field")? {
        if cf.chars().count() > CUSTOM_FIELD_MAX {
            return Err(invalid(format!(
                "custom_field holds at most {CUSTOM_FIELD_MAX} characters"
            )));
        }
        opts.insert("custom_field".into(), Value::from(cf));
    }
    if let Some(d) = text("custom_domain")? {
        opts.insert("domain".into(), Value::from(d));
    }
    Ok(opts)
}

/// 403 (1010) unless the path's account sid is the key's workspace.
fn same_account(s: &Session, account_sid: &str) -> Result<(), Error> {
    if s.key().workspace == account_sid {
        Ok(())
    } else {
        Err(Error::new(
            Class::Forbidden,
            format!("account {account_sid:?} is not this key's"),
        ))
    }
}

/// Makes links (Exotel's "Shorten A Long URL"): `{"links": [...]}` or one link's fields.
#[utoipa::path(post, path = "/v2/accounts/{account_sid}/links", tag = "exotel",
    security(("exotelBasic" = [])),
    params(("account_sid" = String, Path, description = "The workspace's name"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body answer the first response")),
    request_body(content = Object, description = "{\"links\": [{\"long_url\": …}, …]} or one link's fields; trailing commas are accepted"),
    responses((status = 200, body = ExotelAnswer, description = "Every link made"),
        (status = 207, body = ExotelAnswer, description = "Some made, some refused (each with its code)"),
        (status = 400, body = ExotelAnswer, description = "1001 missing, 1002 invalid, 1007 unparsable"),
        (status = 401, body = ExotelAnswer, description = "1015"), (status = 403, body = ExotelAnswer, description = "1010"),
        (status = 413, body = ExotelAnswer), (status = 415, body = ExotelAnswer),
        (status = 429, body = ExotelAnswer), (status = 503, body = ExotelAnswer)))]
pub async fn create(
    State(api): State<Arc<Api>>,
    Path(account_sid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_as(
        &api,
        &EXOTEL,
        &headers,
        method.clone(),
        uri.path(),
        &body,
        async |s| {
            same_account(s, &account_sid)?;
            // Exotel's examples close their objects with a comma: read as the client meant.
            let body = match std::str::from_utf8(&body) {
                Ok(text) => match shortlink_core::json_text::without_trailing_commas(text) {
                    std::borrow::Cow::Owned(fixed) => Bytes::from(fixed),
                    std::borrow::Cow::Borrowed(_) => body.clone(),
                },
                Err(_) => body.clone(),
            };
            let value = crate::http::body::json(&headers, &body, BULK_BODY_LIMIT)?;
            let items: Vec<Value> = match value {
                Value::Object(mut o) if o.contains_key("links") => match o.remove("links") {
                    Some(Value::Array(a)) => a,
                    _ => return Err(Error::new(Class::BadRequest, "links must be an array")),
                },
                o @ Value::Object(_) => vec![o],
                _ => {
                    return Err(Error::new(
                        Class::BadRequest,
                        "the body must be a JSON object",
                    ))
                }
            };
            if items.is_empty() || items.len() > ITEMS_MAX {
                let e = item_failure(Code::Missing, format!("links holds 1 to {ITEMS_MAX} links"));
                return answer_of(&method, vec![e]);
            }
            let mut out: Vec<Option<ItemAnswer>> = Vec::with_capacity(items.len());
            let mut valid = Vec::new();
            let mut slots = Vec::new();
            for item in &items {
                match item_options(item) {
                    Ok(o) => {
                        slots.push(out.len());
                        valid.push(o);
                        out.push(None);
                    }
                    Err((code, what)) => out.push(Some(item_failure(code, what))),
                }
            }
            let made: Vec<ItemResult> = if valid.is_empty() {
                Vec::new()
            } else {
                links::create_many(s, &valid).await?
            };
            for (slot, result) in slots.into_iter().zip(made) {
                out[slot] = Some(match result {
                    Ok(link) => ItemAnswer {
                        code: 200,
                        error_data: None,
                        status: "success",
                        data: Some(exotel_link(&link)?),
                    },
                    Err(e) => item_failure(Code::Invalid, e.detail),
                });
            }
            answer_of(&method, out.into_iter().flatten().collect())
        },
    )
    .await
}

/// The envelope of `items`: 200 when all succeeded, 207 when some did, 400 when none did.
fn answer_of(method: &Method, items: Vec<ItemAnswer>) -> Result<Answer, Error> {
    let failed = items.iter().filter(|i| i.status != "success").count();
    let status = if failed == 0 {
        StatusCode::OK
    } else if failed < items.len() {
        StatusCode::MULTI_STATUS
    } else {
        // Every item refused: each refusal of an item is a 400 of the document's.
        StatusCode::BAD_REQUEST
    };
    Answer::json(status, answer(method, status, items))
}

/// A link's details (Exotel's "Short URL details"), by its sid or its short code.
#[utoipa::path(get, path = "/v2/accounts/{account_sid}/links/{sid}", tag = "exotel",
    security(("exotelBasic" = [])),
    params(("account_sid" = String, Path, description = "The workspace's name"),
        ("sid" = String, Path, description = "The link's sid (32 hexadecimal digits) or its short code")),
    responses((status = 200, body = ExotelAnswer), (status = 401, body = ExotelAnswer, description = "1015"),
        (status = 403, body = ExotelAnswer, description = "1010"),
        (status = 404, body = ExotelAnswer, description = "1012: no such link, or expired"),
        (status = 429, body = ExotelAnswer), (status = 503, body = ExotelAnswer)))]
pub async fn get(
    State(api): State<Arc<Api>>,
    Path((account_sid, sid)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    run_as(
        &api,
        &EXOTEL,
        &headers,
        method.clone(),
        uri.path(),
        &[],
        async |s| {
            same_account(s, &account_sid)?;
            let not_found = || Error::not_found("short code");
            let id = if sid.len() == 32 && sid.bytes().all(|b| b.is_ascii_hexdigit()) {
                i64::from_str_radix(&sid, 16).map_err(|_| not_found())?
            } else {
                links::id_of_code(s, &sid).await?.ok_or_else(not_found)?
            };
            let link = links::get(s, id).await?;
            if link.expired {
                return Err(not_found());
            }
            let item = ItemAnswer {
                code: 200,
                error_data: None,
                status: "success",
                data: Some(exotel_link(&link)?),
            };
            answer_of(&method, vec![item])
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(user: &str, token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {v}")).unwrap(),
        );
        h
    }

    #[test]
    fn the_key_is_rejoined_from_basic_auth() {
        let whole = format!("sl_ABCDEFGH_{}", "x".repeat(43));
        assert_eq!(
            key_of(&basic("sl_ABCDEFGH", &"x".repeat(43))).as_deref(),
            Some(whole.as_str())
        );
        assert_eq!(
            key_of(&basic("anyone", &whole)).as_deref(),
            Some(whole.as_str())
        );
        assert_eq!(key_of(&basic(&whole, "")).as_deref(), Some(whole.as_str()));
        assert_eq!(key_of(&basic("someone", "secret")), None);
        assert_eq!(key_of(&HeaderMap::new()), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {whole}")).unwrap(),
        );
        assert_eq!(key_of(&h).as_deref(), Some(whole.as_str()));
        assert_eq!(
            basic_auth_key(&HeaderMap::new()).unwrap_err().class,
            Class::Unauthorized
        );
    }

    #[test]
    fn items_become_options_or_coded_failures() {
        let o = item_options(&serde_json::json!({"long_url": "https://www.google.co.in/",
            "expire_in": 100, "tracking": "false", "url_shorten_header": "EXOTEL",
            "callback_url": "https://hooks.example/x", "custom_field": "Order details"}))
        .ok()
        .unwrap();
        assert_eq!(o["url"], "https://www.google.co.in/");
        assert_eq!(
            (o["expire_in"].as_i64(), o["tracking"].as_bool()),
            (Some(100), Some(false))
        );
        assert_eq!(o["dlt_header"], "EXOTEL");
        assert_eq!(
            (&o["callback_url"], &o["callback_format"]),
            (
                &Value::from("https://hooks.example/x"),
                &Value::from("exotel")
            )
        );
        assert_eq!(
            item_options(&serde_json::json!({"long_url": "https://a.example/"}))
                .ok()
                .unwrap()["expire_in"],
            EXPIRE_DEFAULT
        );
        let code = |v: Value| item_options(&v).err().map(|(c, _)| c.number());
        assert_eq!(code(serde_json::json!({"expire_in": 100})), Some(1001));
        assert_eq!(
            code(serde_json::json!({"long_url": "https://a/", "expire_in": 59})),
            Some(1002)
        );
        assert_eq!(
            code(serde_json::json!({"long_url": "https://a/", "expire_in": 365 * 86_400 + 1})),
            Some(1002)
        );
        assert_eq!(
            code(serde_json::json!({"long_url": "https://a/", "tracking": "yes"})),
            Some(1002)
        );
        assert_eq!(
            code(serde_json::json!({"long_url": "https://a/", "custom_field": "x".repeat(1025)})),
            Some(1002)
        );
        assert_eq!(
            code(serde_json::json!({"long_url": "https://a/", "custom_field": "x".repeat(1024)})),
            None
        );
    }

    #[test]
    fn times_and_sids_as_exotel_writes_them() {
        assert_eq!(
            exotel_time("2023-01-09T22:29:26.5+05:30").unwrap(),
            "2023-01-09 16:59:26"
        );
        assert_eq!(format!("{:032x}", 42i64).len(), 32);
        assert_eq!(request_id().len(), 32);
        assert_ne!(request_id(), request_id());
    }

    #[test]
    fn errors_carry_the_documents_codes() {
        let cases = [
            (Class::Unauthorized, StatusCode::UNAUTHORIZED),
            (Class::Forbidden, StatusCode::FORBIDDEN),
            (Class::NotFound, StatusCode::NOT_FOUND),
            (Class::BadRequest, StatusCode::BAD_REQUEST),
            (Class::TooManyRequests, StatusCode::TOO_MANY_REQUESTS),
        ];
        for (class, status) in cases {
            assert_eq!(
                failure(&Error::new(class, "x"), &Method::GET).status(),
                status,
                "{class:?}"
            );
        }
        assert_eq!(
            code_of(&Error::new(Class::Unauthorized, "x")),
            Ok(Code::Authentication)
        );
        assert_eq!(Code::Authentication.number(), 1015);
    }
}

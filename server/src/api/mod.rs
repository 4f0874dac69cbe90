//! The HTTP API (`/api/v1`, on `--api-listen`): handlers that read a request, call the
//! service in a transaction that presents the request's key, and answer JSON or RFC 9457
//! problems. Routes and the OpenAPI document come from one registration (utoipa-axum), so
//! they cannot drift apart.

mod analytics;
mod body_schema;
mod cellcast;
mod domains;
mod exotel;
pub mod fields;
mod keys;
mod known_keys;
mod links;
mod rate_limit;
mod sending;
mod trackly;

use axum::body::Bytes;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use body_schema::BodySchemas;
use known_keys::{KnownKey, KnownKeys};
use std::time::Instant;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::problem::Problem;
use crate::service::{Class, Error, Service, Session};

/// Largest body of a single-link request; bulk requests take [`BULK_BODY_LIMIT`].
pub const BODY_LIMIT: usize = 1 << 20;
pub const BULK_BODY_LIMIT: usize = 16 << 20;

/// What the API's handlers share.
pub struct Api {
    pub service: Service,
    limiter: rate_limit::Limiter,
    /// Requests per minute of a key without a limit of its own.
    default_rate_limit: u32,
    /// The document's body schemas, set by [`router`] once the document is made.
    bodies: OnceLock<BodySchemas>,
    /// Keys presented before, for the rate limit of one-statement requests.
    known_keys: KnownKeys,
}

impl Api {
    pub fn new(service: Service, default_rate_limit: u32) -> Self {
        Api {
            service,
            limiter: rate_limit::Limiter::default(),
            default_rate_limit: default_rate_limit.max(1),
            bodies: OnceLock::new(),
            known_keys: KnownKeys::default(),
        }
    }
}

/// A handler's answer, before the session ends.
pub enum Answer {
    /// A JSON answer, serialized once: sent as is, and stored as is for a retry.
    Json(StatusCode, String),
    Empty(StatusCode),
    /// Anything else (an image, a stream): never stored for an idempotent retry.
    Raw(Response),
}

impl Answer {
    pub fn json(status: StatusCode, value: impl serde::Serialize) -> Result<Answer, Error> {
        serde_json::to_string(&value)
            .map(|v| Answer::Json(status, v))
            .map_err(|e| Error::internal(format!("an answer does not serialize: {e}")))
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The problem answer of `e`, its field named as API clients spell it.
pub fn problem(e: &Error) -> Response {
    Problem::from_error(e, fields::api_name).into_response()
}

/// The secret of `Authorization: Bearer <secret>`.
fn bearer(headers: &HeaderMap) -> Result<&str, Error> {
    let unauthorized = |d: &str| Error::new(Class::Unauthorized, d.to_owned());
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("an API key is needed: Authorization: Bearer <key>"))?
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not text"))?;
    let (scheme, secret) = value
        .split_once(' ')
        .ok_or_else(|| unauthorized("the Authorization header must be Bearer <key>"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
        return Err(unauthorized(
            "the Authorization header must be Bearer <key>",
        ));
    }
    Ok(secret.trim())
}

/// An Idempotency-Key: 1 to 255 visible ASCII characters, spaces only inside (the
/// document's pattern says the same).
fn idempotency_key_ok(k: &str) -> bool {
    (1..=255).contains(&k.len())
        && k.bytes().all(|b| (b' '..=b'~').contains(&b))
        && !k.starts_with(' ')
        && !k.ends_with(' ')
}

/// What a request asks, for its Idempotency-Key: the method, the path and the body.
fn request_hash(method: &Method, path: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_str());
    h.update(b" ");
    h.update(path);
    h.update(b"\n");
    h.update(body);
    h.finalize().to_vec()
}

/// How a family of routes reads a request's key and answers an error: `/api/v1`'s
/// ([`V1`]: `Authorization: Bearer`, RFC 9457 problems), or a vendor's drop-in routes'.
/// Everything else (the key's presentation, rate limit, Idempotency-Key, transaction) is
/// the same for all.
pub struct Dialect {
    /// The key's secret, or why the request has none.
    pub secret: fn(&HeaderMap) -> Result<Cow<'_, str>, Error>,
    /// An error as these routes answer it, to a request of this method.
    pub error: fn(&Error, &Method) -> Response,
}

/// `/api/v1`'s dialect.
pub const V1: Dialect = Dialect {
    secret: |h| bearer(h).map(Cow::Borrowed),
    error: |e, _| problem(e),
};

/// Presents the request's key and counts the request against the key's rate limit: the
/// session and the quota (whose headers every answer carries), or the answer refusing it.
pub async fn begin(
    api: &Api,
    headers: &HeaderMap,
) -> Result<(Session, rate_limit::Quota), Response> {
    begin_as(api, &V1, &Method::GET, headers).await
}

/// [`begin`], reading the key and answering errors as `dialect` does.
pub async fn begin_as(
    api: &Api,
    dialect: &Dialect,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(Session, rate_limit::Quota), Response> {
    let secret = (dialect.secret)(headers).map_err(|e| (dialect.error)(&e, method))?;
    let secret = secret.as_ref();
    let session = match api.service.begin(secret).await {
        Ok(s) => s,
        Err(e) => {
            api.known_keys.forget(secret);
            return Err((dialect.error)(&e, method));
        }
    };
    let key = session.key();
    let known = KnownKey {
        id: key.id,
        prefix: key.prefix.clone(),
        rate_limit: key.rate_limit,
    };
    api.known_keys.remember(secret, known.clone());
    match take_quota(api, dialect, method, &known) {
        (quota, None) => Ok((session, quota)),
        (_, Some(refused)) => {
            session.rollback().await;
            Err(refused)
        }
    }
}

/// Requests per minute allowed to `key`.
fn limit_of(api: &Api, key: &KnownKey) -> u32 {
    key.rate_limit
        .map_or(api.default_rate_limit, |l| l.max(1) as u32)
}

/// Counts a request of `key` against its rate limit: its quota, and the 429 refusing it
/// when it is past the limit.
fn take_quota(
    api: &Api,
    dialect: &Dialect,
    method: &Method,
    key: &KnownKey,
) -> (rate_limit::Quota, Option<Response>) {
    let limit = limit_of(api, key);
    let quota = api.limiter.take(key.id, limit);
    if let Some(wait) = quota.refused() {
        let mut e = Error::new(
            Class::TooManyRequests,
            format!(
                "API key {} is past its {limit} requests per minute",
                key.prefix
            ),
        );
        e.retry_after = Some(wait);
        let mut r = (dialect.error)(&e, method);
        quota.headers(r.headers_mut());
        return (quota, Some(r));
    }
    (quota, None)
}

/// One request answered by one statement in autocommit (`work`, given the secret),
/// for a key this process has seen presented: counted against the key's rate limit
/// first, as `run` counts. None: the key is not known here (or the request carries an
/// Idempotency-Key, which needs a transaction): the caller takes the full way, `run`.
pub async fn run_one_statement<F>(api: &Api, headers: &HeaderMap, work: F) -> Option<Response>
where
    F: AsyncFnOnce(&str) -> Result<(Answer, i64, Option<i32>), Error>,
{
    if headers.contains_key("idempotency-key") {
        return None;
    }
    let secret = bearer(headers).ok()?;
    let known = api.known_keys.get(secret)?;
    // Past the limit known here: the full way, which reads the key's limit as it is now
    // (raised in SQL since, perhaps) and refuses or counts the request by it.
    if api.limiter.would_refuse(known.id, limit_of(api, &known)) {
        return None;
    }
    let quota = match take_quota(api, &V1, &Method::POST, &known) {
        (q, None) => q,
        (_, Some(refused)) => return Some(refused),
    };
    let mut r = match work(secret).await {
        Ok((answer, id, rate_limit)) => {
            let prefix = known.prefix;
            api.known_keys.remember(
                secret,
                KnownKey {
                    id,
                    prefix,
                    rate_limit,
                },
            );
            answer.into_response()
        }
        Err(e) => {
            if e.class == Class::Unauthorized {
                api.known_keys.forget(secret);
            }
            problem(&e)
        }
    };
    quota.headers(r.headers_mut());
    Some(r)
}

/// Runs one request: presents its key, applies the key's rate limit and the request's
/// Idempotency-Key, runs `work` in the key's transaction and commits what it did.
pub async fn run<F>(
    api: &Api,
    headers: &HeaderMap,
    method: Method,
    path: &str,
    body: &[u8],
    work: F,
) -> Response
where
    F: AsyncFnOnce(&Session) -> Result<Answer, Error>,
{
    run_as(api, &V1, headers, method, path, body, work).await
}

/// [`run`], reading the key and answering errors as `dialect` does.
pub async fn run_as<F>(
    api: &Api,
    dialect: &Dialect,
    headers: &HeaderMap,
    method: Method,
    path: &str,
    body: &[u8],
    work: F,
) -> Response
where
    F: AsyncFnOnce(&Session) -> Result<Answer, Error>,
{
    let error = dialect.error;
    let problem = |e: &Error| error(e, &method);
    let (session, quota) = match begin_as(api, dialect, &method, headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let with_quota = |mut r: Response| {
        quota.headers(r.headers_mut());
        r
    };
    let idempotency = match headers.get("idempotency-key") {
        Some(v) if method != Method::GET && method != Method::HEAD => match v.to_str() {
            Ok(k) if idempotency_key_ok(k) => Some(k.to_owned()),
            _ => {
                session.rollback().await;
                return with_quota(problem(
                    &Error::new(
                        Class::BadRequest,
                        "Idempotency-Key must be 1 to 255 visible characters",
                    )
                    .with_field("Idempotency-Key"),
                ));
            }
        },
        _ => None,
    };
    if let Some(k) = &idempotency {
        let hash = request_hash(&method, path, body);
        let claim = session
            .query_one(
                "SELECT claimed, status, response, same_request
                 FROM shortlink.idempotency_claim($1, $2)",
                &[k, &hash],
            )
            .await;
        match claim {
            Err(e) => {
                session.rollback().await;
                return with_quota(problem(&e));
            }
            Ok(row) if !row.get::<_, bool>(0) => {
                session.rollback().await;
                if !row.get::<_, bool>(3) {
                    return with_quota(problem(&Error::new(
                        Class::Unprocessable,
                        "this Idempotency-Key was used with another request: use a new key for a new request",
                    ).with_field("Idempotency-Key")));
                }
                let status = row
                    .get::<_, Option<i32>>(1)
                    .and_then(|s| StatusCode::from_u16(s as u16).ok())
                    .unwrap_or(StatusCode::OK);
                let body: Option<String> = row.get(2);
                let mut r = match body {
                    Some(b) if b != "null" => json_response(status, b),
                    _ => status.into_response(),
                };
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return with_quota(r);
            }
            Ok(_) => {}
        }
    }
    let answer = match work(&session).await {
        Ok(a) => a,
        Err(e) => {
            session.rollback().await;
            return with_quota(problem(&e));
        }
    };
    if let Some(k) = &idempotency {
        let (status, body) = match &answer {
            Answer::Json(s, v) => (s.as_u16() as i32, Some(v.clone())),
            Answer::Empty(s) => (s.as_u16() as i32, None),
            Answer::Raw(r) => (r.status().as_u16() as i32, None),
        };
        if let Err(e) = session
            .query(
                "SELECT shortlink.idempotency_store($1, $2, $3)",
                &[k, &status, &body],
            )
            .await
        {
            session.rollback().await;
            return with_quota(problem(&e));
        }
    }
    if let Err(e) = session.commit().await {
        return with_quota(problem(&e));
    }
    with_quota(answer.into_response())
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Json(s, v) => json_response(s, v),
            Answer::Empty(s) => s.into_response(),
            Answer::Raw(r) => r,
        }
    }
}

/// A JSON body of at most `limit` bytes.
/// The JSON body of `operation` (`"POST /api/v1/links"`), read strictly and checked
/// against the schema the OpenAPI document gives it.
pub fn read_json(
    api: &Api,
    operation: &str,
    headers: &HeaderMap,
    body: &Bytes,
    limit: usize,
) -> Result<Value, Error> {
    let value = crate::http::body::json(headers, body, limit)?;
    api.bodies
        .get()
        .ok_or_else(|| Error::internal("the body schemas are not made yet"))?
        .check(operation, &value)?;
    Ok(value)
}

struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (sl_…) made with shortlink.create_api_key() or POST /api/v1/keys",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cellcastKey",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "Authorization",
                    "The API key as it is (Cellcast's way), or after Bearer",
                ),
            )),
        );
        components.add_security_scheme(
            "tracklyKey",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "X-Api-Key",
                    "The API key (Trackly's way)",
                ),
            )),
        );
        components.add_security_scheme(
            "exotelBasic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "Exotel's way: the key's sl_<prefix> as the user and the rest of the key as the password, or the whole key as the password",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shortlink API",
        description = "Short tracking links, their clicks, domains and keys, per workspace. \
                       Every request presents an API key; the database scopes it to the key's \
                       workspace, scopes and domains.",
        license(name = "MIT")
    ),
    security(("apiKey" = [])),
    modifiers(&KeyScheme),
    tags(
        (name = "links", description = "Short links"),
        (name = "analytics", description = "Clicks"),
        (name = "domains", description = "Short domains"),
        (name = "keys", description = "API keys"),
        (name = "sending", description = "Sending lists and offers: what links for SMS messages are made from"),
        (name = "cellcast", description = "Cellcast's tracking-link API, drop-in (docs/api.md, Moving from Cellcast)"),
        (name = "trackly", description = "Trackly's shorten API, drop-in (docs/api.md, Moving from Trackly)"),
        (name = "exotel", description = "Exotel's link API, drop-in (docs/api.md, Moving from Exotel)")
    )
)]
struct ApiDoc;

/// The routes of `/api/v1` with their OpenAPI document.
pub fn router(api: Arc<Api>) -> Result<Router, String> {
    let state = api.clone();
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(links::create, links::list))
        .routes(routes!(links::count))
        .routes(routes!(links::info))
        .routes(routes!(links::get, links::update, links::delete))
        .routes(routes!(links::disable))
        .routes(routes!(links::enable))
        .routes(routes!(links::qr))
        .routes(routes!(
            links::bulk_create,
            links::bulk_update,
            links::bulk_delete
        ))
        .routes(routes!(analytics::analytics))
        .routes(routes!(analytics::events))
        .routes(routes!(domains::list, domains::add))
        .routes(routes!(domains::remove))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::get, keys::update, keys::revoke))
        .routes(routes!(sending::lists))
        .routes(routes!(
            sending::list,
            sending::set_list,
            sending::remove_list
        ))
        .routes(routes!(sending::offers))
        .routes(routes!(
            sending::offer,
            sending::set_offer,
            sending::remove_offer
        ))
        .routes(routes!(cellcast::create, cellcast::list))
        .routes(routes!(trackly::shorten_api))
        .routes(routes!(trackly::shorten_v2))
        .routes(routes!(exotel::create))
        .routes(routes!(exotel::get))
        .with_state(state)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut doc = serde_json::to_value(&doc)
        .map(document_common_answers)
        .map_err(|e| format!("the OpenAPI document: {e}"))?;
    body_schema::bound_integer_formats(&mut doc);
    // A second router over the same Api would find its schemas made already.
    let _ = api.bodies.set(BodySchemas::from_document(&doc)?);
    let doc = Arc::new(doc.to_string());
    Ok(router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        doc.as_str().to_owned(),
                    )
                }
            }),
        )
        .fallback(|| async {
            problem(&Error::new(
                Class::NotFound,
                "no such route: see /api/v1/openapi.json",
            ))
        })
        .route_layer(axum::middleware::from_fn(access_log)))
}

/// What the handlers' registrations leave implicit, made explicit in the document once:
/// problems are `application/problem+json` (RFC 9457); every route may answer 400 (a
/// query or path parameter that does not read), 429 (the key's rate limit) and 503 (the
/// database down); every route that reads a body may answer 413 and 415 (`read_json`),
/// and every route 422 (a value the database refuses); a bulk body holds 1 to 1,000
/// items; an analytics answer is any of its shapes.
fn document_common_answers(mut doc: Value) -> Value {
    let problem = serde_json::json!({"description": "A problem (RFC 9457)", "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    // redirectType takes the hosted APIs' names or the status itself: nothing else.
    if let Some(p) = doc.pointer_mut("/components/schemas/LinkBody/properties/redirectType") {
        *p = serde_json::json!({
            "description": "PERMANENT_301 or TEMPORARY_302 (or 301, 302).",
            "oneOf": [{"type": "string", "enum": ["PERMANENT_301", "TEMPORARY_302"]},
                      {"type": "integer", "enum": [301, 302]}, {"type": "null"}]});
    }
    // webhookUrls: an array, or Dub's comma-separated string.
    if let Some(p) = doc.pointer_mut("/components/schemas/LinkBody/properties/webhookUrls") {
        *p = serde_json::json!({
            "description": "Webhook URLs: an array, or one string of them separated by commas.",
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"},
                      {"type": "null"}]});
    }
    // A bulk change's item: a link body with the id of the link it changes.
    if let Some(body) = doc.pointer("/components/schemas/LinkBody").cloned() {
        let mut change = body;
        change["properties"]["id"] = serde_json::json!({"type": "integer", "format": "int64",
            "description": "The link to change."});
        change["required"] = serde_json::json!(["id"]);
        change["description"] =
            Value::from("A change to one link of a bulk change: its id and the fields to change.");
        doc["components"]["schemas"]["LinkChange"] = change;
    }
    // An analytics answer is one of several shapes, and `[]` is each of the array ones.
    if let Some(answer) = doc.pointer_mut("/components/schemas/AnalyticsAnswer") {
        if let Some(one_of) = answer.as_object_mut().and_then(|o| o.remove("oneOf")) {
            answer["anyOf"] = one_of;
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for (path, item) in paths.iter_mut() {
        // The vendors' routes answer in their own envelopes, documented on each route.
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let has_body = op.contains_key("requestBody");
            // The Idempotency-Key header: what `run` accepts.
            if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for p in params.iter_mut().filter(|p| p["name"] == "Idempotency-Key") {
                    p["schema"] = serde_json::json!({"type": "string", "minLength": 1,
                        "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"});
                }
            }
            if path.ends_with("/bulk") && (method == "post" || method == "patch") {
                if let Some(schema) = op
                    .get_mut("requestBody")
                    .and_then(|b| b.pointer_mut("/content/application~1json/schema"))
                {
                    schema["minItems"] = Value::from(1);
                    schema["maxItems"] = Value::from(links::BULK_MAX);
                    if method == "patch" {
                        schema["items"] =
                            serde_json::json!({"$ref": "#/components/schemas/LinkChange"});
                    }
                }
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for r in responses.values_mut() {
                let is_problem = r
                    .pointer("/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    == Some("#/components/schemas/Problem");
                if is_problem {
                    if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
                        if let Some(c) = content.remove("application/json") {
                            content.insert("application/problem+json".to_owned(), c);
                        }
                    }
                }
            }
            // 422 everywhere: any parameter may carry a value the database refuses.
            let mut statuses = vec!["400", "422", "429", "503"];
            if has_body {
                statuses.extend(["413", "415"]);
            }
            for status in statuses {
                responses.entry(status).or_insert_with(|| problem.clone());
            }
        }
    }
    doc
}

/// One log line and the metrics per request: the method, the route (its template, never
/// the values in it), the status and the time. Never a header: no key reaches a log.
pub async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |p| p.as_str())
        .to_owned();
    let r = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = r.status().as_u16();
    metrics::counter!("shortlink_api_requests_total", "method" => method.to_string(),
        "route" => route.clone(), "status" => status.to_string())
    .increment(1);
    metrics::histogram!("shortlink_api_request_duration_seconds").record(seconds);
    tracing::info!(target: "shortlink::api_access", %method, route, status,
        ms = (seconds * 1000.0).round() as u64, "api request");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_visible_ascii_without_outer_spaces() {
        assert!(idempotency_key_ok("order-42"));
        assert!(idempotency_key_ok("a b"));
        assert!(idempotency_key_ok(&"k".repeat(255)));
        for bad in ["", " a", "a ", "a\tb", "é", &"k".repeat(256)] {
            assert!(!idempotency_key_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_document_names_problems_and_common_answers() {
        let vendor = serde_json::json!({"post": {
            "responses": {"400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CellcastFailure"}}}}}
        }});
        let doc = document_common_answers(serde_json::json!({"paths": {"/api/v1/x": {"post": {
            "requestBody": {"content": {"application/json": {"schema": {}}}},
            "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
            "responses": {"404": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
        }}, "/api/v2/tracking-link": vendor.clone()}}));
        // A vendor's route keeps its own answers: no problem is added to it.
        assert_eq!(doc["paths"]["/api/v2/tracking-link"], vendor);
        let op = &doc["paths"]["/api/v1/x"]["post"];
        assert!(op["responses"]["404"]["content"]["application/problem+json"].is_object());
        for status in ["400", "413", "415", "422", "429", "503"] {
            assert!(op["responses"][status].is_object(), "{status}");
        }
        assert_eq!(op["parameters"][0]["schema"]["maxLength"], 255);
    }
}

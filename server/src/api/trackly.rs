//! Trackly's shorten API as a drop-in (`../shared/seeds/001_…`, docs/api.md "Moving from
//! Trackly"): `POST /api/v2/links/shorten` (and `/v2/links/shorten`) makes a link for a
//! message sent from a sending list, to a URL or from an offer, with the key in
//! `X-Api-Key`; errors are `{"error": "<code>", "message": "…"}` with Trackly's codes and
//! statuses. Shapes only: the link is made by the service (`service::sending`) under the
//! key, with `/api/v1`'s rate limit and Idempotency-Key.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;
use utoipa::ToSchema;

use super::{run_as, Answer, Api, Dialect, BODY_LIMIT};
use crate::http::problem::status;
use crate::service::sending::{self, Destination, Message, Sender};
use crate::service::{Class, Error};

/// Trackly's routes: the key in `X-Api-Key` (or `/api/v1`'s `Authorization: Bearer`),
/// errors as Trackly writes them.
pub const TRACKLY: Dialect = Dialect {
    secret: key,
    error: failure,
};

fn key(headers: &HeaderMap) -> Result<Cow<'_, str>, Error> {
    if let Some(v) = headers.get("x-api-key") {
        return match v.to_str().map(str::trim) {
            Ok(k) if !k.is_empty() => Ok(Cow::Borrowed(k)),
            _ => Err(Error::new(
                Class::Unauthorized,
                "the X-Api-Key header must hold an API key",
            )),
        };
    }
    super::bearer(headers).map(Cow::Borrowed).map_err(|_| {
        Error::new(
            Class::Unauthorized,
            "an API key is needed: X-Api-Key: <key>",
        )
    })
}

/// Trackly's error body.
#[derive(Serialize, ToSchema)]
pub struct TracklyError {
    /// missing_url_or_offer, missing_list_identifier, invalid_url, invalid_phone (400);
    /// product_not_enabled (403); offer_not_found, list_not_found (404);
    /// no_domain_configured (409); id_collision (500); and for what Trackly's document
    /// does not list: invalid_request (400), unauthorized (401), payload_too_large (413),
    /// unsupported_media_type (415), rate_limited (429), internal_error (500),
    /// service_unavailable (503).
    error: &'static str,
    message: String,
}

/// Trackly's code and status for an error of the service.
fn code_of(e: &Error) -> (StatusCode, &'static str) {
    let field = e.field.as_deref();
    match (e.class, field) {
        (Class::BadRequest, Some("url")) => (StatusCode::BAD_REQUEST, "missing_url_or_offer"),
        (Class::BadRequest, Some("listId")) => (StatusCode::BAD_REQUEST, "missing_list_identifier"),
        (Class::Unprocessable, Some("url")) => (StatusCode::BAD_REQUEST, "invalid_url"),
        (Class::Unprocessable, Some("phone_number" | "contact_phone")) => {
            (StatusCode::BAD_REQUEST, "invalid_phone")
        }
        (Class::BadRequest | Class::Unprocessable, _) => {
            (StatusCode::BAD_REQUEST, "invalid_request")
        }
        (Class::Forbidden, _) => (StatusCode::FORBIDDEN, "product_not_enabled"),
        (Class::NotFound, Some("offer_id")) => (StatusCode::NOT_FOUND, "offer_not_found"),
        (Class::NotFound, _) => (StatusCode::NOT_FOUND, "list_not_found"),
        (Class::Conflict, Some("domain")) => (StatusCode::CONFLICT, "no_domain_configured"),
        // No free code after shorten's retries (54000), or any other refusal to store.
        (Class::Conflict, _) => (StatusCode::INTERNAL_SERVER_ERROR, "id_collision"),
        (Class::Unauthorized, _) => (StatusCode::UNAUTHORIZED, "unauthorized"),
        (Class::PayloadTooLarge, _) => (status(e.class), "payload_too_large"),
        (Class::UnsupportedMediaType, _) => (status(e.class), "unsupported_media_type"),
        (Class::TooManyRequests, _) => (status(e.class), "rate_limited"),
        (Class::Unavailable, _) => (status(e.class), "service_unavailable"),
        (Class::Internal, _) => (status(e.class), "internal_error"),
    }
}

/// An error as Trackly answers it.
pub fn failure(e: &Error, _method: &Method) -> Response {
    let (code, error) = code_of(e);
    let message = match error {
        "id_collision" => {
            "failed to generate a unique link ID after multiple attempts: retry the request"
                .to_owned()
        }
        // Trackly's one 403: the key may not make links. Another refusal of the database's
        // (a key restricted to other domains) keeps its own words.
        "product_not_enabled" if e.detail.contains("lacks scope") => {
            format!("{} (the key needs scope links:write)", e.detail)
        }
        _ => e.detail.clone(),
    };
    let mut r = (code, axum::Json(TracklyError { error, message })).into_response();
    if let Some(secs) = e.retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

/// Trackly's request body (read field by field by [`message`]; this is its schema).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ShortenBody {
    /// The destination, http or https. Required unless offerId is given.
    url: Option<String>,
    /// An active offer of the workspace (PUT /api/v1/offers/{offerId}); takes priority
    /// over url.
    #[schema(value_type = Option<String>)]
    offer_id: Option<String>,
    /// The sending list (PUT /api/v1/sending-lists/{listId}) whose domain the link goes on.
    /// Required unless phoneNumber is given.
    #[schema(value_type = Option<i64>)]
    list_id: Option<i64>,
    /// The sending list's number, E.164. Alternative to listId.
    phone_number: Option<String>,
    /// The recipient's number, E.164: `{{contact.phone}}` of an offer's template.
    contact_phone: Option<String>,
    /// Stored on the link (its metadata).
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
}

/// Trackly's answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShortenedLink {
    short_url: String,
    /// The link's code.
    link_id: String,
    destination_url: String,
    domain: String,
    /// The offer the link was made from; null for a URL.
    offer_id: Option<String>,
    /// Whether the link refuses known bots (the offer's filter_bots).
    filter_bots: bool,
}

/// A text field: absent, null and "" are not given; another type is a 400 naming it.
fn text(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(Error::new(
            Class::BadRequest,
            format!("{name} must be a string"),
        )),
    }
}

/// What a request asks: the message's destination and sender, or the error Trackly
/// answers (missing_url_or_offer, missing_list_identifier, invalid_request).
fn message(body: &Value) -> Result<Message, Error> {
    let body = body
        .as_object()
        .ok_or_else(|| Error::new(Class::BadRequest, "the body must be a JSON object"))?;
    let destination = match (text(body, "offerId")?, text(body, "url")?) {
        (Some(offer), _) => Destination::Offer(offer),
        (None, Some(url)) => Destination::Url(url),
        (None, None) => {
            return Err(Error::new(Class::BadRequest, "provide url or offerId").with_field("url"))
        }
    };
    let list_id = match body.get("listId") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| Error::new(Class::BadRequest, "listId must be an integer"))?,
        ),
    };
    let sender = match (list_id, text(body, "phoneNumber")?) {
        (Some(id), _) => Sender::ListId(id),
        (None, Some(phone)) => Sender::Phone(phone),
        (None, None) => {
            return Err(
                Error::new(Class::BadRequest, "provide listId or phoneNumber").with_field("listId"),
            )
        }
    };
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(Error::new(
                Class::BadRequest,
                "metadata must be an object of key-value pairs",
            ))
        }
    };
    Ok(Message {
        destination,
        sender,
        contact_phone: text(body, "contactPhone")?,
        metadata,
    })
}

async fn shorten(
    api: Arc<Api>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_as(
        &api,
        &TRACKLY,
        &headers,
        method,
        uri.path(),
        &body,
        async |s| {
            // The product check first, as Trackly: a key that may not make links learns
            // nothing of the body.
            s.require("links:write").await?;
            let value = crate::http::body::json(&headers, &body, BODY_LIMIT)?;
            let made = sending::shorten(s, &message(&value)?).await?;
            let link = made.link;
            Answer::json(
                StatusCode::OK,
                ShortenedLink {
                    short_url: link.short_url,
                    link_id: link.code,
                    destination_url: link.url,
                    domain: link.domain,
                    offer_id: made.offer_id,
                    filter_bots: link.block_bots,
                },
            )
        },
    )
    .await
}

/// Creates a short link for a message: to a URL, or from an offer (Trackly's "Shorten a
/// Long URL"). Every call makes a new link.
#[utoipa::path(post, path = "/api/v2/links/shorten", tag = "trackly",
    security(("tracklyKey" = [])), request_body = ShortenBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body answer the first response")),
    responses((status = 200, body = ShortenedLink),
        (status = 400, body = TracklyError, description = "missing_url_or_offer, missing_list_identifier, invalid_url, invalid_phone, invalid_request"),
        (status = 401, body = TracklyError, description = "unauthorized: no key, or an unknown, revoked or expired one"),
        (status = 403, body = TracklyError, description = "product_not_enabled: the key lacks links:write"),
        (status = 404, body = TracklyError, description = "offer_not_found, list_not_found"),
        (status = 409, body = TracklyError, description = "no_domain_configured"),
        (status = 413, body = TracklyError), (status = 415, body = TracklyError),
        (status = 429, body = TracklyError),
        (status = 500, body = TracklyError, description = "id_collision: retry the request"),
        (status = 503, body = TracklyError)))]
pub async fn shorten_api(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shorten(api, method, uri, headers, body).await
}

/// The same as `POST /api/v2/links/shorten`, at the path Trackly's reference names.
#[utoipa::path(post, path = "/v2/links/shorten", tag = "trackly",
    security(("tracklyKey" = [])), request_body = ShortenBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body answer the first response")),
    responses((status = 200, body = ShortenedLink),
        (status = 400, body = TracklyError, description = "missing_url_or_offer, missing_list_identifier, invalid_url, invalid_phone, invalid_request"),
        (status = 401, body = TracklyError, description = "unauthorized: no key, or an unknown, revoked or expired one"),
        (status = 403, body = TracklyError, description = "product_not_enabled: the key lacks links:write"),
        (status = 404, body = TracklyError, description = "offer_not_found, list_not_found"),
        (status = 409, body = TracklyError, description = "no_domain_configured"),
        (status = 413, body = TracklyError), (status = 415, body = TracklyError),
        (status = 429, body = TracklyError),
        (status = 500, body = TracklyError, description = "id_collision: retry the request"),
        (status = 503, body = TracklyError)))]
pub async fn shorten_v2(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shorten(api, method, uri, headers, body).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_seed_examples_read() {
        let url =
            message(&json!({"url": "https://example.com/landing-page", "listId": 42})).unwrap();
        assert!(
            matches!(url.destination, Destination::Url(ref u) if u == "https://example.com/landing-page")
        );
        assert!(matches!(url.sender, Sender::ListId(42)));
        let offer = message(&json!({"offerId": "6651a3ef1234567890abcdef",
            "phoneNumber": "+18005551234", "contactPhone": "+15551234567",
            "metadata": {"source": "ai_agent", "conversation_id": "conv_abc123"}}))
        .unwrap();
        assert!(
            matches!(offer.destination, Destination::Offer(ref o) if o == "6651a3ef1234567890abcdef")
        );
        assert!(matches!(offer.sender, Sender::Phone(ref p) if p == "+18005551234"));
        assert_eq!(offer.contact_phone.as_deref(), Some("+15551234567"));
        assert_eq!(offer.metadata.unwrap()["source"], "ai_agent");
    }

    #[test]
    fn an_offer_takes_priority_over_a_url() {
        let m =
            message(&json!({"url": "https://a.example", "offerId": "o1", "listId": 1})).unwrap();
        assert!(matches!(m.destination, Destination::Offer(ref o) if o == "o1"));
    }

    #[test]
    fn missing_fields_have_tracklys_codes() {
        let code = |v: Value| code_of(&message(&v).err().unwrap());
        assert_eq!(
            code(json!({"listId": 1})),
            (StatusCode::BAD_REQUEST, "missing_url_or_offer")
        );
        assert_eq!(
            code(json!({"url": "", "listId": 1})).1,
            "missing_url_or_offer"
        );
        assert_eq!(
            code(json!({"url": "https://a.example"})),
            (StatusCode::BAD_REQUEST, "missing_list_identifier")
        );
        assert_eq!(
            code(json!({"url": "https://a.example", "listId": "x"})).1,
            "invalid_request"
        );
        assert_eq!(code(json!([1])).1, "invalid_request");
    }

    #[test]
    fn service_errors_have_tracklys_codes() {
        let c = |class, field: &str| code_of(&Error::new(class, "x").with_field(field));
        assert_eq!(
            c(Class::Unprocessable, "url"),
            (StatusCode::BAD_REQUEST, "invalid_url")
        );
        assert_eq!(c(Class::Unprocessable, "phone_number").1, "invalid_phone");
        assert_eq!(c(Class::Unprocessable, "contact_phone").1, "invalid_phone");
        assert_eq!(
            c(Class::NotFound, "offer_id"),
            (StatusCode::NOT_FOUND, "offer_not_found")
        );
        assert_eq!(
            c(Class::NotFound, "list_id"),
            (StatusCode::NOT_FOUND, "list_not_found")
        );
        assert_eq!(
            c(Class::Conflict, "domain"),
            (StatusCode::CONFLICT, "no_domain_configured")
        );
        assert_eq!(
            code_of(&Error::new(Class::Conflict, "no free code")),
            (StatusCode::INTERNAL_SERVER_ERROR, "id_collision")
        );
        assert_eq!(
            code_of(&Error::new(Class::Forbidden, "lacks scope")),
            (StatusCode::FORBIDDEN, "product_not_enabled")
        );
        let body = |e: &Error| {
            let r = failure(e, &Method::POST);
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            e.detail.clone()
        };
        let scope = Error::new(
            Class::Forbidden,
            "API key \"sl_x\" lacks scope \"links:write\"",
        );
        assert_eq!(body(&scope), scope.detail);
    }

    #[test]
    fn the_key_is_read_from_x_api_key() {
        let mut h = HeaderMap::new();
        assert_eq!(key(&h).unwrap_err().class, Class::Unauthorized);
        h.insert("x-api-key", HeaderValue::from_static("sl_abc"));
        assert_eq!(key(&h).unwrap(), "sl_abc");
        h.insert("x-api-key", HeaderValue::from_static(" "));
        assert_eq!(key(&h).unwrap_err().class, Class::Unauthorized);
    }
}

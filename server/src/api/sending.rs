//! `/api/v1/sending-lists` and `/api/v1/offers`: the numbers a workspace sends from (each
//! with the short domain of its links) and the destination templates its links are made
//! from. Read with `sending:read`, changed with `sending:write`.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

use super::links::path_error;
use super::{read_json, run, Answer, Api, BODY_LIMIT};
use crate::http::problem::Problem;
use crate::service::sending::{self, Offer, SendingList};
use crate::service::{Class, Error};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SendingListBody {
    /// The number messages are sent from, E.164 (`+18005551234`; spaces, dots, dashes and
    /// parentheses are taken out).
    #[schema(min_length = 1, max_length = 40)]
    phone_number: String,
    /// The short domain of the list's links: one of the workspace's domains. Null or
    /// absent: none yet (links cannot be made for the list until it has one).
    #[schema(max_length = 253)]
    domain: Option<String>,
    #[schema(max_length = 200)]
    name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OfferBody {
    /// An http or https URL; `{{contact.phone}}`, `{{link.code}}` and `{{link.domain}}`
    /// are filled when a link is made.
    #[schema(min_length = 1, max_length = 8192)]
    destination: String,
    /// Links made from the offer refuse known bots. Default false.
    #[serde(default)]
    filter_bots: bool,
    /// Whether the offer makes new links. Default true.
    #[serde(default = "yes")]
    active: bool,
    #[schema(max_length = 200)]
    name: Option<String>,
}

fn yes() -> bool {
    true
}

fn body<T: serde::de::DeserializeOwned>(
    api: &Api,
    operation: &str,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<T, Error> {
    let value = read_json(api, operation, headers, bytes, BODY_LIMIT)?;
    serde_json::from_value(value)
        .map_err(|e| Error::new(Class::BadRequest, format!("the body does not read: {e}")))
}

/// The workspace's sending lists.
#[utoipa::path(get, path = "/api/v1/sending-lists", tag = "sending",
    responses((status = 200, body = Vec<SendingList>), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 429, body = Problem)))]
pub async fn lists(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        Answer::json(StatusCode::OK, sending::lists(s).await?)
    })
    .await
}

/// A sending list.
#[utoipa::path(get, path = "/api/v1/sending-lists/{listId}", tag = "sending",
    params(("listId" = i64, Path, minimum = 1)),
    responses((status = 200, body = SendingList), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        Answer::json(StatusCode::OK, sending::list(s, id).await?)
    })
    .await
}

/// Adds sending list `listId`, or replaces it.
#[utoipa::path(put, path = "/api/v1/sending-lists/{listId}", tag = "sending",
    request_body = SendingListBody,
    params(("listId" = i64, Path, minimum = 1), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = SendingList), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "Another list of the workspace has the number"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn set_list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    bytes: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &bytes, async |s| {
        let Path(id) = id.map_err(path_error)?;
        let b: SendingListBody =
            body(&api, "PUT /api/v1/sending-lists/{listId}", &headers, &bytes)?;
        let list = sending::set_list(
            s,
            id,
            &b.phone_number,
            b.domain.as_deref(),
            b.name.as_deref(),
        )
        .await?;
        Answer::json(StatusCode::OK, list)
    })
    .await
}

/// Removes a sending list; the links made for it stay.
#[utoipa::path(delete, path = "/api/v1/sending-lists/{listId}", tag = "sending",
    params(("listId" = i64, Path, minimum = 1), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn remove_list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        sending::remove_list(s, id).await?;
        Ok(Answer::Empty(StatusCode::NO_CONTENT))
    })
    .await
}

/// The workspace's offers.
#[utoipa::path(get, path = "/api/v1/offers", tag = "sending",
    responses((status = 200, body = Vec<Offer>), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 429, body = Problem)))]
pub async fn offers(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        Answer::json(StatusCode::OK, sending::offers(s).await?)
    })
    .await
}

/// An offer.
#[utoipa::path(get, path = "/api/v1/offers/{offerId}", tag = "sending",
    params(("offerId" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$")),
    responses((status = 200, body = Offer), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn offer(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        Answer::json(StatusCode::OK, sending::offer(s, &id).await?)
    })
    .await
}

/// Adds offer `offerId`, or replaces it.
#[utoipa::path(put, path = "/api/v1/offers/{offerId}", tag = "sending", request_body = OfferBody,
    params(("offerId" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$"),
        ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Offer), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn set_offer(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &bytes, async |s| {
        let Path(id) = id.map_err(path_error)?;
        let b: OfferBody = body(&api, "PUT /api/v1/offers/{offerId}", &headers, &bytes)?;
        let offer = sending::set_offer(
            s,
            &id,
            &b.destination,
            b.filter_bots,
            b.active,
            b.name.as_deref(),
        )
        .await?;
        Answer::json(StatusCode::OK, offer)
    })
    .await
}

/// Removes an offer; the links made from it stay.
#[utoipa::path(delete, path = "/api/v1/offers/{offerId}", tag = "sending",
    params(("offerId" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$"),
        ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn remove_offer(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        sending::remove_offer(s, &id).await?;
        Ok(Answer::Empty(StatusCode::NO_CONTENT))
    })
    .await
}

//! `/api/v1/domains`: the workspace's short domains.

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
use crate::service::domains::{self, Domain};
use crate::service::{Class, Error};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainBody {
    /// A host name (IDNA is stored as punycode, lowercase).
    domain: String,
}

/// The workspace's domains.
#[utoipa::path(get, path = "/api/v1/domains", tag = "domains",
    responses((status = 200, body = Vec<Domain>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 429, body = Problem)))]
pub async fn list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        Answer::json(StatusCode::OK, domains::list(s).await?)
    })
    .await
}

/// Registers a domain in the workspace (a domain belongs to one workspace).
#[utoipa::path(post, path = "/api/v1/domains", tag = "domains", request_body = DomainBody,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Domain), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn add(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &body, async |s| {
        let value = read_json(&api, "POST /api/v1/domains", &headers, &body, BODY_LIMIT)?;
        let b: DomainBody = serde_json::from_value(value.clone()).map_err(|e| {
            Error::new(
                Class::BadRequest,
                format!("the body must be {{\"domain\": \"…\"}}: {e}"),
            )
            .with_field("domain")
        })?;
        Answer::json(StatusCode::CREATED, domains::add(s, &b.domain).await?)
    })
    .await
}

/// Removes a domain no link uses (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/domains/{domain}", tag = "domains",
    params(("domain" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn remove(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    domain: Result<Path<String>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(domain) = domain.map_err(path_error)?;
        domains::remove(s, &domain).await?;
        Ok(Answer::Empty(StatusCode::NO_CONTENT))
    })
    .await
}

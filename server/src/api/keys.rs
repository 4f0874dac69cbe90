//! `/api/v1/keys`: the workspace's API keys (scope keys:manage). A key makes keys with
//! at most its own scopes and domains; the database checks it.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use super::fields::camel_case;
use super::links::{path_error, query_error};
use super::{read_json, run, Answer, Api, BODY_LIMIT};
use crate::http::problem::Problem;
use crate::service::keys::{self, ApiKey};
use crate::service::{Class, Error};

#[allow(dead_code)] // the schema of a body read as JSON (key_options reads it)
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyBody {
    /// Required to create.
    name: Option<String>,
    /// links:read, links:write, analytics:read, domains:read, domains:write, keys:manage
    /// (default: all of the creating key's).
    scopes: Option<Vec<String>>,
    /// Only these domains of the workspace.
    domains: Option<Vec<String>>,
    /// Only the links this key creates.
    own_links_only: Option<bool>,
    /// Requests per minute.
    rate_limit: Option<i32>,
    /// ISO 8601.
    expires_at: Option<String>,
    /// Seconds from now.
    expire_in: Option<f64>,
}

const KEY_OPTIONS: [&str; 6] = [
    "scopes",
    "domains",
    "own_links_only",
    "rate_limit",
    "expires_at",
    "expire_in",
];

/// (name, the extension's options) of a key body.
fn key_options(value: &Value) -> Result<(Option<String>, Map<String, Value>), Error> {
    let obj = value
        .as_object()
        .ok_or_else(|| Error::new(Class::BadRequest, "the body must be a JSON object"))?;
    let mut name = None;
    let mut opts = Map::new();
    for (field, v) in obj {
        if field == "name" && v.is_null() {
            // Not given (create: 422 "name is required"; change: the name stays).
            continue;
        }
        if field == "name" {
            name = Some(
                v.as_str()
                    .ok_or_else(|| {
                        Error::new(Class::BadRequest, "name must be a string").with_field("name")
                    })?
                    .to_owned(),
            );
            continue;
        }
        let option = KEY_OPTIONS
            .iter()
            .find(|o| camel_case(o) == *field)
            .ok_or_else(|| {
                Error::new(Class::BadRequest, format!("unknown field \"{field}\""))
                    .with_field(field.clone())
            })?;
        opts.insert((*option).to_owned(), v.clone());
    }
    Ok((name, opts))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Also the revoked keys (default false).
    include_revoked: Option<bool>,
}

/// The workspace's keys in force, and the revoked ones on request (never a secret).
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", params(ListQuery),
    responses((status = 200, body = Vec<ApiKey>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 429, body = Problem)))]
pub async fn list(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Query(q) = query.map_err(query_error)?;
        Answer::json(
            StatusCode::OK,
            keys::list(s, q.include_revoked.unwrap_or(false)).await?,
        )
    })
    .await
}

/// Makes a key; its secret is in this answer only. No Idempotency-Key: a replay would
/// need the secret stored, which is never.
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", request_body = KeyBody,
    responses((status = 201, body = ApiKey), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn create(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&api, &headers, method, uri.path(), &body, async |s| {
        // Refused here, in the transaction, so that the claim `run` made is rolled back.
        if headers.contains_key("idempotency-key") {
            return Err(Error::new(
                Class::BadRequest,
                "a key is not made with an Idempotency-Key: its secret is shown once and never \
                 stored, so its answer cannot be replayed; retry without it, and revoke a key \
                 made twice",
            )
            .with_field("Idempotency-Key"));
        }
        let value = read_json(&api, "POST /api/v1/keys", &headers, &body, BODY_LIMIT)?;
        let (name, opts) = key_options(&value)?;
        let name = name.ok_or_else(|| {
            Error::new(Class::Unprocessable, "name is required").with_field("name")
        })?;
        Answer::json(StatusCode::CREATED, keys::create(s, &name, &opts).await?)
    })
    .await
}

/// A key by id.
#[utoipa::path(get, path = "/api/v1/keys/{id}", tag = "keys", params(("id" = i64, Path)),
    responses((status = 200, body = ApiKey), (status = 401, body = Problem), (status = 403, body = Problem),
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
        Answer::json(StatusCode::OK, keys::get(s, id).await?)
    })
    .await
}

/// Changes a key's name, scopes, domains, rate limit or expiry.
#[utoipa::path(patch, path = "/api/v1/keys/{id}", tag = "keys", request_body = KeyBody,
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ApiKey), (status = 400, body = Problem), (status = 401, body = Problem),
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
        let value = read_json(&api, "PATCH /api/v1/keys/{id}", &headers, &body, BODY_LIMIT)?;
        let (name, mut opts) = key_options(&value)?;
        if let Some(n) = name {
            opts.insert("name".to_owned(), Value::String(n));
        }
        Answer::json(StatusCode::OK, keys::update(s, id, &opts).await?)
    })
    .await
}

/// Revokes a key: refused from the next request on, and gone from the API (404).
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "keys",
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn revoke(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    run(&api, &headers, method, uri.path(), &[], async |s| {
        let Path(id) = id.map_err(path_error)?;
        keys::revoke(s, id).await?;
        Ok(Answer::Empty(StatusCode::NO_CONTENT))
    })
    .await
}

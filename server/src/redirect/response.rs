//! The redirect listener's own answers: its HTML pages and the 503 when the database
//! does not answer.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

use super::access_log::finish;
use super::state::AppState;
use crate::db::error::{warn_db, DbError};

pub fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The 404 page, for a request that never reached the database.
pub fn not_found_here(app: &AppState, what: &'static str, client: Option<IpAddr>) -> Response {
    finish(
        html(StatusCode::NOT_FOUND, app.pages.not_found.clone()),
        what,
        client,
    )
}

/// The 503 a redirect server gives when the database does not answer: never a wrong 404.
pub fn unavailable(e: impl Into<DbError>) -> Response {
    warn_db!(e.into(), "database unavailable");
    metrics::counter!("shortlink_database_errors_total").increment(1);
    let mut r = (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

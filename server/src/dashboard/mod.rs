//! The dashboard (`/` on the API listener): server-rendered pages (askama templates,
//! server/templates/dashboard/) over the same service layer as the HTTP API. A signed-in
//! person's session is an API key the database made for their role (sql/dashboard.sql):
//! each page presents it in its own transaction, so row-level security and the role's
//! scopes decide what the page shows and what a form may change, as for any API key.
//!
//! Forms are plain HTML posts, each with a CSRF token bound to the session
//! ([`session::csrf_token`]); the pages work without JavaScript, and the one small
//! script (assets/dashboard.js) only adds conveniences.

mod assets;
mod auth;
mod form;
mod frame;
mod link_form;
mod links;
mod public;
mod session;
mod settings;
mod stats;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

use crate::service::{Class, Error, Service};

/// What the dashboard's pages share.
pub struct Dashboard {
    pub service: Service,
    /// Cookies always Secure (`--secure-cookies`).
    pub secure_cookies: bool,
    /// Hours a sign-in lasts.
    pub session_hours: u32,
}

/// The dashboard's routes, to merge into the API listener's router.
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(links::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/workspace", post(auth::switch_workspace))
        .route(
            "/invite/{token}",
            get(auth::invite_page).post(auth::accept_invite),
        )
        .route("/links", get(links::list))
        .route("/links.csv", get(links::export))
        .route("/links/bulk", post(links::bulk))
        .route("/links/new", get(links::new_page).post(links::create))
        .route("/links/{id}", get(links::show).post(links::update))
        .route("/links/{id}/edit", get(links::edit_page))
        .route("/links/{id}/stats.csv", get(links::stats_csv))
        .route("/links/{id}/state", post(links::set_state))
        .route("/links/{id}/share", post(links::share))
        .route("/links/{id}/qr.svg", get(links::qr_svg))
        .route("/links/{id}/qr.png", get(links::qr_png))
        .route("/analytics", get(stats::workspace))
        .route("/analytics.csv", get(stats::export))
        .route("/keys", get(settings::keys).post(settings::create_key))
        .route("/keys/{id}/revoke", post(settings::revoke_key))
        .route("/members", get(settings::members).post(settings::invite))
        .route("/members/remove", post(settings::remove_member))
        .route(
            "/domains",
            get(settings::domains).post(settings::add_domain),
        )
        .route("/domains/remove", post(settings::remove_domain))
        .route("/s/{token}", get(public::stats))
        .route("/assets/{file}", get(assets::serve))
        .with_state(dashboard)
        .route_layer(axum::middleware::from_fn(crate::api::access_log))
        .layer(axum::middleware::from_fn(security_headers))
}

/// The headers every dashboard answer carries: a Content-Security-Policy that allows only
/// the dashboard's own scripts, styles and images (no inline script or style at all), no
/// framing, no referrer beyond the origin, and no caching of pages that show a person's
/// data.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_asset && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// An HTML answer.
fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A 303 to `to` (after a form's post, or to the sign-in page).
fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Renders a template, or the 500 page if it cannot be (a bug: logged).
fn render(status: StatusCode, page: &impl askama::Template) -> Response {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "a dashboard page did not render");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"en\"><title>Error</title><main><h1>Something went wrong</h1></main></html>"
                    .to_owned(),
            )
        }
    }
}

/// The status a service error answers with on a page.
fn status_of(e: &Error) -> StatusCode {
    crate::http::problem::status(e.class)
}

/// What a page says of an error: the database's own words, but never a bug's.
fn message_of(e: &Error) -> String {
    match e.class {
        Class::Internal => "Something went wrong on our side; it has been logged.".to_owned(),
        Class::Unavailable => "The database is not answering; try again shortly.".to_owned(),
        _ => e.detail.clone(),
    }
}

//! The redirect listener: `GET /{code}` answered from one `shortlink.record_click`,
//! `HEAD` from `shortlink.peek_click` (counting nothing), `POST /{code}` for passwords,
//! and `GET /{code}/qr`, the link's QR code (`qr.rs`).

pub mod access_log;
pub mod client_ip;
pub mod pages;
mod qr;
mod response;
pub mod state;
mod visit;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use shortlink_core::click::Outcome;
use shortlink_core::codes;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use self::access_log::{access_log, finish};
use self::response::{html, not_found_here, unavailable};
use self::state::AppState;
use self::visit::{visit, Visit};
use crate::db::error::{warn_db, DbError};
use crate::db::shared_conn::{Click, RECORD_CLICK};

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/robots.txt", get(robots))
        .route("/{code}", get(click).post(password))
        .route("/{code}/", get(click).post(password))
        .route("/{code}/qr", get(qr::qr))
        .fallback(no_route)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(state, access_log))
}

async fn no_route(State(app): State<Arc<AppState>>) -> Response {
    not_found_here(&app, "no_route", None)
}

async fn root(State(app): State<Arc<AppState>>) -> Response {
    match &app.config.root_redirect {
        Some(url) => finish(
            redirect_to(StatusCode::FOUND, url, "no-store"),
            "root_redirect",
            None,
        ),
        None => not_found_here(&app, "no_route", None),
    }
}

async fn robots(State(app): State<Arc<AppState>>) -> Response {
    finish(
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            app.config.robots_txt.clone(),
        )
            .into_response(),
        "robots_txt",
        None,
    )
}

fn redirect_to(status: StatusCode, location: &str, cache: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(loc) => {
            let mut r = status.into_response();
            r.headers_mut().insert(header::LOCATION, loc);
            if let Ok(c) = HeaderValue::from_str(cache) {
                r.headers_mut().insert(header::CACHE_CONTROL, c);
            }
            r
        }
        // A stored destination is a WHATWG serialization, always a valid header value.
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Which statement answers a request.
#[derive(Clone, Copy, PartialEq)]
enum Ask {
    /// `record_click` for a GET, batched on a shared connection.
    Click,
    /// `peek_click` for a HEAD, counting nothing, on a shared connection.
    Peek,
    /// `record_click` with a password, on a pooled connection of its own.
    Password,
}

/// The database's answer, or the 503 when it has none.
async fn ask(
    app: &AppState,
    what: Ask,
    code: &str,
    v: &Visit,
    password: Option<&str>,
    query: Option<&str>,
) -> Result<(String, Option<String>, i32), Response> {
    if what == Ask::Click {
        return app
            .shared
            .record_click(Click {
                code: code.to_owned(),
                domain: v.domain.clone(),
                ip: v.ip,
                user_agent: v.user_agent.clone(),
                referer: v.referer.clone(),
                country: v.country.clone(),
                query: query.map(str::to_owned),
            })
            .await
            .map_err(unavailable);
    }
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &code,
        &v.domain,
        &v.ip,
        &v.user_agent,
        &v.referer,
        &v.country,
        &password,
        &query,
    ];
    let row = if what == Ask::Password {
        let client = app.pool.get().await.map_err(unavailable)?;
        let stmt = client
            .prepare_cached(RECORD_CLICK)
            .await
            .map_err(unavailable)?;
        client.query_one(&stmt, &params).await
    } else {
        let conn = app.shared.get().await.map_err(unavailable)?;
        conn.client.query_one(&conn.peek_click, &params).await
    }
    .map_err(unavailable)?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// The card of a link for a preview or cloaked page; an empty one if it is gone since.
async fn card(app: &AppState, code: &str, domain: &str) -> Result<pages::Card, Response> {
    let conn = app.shared.get().await.map_err(unavailable)?;
    let row = conn
        .client
        .query_opt(&conn.link_card, &[&code, &domain])
        .await
        .map_err(unavailable)?;
    Ok(row.map_or_else(pages::Card::default, |r| pages::Card {
        title: r.get(0),
        description: r.get(1),
        image: r.get(2),
    }))
}

/// The pixels of a link for its pixel page, from the pool (a rare answer: not a statement
/// of the shared connections); none if the link lost them since, or the schema is older
/// than the library that answered `pixel`.
async fn pixels(app: &AppState, code: &str, domain: &str) -> Option<pages::Pixels> {
    let found = async {
        let client = app.pool.get().await.map_err(DbError::from)?;
        let stmt = client
            .prepare_cached(
                "SELECT meta_pixel_id, google_tag_id FROM shortlink.link_pixels($1, $2)",
            )
            .await
            .map_err(DbError::from)?;
        let row = client
            .query_opt(&stmt, &[&code, &domain])
            .await
            .map_err(DbError::from)?;
        Ok::<_, DbError>(row.map(|r| pages::Pixels {
            meta: r.get(0),
            google: r.get(1),
        }))
    };
    match found.await {
        Ok(p) => p.filter(|p| p.meta.is_some() || p.google.is_some()),
        Err(e) => {
            warn_db!(
                e,
                "the link's pixels are not read: redirecting without the pixel page"
            );
            None
        }
    }
}

/// The pixel page, sent with its Content-Security-Policy and never cached.
fn pixel_page(page: pages::PixelPage) -> Response {
    let mut r = html(StatusCode::OK, page.html);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&page.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    r
}

/// What the request was that the database answered.
#[derive(Clone, Copy)]
struct Asked<'a> {
    /// A HEAD, which never gets a page of pixels (only their redirect).
    head: bool,
    /// The query it came with, raw: the password form posts it back.
    query: Option<&'a str>,
}

/// The response to the database's answer `(status, location, http_status)`, and what
/// the access log says it came to.
async fn answer(
    app: &AppState,
    code: &str,
    domain: &str,
    status: &str,
    location: Option<String>,
    http: i32,
    asked: Asked<'_>,
) -> (Response, &'static str) {
    let Some(outcome) = Outcome::from_status(status) else {
        tracing::error!(status, "unknown record_click status");
        return (StatusCode::BAD_GATEWAY.into_response(), "unknown_status");
    };
    let r = match (outcome, location) {
        (Outcome::Preview | Outcome::Cloaked, Some(loc)) => match card(app, code, domain).await {
            Ok(c) if outcome == Outcome::Preview => html(StatusCode::OK, pages::preview(&loc, &c)),
            Ok(c) => html(StatusCode::OK, pages::cloaked(&loc, &c)),
            Err(r) => return (r, "unavailable"),
        },
        (Outcome::Pixel, Some(loc)) if !asked.head => match pixels(app, code, domain).await {
            Some(p) => pixel_page(pages::pixel(&loc, &p)),
            None => redirect_to(StatusCode::FOUND, &loc, "no-store"),
        },
        (Outcome::Ok, Some(loc)) if http == 301 => redirect_to(
            StatusCode::MOVED_PERMANENTLY,
            &loc,
            &format!("private, max-age={}", app.config.redirect_max_age),
        ),
        (_, Some(loc)) => redirect_to(StatusCode::FOUND, &loc, "no-store"),
        (Outcome::NotFound, None) => html(StatusCode::NOT_FOUND, app.pages.not_found.clone()),
        (o, None) if o.is_gone() => html(StatusCode::GONE, app.pages.gone.clone()),
        (Outcome::Blocked, None) => html(StatusCode::FORBIDDEN, app.pages.forbidden.clone()),
        (Outcome::PasswordRequired, None) => html(
            StatusCode::UNAUTHORIZED,
            pages::password_form(code, asked.query, false),
        ),
        (o, None) => {
            tracing::error!(
                status = o.as_str(),
                "record_click status without a location"
            );
            StatusCode::BAD_GATEWAY.into_response()
        }
    };
    (r, outcome.as_str())
}

async fn click(
    State(app): State<Arc<AppState>>,
    method: Method,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    // Characters or a length a code never has: answered without the database.
    if codes::validate_custom(&code).is_err() {
        return not_found_here(&app, "invalid_code", None);
    }
    let Some(v) = visit(&app, &headers, peer) else {
        return not_found_here(&app, "invalid_host", None);
    };
    let what = if method == Method::HEAD {
        Ask::Peek
    } else {
        Ask::Click
    };
    let (r, outcome) = match ask(&app, what, &code, &v, None, query.as_deref()).await {
        Ok((status, location, http)) => {
            answer(
                &app,
                &code,
                &v.domain,
                &status,
                location,
                http,
                Asked {
                    head: what == Ask::Peek,
                    query: query.as_deref(),
                },
            )
            .await
        }
        Err(r) => (r, "unavailable"),
    };
    metrics::histogram!("shortlink_http_request_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    finish(r, outcome, Some(v.ip))
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

async fn password(
    State(app): State<Arc<AppState>>,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    if codes::validate_custom(&code).is_err() {
        return not_found_here(&app, "invalid_code", None);
    }
    let Some(v) = visit(&app, &headers, peer) else {
        return not_found_here(&app, "invalid_host", None);
    };
    let Form(form) = match form {
        Ok(f) => f,
        Err(rejection) => return finish(rejection.into_response(), "invalid_form", Some(v.ip)),
    };
    if let Err(wait) = app.password_attempt(v.ip, &code) {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            "too many password attempts\n",
        )
            .into_response();
        if let Ok(w) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, w);
        }
        return finish(r, "rate_limited", Some(v.ip));
    }
    let (r, outcome) = match ask(
        &app,
        Ask::Password,
        &code,
        &v,
        Some(&form.password),
        query.as_deref(),
    )
    .await
    {
        Ok((status, _, _)) if status == "password_required" => (
            html(
                StatusCode::UNAUTHORIZED,
                pages::password_form(&code, query.as_deref(), true),
            ),
            "wrong_password",
        ),
        Ok((status, location, http)) => {
            let asked = Asked {
                head: false,
                query: query.as_deref(),
            };
            answer(&app, &code, &v.domain, &status, location, http, asked).await
        }
        Err(r) => (r, "unavailable"),
    };
    finish(r, outcome, Some(v.ip))
}

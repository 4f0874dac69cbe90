//! The redirect listener: `GET /{code}` answered from one `shortlink.record_click`,
//! `HEAD` from `shortlink.peek_click` (counting nothing), `POST /{code}` for passwords.

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use shortlink_core::{codes, destination};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client_ip::{client_ip, is_trusted};
use crate::config::Config;
use crate::pages::{self, Pages};
use crate::shared_conn::{Click, SharedConnections, RECORD_CLICK};

/// Longest user agent and referer sent to the database, as the extension keeps them.
const MAX_HEADER_BYTES: usize = 4096;

pub struct AppState {
    pub config: Config,
    /// Password checks: a password hash takes long enough that it gets a connection
    /// of its own instead of holding up the clicks pipelined on a shared one.
    pub pool: deadpool_postgres::Pool,
    /// Clicks, HEADs and cards: statements pipelined on a few shared connections.
    pub shared: Arc<SharedConnections>,
    pub pages: Pages,
    attempts: Mutex<HashMap<(IpAddr, String), (Instant, u32)>>,
}

impl AppState {
    pub fn new(
        config: Config,
        pool: deadpool_postgres::Pool,
        shared: Arc<SharedConnections>,
        pages: Pages,
    ) -> Self {
        AppState {
            config,
            pool,
            shared,
            pages,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a password attempt; Err(seconds to wait) past the per-minute allowance.
    fn password_attempt(&self, ip: IpAddr, code: &str) -> Result<(), u64> {
        let window = Duration::from_secs(60);
        let now = Instant::now();
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry((ip, code.to_owned())).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.config.password_attempts {
            let wait = window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/robots.txt", get(robots))
        .route("/{code}", get(click).post(password))
        .route("/{code}/", get(click).post(password))
        .fallback(not_found_here)
        .with_state(state)
}

/// Every answer carries X-Robots-Tag: noindex; `status` is counted for /metrics.
fn finish(mut r: Response) -> Response {
    r.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    let status = match r.status().as_u16() {
        200 => "200",
        301 => "301",
        302 => "302",
        401 => "401",
        403 => "403",
        404 => "404",
        410 => "410",
        429 => "429",
        503 => "503",
        _ => "other",
    };
    metrics::counter!("shortlink_http_requests_total", "status" => status).increment(1);
    r
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn not_found_here(State(app): State<Arc<AppState>>) -> Response {
    finish(html(StatusCode::NOT_FOUND, app.pages.not_found.clone()))
}

async fn root(State(app): State<Arc<AppState>>) -> Response {
    match &app.config.root_redirect {
        Some(url) => finish(redirect_to(StatusCode::FOUND, url, "no-store")),
        None => not_found_here(State(app)).await,
    }
}

async fn robots(State(app): State<Arc<AppState>>) -> Response {
    finish(
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            app.config.robots_txt.clone(),
        )
            .into_response(),
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

/// What a request tells the database.
struct Visit {
    domain: String,
    ip: IpAddr,
    user_agent: Option<String>,
    referer: Option<String>,
    country: Option<String>,
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?;
    let mut end = v.len().min(MAX_HEADER_BYTES);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    Some(v[..end].to_owned())
}

/// The request's short domain and client, or None when the Host cannot be a domain.
fn visit(app: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Option<Visit> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_end_matches('.');
    // The common case, a lowercase ASCII host name, needs no IDNA pass.
    let plain = !host.is_empty()
        && host.len() <= 253
        && host.bytes().any(|b| b.is_ascii_lowercase())
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let domain = if plain {
        host.to_owned()
    } else {
        destination::normalize_domain(host).ok()?
    };
    let trusted = &app.config.trusted_proxies;
    let ip = client_ip(
        peer.ip(),
        trusted,
        headers.get("forwarded").and_then(|v| v.to_str().ok()),
        headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
    );
    let country = app
        .config
        .country_header
        .as_deref()
        .filter(|_| is_trusted(peer.ip(), trusted))
        .and_then(|h| header_text(headers, h));
    Some(Visit {
        domain,
        ip,
        user_agent: header_text(headers, "user-agent"),
        referer: header_text(headers, "referer"),
        country,
    })
}

/// The 503 a redirect server gives when the database does not answer: never a wrong 404.
fn unavailable(e: &dyn std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "database unavailable");
    metrics::counter!("shortlink_database_errors_total").increment(1);
    let mut r = (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
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
            .map_err(|e| unavailable(&e));
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
        let client = app.pool.get().await.map_err(|e| unavailable(&e))?;
        let stmt = client
            .prepare_cached(RECORD_CLICK)
            .await
            .map_err(|e| unavailable(&e))?;
        client.query_one(&stmt, &params).await
    } else {
        let conn = app.shared.get().await.map_err(|e| unavailable(&e))?;
        conn.client.query_one(&conn.peek_click, &params).await
    }
    .map_err(|e| unavailable(&e))?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// The card of a link for a preview or cloaked page; an empty one if it is gone since.
async fn card(app: &AppState, code: &str, domain: &str) -> Result<pages::Card, Response> {
    let conn = app.shared.get().await.map_err(|e| unavailable(&e))?;
    let row = conn
        .client
        .query_opt(&conn.link_card, &[&code, &domain])
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(row.map_or_else(pages::Card::default, |r| pages::Card {
        title: r.get(0),
        description: r.get(1),
        image: r.get(2),
    }))
}

/// The response to the database's answer `(status, location, http_status)`.
async fn answer(
    app: &AppState,
    code: &str,
    domain: &str,
    status: &str,
    location: Option<String>,
    http: i32,
) -> Response {
    match (status, location) {
        ("preview" | "cloaked", Some(loc)) => match card(app, code, domain).await {
            Ok(c) if status == "preview" => html(StatusCode::OK, pages::preview(&loc, &c)),
            Ok(c) => html(StatusCode::OK, pages::cloaked(&loc, &c)),
            Err(r) => r,
        },
        ("ok", Some(loc)) if http == 301 => redirect_to(
            StatusCode::MOVED_PERMANENTLY,
            &loc,
            &format!("private, max-age={}", app.config.redirect_max_age),
        ),
        (_, Some(loc)) => redirect_to(StatusCode::FOUND, &loc, "no-store"),
        ("not_found", None) => html(StatusCode::NOT_FOUND, app.pages.not_found.clone()),
        ("expired" | "exhausted" | "disabled", None) => {
            html(StatusCode::GONE, app.pages.gone.clone())
        }
        ("blocked", None) => html(StatusCode::FORBIDDEN, app.pages.forbidden.clone()),
        ("password_required", None) => {
            html(StatusCode::UNAUTHORIZED, pages::password_form(code, false))
        }
        (other, None) => {
            tracing::error!(status = other, "unknown record_click status");
            StatusCode::BAD_GATEWAY.into_response()
        }
    }
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
        return not_found_here(State(app)).await;
    }
    let Some(v) = visit(&app, &headers, peer) else {
        return not_found_here(State(app)).await;
    };
    let what = if method == Method::HEAD {
        Ask::Peek
    } else {
        Ask::Click
    };
    let r = match ask(&app, what, &code, &v, None, query.as_deref()).await {
        Ok((status, location, http)) => {
            answer(&app, &code, &v.domain, &status, location, http).await
        }
        Err(r) => r,
    };
    metrics::histogram!("shortlink_http_request_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    finish(r)
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
    Form(form): Form<PasswordForm>,
) -> Response {
    if codes::validate_custom(&code).is_err() {
        return not_found_here(State(app)).await;
    }
    let Some(v) = visit(&app, &headers, peer) else {
        return not_found_here(State(app)).await;
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
        return finish(r);
    }
    let r = match ask(
        &app,
        Ask::Password,
        &code,
        &v,
        Some(&form.password),
        query.as_deref(),
    )
    .await
    {
        Ok((status, _, _)) if status == "password_required" => {
            html(StatusCode::UNAUTHORIZED, pages::password_form(&code, true))
        }
        Ok((status, location, http)) => {
            answer(&app, &code, &v.domain, &status, location, http).await
        }
        Err(r) => r,
    };
    finish(r)
}

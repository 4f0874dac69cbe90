//! The access log (one line per request on `shortlink::access`) and what every answer of
//! the redirect listener carries: X-Robots-Tag, its status counted for /metrics.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use shortlink_core::ipanon;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use crate::logging::ACCESS;
use crate::redirect::client_ip::client_ip;
use crate::redirect::state::AppState;

/// What a request came to, for the access log: `record_click`'s status (`ok`,
/// `not_found`, `password_required`, …) or one of the server's own (`invalid_code`,
/// `unavailable`, …), and the client when the handler worked it out.
#[derive(Clone, Copy)]
pub struct RequestOutcome {
    what: &'static str,
    client: Option<IpAddr>,
}

/// One INFO line on `shortlink::access` per request: method, host, path (never the
/// query, which may carry a token), status, outcome, latency and the client address
/// anonymised as the database stores it. Most of its cost is the write(2) of the line
/// (measured in docs/server.md, "Logs"); a non-blocking writer thread measured no better,
/// so there is none.
pub async fn access_log(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !tracing::enabled!(target: ACCESS, tracing::Level::INFO) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    // Reference-counted copies: what the line needs after the handler took the request.
    let uri = request.uri().clone();
    let headers = request.headers();
    let host = headers.get(header::HOST).cloned();
    let forwarded = headers.get("forwarded").cloned();
    let x_forwarded_for = headers.get("x-forwarded-for").cloned();
    let r = next.run(request).await;
    let outcome = r.extensions().get::<RequestOutcome>().copied();
    let client = outcome.and_then(|o| o.client).unwrap_or_else(|| {
        client_ip(
            peer.ip(),
            &app.config.trusted_proxies,
            forwarded.as_ref().and_then(|v| v.to_str().ok()),
            x_forwarded_for.as_ref().and_then(|v| v.to_str().ok()),
        )
    });
    tracing::info!(
        target: ACCESS,
        method = method.as_str(),
        host = host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("-"),
        path = uri.path(),
        status = r.status().as_u16(),
        outcome = outcome.map_or("-", |o| o.what),
        latency_ms = started.elapsed().as_micros() as f64 / 1000.0,
        client = %ipanon::anonymize(client),
        "request"
    );
    r
}

/// Every answer carries X-Robots-Tag: noindex; `status` is counted for /metrics, and
/// the access log says what the request came to (`what`, and the client when known).
pub fn finish(mut r: Response, what: &'static str, client: Option<IpAddr>) -> Response {
    r.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    r.extensions_mut().insert(RequestOutcome { what, client });
    let status = match r.status().as_u16() {
        200 => "200",
        301 => "301",
        302 => "302",
        304 => "304",
        400 => "400",
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

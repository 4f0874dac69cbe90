//! What a request tells the database: its short domain (from Host), the client (behind
//! trusted proxies), and the headers a click keeps, capped as the extension keeps them.

use axum::http::{header, HeaderMap};
use shortlink_core::{click, destination};
use std::net::{IpAddr, SocketAddr};

use crate::redirect::client_ip::{client_ip, is_trusted};
use crate::redirect::state::AppState;

/// What a request tells the database.
pub struct Visit {
    pub domain: String,
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    pub country: Option<String>,
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?;
    Some(click::clip_header(v).to_owned())
}

/// The request's short domain and client, or None when the Host cannot be a domain.
pub fn visit(app: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Option<Visit> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let domain = destination::domain_key(host.trim_end_matches('.'))?;
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

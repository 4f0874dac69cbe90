//! `GET /{code}/qr`: the QR code of a link's short URL, as SVG (the default) or PNG, for
//! print. It encodes the link's address, not its destination, so every link that exists
//! has one, disabled, expired, exhausted or password-protected alike; the link is looked
//! up with `peek_click`, which counts nothing and stores nothing (and is granted with
//! `grant_redirect`). The image is drawn here by shortlink-qr, byte for byte what SQL's
//! `shortlink.qr_svg` returns for the same short URL and the default options.

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use shortlink_core::click::Outcome;
use shortlink_core::codes;
use shortlink_qr::Options;
use std::net::SocketAddr;
use std::sync::Arc;

use super::access_log::finish;
use super::response::{html, not_found_here, unavailable};
use super::state::AppState;
use super::visit::visit;

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// The strong validator of an image: a hash of everything its bytes depend on.
fn etag(short_url: &str, o: &Options) -> String {
    let digest = Sha256::digest(shortlink_qr::cache_key(short_url, o).as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"qr-{hex}\"")
}

/// Whether `If-None-Match` names `etag` (or is `*`): the weak comparison RFC 9110 asks
/// of If-None-Match, so a `W/` prefix that a proxy added still matches.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// Whether `code` names a link on `domain`: `peek_click`'s status is `not_found` only
/// when there is no such link.
async fn link_exists(app: &AppState, code: &str, domain: &str) -> Result<bool, Response> {
    let conn = app.shared.get().await.map_err(unavailable)?;
    let none: Option<&str> = None;
    let no_ip: Option<std::net::IpAddr> = None;
    let row = conn
        .client
        .query_one(
            &conn.peek_click,
            &[&code, &domain, &no_ip, &none, &none, &none, &none, &none],
        )
        .await
        .map_err(unavailable)?;
    let status: String = row.get(0);
    Ok(Outcome::from_status(&status) != Some(Outcome::NotFound))
}

pub async fn qr(
    State(app): State<Arc<AppState>>,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    if codes::validate_custom(&code).is_err() {
        return not_found_here(&app, "invalid_code", None);
    }
    let Some(v) = visit(&app, &headers, peer) else {
        return not_found_here(&app, "invalid_host", None);
    };
    let client = Some(v.ip);
    let options = match query {
        Ok(Query(pairs)) => {
            Options::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        }
        Err(rejection) => {
            let r = bad_request(&format!("invalid query string: {}", rejection.body_text()));
            return finish(r, "invalid_qr_parameter", client);
        }
    };
    let o = match options {
        Ok(o) => o,
        Err(e) => return finish(bad_request(&e.message), "invalid_qr_parameter", client),
    };
    match link_exists(&app, &code, &v.domain).await {
        Ok(true) => {}
        Ok(false) => {
            let r = html(StatusCode::NOT_FOUND, app.pages.not_found.clone());
            return finish(r, Outcome::NotFound.as_str(), client);
        }
        Err(r) => return finish(r, "unavailable", client),
    }
    let short_url = codes::short_url(&v.domain, &code);
    let tag = etag(&short_url, &o);
    let cache = format!("public, max-age={}", app.config.qr_max_age);
    let mut r = if not_modified(&headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // A 2048-pixel PNG takes milliseconds: off the threads that answer redirects.
        let drawn = tokio::task::spawn_blocking(move || shortlink_qr::render(&short_url, &o))
            .await
            .unwrap_or_else(|e| {
                Err(shortlink_core::Error::new(
                    shortlink_core::Kind::Internal,
                    format!("QR rendering stopped: {e}"),
                ))
            });
        match drawn {
            Ok(bytes) => {
                metrics::counter!("shortlink_qr_codes_total", "format" => o.format.as_str())
                    .increment(1);
                ([(header::CONTENT_TYPE, o.format.content_type())], bytes).into_response()
            }
            // The one rule that depends on the link: its code needs more pixels.
            Err(e) if e.kind == shortlink_core::Kind::InvalidParameter => {
                return finish(bad_request(&e.message), "invalid_qr_parameter", client);
            }
            Err(e) => {
                tracing::error!(error = e.message, "QR rendering failed");
                return finish(
                    StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    "qr_failed",
                    client,
                );
            }
        }
    };
    let h = r.headers_mut();
    if let Ok(t) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, t);
    }
    if let Ok(c) = HeaderValue::from_str(&cache) {
        h.insert(header::CACHE_CONTROL, c);
    }
    let what = if r.status() == StatusCode::NOT_MODIFIED {
        "qr_not_modified"
    } else {
        "qr"
    };
    finish(r, what, client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_if_none_match(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::IF_NONE_MATCH, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_etag_is_quoted_and_changes_with_the_options_and_the_url() {
        let o = Options::default();
        let a = etag("https://localhost/e2e-found", &o);
        assert!(
            a.starts_with("\"qr-") && a.ends_with('"') && a.len() == 37,
            "{a}"
        );
        assert_eq!(a, etag("https://localhost/e2e-found", &o));
        assert_ne!(a, etag("https://localhost/e2e-moved", &o));
        assert_ne!(
            a,
            etag(
                "https://localhost/e2e-found",
                &Options {
                    format: shortlink_qr::Format::Png,
                    ..o
                }
            )
        );
    }

    #[test]
    fn if_none_match_matches_the_tag_in_a_list_weakly_or_star() {
        let tag = "\"qr-0123\"";
        assert!(not_modified(&with_if_none_match(&["\"qr-0123\""]), tag));
        assert!(not_modified(
            &with_if_none_match(&["\"x\", W/\"qr-0123\""]),
            tag
        ));
        assert!(not_modified(
            &with_if_none_match(&["\"x\"", "\"qr-0123\""]),
            tag
        ));
        assert!(not_modified(&with_if_none_match(&["*"]), tag));
        assert!(!not_modified(&with_if_none_match(&["\"qr-0124\""]), tag));
        assert!(!not_modified(&with_if_none_match(&["qr-0123"]), tag));
        assert!(!not_modified(&HeaderMap::new(), tag));
    }
}

//! A signed-in person's session: its cookie, its transaction and its CSRF token.
//!
//! The session cookie holds the secret of the sign-in's API key (sql/dashboard.sql),
//! HttpOnly, SameSite=Lax, Path=/, and Secure (named `__Host-sl_session`) when the
//! dashboard is reached over TLS. Every page presents it with `api_begin` in its own
//! transaction: a revoked, expired or unknown secret sends the browser to the sign-in page.
//!
//! CSRF: every form carries a token that is the SHA-256 of the session's secret under a
//! fixed label, which only a page of this session can know (the secret never reaches
//! JavaScript); the sign-in and invitation forms, before any session, use a random token
//! set as a cookie and repeated in the form (double submit). SameSite=Lax on both cookies
//! is a second guard.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::form::Form;
use super::{see_other, Dashboard};
use crate::service::people::{self, Member};
use crate::service::{Class, Error, Session};

const SESSION: &str = "sl_session";
const SECURE_SESSION: &str = "__Host-sl_session";
/// The sign-in form's double-submit token.
pub const FORM_TOKEN: &str = "sl_form";

/// The value of cookie `name` in the request's Cookie headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether the request reached the dashboard over TLS, as far as it can tell: the flag,
/// or a TLS proxy's `X-Forwarded-Proto: https`.
pub fn secure(dash: &Dashboard, headers: &HeaderMap) -> bool {
    dash.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A Set-Cookie value: `name=value` HttpOnly, SameSite=Lax, Path=/, Secure when `secure`,
/// for `max_age` seconds (0: deleted).
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age.max(0)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sl_invalid=; Max-Age=0"))
}

/// The session cookie of `secret` for `lifetime` seconds.
pub fn session_cookie(
    dash: &Dashboard,
    headers: &HeaderMap,
    secret: &str,
    lifetime: i64,
) -> HeaderValue {
    let secure = secure(dash, headers);
    set_cookie(
        if secure { SECURE_SESSION } else { SESSION },
        secret,
        lifetime,
        secure,
    )
}

/// Set-Cookie values that delete the session cookie (under both names).
pub fn clear_session(dash: &Dashboard, headers: &HeaderMap) -> [HeaderValue; 2] {
    let secure = secure(dash, headers);
    [
        set_cookie(SESSION, "", 0, false),
        set_cookie(SECURE_SESSION, "", 0, secure || dash.secure_cookies),
    ]
}

/// The session's secret from its cookie, if any.
fn secret(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SECURE_SESSION)
        .or_else(|| cookie(headers, SESSION))
        .filter(|s| !s.is_empty())
}

/// The CSRF token of the session whose secret is `secret`.
pub fn csrf_token(secret: &str) -> String {
    let digest = Sha256::digest(format!("shortlink dashboard form\n{secret}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A page's signed-in session: its transaction (the key presented), who it is, and the
/// token its forms carry.
pub struct Signed {
    pub session: Session,
    pub member: Member,
    pub csrf: String,
}

impl Signed {
    /// Refuses a form whose CSRF token is not this session's (403).
    pub fn check_form(&self, form: &Form) -> Result<(), Error> {
        match form.get("csrf") {
            Some(t) if same_token(t, &self.csrf) => Ok(()),
            _ => Err(Error::new(
                Class::Forbidden,
                "this form has expired or did not come from this dashboard: reload the page and try again",
            )),
        }
    }
}

/// The page's session, or the answer that sends the browser to sign in.
pub async fn signed_in(dash: &Dashboard, headers: &HeaderMap) -> Result<Signed, Response> {
    let Some(secret) = secret(headers) else {
        return Err(see_other("/login"));
    };
    let session = match dash.service.begin(secret).await {
        Ok(s) => s,
        Err(e) if e.class == Class::Unauthorized => {
            let mut r = see_other("/login?expired=1");
            for c in clear_session(dash, headers) {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            return Err(r);
        }
        Err(e) => return Err(super::frame::error_page(None, &e)),
    };
    let member = match people::member(&session).await {
        Ok(m) => m,
        Err(e) => {
            session.rollback().await;
            // An API key's secret in the cookie is no sign-in.
            if e.class == Class::Forbidden {
                return Err(see_other("/login"));
            }
            return Err(super::frame::error_page(None, &e));
        }
    };
    Ok(Signed {
        session,
        member,
        csrf: csrf_token(secret),
    })
}

/// A handler's signed-in session, or the answer that sends the browser to sign in.
impl FromRequestParts<Arc<Dashboard>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        dash: &Arc<Dashboard>,
    ) -> Result<Self, Self::Rejection> {
        signed_in(dash, &parts.headers).await
    }
}

/// Ends a page's transaction: committed, with `result`'s answer; or, for an error,
/// rolled back, with the error's page.
pub async fn finish(signed: Signed, result: Result<Response, Error>) -> Response {
    match result {
        Ok(r) => match signed.session.commit().await {
            Ok(()) => r,
            Err(e) => super::frame::error_page(None, &e),
        },
        Err(e) => {
            let page = super::frame::error_page(Some(&signed), &e);
            signed.session.rollback().await;
            page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x_sl_session=no; sl_session=yes; other=1"),
        );
        assert_eq!(cookie(&h, SESSION), Some("yes"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_eq!(secret(&h), Some("yes"));
    }

    #[test]
    fn secure_cookie_wins_over_plain() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("sl_session=plain"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-sl_session=secure"),
        );
        assert_eq!(secret(&h), Some("secure"));
    }

    #[test]
    fn set_cookie_is_http_only_lax_and_secure_on_request() {
        let c = set_cookie("sl_session", "abc", 60, true);
        let c = c.to_str().unwrap();
        for part in [
            "sl_session=abc",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=60",
            "Secure",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(!set_cookie("a", "b", 1, false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }

    #[test]
    fn csrf_tokens_are_per_session_and_compared_whole() {
        let a = csrf_token("sl_aaaaaaaa_secret1");
        let b = csrf_token("sl_aaaaaaaa_secret2");
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..31]));
    }
}

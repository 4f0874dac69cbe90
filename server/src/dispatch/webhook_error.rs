//! Why a webhook attempt failed, as `deliveries.last_error` and the log say it: a class
//! an operator can act on, then the detail. `dns: …` (the name does not resolve, or only
//! to addresses the dispatcher refuses), `connect: …` (nothing accepts the connection),
//! `tls: …` (the handshake or the certificate), `timeout: …`, `status 503: …` (an
//! answer that is no success), `request: …` (anything else: the answer broke off, …).
//!
//! reqwest's own text is only `error sending request for url (…)`; the cause is found by
//! walking `source()`, and inside `std::io::Error`s with `get_ref()`, since an
//! `io::Error`'s `source()` skips the error it wraps (rustls' errors arrive that way).

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// How long one attempt may take, connection and answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A target's name did not resolve, or resolved to no address the dispatcher may use;
/// raised by the dispatcher's resolver, so that it is told apart from other failures.
#[derive(Debug)]
pub struct ResolveError(pub String);

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for ResolveError {}

/// `e` and every error it wraps, outermost first.
fn causes<'e>(e: &'e (dyn Error + 'static)) -> Vec<&'e (dyn Error + 'static)> {
    let mut all = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        all.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => e.source(),
        };
    }
    all
}

/// `last_error` for an attempt that got no answer.
pub fn classify(e: &reqwest::Error) -> String {
    let causes = causes(e);
    if let Some(r) = causes.iter().find_map(|c| c.downcast_ref::<ResolveError>()) {
        return format!("dns: {r}");
    }
    if let Some(t) = causes
        .iter()
        .find_map(|c| c.downcast_ref::<rustls::Error>())
    {
        return format!("tls: {t}");
    }
    if e.is_timeout() {
        return format!("timeout: no answer within {} s", REQUEST_TIMEOUT.as_secs());
    }
    // The innermost cause says it best: `Connection refused (os error 111)`, not
    // `error sending request for url (…)` or `client error (Connect)`.
    let detail = causes
        .last()
        .map_or_else(|| e.to_string(), |c| c.to_string());
    if e.is_connect() {
        format!("connect: {detail}")
    } else {
        format!("request: {detail}")
    }
}

/// `last_error` for an answer that is no success: `status 503: Service Unavailable`.
pub fn failed_status(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("status {}: {reason}", status.as_u16()),
        None => format!("status {}", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::http_client;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A loopback listener that answers each connection with `answer` (None: never).
    async fn listener(answer: Option<&'static [u8]>) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut s, _)) = l.accept().await {
                match answer {
                    Some(bytes) => {
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf).await;
                        let _ = s.write_all(bytes).await;
                    }
                    None => held.push(s),
                }
            }
        });
        port
    }

    async fn attempt(allow_private: bool, url: &str) -> Result<reqwest::Response, String> {
        http_client(allow_private)
            .unwrap()
            .post(url)
            .timeout(Duration::from_secs(1))
            .send()
            .await
            .map_err(|e| classify(&e))
    }

    #[tokio::test]
    async fn a_name_without_a_usable_address_is_dns() {
        let e = attempt(false, "http://localhost:9/hook").await.unwrap_err();
        assert_eq!(e, "dns: localhost resolves to no public address");
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_dns() {
        // .invalid never resolves (RFC 2606); 5 s for a slow resolver to say so.
        let e = http_client(true)
            .unwrap()
            .post("https://nonexistent.invalid/hook")
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| classify(&e))
            .unwrap_err();
        assert!(e.starts_with("dns: nonexistent.invalid: "), "{e}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_connect() {
        let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let e = attempt(true, &format!("http://127.0.0.1:{port}/hook"))
            .await
            .unwrap_err();
        assert!(e.starts_with("connect: Connection refused"), "{e}");
    }

    #[tokio::test]
    async fn https_to_something_that_does_not_speak_tls_is_tls() {
        let port = listener(Some(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")).await;
        let e = attempt(true, &format!("https://127.0.0.1:{port}/hook"))
            .await
            .unwrap_err();
        assert!(e.starts_with("tls: "), "{e}");
    }

    #[tokio::test]
    async fn no_answer_in_time_is_timeout() {
        let port = listener(None).await;
        let e = attempt(true, &format!("http://127.0.0.1:{port}/hook"))
            .await
            .unwrap_err();
        assert!(e.starts_with("timeout: no answer within"), "{e}");
    }

    #[tokio::test]
    async fn an_answer_cut_short_is_request() {
        let port = listener(Some(b"HTTP/1.1 200 OK\r\ncontent-len")).await;
        let e = attempt(true, &format!("http://127.0.0.1:{port}/hook"))
            .await
            .unwrap_err();
        assert!(e.starts_with("request: "), "{e}");
    }

    #[test]
    fn statuses_are_named_with_their_reason() {
        assert_eq!(
            failed_status(reqwest::StatusCode::SERVICE_UNAVAILABLE),
            "status 503: Service Unavailable"
        );
        assert_eq!(
            failed_status(reqwest::StatusCode::from_u16(599).unwrap()),
            "status 599"
        );
    }
}

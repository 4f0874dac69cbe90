//! A JSON request body read strictly: the right content type (415), a size limit (413),
//! UTF-8 and JSON that parse (400), and no nesting deeper than [`MAX_DEPTH`] (400): bad
//! input is answered, never a 500.

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use serde_json::Value;

use crate::service::{Class, Error};

/// Nesting deeper than this is refused before it is parsed (serde_json's own limit is 128).
pub const MAX_DEPTH: usize = 64;

/// Whether `headers` say the body is JSON (`application/json`, `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The deepest nesting of `bytes` as JSON, counted without parsing (strings skipped).
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The JSON value of a request body of at most `limit` bytes.
pub fn json(headers: &HeaderMap, bytes: &Bytes, limit: usize) -> Result<Value, Error> {
    if !is_json(headers) {
        return Err(Error::new(
            Class::UnsupportedMediaType,
            "the body must be JSON: send Content-Type: application/json",
        ));
    }
    if bytes.len() > limit {
        return Err(Error::new(
            Class::PayloadTooLarge,
            format!("the body is larger than {limit} bytes"),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::new(Class::BadRequest, format!("the body is not UTF-8: {e}")))?;
    if depth(text.as_bytes()) > MAX_DEPTH {
        return Err(Error::new(
            Class::BadRequest,
            format!("the body is nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            Class::BadRequest,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn bad_bodies_are_client_errors() {
        let h = headers("application/json; charset=utf-8");
        assert!(json(&h, &Bytes::from_static(b"{\"a\": 1}"), 100).is_ok());
        let class = |r: Result<Value, Error>| r.unwrap_err().class;
        assert_eq!(
            class(json(
                &headers("text/plain"),
                &Bytes::from_static(b"{}"),
                100
            )),
            Class::UnsupportedMediaType
        );
        assert_eq!(
            class(json(&h, &Bytes::from_static(b"{\"a\": 1}"), 3)),
            Class::PayloadTooLarge
        );
        assert_eq!(
            class(json(&h, &Bytes::from_static(b"{\"a\": \xff}"), 100)),
            Class::BadRequest
        );
        assert_eq!(
            class(json(&h, &Bytes::from_static(b"{\"a\": "), 100)),
            Class::BadRequest
        );
        let deep = "[".repeat(65) + &"]".repeat(65);
        assert_eq!(class(json(&h, &Bytes::from(deep), 1000)), Class::BadRequest);
        let ok_deep = "[".repeat(64) + &"]".repeat(64);
        assert!(json(&h, &Bytes::from(ok_deep), 1000).is_ok());
        // Brackets inside strings are not nesting.
        let s = format!("{{\"a\": \"{}\"}}", "[".repeat(100));
        assert!(json(&h, &Bytes::from(s), 1000).is_ok());
    }
}

//! A posted form or a query string, as name–value pairs in order (a name may repeat: the
//! links table's checkboxes).

use axum::body::Bytes;
use axum::http::{header, HeaderMap};

use crate::service::{Class, Error};

/// Most bytes of a posted form.
pub const FORM_LIMIT: usize = 256 << 10;

#[derive(Clone, Debug, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// The pairs of `application/x-www-form-urlencoded` text.
    pub fn parse(text: &[u8]) -> Form {
        Form {
            pairs: url::form_urlencoded::parse(text).into_owned().collect(),
        }
    }

    /// A posted body: 415 unless it is a URL-encoded form, 413 past [`FORM_LIMIT`].
    pub fn from_body(headers: &HeaderMap, body: &Bytes) -> Result<Form, Error> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        }) {
            return Err(Error::new(
                Class::UnsupportedMediaType,
                "a form must be posted as application/x-www-form-urlencoded",
            ));
        }
        if body.len() > FORM_LIMIT {
            return Err(Error::new(Class::PayloadTooLarge, "the form is too large"));
        }
        Ok(Form::parse(body))
    }

    /// The first value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, unless empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a checkbox `name` was checked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// `pairs` as a query string (`?a=1&b=2`, or "" without pairs), values encoded.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs {
        s.append_pair(k, v);
        any = true;
    }
    if any {
        format!("?{}", s.finish())
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_and_encoding() {
        let f = Form::parse(b"id=1&id=2&q=a+b%26c&empty=&csrf=x");
        assert_eq!(f.all("id").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(f.get("q"), Some("a b&c"));
        assert_eq!(f.text("empty"), None);
        assert!(f.checked("empty"));
        assert!(!f.checked("nope"));
    }

    #[test]
    fn only_url_encoded_bodies_are_forms() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        assert!(Form::from_body(&h, &Bytes::from_static(b"a=1")).is_ok());
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let e = Form::from_body(&h, &Bytes::from_static(b"{}")).unwrap_err();
        assert_eq!(e.class, Class::UnsupportedMediaType);
    }

    #[test]
    fn query_strings_encode_values() {
        assert_eq!(
            query_string([("q", "a b&c"), ("sort", "clicks")]),
            "?q=a+b%26c&sort=clicks"
        );
        assert_eq!(query_string([]), "");
    }
}

//! Changing the query string of a destination URL: adding parameters (UTM tags and the like)
//! and passing on the query of the incoming short-URL request.
//!
//! Parameters that are kept are copied exactly as they were written (their encoding is not
//! changed); parameters are matched by their decoded name, so `utm%5Fsource` and `utm_source`
//! are the same parameter. Names are case-sensitive, as servers treat them.

use crate::error::{Error, Result};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::borrow::Cow;
use url::Url;

/// Everything but the unreserved characters of RFC 3986 is encoded in names and values we
/// add; a space becomes `%20`, which every server reads as a space (`+` is only a space for
/// form-style decoders).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Adds `params` to the query of `url`. Every existing parameter with the name of one of
/// `params` is removed (all of its occurrences); the other parameters keep their order and
/// their encoding, and the fragment is kept. The added names and values are percent-encoded.
///
/// ```text
/// set_params("https://x.com/p?a=1&utm_source=old&b=2#top", &[("utm_source", "news letter")])
///   == "https://x.com/p?a=1&b=2&utm_source=news%20letter#top"
/// ```
pub fn set_params(url: &str, params: &[(&str, &str)]) -> Result<String> {
    let added: Vec<(Cow<'_, str>, String)> = params
        .iter()
        .map(|&(name, value)| {
            let mut segment = utf8_percent_encode(name, COMPONENT).to_string();
            segment.push('=');
            segment.extend(utf8_percent_encode(value, COMPONENT));
            (Cow::Borrowed(name), segment)
        })
        .collect();
    merge(url, added)
}

/// Merges the raw query of an incoming request (with or without its leading `?`) into the
/// query of `url`: the incoming parameters are added after the destination's own, and replace
/// every destination parameter of the same name. Incoming parameters are copied as written;
/// empty ones (`a=1&&b=2`) and ones without a name (`=x`) are dropped.
///
/// ```text
/// merge_query("https://x.com/?a=1&b=2", "?b=3&c=4") == "https://x.com/?a=1&b=3&c=4"
/// ```
pub fn merge_query(url: &str, query: &str) -> Result<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let added: Vec<(Cow<'_, str>, String)> = segments(query)
        .filter_map(|segment| {
            let name = decoded_name(segment);
            (!name.is_empty()).then(|| (name, segment.to_owned()))
        })
        .collect();
    merge(url, added)
}

/// `url` with its parameters named in `added` replaced by the raw `added` segments.
fn merge(url: &str, added: Vec<(Cow<'_, str>, String)>) -> Result<String> {
    let mut parsed = Url::parse(url.trim()).map_err(|e| {
        Error::option("url", format!("is not a valid URL ({e})"))
            .with_hint("Give an absolute URL such as https://example.com/page.")
    })?;
    if added.is_empty() {
        return Ok(parsed.into());
    }
    let mut query = String::new();
    for segment in segments(parsed.query().unwrap_or("")) {
        let name = decoded_name(segment);
        if added.iter().all(|(n, _)| *n != name) {
            query.push_str(segment);
            query.push('&');
        }
    }
    for (_, segment) in &added {
        query.push_str(segment);
        query.push('&');
    }
    query.pop();
    parsed.set_query(Some(&query));
    Ok(parsed.into())
}

/// The non-empty `&`-separated parts of a raw query.
fn segments(query: &str) -> impl Iterator<Item = &str> {
    query.split('&').filter(|s| !s.is_empty())
}

/// The name of a raw `name=value` segment, decoded the way servers decode query strings
/// (`+` is a space, `%XX` a byte, invalid UTF-8 replaced).
fn decoded_name(segment: &str) -> Cow<'_, str> {
    let raw = segment.split_once('=').map_or(segment, |(name, _)| name);
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
    } else {
        percent_decode_str(raw).decode_utf8_lossy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(url: &str, params: &[(&str, &str)]) -> String {
        set_params(url, params).unwrap()
    }

    fn merged(url: &str, query: &str) -> String {
        merge_query(url, query).unwrap()
    }

    #[test]
    fn set_params_appends() {
        assert_eq!(
            set("https://example.com/page", &[("utm_source", "newsletter")]),
            "https://example.com/page?utm_source=newsletter"
        );
        assert_eq!(
            set(
                "https://example.com/page?a=1",
                &[("utm_source", "x"), ("utm_medium", "email")]
            ),
            "https://example.com/page?a=1&utm_source=x&utm_medium=email"
        );
        // Host-only URLs get their "/" path from the URL parser.
        assert_eq!(
            set("https://example.com", &[("a", "1")]),
            "https://example.com/?a=1"
        );
    }

    #[test]
    fn set_params_replaces_all_occurrences_and_keeps_order() {
        assert_eq!(
            set(
                "https://example.com/?a=1&utm_source=old&b=2&utm_source=older&c=3",
                &[("utm_source", "new")]
            ),
            "https://example.com/?a=1&b=2&c=3&utm_source=new"
        );
        // Repeated names in the new parameters are all added.
        assert_eq!(
            set(
                "https://example.com/?tag=x&z=1",
                &[("tag", "a"), ("tag", "b")]
            ),
            "https://example.com/?z=1&tag=a&tag=b"
        );
        // A name without "=" or with an empty value is still that name.
        assert_eq!(
            set("https://example.com/?debug&debug=&keep", &[("debug", "1")]),
            "https://example.com/?keep&debug=1"
        );
    }

    #[test]
    fn set_params_keeps_fragment() {
        assert_eq!(
            set(
                "https://example.com/p?a=1&utm_source=old&b=2#top",
                &[("utm_source", "news letter")]
            ),
            "https://example.com/p?a=1&b=2&utm_source=news%20letter#top"
        );
        assert_eq!(
            set("https://example.com/p#section-2", &[("a", "1")]),
            "https://example.com/p?a=1#section-2"
        );
        // A "?" inside the fragment is not the query.
        assert_eq!(
            set("https://example.com/app#/route?x=1", &[("a", "1")]),
            "https://example.com/app?a=1#/route?x=1"
        );
    }

    #[test]
    fn set_params_percent_encoding() {
        assert_eq!(
            set("https://example.com/", &[("q", "a&b=c d+e/ü#?")]),
            "https://example.com/?q=a%26b%3Dc%20d%2Be%2F%C3%BC%23%3F"
        );
        assert_eq!(
            set("https://example.com/", &[("name with space", "-._~")]),
            "https://example.com/?name%20with%20space=-._~"
        );
        assert_eq!(
            set("https://example.com/", &[("empty", "")]),
            "https://example.com/?empty="
        );
        // Existing parameters keep their encoding, "+" included.
        assert_eq!(
            set(
                "https://example.com/?q=a+b&r=%7E&s=caf%C3%A9",
                &[("t", "1")]
            ),
            "https://example.com/?q=a+b&r=%7E&s=caf%C3%A9&t=1"
        );
        // Names are matched decoded: utm%5Fsource is utm_source, a+b is "a b".
        assert_eq!(
            set(
                "https://example.com/?utm%5Fsource=old&a+b=1&c=2",
                &[("utm_source", "new"), ("a b", "2")]
            ),
            "https://example.com/?c=2&utm_source=new&a%20b=2"
        );
        // Names are case-sensitive.
        assert_eq!(
            set("https://example.com/?Ref=1", &[("ref", "2")]),
            "https://example.com/?Ref=1&ref=2"
        );
    }

    #[test]
    fn set_params_empty_query_and_no_params() {
        assert_eq!(
            set("https://example.com/?", &[("a", "1")]),
            "https://example.com/?a=1"
        );
        assert_eq!(
            set("https://example.com/?&&", &[("a", "1")]),
            "https://example.com/?a=1"
        );
        assert_eq!(
            set("https://example.com/?a=1&&b=2", &[("c", "3")]),
            "https://example.com/?a=1&b=2&c=3"
        );
        assert_eq!(
            set("https://example.com/p?a=1#f", &[]),
            "https://example.com/p?a=1#f"
        );
    }

    #[test]
    fn set_params_replacing_the_only_param() {
        assert_eq!(
            set("https://example.com/?a=1", &[("a", "2")]),
            "https://example.com/?a=2"
        );
    }

    #[test]
    fn invalid_urls() {
        for bad in [
            "",
            "not a url",
            "/relative/path",
            "https://",
            "http://exa mple.com/",
        ] {
            let e = set_params(bad, &[("a", "1")]).unwrap_err();
            assert!(
                e.message
                    .starts_with("invalid option \"url\": is not a valid URL"),
                "{bad}: {e}"
            );
            assert_eq!(e.sqlstate(), "22023");
            assert!(e.hint.is_some());
            assert!(merge_query(bad, "a=1").is_err(), "{bad}");
        }
    }

    #[test]
    fn merge_query_basics() {
        assert_eq!(
            merged("https://x.com/?a=1&b=2", "?b=3&c=4"),
            "https://x.com/?a=1&b=3&c=4"
        );
        assert_eq!(
            merged("https://x.com/?a=1&b=2", "b=3&c=4"),
            "https://x.com/?a=1&b=3&c=4"
        );
        assert_eq!(
            merged("https://x.com/p", "gclid=abc"),
            "https://x.com/p?gclid=abc"
        );
        assert_eq!(
            merged("https://x.com/p#frag", "a=1"),
            "https://x.com/p?a=1#frag"
        );
    }

    #[test]
    fn merge_query_empty_incoming() {
        assert_eq!(merged("https://x.com/p?a=1#f", ""), "https://x.com/p?a=1#f");
        assert_eq!(
            merged("https://x.com/p?a=1#f", "?"),
            "https://x.com/p?a=1#f"
        );
        assert_eq!(merged("https://x.com/p?a=1", "&&"), "https://x.com/p?a=1");
        assert_eq!(
            merged("https://x.com/p?a=1", "=orphan"),
            "https://x.com/p?a=1"
        );
    }

    #[test]
    fn merge_query_repeated_keys() {
        // Incoming repeats are all kept; every destination occurrence is replaced.
        assert_eq!(
            merged("https://x.com/?tag=a&x=1&tag=b", "tag=c&tag=d"),
            "https://x.com/?x=1&tag=c&tag=d"
        );
    }

    #[test]
    fn merge_query_keeps_incoming_encoding() {
        assert_eq!(
            merged(
                "https://x.com/?utm_source=site",
                "utm%5Fsource=ad&q=a+b%20c&flag"
            ),
            "https://x.com/?utm%5Fsource=ad&q=a+b%20c&flag"
        );
        assert_eq!(
            merged("https://x.com/?flag=1", "flag"),
            "https://x.com/?flag"
        );
    }

    #[test]
    fn merge_query_encodes_what_a_url_cannot_hold() {
        // Raw characters that are not valid in a query are encoded by the URL serializer,
        // so a "#" in the incoming text cannot start a fragment.
        assert_eq!(
            merged("https://x.com/p#f", "q=a b#c&u=ü\"<>"),
            "https://x.com/p?q=a%20b%23c&u=%C3%BC%22%3C%3E#f"
        );
    }

    #[test]
    fn decoded_names() {
        assert_eq!(decoded_name("a=1"), "a");
        assert_eq!(decoded_name("a"), "a");
        assert_eq!(decoded_name("a%20b=1"), "a b");
        assert_eq!(decoded_name("a+b=1"), "a b");
        assert_eq!(decoded_name("%C3%BC=1"), "ü");
        assert_eq!(decoded_name("%FF=1"), "\u{FFFD}");
        assert_eq!(decoded_name("=1"), "");
        assert_eq!(decoded_name("a==1"), "a");
    }

    #[test]
    fn other_schemes() {
        assert_eq!(
            set("mailto:a@example.com?subject=x", &[("subject", "y z")]),
            "mailto:a@example.com?subject=y%20z"
        );
    }
}

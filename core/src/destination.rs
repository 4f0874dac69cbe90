//! Destination URLs and domains: WHATWG parsing, the http/https rule, no credentials.

use crate::error::{Error, Kind, Result};
use crate::options::LinkType;
use crate::{phone, query, template};
use serde_json::{Map, Value};
use url::{Host, Url};

/// The longest destination accepted, in bytes of its serialization. Browsers and
/// proxies start to fail somewhere past 8 KiB.
pub const MAX_URL_BYTES: usize = 8192;

fn bad_url(input: &str, rule: &str) -> Error {
    let shown: String = input.chars().take(100).collect();
    Error::new(
        Kind::InvalidParameter,
        format!("invalid url \"{shown}\": {rule}"),
    )
}

/// Parses `input` as a WHATWG URL and returns its serialization, the form stored.
/// Only `http` and `https` are accepted, and never with a user name or password.
pub fn normalize_url(input: Option<&str>) -> Result<String> {
    let input = match input {
        Some(s) if !s.trim().is_empty() => s,
        _ => {
            return Err(
                Error::new(Kind::InvalidParameter, "invalid url: must not be empty")
                    .with_hint("Pass the destination as an absolute http or https URL."),
            )
        }
    };
    let url = Url::parse(input).map_err(|e| {
        bad_url(input, &format!("not a valid absolute URL ({e})"))
            .with_hint("Pass an absolute URL such as https://example.com/page.")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad_url(
            input,
            &format!(
                "scheme \"{}\" is not allowed; only http and https are",
                url.scheme()
            ),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad_url(input, "URLs with a user name or password are refused")
            .with_detail("Credentials in a link are a phishing device: https://bank.com@evil.example/ goes to evil.example."));
    }
    match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => {}
        Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => {}
        _ => return Err(bad_url(input, "a host is required")),
    }
    let out = String::from(url);
    if out.len() > MAX_URL_BYTES {
        return Err(bad_url(
            input,
            &format!("longer than {MAX_URL_BYTES} bytes ({})", out.len()),
        ));
    }
    Ok(out)
}

/// Normalizes a short-link domain: a host name (IDNA to punycode, lowercased), with no
/// scheme, port, path or trailing dot.
pub fn normalize_domain(input: &str) -> Result<String> {
    let bad = |rule: &str| {
        Error::new(
            Kind::InvalidParameter,
            format!(
                "invalid domain \"{}\": {rule}",
                input.chars().take(100).collect::<String>()
            ),
        )
        .with_hint("A domain is a bare host name such as go.example.com.")
    };
    if input.is_empty() {
        return Err(bad("must not be empty"));
    }
    if input.contains(['/', ':', '@', '?', '#']) || input.chars().any(char::is_whitespace) {
        return Err(bad(
            "a bare host name is needed: no scheme, port, path or spaces",
        ));
    }
    let host = Host::parse(input).map_err(|e| bad(&e.to_string()))?;
    let d = match host {
        Host::Domain(d) => d,
        _ => return Err(bad("an IP address is not a domain")),
    };
    if d.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    for label in d.split('.') {
        if label.is_empty() {
            return Err(bad("has an empty label"));
        }
        if label.len() > 63 {
            return Err(bad("has a label longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(bad("labels hold letters, digits and inner hyphens only"));
        }
    }
    Ok(d)
}

/// The destination a link stores: `raw` with its `{{macros}}` filled (from `vars`, then
/// `builtins` such as `link.code`), checked for its link type, and with the `utm`
/// parameters put in its query (replacing parameters of the same name).
pub fn build(
    raw: Option<&str>,
    link_type: LinkType,
    vars: Option<&Map<String, Value>>,
    builtins: &[(&str, &str)],
    utm: &[(&'static str, String)],
) -> Result<String> {
    let filled;
    let mut dest = raw;
    if let Some(r) = raw.filter(|r| template::has_macros(r)) {
        filled = template::fill(r, vars.unwrap_or(&Map::new()), builtins)?;
        dest = Some(filled.as_str());
    }
    let dest = match link_type {
        LinkType::Url => normalize_url(dest)?,
        other => {
            let d = dest.filter(|d| !d.trim().is_empty()).ok_or_else(|| {
                Error::new(Kind::InvalidParameter, "invalid url: must not be empty")
            })?;
            phone::check_destination(other.as_str(), d)?
        }
    };
    if utm.is_empty() {
        return Ok(dest);
    }
    if link_type != LinkType::Url {
        return Err(Error::option(
            utm[0].0,
            "applies to links of link_type url only",
        ));
    }
    let params: Vec<(&str, &str)> = utm.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = query::set_params(&dest, &params)?;
    if out.len() > MAX_URL_BYTES {
        return Err(bad_url(
            &out,
            &format!("longer than {MAX_URL_BYTES} bytes with its utm parameters"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_the_whatwg_serialization() {
        assert_eq!(
            normalize_url(Some("HTTP://Example.COM/a b")).unwrap(),
            "http://example.com/a%20b"
        );
        assert_eq!(
            normalize_url(Some("https://example.com")).unwrap(),
            "https://example.com/"
        );
        assert_eq!(
            normalize_url(Some("https://bücher.example/?q=1#x")).unwrap(),
            "https://xn--bcher-kva.example/?q=1#x"
        );
    }

    #[test]
    fn refuses_empty_and_null() {
        assert_eq!(
            normalize_url(None).unwrap_err().message,
            "invalid url: must not be empty"
        );
        assert!(normalize_url(Some("")).is_err());
        assert!(normalize_url(Some("   ")).is_err());
    }

    #[test]
    fn refuses_other_schemes() {
        for u in [
            "ftp://example.com/",
            "javascript:alert(1)",
            "data:text/html,x",
            "mailto:a@b.c",
            "file:///etc/passwd",
        ] {
            let e = normalize_url(Some(u)).unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
            assert!(
                e.message.contains("only http and https"),
                "{u}: {}",
                e.message
            );
        }
    }

    #[test]
    fn refuses_credentials() {
        for u in [
            "https://user:pass@example.com/",
            "https://user@example.com/",
            "http://:pw@example.com/",
        ] {
            assert!(
                normalize_url(Some(u))
                    .unwrap_err()
                    .message
                    .contains("user name or password"),
                "{u}"
            );
        }
    }

    #[test]
    fn refuses_relative_and_garbage() {
        for u in [
            "example.com",
            "/path",
            "http://",
            "https://exa mple.com/",
            "http://[::1",
        ] {
            assert!(normalize_url(Some(u)).is_err(), "{u}");
        }
    }

    #[test]
    fn refuses_overlong() {
        let u = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert!(normalize_url(Some(&u))
            .unwrap_err()
            .message
            .contains("longer than"));
    }

    #[test]
    fn build_fills_macros_checks_the_type_and_adds_utm() {
        let vars: Map<String, Value> =
            serde_json::from_str(r#"{"contact": {"phone": "+1 415"}}"#).unwrap();
        let d = build(
            Some("https://shop.example/p?ph={{contact.phone}}&c={{ link.code }}&utm_source=old"),
            LinkType::Url,
            Some(&vars),
            &[("link.code", "abc")],
            &[
                ("utm_source", "sms".into()),
                ("utm_campaign", "spring".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            d,
            "https://shop.example/p?ph=%2B1%20415&c=abc&utm_source=sms&utm_campaign=spring"
        );
        let e = build(
            Some("https://x.example/{{nope}}"),
            LinkType::Url,
            None,
            &[],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"template_vars\": unknown macro {{nope}}"
        );
        assert_eq!(
            build(Some("tel:+14155550123"), LinkType::Tel, None, &[], &[]).unwrap(),
            "tel:+14155550123"
        );
        assert!(build(Some("https://x.example/"), LinkType::Tel, None, &[], &[]).is_err());
        assert!(build(
            Some("tel:+14155550123"),
            LinkType::Tel,
            None,
            &[],
            &[("utm_source", "a".into())]
        )
        .is_err());
        assert!(build(None, LinkType::Sms, None, &[], &[])
            .unwrap_err()
            .message
            .contains("must not be empty"));
    }

    #[test]
    fn domains_are_normalized() {
        assert_eq!(
            normalize_domain("Go.Example.COM").unwrap(),
            "go.example.com"
        );
        assert_eq!(normalize_domain("bücher.de").unwrap(), "xn--bcher-kva.de");
        assert_eq!(normalize_domain("localhost").unwrap(), "localhost");
        for d in [
            "",
            "https://x.com",
            "x.com/a",
            "x.com:8080",
            "1.2.3.4",
            "a..b",
            "-a.com",
            "a b.com",
            "x.com.",
        ] {
            assert!(normalize_domain(d).is_err(), "{d}");
        }
    }
}

//! Destination URLs and domains: WHATWG parsing, the http/https rule, no credentials.

use crate::error::{Error, Kind, Result};
use crate::{phone, query, template};
use serde_json::{Map, Value};
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// The longest destination accepted, in bytes of its serialization. Browsers and
/// proxies start to fail somewhere past 8 KiB.
pub const MAX_URL_BYTES: usize = 8192;

/// What the destination is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    Url,
    Mailto,
    Tel,
    Sms,
}

impl LinkType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "url" => Some(LinkType::Url),
            "mailto" => Some(LinkType::Mailto),
            "tel" => Some(LinkType::Tel),
            "sms" => Some(LinkType::Sms),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkType::Url => "url",
            LinkType::Mailto => "mailto",
            LinkType::Tel => "tel",
            LinkType::Sms => "sms",
        }
    }
}

fn bad_url(input: &str, rule: &str) -> Error {
    let shown: String = input.chars().take(100).collect();
    Error::new(
        Kind::InvalidParameter,
        format!("invalid url \"{shown}\": {rule}"),
    )
}

/// The error for a destination refused by a rule: `invalid url "…": rule` for the link's
/// own `url`, `invalid option "field": rule` for the other URL options.
pub fn refused(field: &str, url: &str, rule: &str) -> Error {
    if field == "url" {
        bad_url(url, rule)
    } else {
        Error::option(field, rule)
    }
}

/// Why an IPv4 address may not be a destination, or None for a public one.
fn private_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match (a, b) {
        (127, _) => "a loopback address",
        (10, _) | (192, 168) => "a private address (RFC 1918)",
        (172, 16..=31) => "a private address (RFC 1918)",
        (169, 254) => "a link-local address",
        (100, 64..=127) => "a carrier-grade NAT address (RFC 6598)",
        (0, _) => "an unspecified address (0.0.0.0/8)",
        (224..=239, _) => "a multicast address",
        (255, 255) if ip.is_broadcast() => "the broadcast address",
        _ => return None,
    })
}

/// Why an IPv6 address may not be a destination, or None for a public one. Addresses that
/// embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by it.
fn private_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    let embedded = match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => Some((hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some((hi, lo)),
        [0x2002, hi, lo, ..] => Some((hi, lo)),
        _ => None,
    };
    if let Some((hi, lo)) = embedded {
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return private_v4(v4);
    }
    match s[0] {
        0xfc00..=0xfdff => Some("a unique local address (fc00::/7)"),
        0xfe80..=0xfebf => Some("a link-local address"),
        0xff00..=0xffff => Some("a multicast address"),
        _ => None,
    }
}

/// Why `ip` may not be a destination (loopback, private, link-local, carrier-grade NAT,
/// unspecified, broadcast, multicast, or an IPv6 address embedding such an IPv4 one), or
/// None for a public address. A webhook dispatcher applies it to resolved addresses too.
pub fn private_address(ip: std::net::IpAddr) -> Option<&'static str> {
    match ip {
        std::net::IpAddr::V4(v4) => private_v4(v4),
        std::net::IpAddr::V6(v6) => private_v6(v6),
    }
}

/// Refuses a destination whose host is a loopback, private, link-local, carrier-grade NAT,
/// unspecified, broadcast or multicast address, or `localhost` / `*.localhost`, unless
/// `allow_private` (an intranet install). `url` is a stored serialization; URLs without a
/// host (mailto:, tel:, sms:) pass. The WHATWG parser has already read every spelling of
/// an address (`0x7f000001`, `2130706433`, `127.1`, `[::ffff:127.0.0.1]`) as the address.
pub fn check_public_host(field: &str, url: &str, allow_private: bool) -> Result<()> {
    if allow_private {
        return Ok(());
    }
    let Ok(parsed) = Url::parse(url) else {
        return Ok(());
    };
    let (host, why) = match parsed.host() {
        Some(Host::Ipv4(ip)) => (ip.to_string(), private_v4(ip)),
        Some(Host::Ipv6(ip)) => (format!("[{ip}]"), private_v6(ip)),
        Some(Host::Domain(d)) => {
            let name = d.trim_end_matches('.').to_ascii_lowercase();
            let local = name == "localhost" || name.ends_with(".localhost");
            (name, local.then_some("a loopback name"))
        }
        None => return Ok(()),
    };
    match why {
        None => Ok(()),
        Some(why) => Err(refused(field, url, &format!("host {host} is {why}")).with_hint(
            "Destinations must be public hosts; a superuser can SET shortlink.allow_private_destinations = on for an intranet install.",
        )),
    }
}

/// The host name of a stored http(s) URL, lowercased and without trailing dots; None for
/// IP literals and URLs without a host.
pub fn host_of(url: &str) -> Option<String> {
    match Url::parse(url).ok()?.host()? {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            (!d.is_empty()).then_some(d)
        }
        _ => None,
    }
}

/// A host and each of its parent domains: `a.b.example` → `a.b.example`, `b.example`,
/// `example`.
pub fn host_suffixes(host: &str) -> Vec<String> {
    let mut out = vec![host.to_owned()];
    let mut rest = host;
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.is_empty() {
            break;
        }
        out.push(parent.to_owned());
        rest = parent;
    }
    out
}

/// `host` is `parent` or one of its subdomains: what a blocked host covers.
pub fn is_under(host: &str, parent: &str) -> bool {
    host.strip_suffix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// The host of `url` and each of its parent domains (empty without a domain host): the
/// keys a blocked host is looked up by.
pub fn url_host_suffixes(url: &str) -> Vec<String> {
    host_of(url).map_or_else(Vec::new, |h| host_suffixes(&h))
}

/// Why a URL is refused: the rule it breaks, and what the error adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: String,
    pub hint: Option<&'static str>,
    pub detail: Option<&'static str>,
}

impl Refusal {
    fn new(rule: impl Into<String>) -> Self {
        Refusal {
            rule: rule.into(),
            hint: None,
            detail: None,
        }
    }
}

/// Parses `input` as a WHATWG URL and returns its serialization, the form stored.
/// Only `http` and `https` are accepted, and never with a user name or password.
pub fn http_url(input: &str) -> std::result::Result<String, Refusal> {
    if input.trim().is_empty() {
        return Err(Refusal {
            hint: Some("Pass the destination as an absolute http or https URL."),
            ..Refusal::new("must not be empty")
        });
    }
    let url = Url::parse(input).map_err(|e| Refusal {
        hint: Some("Pass an absolute URL such as https://example.com/page."),
        ..Refusal::new(format!("not a valid absolute URL ({e})"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::new(format!(
            "scheme \"{}\" is not allowed; only http and https are",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal {
            detail: Some("Credentials in a link are a phishing device: https://bank.com@evil.example/ goes to evil.example."),
            ..Refusal::new("URLs with a user name or password are refused")
        });
    }
    match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => {}
        Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => {}
        _ => return Err(Refusal::new("a host is required")),
    }
    let out = String::from(url);
    if out.len() > MAX_URL_BYTES {
        return Err(Refusal::new(format!(
            "longer than {MAX_URL_BYTES} bytes ({})",
            out.len()
        )));
    }
    Ok(out)
}

/// [`http_url`] for the link's own destination: `invalid url "…": rule`.
pub fn normalize_url(input: Option<&str>) -> Result<String> {
    let input = input.unwrap_or_default();
    http_url(input).map_err(|r| {
        let mut e = if input.trim().is_empty() {
            Error::new(Kind::InvalidParameter, format!("invalid url: {}", r.rule))
        } else {
            bad_url(input, &r.rule)
        };
        e.hint = r.hint.map(str::to_owned);
        e.detail = r.detail.map(str::to_owned);
        e
    })
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

/// The key a short domain is looked up by: what `normalize_domain` makes of `host`, or
/// None when it cannot be a domain. The common case, a lowercase ASCII host name, is
/// taken as it is, without the IDNA pass (the same answer, checked in the tests).
pub fn domain_key(host: &str) -> Option<String> {
    if is_plain_domain(host) {
        Some(host.to_owned())
    } else {
        normalize_domain(host).ok()
    }
}

/// `host` is a domain that `normalize_domain` returns unchanged: lowercase letters,
/// digits and inner hyphens in labels of 1 to 63 bytes, at most 253 bytes, no punycode
/// label (IDNA checks those), and a last label that is not a number (the URL standard
/// reads such a host as an IPv4 address).
fn is_plain_domain(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let mut last = "";
    for label in host.split('.') {
        let b = label.as_bytes();
        let ldh = b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if !ldh
            || b.is_empty()
            || b.len() > 63
            || b[0] == b'-'
            || b[b.len() - 1] == b'-'
            || label.starts_with("xn--")
        {
            return false;
        }
        last = label;
    }
    !(last.bytes().all(|c| c.is_ascii_digit()) || last.starts_with("0x"))
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
            let d = phone::check_destination(other.as_str(), d)?;
            if d.len() > MAX_URL_BYTES {
                return Err(Error::option(
                    "url",
                    format!("longer than {MAX_URL_BYTES} bytes ({})", d.len()),
                ));
            }
            d
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

    fn private(u: &str) -> Option<String> {
        let stored = normalize_url(Some(u)).unwrap();
        check_public_host("url", &stored, false)
            .err()
            .map(|e| e.message)
    }

    #[test]
    fn private_hosts_are_refused_in_every_spelling() {
        for (u, rule) in [
            ("http://127.0.0.1/", "loopback"),
            ("http://2130706433/", "loopback"),
            ("http://0x7f000001/", "loopback"),
            ("http://127.1/", "loopback"),
            ("http://0177.0.0.1/", "loopback"),
            ("http://[::1]/", "loopback"),
            ("http://[0:0:0:0:0:0:0:1]/", "loopback"),
            ("http://[::ffff:127.0.0.1]/", "loopback"),
            ("http://[::ffff:7f00:1]/", "loopback"),
            ("http://[64:ff9b::a00:1]/", "RFC 1918"),
            ("http://[2002:c0a8:101::1]/", "RFC 1918"),
            ("http://10.1.2.3/", "RFC 1918"),
            ("http://172.16.0.1/", "RFC 1918"),
            ("http://172.31.255.255/", "RFC 1918"),
            ("http://192.168.1.1/", "RFC 1918"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://[fe80::1]/", "link-local"),
            ("http://[fd00::1]/", "unique local"),
            ("http://100.64.0.1/", "carrier-grade NAT"),
            ("http://100.127.255.255/", "carrier-grade NAT"),
            ("http://0.0.0.0/", "unspecified"),
            ("http://[::]/", "unspecified"),
            ("http://255.255.255.255/", "broadcast"),
            ("http://224.0.0.1/", "multicast"),
            ("http://[ff02::1]/", "multicast"),
            ("http://localhost/", "loopback name"),
            ("http://LOCALHOST./x", "loopback name"),
            ("http://api.localhost/", "loopback name"),
        ] {
            let msg = private(u).unwrap_or_else(|| panic!("{u} was accepted"));
            assert!(msg.contains(rule), "{u}: {msg}");
            assert!(msg.starts_with("invalid url"), "{u}: {msg}");
        }
    }

    #[test]
    fn public_hosts_pass() {
        for u in [
            "http://8.8.8.8/",
            "http://[2606:4700::1111]/",
            "https://example.com/",
            "https://localhost.example.com/",
            "http://100.128.0.1/",
            "http://172.32.0.1/",
            "http://11.0.0.1/",
            "http://192.169.0.1/",
            "http://[2002:808:808::1]/",
        ] {
            assert_eq!(private(u), None, "{u}");
        }
        assert!(check_public_host("url", "mailto:a@localhost", false).is_ok());
        assert!(check_public_host("url", "http://127.0.0.1/", true).is_ok());
    }

    #[test]
    fn private_option_urls_name_the_option() {
        let e = check_public_host("callback_url", "http://127.0.0.1/", false).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"callback_url\": host 127.0.0.1 is a loopback address"
        );
        assert_eq!(e.sqlstate(), "22023");
        assert!(e.hint.unwrap().contains("allow_private_destinations"));
        let e = check_public_host("url", "http://10.0.0.1/", false).unwrap_err();
        assert_eq!(
            e.message,
            "invalid url \"http://10.0.0.1/\": host 10.0.0.1 is a private address (RFC 1918)"
        );
        let e = check_public_host("webhook_urls", "http://[::ffff:a00:1]/", false).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"webhook_urls\": host [::ffff:10.0.0.1] is a private address (RFC 1918)"
        );
    }

    #[test]
    fn resolved_addresses_are_judged_alike() {
        assert_eq!(
            private_address("10.0.0.1".parse().unwrap()),
            Some("a private address (RFC 1918)")
        );
        assert_eq!(
            private_address("::ffff:169.254.1.1".parse().unwrap()),
            Some("a link-local address")
        );
        assert_eq!(private_address("93.184.216.34".parse().unwrap()), None);
    }

    #[test]
    fn hosts_and_their_parents() {
        assert_eq!(
            host_of("https://A.B.Example.com./x").as_deref(),
            Some("a.b.example.com")
        );
        assert_eq!(host_of("http://10.0.0.1/"), None);
        assert_eq!(host_of("mailto:a@b.example"), None);
        assert_eq!(
            host_suffixes("a.b.example"),
            vec!["a.b.example", "b.example", "example"]
        );
        assert_eq!(host_suffixes("example"), vec!["example"]);
        assert!(is_under("a.b.example", "b.example"));
        assert!(is_under("b.example", "b.example"));
        assert!(!is_under("ab.example", "b.example"));
        assert!(!is_under("b.example", "a.b.example"));
        for (url, host) in [
            ("https://A.B.Example./x", "b.example"),
            ("http://10.0.0.1/", "0.1"),
        ] {
            let suffixes = url_host_suffixes(url);
            let under = host_of(url).is_some_and(|h| is_under(&h, host));
            assert_eq!(suffixes.iter().any(|s| s == host), under, "{url} {host}");
        }
        assert!(url_host_suffixes("mailto:a@b.example").is_empty());
    }

    #[test]
    fn every_link_type_is_capped() {
        let body = "x".repeat(MAX_URL_BYTES);
        for (t, d) in [
            (
                LinkType::Mailto,
                format!("mailto:a@example.com?body={body}"),
            ),
            (LinkType::Sms, format!("sms:+14155550123?body={body}")),
        ] {
            let e = build(Some(&d), t, None, &[], &[]).unwrap_err();
            assert!(
                e.message.contains("longer than 8192 bytes"),
                "{}",
                e.message
            );
        }
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
    #[test]
    fn domain_key_is_normalize_domain() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long = format!("{}com", "abcdefghi.".repeat(25));
        for host in [
            "go.example.com",
            "x.co",
            "a-b.example",
            "1.2.3.4",
            "0x7f.1",
            "1.2.3.0x10",
            "example.0x",
            "a.1b",
            "Go.Example.com",
            "bücher.de",
            "xn--bcher-kva.de",
            "xn--a.com",
            "-a.com",
            "a-.com",
            "a..com",
            ".a.com",
            "a.com.",
            "",
            "a_b.com",
            long_label.as_str(),
            long.as_str(),
            "localhost",
            "127.0.0.1",
            "[::1]",
            "a b",
            "EXAMPLE.COM",
            "ex%41mple.com",
            "0xfoo.com",
            "foo.0xg",
        ] {
            assert_eq!(domain_key(host), normalize_domain(host).ok(), "{host:?}");
        }
        assert!(is_plain_domain("go.example.com"));
        assert!(!is_plain_domain("1.2.3.4"));
    }
}

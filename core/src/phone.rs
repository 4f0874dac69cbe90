//! Destinations of the link types that are not web pages: `mailto:`, `tel:` and `sms:`,
//! and options that hold a bare E.164 phone number.

use crate::error::{Error, Kind, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// E.164: at most 15 digits including the country code.
pub const MAX_DIGITS: usize = 15;
/// The shortest numbers in use (e.g. Niue, Saint Helena) have 7 digits with the country code.
pub const MIN_DIGITS: usize = 7;

const TEL_RULE: &str = "a tel link needs \"tel:\" followed by an E.164 number such as +14155550123";
const SMS_RULE: &str = "an sms link needs \"sms:\" followed by an E.164 number such as \
                        +14155550123, optionally with ?body=...";
const MAILTO_RULE: &str = "a mailto link needs \"mailto:\" followed by one or more \
                           comma-separated e-mail addresses such as support@example.com, \
                           optionally with ?subject=...";
const PHONE_RULE: &str = "must be an E.164 phone number such as +14155550123";

/// Characters percent-encoded in the query of a mailto or sms link: those a URI cannot hold
/// raw (non-ASCII is always encoded). Existing `%XX` escapes are kept as they are.
const QUERY_TEXT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`');

/// Whether `s` is an E.164 number exactly: "+", then 7 to 15 digits, the first not 0.
/// No separators: see [`check_phone_option`] for input that may contain them.
pub fn validate_e164(s: &str) -> bool {
    match s.strip_prefix('+') {
        Some(digits) => {
            let d = digits.as_bytes();
            (MIN_DIGITS..=MAX_DIGITS).contains(&d.len())
                && d.iter().all(u8::is_ascii_digit)
                && d.first() != Some(&b'0')
        }
        None => false,
    }
}

/// Checks an option holding a bare E.164 number (such as `contact_phone`) and returns it
/// without visual separators: `"+1 (415) 555-0123"` gives `"+14155550123"`.
pub fn check_phone_option(key: &str, s: &str) -> Result<String> {
    normalize_number(s.trim()).map_err(|detail| Error::option(key, PHONE_RULE).with_detail(detail))
}

/// Checks the destination of a `mailto`, `tel` or `sms` link and returns it normalized:
/// the scheme lowercased, visual separators removed from phone numbers, and spaces and
/// non-ASCII characters in the query percent-encoded.
///
/// * `mailto:` one or more comma-separated addresses, then optionally `?subject=...` etc.;
/// * `tel:` an E.164 number, in which "-", ".", " ", "(" and ")" are allowed and removed;
/// * `sms:` an E.164 number as for `tel:`, then optionally `?body=...`.
pub fn check_destination(link_type: &str, dest: &str) -> Result<String> {
    let dest = dest.trim();
    match link_type {
        "tel" => check_tel(dest).map_err(|d| Error::option("url", TEL_RULE).with_detail(d)),
        "sms" => check_sms(dest).map_err(|d| Error::option("url", SMS_RULE).with_detail(d)),
        "mailto" => {
            check_mailto(dest).map_err(|d| Error::option("url", MAILTO_RULE).with_detail(d))
        }
        other => Err(Error::new(
            Kind::InvalidParameter,
            format!(
                "link type \"{}\" is not one of mailto, tel, sms",
                shorten(other)
            ),
        )),
    }
}

/// The text after `scheme:` (the scheme matched case-insensitively).
fn strip_scheme<'a>(dest: &'a str, scheme: &str) -> std::result::Result<&'a str, String> {
    let n = scheme.len();
    match (dest.get(..n), dest.get(n..n + 1), dest.get(n + 1..)) {
        (Some(s), Some(":"), Some(rest)) if s.eq_ignore_ascii_case(scheme) => Ok(rest),
        _ => Err(format!(
            "\"{}\" does not start with \"{scheme}:\"",
            shorten(dest)
        )),
    }
}

fn check_tel(dest: &str) -> std::result::Result<String, String> {
    let number = normalize_number(strip_scheme(dest, "tel")?)?;
    Ok(format!("tel:{number}"))
}

fn check_sms(dest: &str) -> std::result::Result<String, String> {
    let rest = strip_scheme(dest, "sms")?;
    let (number, query) = match rest.split_once('?') {
        Some((n, q)) => (n, Some(q)),
        None => (rest, None),
    };
    let mut out = format!("sms:{}", normalize_number(number)?);
    let mut body_seen = false;
    for param in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        if !key.eq_ignore_ascii_case("body") {
            return Err(format!(
                "\"{}\" is not allowed: an sms link takes only a body parameter",
                shorten(key)
            ));
        }
        if body_seen {
            return Err("the body parameter appears more than once".to_owned());
        }
        body_seen = true;
        out.push_str("?body=");
        out.push_str(&encode_query_text(value)?);
    }
    Ok(out)
}

fn check_mailto(dest: &str) -> std::result::Result<String, String> {
    let rest = strip_scheme(dest, "mailto")?;
    let (addresses, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(dest.len() + 8);
    out.push_str("mailto:");
    for (i, address) in addresses.split(',').enumerate() {
        let address = address.trim();
        if address.is_empty() {
            return Err(if i == 0 && !addresses.contains(',') {
                "there is no address".to_owned()
            } else {
                "an address in the comma-separated list is empty".to_owned()
            });
        }
        check_address(address)?;
        if i > 0 {
            out.push(',');
        }
        // Non-ASCII (internationalised) addresses are percent-encoded as RFC 6068 asks.
        out.extend(utf8_percent_encode(address, CONTROLS));
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(&encode_query_text(query)?);
    }
    Ok(out)
}

/// A plausible e-mail address: `local@domain`, where `local` is 1 to 64 bytes of letters,
/// digits, `!$&'*+-/=_~.` or `%XX` escapes (no leading, trailing or doubled dot), and
/// `domain` is one or more dot-separated labels of letters, digits and inner hyphens.
/// A domain without a dot (`root@localhost`) is accepted.
fn check_address(address: &str) -> std::result::Result<(), String> {
    let shown = shorten(address);
    let (local, domain) = address
        .split_once('@')
        .ok_or_else(|| format!("\"{shown}\" is not an e-mail address: it has no \"@\""))?;
    if local.is_empty() {
        return Err(format!("\"{shown}\" has nothing before the \"@\""));
    }
    if domain.is_empty() {
        return Err(format!("\"{shown}\" has no domain after the \"@\""));
    }
    if domain.contains('@') {
        return Err(format!("\"{shown}\" has more than one \"@\""));
    }
    if local.len() > 64 {
        return Err(format!(
            "\"{shown}\" has a part before the \"@\" longer than 64 bytes"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(format!(
            "\"{shown}\" has a leading, trailing or doubled dot before the \"@\""
        ));
    }
    let local_ok = local.chars().all(|c| {
        c.is_ascii_alphanumeric() || "!$&'*+-/=_~.%".contains(c) || !c.is_ascii() && !c.is_control()
    });
    if !local_ok || !valid_percent_escapes(local) {
        return Err(format!(
            "\"{shown}\" has a character not allowed before the \"@\" (percent-encode it)"
        ));
    }
    if domain.len() > 253 {
        return Err(format!("\"{shown}\" has a domain longer than 253 bytes"));
    }
    for label in domain.split('.') {
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && valid_percent_escapes(label)
            && label.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || c == '-'
                    || c == '%'
                    || !c.is_ascii() && c.is_alphanumeric()
            });
        if !label_ok {
            return Err(format!(
                "\"{shown}\" has an invalid domain: each dot-separated part must be 1 to 63 \
                 letters, digits or inner hyphens"
            ));
        }
    }
    Ok(())
}

/// Every `%` is followed by two hex digits.
fn valid_percent_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || matches!((b.get(i + 1), b.get(i + 2)), (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
    })
}

/// The query of a mailto or sms link, with spaces, non-ASCII and a few other characters
/// percent-encoded. Control characters (CR, LF, ...) are refused.
fn encode_query_text(s: &str) -> std::result::Result<String, String> {
    if s.chars().any(char::is_control) {
        return Err("the query contains a control character".to_owned());
    }
    Ok(utf8_percent_encode(s, QUERY_TEXT).to_string())
}

/// "+" and the digits of `s`, which must be "+" followed by digits, optionally with the
/// visual separators "-", ".", " " and one level of balanced parentheses.
fn normalize_number(s: &str) -> std::result::Result<String, String> {
    let rest = s.strip_prefix('+').ok_or_else(|| {
        if s.is_empty() {
            "the number is missing".to_owned()
        } else {
            format!(
                "\"{}\" does not start with \"+\" and the country code",
                shorten(s)
            )
        }
    })?;
    let mut out = String::with_capacity(MAX_DIGITS + 1);
    out.push('+');
    let mut digits = 0usize;
    let mut in_parens = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                digits += 1;
                if digits > MAX_DIGITS {
                    return Err(format!("the number has more than {MAX_DIGITS} digits"));
                }
                out.push(c);
            }
            '-' | '.' | ' ' => {}
            '(' if !in_parens => in_parens = true,
            ')' if in_parens => in_parens = false,
            '(' | ')' => return Err("the number has unbalanced parentheses".to_owned()),
            _ => {
                return Err(format!(
                    "{c:?} is not allowed in a phone number (only digits, \"-\", \".\", \" \", \
                     \"(\" and \")\")"
                ))
            }
        }
    }
    if in_parens {
        return Err("the number has unbalanced parentheses".to_owned());
    }
    if digits == 0 {
        return Err("the number has no digits".to_owned());
    }
    if out.as_bytes().get(1) == Some(&b'0') {
        return Err("a country code never starts with 0".to_owned());
    }
    if digits < MIN_DIGITS {
        return Err(format!(
            "the number has {digits} digits; E.164 numbers have {MIN_DIGITS} to {MAX_DIGITS}"
        ));
    }
    Ok(out)
}

/// The first 100 characters of user input, for messages.
fn shorten(s: &str) -> &str {
    match s.char_indices().nth(100) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(e: &Error) -> &str {
        e.detail.as_deref().unwrap_or("")
    }

    #[test]
    fn e164_validation() {
        assert!(validate_e164("+14155550123"));
        assert!(validate_e164("+442071838750"));
        assert!(validate_e164("+6834002")); // 7 digits (Niue)
        assert!(validate_e164("+123456789012345")); // 15 digits
        assert!(!validate_e164("+1234567890123456")); // 16 digits
        assert!(!validate_e164("+123456")); // 6 digits
        assert!(!validate_e164("14155550123")); // no "+"
        assert!(!validate_e164("+04155550123")); // leading 0
        assert!(!validate_e164("+1 415 555 0123")); // separators: not bare E.164
        assert!(!validate_e164("+1415555012a"));
        assert!(!validate_e164("++14155550123"));
        assert!(!validate_e164("+"));
        assert!(!validate_e164(""));
        assert!(!validate_e164("+١٤١٥٥٥٥٠١٢٣")); // non-ASCII digits
    }

    #[test]
    fn tel_links() {
        let ok = |d: &str| check_destination("tel", d).unwrap();
        assert_eq!(ok("tel:+14155550123"), "tel:+14155550123");
        assert_eq!(ok("TEL:+14155550123"), "tel:+14155550123");
        assert_eq!(ok("tel:+1 (415) 555-0123"), "tel:+14155550123");
        assert_eq!(ok("tel:+44.20.7183.8750"), "tel:+442071838750");
        assert_eq!(ok("  tel:+49 30 1234567  "), "tel:+49301234567");
    }

    #[test]
    fn bad_tel_links() {
        for bad in [
            "tel:4155550123",
            "tel:+0155550123",
            "tel:+12345",
            "tel:+1234567890123456",
            "tel:+1 415 555 0123;ext=5",
            "tel:+1 (415 555 0123",
            "tel:+1 415) 555 0123",
            "tel:+1 ((415)) 555 0123",
            "tel:+1415555O123",
            "tel:",
            "tel:+",
            "tel://+14155550123",
            "tel+14155550123",
            "phone:+14155550123",
            "https://example.com",
            "",
            "tél:+14155550123",
        ] {
            let e = check_destination("tel", bad).unwrap_err();
            assert_eq!(e.kind, Kind::InvalidParameter, "{bad}");
            assert_eq!(e.sqlstate(), "22023");
            assert_eq!(
                e.message,
                "invalid option \"url\": a tel link needs \"tel:\" followed by an E.164 number \
                 such as +14155550123",
                "{bad}"
            );
            assert!(e.detail.is_some(), "{bad}");
        }
        let e = check_destination("tel", "tel:+12345").unwrap_err();
        assert_eq!(
            detail(&e),
            "the number has 5 digits; E.164 numbers have 7 to 15"
        );
        let e = check_destination("tel", "tel:0044123456789").unwrap_err();
        assert!(detail(&e).contains("does not start with \"+\""), "{e:?}");
        let e = check_destination("tel", "mailto:x@y.z").unwrap_err();
        assert!(detail(&e).contains("does not start with \"tel:\""), "{e:?}");
        let e = check_destination("tel", "tel:+1 415 555 0123 x5").unwrap_err();
        assert!(detail(&e).contains("'x' is not allowed"), "{e:?}");
    }

    #[test]
    fn sms_links() {
        let ok = |d: &str| check_destination("sms", d).unwrap();
        assert_eq!(ok("sms:+14155550123"), "sms:+14155550123");
        assert_eq!(ok("SMS:+1-415-555-0123"), "sms:+14155550123");
        assert_eq!(ok("sms:+14155550123?"), "sms:+14155550123");
        assert_eq!(
            ok("sms:+14155550123?body=Hello%20there"),
            "sms:+14155550123?body=Hello%20there"
        );
        assert_eq!(
            ok("sms:+14155550123?body=Hello there, ça va?"),
            "sms:+14155550123?body=Hello%20there,%20%C3%A7a%20va?"
        );
        assert_eq!(ok("sms:+14155550123?BODY=x"), "sms:+14155550123?body=x");
        assert_eq!(ok("sms:+14155550123?body="), "sms:+14155550123?body=");
    }

    #[test]
    fn bad_sms_links() {
        for bad in [
            "sms:14155550123",
            "sms:+14155550123?subject=x",
            "sms:+14155550123?body=a&body=b",
            "sms:+14155550123?body=a&x=b",
            "sms:+14155550123?body=line\r\nLocation: evil",
            "sms:?body=x",
            "sms:+14155550123,+14155550124",
            "tel:+14155550123",
        ] {
            let e = check_destination("sms", bad).unwrap_err();
            assert_eq!(
                e.message,
                "invalid option \"url\": an sms link needs \"sms:\" followed by an E.164 number \
                 such as +14155550123, optionally with ?body=...",
                "{bad}"
            );
        }
        let e = check_destination("sms", "sms:+14155550123?subject=x").unwrap_err();
        assert!(detail(&e).contains("only a body parameter"), "{e:?}");
    }

    #[test]
    fn mailto_links() {
        let ok = |d: &str| check_destination("mailto", d).unwrap();
        assert_eq!(
            ok("mailto:support@example.com"),
            "mailto:support@example.com"
        );
        assert_eq!(
            ok("MailTo:support@example.com"),
            "mailto:support@example.com"
        );
        assert_eq!(ok("mailto:root@localhost"), "mailto:root@localhost");
        assert_eq!(
            ok("mailto:a@example.com,b.c+tag@mail.example.org"),
            "mailto:a@example.com,b.c+tag@mail.example.org"
        );
        assert_eq!(
            ok("mailto:a@example.com , b@example.com"),
            "mailto:a@example.com,b@example.com"
        );
        assert_eq!(
            ok("mailto:sales@example.com?subject=Quote%20request&body=Hi"),
            "mailto:sales@example.com?subject=Quote%20request&body=Hi"
        );
        assert_eq!(
            ok("mailto:sales@example.com?subject=Issue #5 <urgent>"),
            "mailto:sales@example.com?subject=Issue%20%235%20%3Curgent%3E"
        );
        assert_eq!(ok("mailto:x@example.com?"), "mailto:x@example.com");
        assert_eq!(
            ok("mailto:o'brien_x-y=z@sub-domain.example.co.uk"),
            "mailto:o'brien_x-y=z@sub-domain.example.co.uk"
        );
        assert_eq!(ok("mailto:a%40b@example.com"), "mailto:a%40b@example.com");
        // Internationalised addresses are percent-encoded.
        assert_eq!(
            ok("mailto:jörg@bücher.de"),
            "mailto:j%C3%B6rg@b%C3%BCcher.de"
        );
        assert_eq!(
            ok("mailto:info@xn--bcher-kva.de"),
            "mailto:info@xn--bcher-kva.de"
        );
    }

    #[test]
    fn bad_mailto_links() {
        let cases = [
            ("mailto:", "there is no address"),
            ("mailto:?subject=x", "there is no address"),
            ("mailto:a@example.com,", "is empty"),
            ("mailto:,a@example.com", "is empty"),
            ("mailto:example.com", "has no \"@\""),
            ("mailto:@example.com", "nothing before"),
            ("mailto:bob@", "no domain"),
            ("mailto:a@b@example.com", "more than one"),
            ("mailto:.bob@example.com", "dot"),
            ("mailto:bob.@example.com", "dot"),
            ("mailto:bo..b@example.com", "dot"),
            ("mailto:bo b@example.com", "not allowed"),
            ("mailto:bob#1@example.com", "not allowed"),
            ("mailto:bob%4@example.com", "not allowed"),
            ("mailto:bob@example..com", "invalid domain"),
            ("mailto:bob@.example.com", "invalid domain"),
            ("mailto:bob@example.com.", "invalid domain"),
            ("mailto:bob@-example.com", "invalid domain"),
            ("mailto:bob@example-.com", "invalid domain"),
            ("mailto:bob@exa_mple.com", "invalid domain"),
            ("mailto:bob@[127.0.0.1]", "invalid domain"),
            ("mailto:bob@example.com?subject=a\nb", "control character"),
            ("mail:bob@example.com", "does not start with \"mailto:\""),
            ("https://example.com", "does not start with \"mailto:\""),
        ];
        for (bad, why) in cases {
            let e = check_destination("mailto", bad).unwrap_err();
            assert!(
                e.message
                    .starts_with("invalid option \"url\": a mailto link needs"),
                "{bad}"
            );
            assert!(detail(&e).contains(why), "{bad}: {:?}", e.detail);
        }
        let long_local = format!("mailto:{}@example.com", "a".repeat(65));
        assert!(check_destination("mailto", &long_local).is_err());
        let long_label = format!("mailto:a@{}.com", "b".repeat(64));
        assert!(check_destination("mailto", &long_label).is_err());
        let ok_label = format!("mailto:a@{}.com", "b".repeat(63));
        assert!(check_destination("mailto", &ok_label).is_ok());
    }

    #[test]
    fn unknown_link_type() {
        let e = check_destination("web", "https://example.com").unwrap_err();
        assert_eq!(e.kind, Kind::InvalidParameter);
        assert!(e.message.contains("\"web\""), "{}", e.message);
    }

    #[test]
    fn phone_option() {
        assert_eq!(
            check_phone_option("contact_phone", "+1 (415) 555-0123").unwrap(),
            "+14155550123"
        );
        assert_eq!(
            check_phone_option("contact_phone", " +4930123456 ").unwrap(),
            "+4930123456"
        );
        for bad in [
            "4155550123",
            "+1",
            "",
            "+1 415 555 0123 ext 5",
            "tel:+14155550123",
        ] {
            let e = check_phone_option("contact_phone", bad).unwrap_err();
            assert_eq!(
                e.message,
                "invalid option \"contact_phone\": must be an E.164 phone number such as \
                 +14155550123",
                "{bad}"
            );
            assert_eq!(e.sqlstate(), "22023");
        }
        let e = check_phone_option("contact_phone", "").unwrap_err();
        assert_eq!(detail(&e), "the number is missing");
    }

    #[test]
    fn long_input_is_shortened_in_messages() {
        let long = format!("tel:{}", "x".repeat(5000));
        let e = check_destination("tel", &long).unwrap_err();
        assert!(detail(&e).len() < 300, "{}", detail(&e));
        let long = "é".repeat(500);
        assert_eq!(shorten(&long).chars().count(), 100);
    }
}

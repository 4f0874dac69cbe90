//! The `opts` of `shortlink.shorten` (and of each `shorten_many` item), parsed strictly:
//! an unknown key or a value of the wrong type is an error that names the key.

use crate::codes;
use crate::error::{Error, Kind, Result};
use serde_json::{Map, Value};

/// The longest `expire_in` accepted: 100 years of seconds.
pub const MAX_EXPIRE_IN_SECONDS: f64 = 100.0 * 365.25 * 86400.0;

/// When a link stops redirecting.
#[derive(Debug, Clone, PartialEq)]
pub enum Expiry {
    /// `expires_at`: an ISO 8601 timestamp, checked for shape here; PostgreSQL converts it.
    At(String),
    /// `expire_in`: seconds from now.
    In(f64),
}

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

/// How `opts` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `shorten(url, opts)`.
    Create,
    /// A `shorten_many` item: the object carries the destination under `url`.
    Batch,
    /// `update_link(code, opts)`: `url` may change the destination; null clears a
    /// clearable option; `code`, `domain`, `length` and `if_exists` are not options.
    Update,
}

/// Every option of one link, validated. `columns` holds the values stored as they are,
/// keyed by their `shortlink.links` column; the rest needs work (destination rewriting,
/// code generation, password hashing) before it is stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkOptions {
    /// The destination given in `opts` (Batch and Update modes).
    pub url: Option<String>,
    pub code: Option<String>,
    pub domain: Option<String>,
    pub length: Option<usize>,
    /// Some(None): clear the expiry (Update).
    pub expiry: Option<Option<Expiry>>,
    pub link_type: Option<LinkType>,
    /// `if_exists: "return"`.
    pub return_existing: bool,
    /// `password`: Some(None) clears it (Update).
    pub password: Option<Option<String>>,
    /// `utm_*` parameters to put in the destination's query, in a fixed order.
    pub utm: Vec<(&'static str, String)>,
    pub template_vars: Option<Map<String, Value>>,
    pub columns: Map<String, Value>,
}

impl LinkOptions {
    pub fn max_clicks(&self) -> Option<i64> {
        self.columns.get("max_clicks").and_then(Value::as_i64)
    }

    pub fn tracking(&self) -> bool {
        self.columns
            .get("tracking")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// The option URLs the caller vets besides the destination (hosts, blocklist):
    /// (field, URL) pairs, each `webhook_urls` entry on its own.
    pub fn destinations(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for field in ["expired_url", "image", "callback_url"] {
            if let Some(Value::String(u)) = self.columns.get(field) {
                out.push((field, u.clone()));
            }
        }
        if let Some(Value::Array(urls)) = self.columns.get("webhook_urls") {
            out.extend(
                urls.iter()
                    .filter_map(Value::as_str)
                    .map(|u| ("webhook_urls", u.to_owned())),
            );
        }
        out
    }

    pub fn metadata(&self) -> Map<String, Value> {
        match self.columns.get("metadata") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        }
    }
}

/// The keys `shorten` takes, for the "unknown option" hint.
pub const KEYS: &[&str] = &[
    "code",
    "domain",
    "length",
    "expires_at",
    "expire_in",
    "max_clicks",
    "metadata",
    "tracking",
    "redirect_type",
    "link_type",
    "password",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "forward_params",
    "block_bots",
    "title",
    "description",
    "image",
    "tags",
    "cloaked",
    "meta_pixel_id",
    "google_tag_id",
    "custom_field",
    "dlt_header",
    "contact_phone",
    "template_vars",
    "callback_url",
    "webhook_urls",
    "expired_url",
    "if_exists",
];

const UTM_KEYS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];
const CREATE_ONLY: &[&str] = &["code", "domain", "length", "if_exists"];

/// The most tags a link holds, and the longest tag.
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;
/// The longest free-text option (title, custom_field, …) in characters; description: 4096.
pub const MAX_TEXT_CHARS: usize = 1024;
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
pub const MAX_WEBHOOKS: usize = 10;
/// The largest `metadata` or `template_vars`, serialized, and their deepest nesting (an
/// object or array is one level).
pub const MAX_JSON_BYTES: usize = 65536;
pub const MAX_JSON_DEPTH: usize = 32;

/// The nesting depth of a JSON value: a scalar is 0, `{"a": 1}` is 1.
fn depth(v: &Value) -> usize {
    // Iterative: the value came through serde_json, at most 128 levels, but stay safe.
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => max = max.max(d),
        }
        if matches!(v, Value::Object(_) | Value::Array(_)) {
            max = max.max(d + 1);
        }
    }
    max
}

/// `metadata` and `template_vars`: an object within the size and depth caps.
fn bounded_object(key: &str, v: &Value) -> Result<Map<String, Value>> {
    let Value::Object(m) = v else {
        return Err(Error::option(
            key,
            format!("must be a JSON object, not {}", shown(v)),
        ));
    };
    if depth(v) > MAX_JSON_DEPTH {
        return Err(too_deep_error(key));
    }
    let n = v.to_string().len();
    if n > MAX_JSON_BYTES {
        return Err(Error::option(
            key,
            format!("must be at most {MAX_JSON_BYTES} bytes serialized, not {n}"),
        ));
    }
    Ok(m.clone())
}

/// The error for JSON nested too deep under top-level key `key` ("" for the whole value).
pub fn too_deep_error(key: &str) -> Error {
    if key.is_empty() {
        Error::new(
            Kind::InvalidParameter,
            format!("invalid options: nested deeper than {MAX_JSON_DEPTH} levels"),
        )
    } else {
        Error::option(
            key,
            format!("must be nested at most {MAX_JSON_DEPTH} levels deep"),
        )
    }
}

/// Unicode format characters (category Cf) refused in text shown to people: bidirectional
/// controls and invisible characters. U+200C and U+200D (joiners that emoji sequences and
/// Indic and Persian text need) and the emoji tag characters U+E0020–U+E007F are allowed.
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B | 0x200E..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064
        | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD
        | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001)
}

/// `title` and `description`: text without invisible formatting characters.
fn shown_text(key: &str, v: &Value, max: usize) -> Result<String> {
    let s = text(key, v, max)?;
    if let Some(c) = s.chars().find(|c| invisible(*c)) {
        return Err(Error::option(
            key,
            format!(
                "must not hold invisible formatting character U+{:04X}",
                c as u32
            ),
        ));
    }
    Ok(s)
}

fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn as_str<'a>(key: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| Error::option(key, format!("must be a string, not {}", shown(v))))
}

fn as_bool(key: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::option(key, format!("must be true or false, not {}", shown(v))))
}

fn as_int(key: &str, v: &Value, rule: &str) -> Result<i64> {
    v.as_i64()
        .ok_or_else(|| Error::option(key, format!("{rule}, not {}", shown(v))))
}

fn text(key: &str, v: &Value, max: usize) -> Result<String> {
    let s = as_str(key, v)?;
    let n = s.chars().count();
    if n > max {
        return Err(Error::option(
            key,
            format!("must be at most {max} characters, not {n}"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::option(key, "must not hold control characters"));
    }
    Ok(s.to_owned())
}

/// An http(s) URL option (image, callback_url, expired_url, webhook_urls).
fn http_url(key: &str, v: &Value) -> Result<String> {
    let s = as_str(key, v)?;
    crate::destination::normalize_url(Some(s)).map_err(|e| {
        let rule = e
            .message
            .split_once(": ")
            .map_or(e.message.as_str(), |(_, r)| r)
            .to_owned();
        Error::option(key, format!("{rule} ({})", shown(v)))
    })
}

fn pattern(key: &str, v: &Value, ok: impl Fn(&str) -> bool, rule: &str) -> Result<String> {
    let s = as_str(key, v)?;
    if ok(s) {
        Ok(s.to_owned())
    } else {
        Err(Error::option(key, format!("{rule}, not {}", shown(v))))
    }
}

/// Parses `opts` for `mode`.
pub fn parse(opts: &Value, mode: Mode) -> Result<LinkOptions> {
    let obj = match opts {
        Value::Object(o) => o,
        Value::Null => return Ok(LinkOptions::default()),
        other => {
            return Err(Error::new(
                Kind::InvalidParameter,
                format!(
                    "invalid options: must be a JSON object, not {}",
                    shown(other)
                ),
            ))
        }
    };
    let mut o = LinkOptions::default();
    for (key, v) in obj {
        let k = key.as_str();
        if mode == Mode::Update && CREATE_ONLY.contains(&k) {
            return Err(Error::option(k, "cannot be changed by update_link")
                .with_hint("A link keeps its code and domain; create a new link instead."));
        }
        // In Update mode null clears an option that may be absent.
        if v.is_null() && mode == Mode::Update {
            match k {
                "expires_at" | "expire_in" => {
                    o.expiry = Some(None);
                    continue;
                }
                "password" => {
                    o.password = Some(None);
                    continue;
                }
                "template_vars" => continue,
                "max_clicks" | "title" | "description" | "image" | "tags" | "meta_pixel_id"
                | "google_tag_id" | "custom_field" | "dlt_header" | "contact_phone"
                | "callback_url" | "webhook_urls" | "expired_url" => {
                    o.columns.insert(k.to_owned(), Value::Null);
                    continue;
                }
                _ if UTM_KEYS.contains(&k) => {
                    return Err(Error::option(
                        k,
                        "cannot be cleared; change \"url\" instead",
                    ));
                }
                _ if KEYS.contains(&k) || k == "url" => {
                    return Err(Error::option(k, "cannot be null"));
                }
                _ => {}
            }
        }
        match k {
            "url" if mode != Mode::Create => {
                o.url = match v {
                    Value::Null => None,
                    v => Some(as_str(k, v)?.to_owned()),
                }
            }
            "code" => {
                let c = as_str(k, v)?;
                codes::validate_custom(c)?;
                o.code = Some(c.to_owned());
            }
            "domain" => o.domain = Some(as_str(k, v)?.to_owned()),
            "length" => {
                let n = as_int(k, v, "must be an integer")?;
                o.length = Some(codes::validate_length(k, n)?);
            }
            "expires_at" => {
                let s = as_str(k, v)?;
                if !is_iso8601(s) {
                    return Err(Error::option(
                        k,
                        format!(
                            "must be an ISO 8601 timestamp such as 2030-01-31T12:00:00Z, not {}",
                            shown(v)
                        ),
                    ));
                }
                if o.expiry.is_some() {
                    return Err(both_expiries());
                }
                o.expiry = Some(Some(Expiry::At(s.to_owned())));
            }
            "expire_in" => {
                let secs = v.as_f64().filter(|s| s.is_finite()).ok_or_else(|| {
                    Error::option(k, format!("must be a number of seconds, not {}", shown(v)))
                })?;
                if secs <= 0.0 || secs > MAX_EXPIRE_IN_SECONDS {
                    return Err(Error::option(
                        k,
                        format!(
                            "must be a positive number of seconds up to 100 years, not {}",
                            shown(v)
                        ),
                    ));
                }
                if o.expiry.is_some() {
                    return Err(both_expiries());
                }
                o.expiry = Some(Some(Expiry::In(secs)));
            }
            "max_clicks" => {
                let n = as_int(k, v, "must be an integer >= 1")?;
                if n < 1 {
                    return Err(Error::option(
                        k,
                        format!("must be an integer >= 1, not {n}"),
                    ));
                }
                o.columns.insert(k.into(), Value::from(n));
            }
            "metadata" => {
                o.columns
                    .insert(k.into(), Value::Object(bounded_object(k, v)?));
            }
            "tracking" | "forward_params" | "block_bots" | "cloaked" => {
                o.columns.insert(k.into(), Value::Bool(as_bool(k, v)?));
            }
            "redirect_type" => {
                let n = as_int(k, v, "must be 301 or 302")?;
                if n != 301 && n != 302 {
                    return Err(Error::option(k, format!("must be 301 or 302, not {n}")));
                }
                o.columns.insert(k.into(), Value::from(n));
            }
            "link_type" => {
                let t = LinkType::parse(as_str(k, v)?).ok_or_else(|| {
                    Error::option(
                        k,
                        format!("must be one of url, mailto, tel, sms, not {}", shown(v)),
                    )
                })?;
                o.link_type = Some(t);
                o.columns.insert(k.into(), Value::from(t.as_str()));
            }
            "password" => {
                let p = as_str(k, v)?;
                if p.is_empty() || p.len() > crate::password::MAX_LEN {
                    return Err(Error::option(
                        k,
                        format!("must be 1 to {} bytes long", crate::password::MAX_LEN),
                    ));
                }
                o.password = Some(Some(p.to_owned()));
            }
            _ if UTM_KEYS.contains(&k) => {
                let val = text(k, v, MAX_TEXT_CHARS)?;
                if val.is_empty() {
                    return Err(Error::option(k, "must not be empty"));
                }
                let key = UTM_KEYS
                    .iter()
                    .find(|u| **u == k)
                    .copied()
                    .unwrap_or("utm_source");
                o.utm.push((key, val));
            }
            "title" => {
                o.columns
                    .insert(k.into(), Value::from(shown_text(k, v, MAX_TEXT_CHARS)?));
            }
            "description" => {
                o.columns.insert(
                    k.into(),
                    Value::from(shown_text(k, v, MAX_DESCRIPTION_CHARS)?),
                );
            }
            "custom_field" | "dlt_header" => {
                o.columns
                    .insert(k.into(), Value::from(text(k, v, MAX_TEXT_CHARS)?));
            }
            "image" | "callback_url" | "expired_url" => {
                o.columns.insert(k.into(), Value::from(http_url(k, v)?));
            }
            "webhook_urls" => {
                let arr = v.as_array().ok_or_else(|| {
                    Error::option(
                        k,
                        format!("must be an array of http or https URLs, not {}", shown(v)),
                    )
                })?;
                if arr.len() > MAX_WEBHOOKS {
                    return Err(Error::option(
                        k,
                        format!("must hold at most {MAX_WEBHOOKS} URLs"),
                    ));
                }
                let urls = arr
                    .iter()
                    .map(|u| http_url(k, u).map(Value::from))
                    .collect::<Result<Vec<_>>>()?;
                o.columns.insert(k.into(), Value::Array(urls));
            }
            "tags" => {
                let arr = v.as_array().ok_or_else(|| {
                    Error::option(k, format!("must be an array of strings, not {}", shown(v)))
                })?;
                if arr.len() > MAX_TAGS {
                    return Err(Error::option(
                        k,
                        format!("must hold at most {MAX_TAGS} tags"),
                    ));
                }
                let mut tags: Vec<String> = Vec::with_capacity(arr.len());
                for t in arr {
                    let t = text(k, t, MAX_TAG_CHARS)?;
                    if t.trim().is_empty() {
                        return Err(Error::option(k, "a tag must not be empty"));
                    }
                    if !tags.contains(&t) {
                        tags.push(t);
                    }
                }
                o.columns.insert(k.into(), Value::from(tags));
            }
            "meta_pixel_id" => {
                let id = pattern(
                    k,
                    v,
                    |s| (5..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
                    "must be a Meta pixel id of 5 to 20 digits",
                )?;
                o.columns.insert(k.into(), Value::from(id));
            }
            "google_tag_id" => {
                let id = pattern(
                    k,
                    v,
                    |s| {
                        s.split_once('-').is_some_and(|(p, rest)| {
                            (1..=3).contains(&p.len())
                                && p.bytes().all(|b| b.is_ascii_uppercase())
                                && (2..=40).contains(&rest.len())
                                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        })
                    },
                    "must be a Google tag id such as G-XXXXXXX, GTM-XXXXXX or AW-123456789",
                )?;
                o.columns.insert(k.into(), Value::from(id));
            }
            "contact_phone" => {
                let p = crate::phone::check_phone_option(k, as_str(k, v)?)?;
                o.columns.insert(k.into(), Value::from(p));
            }
            "template_vars" => o.template_vars = Some(bounded_object(k, v)?),
            "if_exists" => match as_str(k, v)? {
                "error" => o.return_existing = false,
                "return" => o.return_existing = true,
                _ => {
                    return Err(Error::option(
                        k,
                        format!("must be \"error\" or \"return\", not {}", shown(v)),
                    ))
                }
            },
            _ => {
                let mut keys: Vec<&str> = KEYS
                    .iter()
                    .copied()
                    .filter(|k| mode != Mode::Update || !CREATE_ONLY.contains(k))
                    .collect();
                if mode != Mode::Create {
                    keys.insert(0, "url");
                }
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!(
                        "unknown option \"{}\"",
                        key.chars().take(60).collect::<String>()
                    ),
                )
                .with_hint(format!("Known options: {}.", keys.join(", "))));
            }
        }
    }
    if !o.utm.is_empty() {
        o.utm
            .sort_by_key(|(k, _)| UTM_KEYS.iter().position(|u| u == k));
        let utm: Map<String, Value> = o
            .utm
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(v.as_str())))
            .collect();
        o.columns.insert("utm".into(), Value::Object(utm));
    }
    if o.return_existing && o.code.is_none() {
        return Err(Error::option(
            "if_exists",
            "\"return\" needs a custom \"code\"",
        ));
    }
    Ok(o)
}

fn both_expiries() -> Error {
    Error::new(
        Kind::InvalidParameter,
        "invalid options: \"expires_at\" and \"expire_in\" cannot both be given",
    )
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and a
/// zone (`Z`, `±HH`, `±HHMM`, `±HH:MM`). A time without a zone is in the session's
/// TimeZone, as PostgreSQL reads it.
pub fn is_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u32> {
        let part = b.get(from..from + n)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(y), Some(m), Some(d)) = (digits(0, 4), digits(5, 2), digits(8, 2)) else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || y == 0 || !(1..=12).contains(&m) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d == 0 || d > days[m as usize - 1] {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return false;
    }
    let (Some(hh), Some(mm)) = (digits(11, 2), digits(14, 2)) else {
        return false;
    };
    if b[13] != b':' || hh > 23 || mm > 59 {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let ss = match digits(i + 1, 2) {
            Some(ss) if ss <= 60 => ss,
            _ => return false,
        };
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            // PostgreSQL reads a leap second 60 but refuses 60 with a fraction.
            if i == start || (ss == 60 && b[start..i].iter().any(|d| *d != b'0')) {
                return false;
            }
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let Some(oh) = digits(i + 1, 2) else {
                return false;
            };
            let rest = &b[i + 3..];
            let om = match rest {
                [] => Some(0),
                [b':', ..] if rest.len() == 3 => digits(i + 4, 2),
                _ if rest.len() == 2 => digits(i + 3, 2),
                _ => None,
            };
            matches!(om, Some(om) if oh <= 15 && om <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        parse(&v, Mode::Create).unwrap_err().message
    }

    fn ok(v: Value) -> LinkOptions {
        parse(&v, Mode::Create).unwrap()
    }

    #[test]
    fn empty_and_null_options_are_defaults() {
        assert_eq!(ok(json!({})), LinkOptions::default());
        assert_eq!(
            parse(&Value::Null, Mode::Create).unwrap(),
            LinkOptions::default()
        );
        assert!(LinkOptions::default().tracking());
    }

    #[test]
    fn every_option_is_read() {
        let o = ok(
            json!({"code": "spring", "domain": "go.example.com", "length": 9,
                          "expire_in": 3600, "max_clicks": 5, "metadata": {"campaign": 7},
                          "tracking": false}),
        );
        assert_eq!(o.code.as_deref(), Some("spring"));
        assert_eq!(o.domain.as_deref(), Some("go.example.com"));
        assert_eq!(o.length, Some(9));
        assert_eq!(o.expiry, Some(Some(Expiry::In(3600.0))));
        assert_eq!(o.max_clicks(), Some(5));
        assert_eq!(o.metadata()["campaign"], json!(7));
        assert!(!o.tracking());
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse(&json!({"max_click": 3}), Mode::Create).unwrap_err();
        assert_eq!(e.message, "unknown option \"max_click\"");
        assert_eq!(e.sqlstate(), "22023");
        assert!(e.hint.unwrap().contains("max_clicks"));
        assert!(err(json!({"url": "https://x.y"})).contains("unknown option \"url\""));
    }

    #[test]
    fn wrong_types_name_the_key() {
        assert_eq!(
            err(json!({"max_clicks": "5"})),
            "invalid option \"max_clicks\": must be an integer >= 1, not \"5\""
        );
        assert_eq!(
            err(json!({"max_clicks": 0})),
            "invalid option \"max_clicks\": must be an integer >= 1, not 0"
        );
        assert!(err(json!({"max_clicks": 1.5})).starts_with("invalid option \"max_clicks\""));
        assert_eq!(
            err(json!({"tracking": "no"})),
            "invalid option \"tracking\": must be true or false, not \"no\""
        );
        assert!(err(json!({"metadata": [1]}))
            .starts_with("invalid option \"metadata\": must be a JSON object"));
        assert!(
            err(json!({"code": 12345})).starts_with("invalid option \"code\": must be a string")
        );
        assert!(err(json!({"domain": null})).starts_with("invalid option \"domain\""));
        assert!(err(json!({"length": 2})).starts_with("invalid option \"length\""));
        assert!(err(json!({"expire_in": 0}))
            .starts_with("invalid option \"expire_in\": must be a positive"));
        assert!(err(json!({"expire_in": -5})).starts_with("invalid option \"expire_in\""));
        assert!(err(json!({"expire_in": "1h"})).starts_with("invalid option \"expire_in\""));
        assert!(err(json!({"expires_at": "tomorrow"}))
            .starts_with("invalid option \"expires_at\": must be an ISO 8601"));
        assert!(err(json!({"expires_at": "2030-01-01", "expire_in": 5})).contains("cannot both"));
        assert!(err(json!([1, 2])).starts_with("invalid options: must be a JSON object"));
    }

    #[test]
    fn batch_items_carry_their_url() {
        let o = parse(
            &json!({"url": "https://a.example/", "max_clicks": 2}),
            Mode::Batch,
        )
        .unwrap();
        assert_eq!(o.url.as_deref(), Some("https://a.example/"));
        assert_eq!(o.max_clicks(), Some(2));
        assert_eq!(
            parse(&json!({"max_clicks": 2}), Mode::Batch).unwrap().url,
            None
        );
        assert!(parse(&json!({"url": 5}), Mode::Batch)
            .unwrap_err()
            .message
            .contains("\"url\""));
    }

    #[test]
    fn link_api_options_are_validated_and_stored() {
        let o = ok(
            json!({"redirect_type": 301, "link_type": "tel", "password": "s3cret",
                          "utm_source": "sms", "utm_campaign": "spring", "forward_params": true,
                          "block_bots": true, "title": "Spring", "description": "d",
                          "image": "https://img.example/a.png", "tags": ["a", "b", "a"],
                          "cloaked": true, "meta_pixel_id": "123456789012345",
                          "google_tag_id": "G-ABC123", "custom_field": "x", "dlt_header": "ACME",
                          "contact_phone": "+1 415-555-0123", "template_vars": {"n": 1},
                          "callback_url": "https://hooks.example/cb",
                          "webhook_urls": ["https://a.example/h"], "expired_url": "https://example.com/gone",
                          "code": "abc", "if_exists": "return"}),
        );
        assert_eq!(o.columns["redirect_type"], json!(301));
        assert_eq!(o.link_type, Some(LinkType::Tel));
        assert_eq!(o.password, Some(Some("s3cret".into())));
        assert_eq!(
            o.utm,
            vec![
                ("utm_source", "sms".to_string()),
                ("utm_campaign", "spring".to_string())
            ]
        );
        assert_eq!(
            o.columns["utm"],
            json!({"utm_source": "sms", "utm_campaign": "spring"})
        );
        assert_eq!(o.columns["tags"], json!(["a", "b"]));
        assert_eq!(o.columns["contact_phone"], json!("+14155550123"));
        assert_eq!(o.columns["webhook_urls"], json!(["https://a.example/h"]));
        assert!(o.return_existing);
        assert!(o.template_vars.is_some());
    }

    #[test]
    fn link_api_option_errors_name_the_key() {
        assert_eq!(
            err(json!({"redirect_type": 307})),
            "invalid option \"redirect_type\": must be 301 or 302, not 307"
        );
        assert!(err(json!({"link_type": "ftp"}))
            .starts_with("invalid option \"link_type\": must be one of url, mailto, tel, sms"));
        assert!(err(json!({"password": ""})).starts_with("invalid option \"password\""));
        assert!(
            err(json!({"image": "ftp://x.example/a.png"})).starts_with("invalid option \"image\"")
        );
        assert!(err(json!({"callback_url": "https://u:p@x.example/"}))
            .starts_with("invalid option \"callback_url\""));
        assert!(err(json!({"webhook_urls": "https://x.example/"}))
            .starts_with("invalid option \"webhook_urls\""));
        assert!(err(json!({"tags": [1]})).starts_with("invalid option \"tags\""));
        assert!(err(json!({"custom_field": "x".repeat(1025)}))
            .starts_with("invalid option \"custom_field\": must be at most 1024"));
        assert!(err(json!({"contact_phone": "555-0123"}))
            .starts_with("invalid option \"contact_phone\""));
        assert!(
            err(json!({"meta_pixel_id": "abc"})).starts_with("invalid option \"meta_pixel_id\"")
        );
        assert!(
            err(json!({"google_tag_id": "nope"})).starts_with("invalid option \"google_tag_id\"")
        );
        assert!(err(json!({"if_exists": "ignore", "code": "abc"}))
            .starts_with("invalid option \"if_exists\""));
        assert!(err(json!({"if_exists": "return"})).contains("needs a custom"));
        assert!(err(json!({"template_vars": [1]})).starts_with("invalid option \"template_vars\""));
        assert!(err(json!({"utm_source": ""})).starts_with("invalid option \"utm_source\""));
    }

    #[test]
    fn update_mode_clears_with_null_and_refuses_create_only_keys() {
        let o = parse(
            &json!({"url": "https://new.example/", "expires_at": null, "max_clicks": null,
                              "password": null, "title": null}),
            Mode::Update,
        )
        .unwrap();
        assert_eq!(o.url.as_deref(), Some("https://new.example/"));
        assert_eq!(o.expiry, Some(None));
        assert_eq!(o.password, Some(None));
        assert_eq!(o.columns["max_clicks"], Value::Null);
        assert_eq!(o.columns["title"], Value::Null);
        let e = parse(&json!({"code": "x"}), Mode::Update).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"code\": cannot be changed by update_link"
        );
        assert!(parse(&json!({"tracking": null}), Mode::Update)
            .unwrap_err()
            .message
            .contains("cannot be null"));
        assert!(parse(&json!({"title": null}), Mode::Create)
            .unwrap_err()
            .message
            .starts_with("invalid option \"title\""));
    }

    #[test]
    fn metadata_and_template_vars_are_capped() {
        let big = json!({"metadata": {"blob": "x".repeat(MAX_JSON_BYTES)}});
        assert!(err(big)
            .starts_with("invalid option \"metadata\": must be at most 65536 bytes serialized"));
        let big = json!({"template_vars": {"blob": "x".repeat(MAX_JSON_BYTES)}});
        assert!(err(big).starts_with("invalid option \"template_vars\": must be at most"));
        let nest = |n: usize| -> Value {
            let mut v = json!(1);
            for _ in 0..n {
                v = json!({ "a": v });
            }
            v
        };
        assert!(parse(&json!({"metadata": nest(32)}), Mode::Create).is_ok());
        assert_eq!(
            err(json!({"metadata": nest(33)})),
            "invalid option \"metadata\": must be nested at most 32 levels deep"
        );
        assert_eq!(depth(&json!({"a": {"b": [1]}})), 3);
        assert_eq!(depth(&json!({"a": []})), 2);
        assert_eq!(depth(&json!(5)), 0);
    }

    #[test]
    fn too_deep_names_the_option() {
        assert_eq!(
            too_deep_error("metadata").message,
            "invalid option \"metadata\": must be nested at most 32 levels deep"
        );
        assert_eq!(
            too_deep_error("").message,
            "invalid options: nested deeper than 32 levels"
        );
    }

    #[test]
    fn numbers_keep_every_digit() {
        let text = r#"{"metadata": {"big": 12345678901234567890123, "fine": 0.1000000000000000055511151231257827}}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let o = parse(&v, Mode::Create).unwrap();
        assert_eq!(
            serde_json::to_string(&o.columns["metadata"]).unwrap(),
            r#"{"big":12345678901234567890123,"fine":0.1000000000000000055511151231257827}"#
        );
    }

    #[test]
    fn shown_text_refuses_invisible_formatting() {
        assert_eq!(
            err(json!({"title": "abc\u{202E}def"})),
            "invalid option \"title\": must not hold invisible formatting character U+202E"
        );
        assert!(err(json!({"description": "a\u{200B}b"})).contains("U+200B"));
        assert!(err(json!({"title": "\u{200B}"})).contains("U+200B"));
        assert!(err(json!({"title": "\u{00AD}"})).contains("U+00AD"));
        assert!(err(json!({"title": "x\u{E0001}"})).contains("U+E0001"));
        assert!(err(json!({"title": "\u{FEFF}x"})).contains("U+FEFF"));
        assert!(err(json!({"title": "\u{2066}x"})).contains("U+2066"));
        let ok = parse(
            &json!({"title": "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} family",
                    "description": "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F} می\u{200C}خواهم"}),
            Mode::Create,
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn option_urls_are_listed_for_vetting() {
        let o = ok(
            json!({"expired_url": "https://a.example/", "image": "https://i.example/x.png",
                          "callback_url": "https://c.example/", "webhook_urls": ["https://w1.example/", "https://w2.example/"]}),
        );
        assert_eq!(
            o.destinations(),
            vec![
                ("expired_url", "https://a.example/".to_string()),
                ("image", "https://i.example/x.png".to_string()),
                ("callback_url", "https://c.example/".to_string()),
                ("webhook_urls", "https://w1.example/".to_string()),
                ("webhook_urls", "https://w2.example/".to_string()),
            ]
        );
        assert!(ok(json!({"title": "t"})).destinations().is_empty());
    }

    #[test]
    fn iso8601_shapes() {
        for ok in [
            "2030-01-31",
            "2030-01-31T12:00",
            "2030-01-31T12:00:00Z",
            "2030-01-31 12:00:00",
            "2030-01-31T12:00:00.123456+02:00",
            "2030-01-31T12:00:00-0530",
            "2030-01-31T12:00+01",
            "2028-02-29T00:00:00z",
            "2030-06-30T23:59:60Z",
            "2030-06-30T23:59:60.000Z",
        ] {
            assert!(is_iso8601(ok), "{ok}");
        }
        for bad in [
            "",
            "tomorrow",
            "now",
            "2030-1-31",
            "2030-13-01",
            "2030-02-30",
            "2029-02-29",
            "2030-01-31T24:00",
            "2030-01-31T12",
            "2030-01-31T12:00:00.",
            "2030-01-31T12:00Zx",
            "2030-01-31T12:00+1",
            "2030-01-31X12:00",
            "0000-01-01",
            "2030-01-31T12:00:00+02:00:00",
            "epoch",
            "infinity",
            "2030-06-30T23:59:60.5Z",
        ] {
            assert!(!is_iso8601(bad), "{bad}");
        }
    }
}

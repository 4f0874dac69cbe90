//! How each kind of option value is checked ([`Check`]), with the caps on sizes,
//! and the pieces of JSON reading the option parser shares.

use crate::codes;
use crate::destination::{self, LinkType};
use crate::error::{Error, Kind, Result};
use serde_json::{Map, Value};

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

/// How a stored option's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Bool,
    /// Text of at most this many characters, no control characters but newline and tab.
    Text(usize),
    /// Text shown to people: as Text, and no invisible formatting characters.
    ShownText(usize),
    /// An http(s) URL.
    HttpUrl,
    /// An array of at most MAX_WEBHOOKS http(s) URLs.
    HttpUrls,
    /// An array of at most MAX_TAGS distinct, non-empty tags.
    Tags,
    /// A JSON object within MAX_JSON_BYTES and MAX_JSON_DEPTH.
    Object,
    /// An integer >= 1.
    Positive,
    /// 301 or 302.
    RedirectType,
    LinkType,
    MetaPixelId,
    GoogleTagId,
    Phone,
    /// The body of a link's callback: "shortlink" or "exotel".
    CallbackFormat,
}

/// The bodies a link's callback may take (`callback_format`).
pub const CALLBACK_FORMATS: [&str; 2] = ["shortlink", "exotel"];

/// The value of stored option `key` checked by `check`, as it is stored.
pub fn checked(key: &str, check: Check, v: &Value) -> Result<Value> {
    Ok(match check {
        Check::Bool => Value::Bool(as_bool(key, v)?),
        Check::Text(max) => Value::from(text(key, v, max)?),
        Check::ShownText(max) => Value::from(shown_text(key, v, max)?),
        Check::HttpUrl => Value::from(http_url(key, v)?),
        Check::HttpUrls => {
            let arr = v.as_array().ok_or_else(|| {
                Error::option(
                    key,
                    format!("must be an array of http or https URLs, not {}", shown(v)),
                )
            })?;
            if arr.len() > MAX_WEBHOOKS {
                return Err(Error::option(
                    key,
                    format!("must hold at most {MAX_WEBHOOKS} URLs"),
                ));
            }
            Value::Array(
                arr.iter()
                    .map(|u| http_url(key, u).map(Value::from))
                    .collect::<Result<Vec<_>>>()?,
            )
        }
        Check::Tags => Value::from(tags(key, v)?),
        Check::Object => Value::Object(bounded_object(key, v)?),
        Check::Positive => {
            let n = as_int(key, v, "must be an integer >= 1")?;
            if n < 1 {
                return Err(Error::option(
                    key,
                    format!("must be an integer >= 1, not {n}"),
                ));
            }
            Value::from(n)
        }
        Check::RedirectType => {
            let n = as_int(key, v, "must be 301 or 302")?;
            if n != 301 && n != 302 {
                return Err(Error::option(key, format!("must be 301 or 302, not {n}")));
            }
            Value::from(n)
        }
        Check::LinkType => Value::from(link_type(key, v)?.as_str()),
        Check::MetaPixelId => Value::from(pattern(
            key,
            v,
            |s| (5..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
            "must be a Meta pixel id of 5 to 20 digits",
        )?),
        Check::GoogleTagId => Value::from(pattern(
            key,
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
        )?),
        Check::Phone => Value::from(crate::phone::check_phone_option(key, as_str(key, v)?)?),
        Check::CallbackFormat => {
            let format = as_str(key, v)?.trim().to_ascii_lowercase();
            if !CALLBACK_FORMATS.contains(&format.as_str()) {
                return Err(Error::option(
                    key,
                    format!("must be one of shortlink, exotel, not {}", shown(v)),
                ));
            }
            Value::from(format)
        }
    })
}

/// `link_type`.
pub fn link_type(key: &str, v: &Value) -> Result<LinkType> {
    LinkType::parse(as_str(key, v)?).ok_or_else(|| {
        Error::option(
            key,
            format!("must be one of url, mailto, tel, sms, not {}", shown(v)),
        )
    })
}

fn tags(key: &str, v: &Value) -> Result<Vec<String>> {
    let arr = v.as_array().ok_or_else(|| {
        Error::option(
            key,
            format!("must be an array of strings, not {}", shown(v)),
        )
    })?;
    if arr.len() > MAX_TAGS {
        return Err(Error::option(
            key,
            format!("must hold at most {MAX_TAGS} tags"),
        ));
    }
    let mut tags: Vec<String> = Vec::with_capacity(arr.len());
    for t in arr {
        let t = text(key, t, MAX_TAG_CHARS)?;
        if t.trim().is_empty() {
            return Err(Error::option(key, "a tag must not be empty"));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(tags)
}

/// The nesting depth of a JSON value: a scalar is 0, `{"a": 1}` is 1.
pub(crate) fn depth(v: &Value) -> usize {
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
pub fn bounded_object(key: &str, v: &Value) -> Result<Map<String, Value>> {
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

/// A value as an error shows it: its JSON, cut at 60 characters.
pub fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

pub fn as_str<'a>(key: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| Error::option(key, format!("must be a string, not {}", shown(v))))
}

fn as_bool(key: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::option(key, format!("must be true or false, not {}", shown(v))))
}

pub fn as_int(key: &str, v: &Value, rule: &str) -> Result<i64> {
    v.as_i64()
        .ok_or_else(|| Error::option(key, format!("{rule}, not {}", shown(v))))
}

/// Text of at most `max` characters, without control characters but newline and tab.
pub fn text(key: &str, v: &Value, max: usize) -> Result<String> {
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
    destination::http_url(s).map_err(|r| Error::option(key, format!("{} ({})", r.rule, shown(v))))
}

fn pattern(key: &str, v: &Value, ok: impl Fn(&str) -> bool, rule: &str) -> Result<String> {
    let s = as_str(key, v)?;
    if ok(s) {
        Ok(s.to_owned())
    } else {
        Err(Error::option(key, format!("{rule}, not {}", shown(v))))
    }
}

/// A custom `code`.
pub fn code(key: &str, v: &Value) -> Result<String> {
    let c = as_str(key, v)?;
    codes::validate_custom(c)?;
    Ok(c.to_owned())
}

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

/// Every option of one link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOptions {
    pub code: Option<String>,
    pub domain: Option<String>,
    pub length: Option<usize>,
    pub expiry: Option<Expiry>,
    pub max_clicks: Option<i64>,
    pub metadata: Option<Map<String, Value>>,
    pub tracking: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            code: None,
            domain: None,
            length: None,
            expiry: None,
            max_clicks: None,
            metadata: None,
            tracking: true,
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
];

fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
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

/// Parses `opts`. With `with_url` (a `shorten_many` item) the object also carries the
/// destination under `url`, returned apart; otherwise `url` is an unknown key.
pub fn parse(opts: &Value, with_url: bool) -> Result<(Option<String>, LinkOptions)> {
    let obj = match opts {
        Value::Object(o) => o,
        Value::Null => return Ok((None, LinkOptions::default())),
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
    let mut url = None;
    for (key, v) in obj {
        let k = key.as_str();
        match k {
            "url" if with_url => {
                url = match v {
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
                o.expiry = Some(Expiry::At(s.to_owned()));
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
                o.expiry = Some(Expiry::In(secs));
            }
            "max_clicks" => {
                let n = as_int(k, v, "must be an integer >= 1")?;
                if n < 1 {
                    return Err(Error::option(
                        k,
                        format!("must be an integer >= 1, not {n}"),
                    ));
                }
                o.max_clicks = Some(n);
            }
            "metadata" => match v {
                Value::Object(m) => o.metadata = Some(m.clone()),
                other => {
                    return Err(Error::option(
                        k,
                        format!("must be a JSON object, not {}", shown(other)),
                    ))
                }
            },
            "tracking" => o.tracking = as_bool(k, v)?,
            _ => {
                let mut keys = KEYS.to_vec();
                if with_url {
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
    Ok((url, o))
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
        match digits(i + 1, 2) {
            Some(ss) if ss <= 60 => i += 3,
            _ => return false,
        }
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
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
        parse(&v, false).unwrap_err().message
    }

    #[test]
    fn empty_and_null_options_are_defaults() {
        assert_eq!(parse(&json!({}), false).unwrap().1, LinkOptions::default());
        assert_eq!(
            parse(&Value::Null, false).unwrap().1,
            LinkOptions::default()
        );
        assert!(LinkOptions::default().tracking);
    }

    #[test]
    fn every_option_is_read() {
        let (_, o) = parse(
            &json!({"code": "spring", "domain": "go.example.com", "length": 9,
                    "expire_in": 3600, "max_clicks": 5, "metadata": {"campaign": 7},
                    "tracking": false}),
            false,
        )
        .unwrap();
        assert_eq!(o.code.as_deref(), Some("spring"));
        assert_eq!(o.domain.as_deref(), Some("go.example.com"));
        assert_eq!(o.length, Some(9));
        assert_eq!(o.expiry, Some(Expiry::In(3600.0)));
        assert_eq!(o.max_clicks, Some(5));
        assert_eq!(o.metadata.unwrap()["campaign"], json!(7));
        assert!(!o.tracking);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse(&json!({"max_click": 3}), false).unwrap_err();
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
        let (url, o) = parse(&json!({"url": "https://a.example/", "max_clicks": 2}), true).unwrap();
        assert_eq!(url.as_deref(), Some("https://a.example/"));
        assert_eq!(o.max_clicks, Some(2));
        assert_eq!(parse(&json!({"max_clicks": 2}), true).unwrap().0, None);
        assert!(parse(&json!({"url": 5}), true)
            .unwrap_err()
            .message
            .contains("\"url\""));
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
        ] {
            assert!(!is_iso8601(bad), "{bad}");
        }
    }
}

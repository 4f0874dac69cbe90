//! The `opts` of `shortlink.shorten` (and of each `shorten_many` item, and of
//! `update_link`), parsed strictly: an unknown key or a value of the wrong type is an
//! error that names the key. Which options there are, and how each is checked, is the
//! registry in [`crate::fields`].

use crate::codes;
use crate::error::{Error, Kind, Result};
use crate::fields::{self, CreateOnly, ExpiryKind, Role};
use crate::option_values as values;
use crate::timestamp::{is_iso8601, MAX_TIMESTAMP_CHARS};
use serde_json::{Map, Value};

pub use crate::destination::LinkType;
pub use crate::option_values::{too_deep_error, MAX_JSON_BYTES, MAX_JSON_DEPTH};

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
/// keyed by their `shortlink.links` column (see `fields::stored_columns`); the rest
/// needs work (destination rewriting, code generation, password hashing) before it is
/// stored.
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
    /// (field, URL) pairs, each `webhook_urls` entry on its own, in the order of the
    /// registry.
    pub fn destinations(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for f in fields::FIELDS
            .iter()
            .filter(|f| fields::is_url_option(f.key))
        {
            match self.columns.get(f.key) {
                Some(Value::String(u)) => out.push((f.key, u.clone())),
                Some(Value::Array(urls)) => out.extend(
                    urls.iter()
                        .filter_map(Value::as_str)
                        .map(|u| (f.key, u.to_owned())),
                ),
                _ => {}
            }
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
pub fn keys() -> impl Iterator<Item = &'static str> {
    fields::FIELDS.iter().map(|f| f.key)
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
                    values::shown(other)
                ),
            ))
        }
    };
    let mut o = LinkOptions::default();
    for (key, v) in obj {
        let k = key.as_str();
        if k == "url" && mode != Mode::Create {
            o.url = match v {
                Value::Null if mode == Mode::Update => {
                    return Err(Error::option(k, "cannot be null"))
                }
                Value::Null => None,
                v => Some(values::as_str(k, v)?.to_owned()),
            };
            continue;
        }
        let Some(field) = fields::field(k) else {
            return Err(unknown_option(key, mode));
        };
        if mode == Mode::Update {
            if matches!(field.role, Role::CreateOnly(_)) {
                return Err(Error::option(k, "cannot be changed by update_link")
                    .with_hint("A link keeps its code and domain; create a new link instead."));
            }
            if v.is_null() {
                clear(field, &mut o)?;
                continue;
            }
        }
        read(field, v, &mut o)?;
    }
    if !o.utm.is_empty() {
        let order: Vec<&str> = fields::utm_keys().collect();
        o.utm
            .sort_by_key(|(k, _)| order.iter().position(|u| u == k));
        let utm: Map<String, Value> = o
            .utm
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(v.as_str())))
            .collect();
        o.columns
            .insert(fields::UTM_COLUMN.into(), Value::Object(utm));
    }
    if o.return_existing && o.code.is_none() {
        return Err(Error::option(
            "if_exists",
            "\"return\" needs a custom \"code\"",
        ));
    }
    Ok(o)
}

/// A null value in `update_link`: clears the option, or says why it cannot.
fn clear(field: &fields::Field, o: &mut LinkOptions) -> Result<()> {
    let k = field.key;
    match field.role {
        Role::Expiry(_) => o.expiry = Some(None),
        Role::Password => o.password = Some(None),
        Role::TemplateVars => {}
        Role::Column {
            clearable: true, ..
        } => {
            o.columns.insert(k.to_owned(), Value::Null);
        }
        Role::Utm => {
            return Err(Error::option(
                k,
                "cannot be cleared; change \"url\" instead",
            ))
        }
        Role::Column { .. } | Role::CreateOnly(_) => {
            return Err(Error::option(k, "cannot be null"))
        }
    }
    Ok(())
}

/// A given value of option `field`, checked, into `o`.
fn read(field: &'static fields::Field, v: &Value, o: &mut LinkOptions) -> Result<()> {
    let k = field.key;
    match field.role {
        Role::Column { check, .. } => {
            if check == fields::Check::LinkType {
                o.link_type = Some(values::link_type(k, v)?);
            }
            o.columns.insert(k.into(), values::checked(k, check, v)?);
        }
        Role::Utm => {
            let val = values::text(k, v, values::MAX_TEXT_CHARS)?;
            if val.is_empty() {
                return Err(Error::option(k, "must not be empty"));
            }
            o.utm.push((field.key, val));
        }
        Role::CreateOnly(CreateOnly::Code) => o.code = Some(values::code(k, v)?),
        Role::CreateOnly(CreateOnly::Domain) => o.domain = Some(values::as_str(k, v)?.to_owned()),
        Role::CreateOnly(CreateOnly::Length) => {
            let n = values::as_int(k, v, "must be an integer")?;
            o.length = Some(codes::validate_length(k, n)?);
        }
        Role::CreateOnly(CreateOnly::IfExists) => match values::as_str(k, v)? {
            "error" => o.return_existing = false,
            "return" => o.return_existing = true,
            _ => {
                return Err(Error::option(
                    k,
                    format!("must be \"error\" or \"return\", not {}", values::shown(v)),
                ))
            }
        },
        Role::Expiry(kind) => {
            let expiry = match kind {
                ExpiryKind::At => Expiry::At(expires_at(k, v)?),
                ExpiryKind::In => Expiry::In(expire_in(k, v)?),
            };
            if o.expiry.is_some() {
                return Err(both_expiries());
            }
            o.expiry = Some(Some(expiry));
        }
        Role::Password => {
            let p = values::as_str(k, v)?;
            if p.is_empty() || p.len() > crate::password::MAX_LEN {
                return Err(Error::option(
                    k,
                    format!("must be 1 to {} bytes long", crate::password::MAX_LEN),
                ));
            }
            o.password = Some(Some(p.to_owned()));
        }
        Role::TemplateVars => o.template_vars = Some(values::bounded_object(k, v)?),
    }
    Ok(())
}

fn expires_at(k: &str, v: &Value) -> Result<String> {
    let s = values::as_str(k, v)?;
    if !is_iso8601(s) {
        return Err(Error::option(
            k,
            format!(
                "must be an ISO 8601 timestamp of at most {MAX_TIMESTAMP_CHARS} characters such as 2030-01-31T12:00:00Z, not {}",
                values::shown(v)
            ),
        ));
    }
    Ok(s.to_owned())
}

fn expire_in(k: &str, v: &Value) -> Result<f64> {
    let secs = v.as_f64().filter(|s| s.is_finite()).ok_or_else(|| {
        Error::option(
            k,
            format!("must be a number of seconds, not {}", values::shown(v)),
        )
    })?;
    if secs <= 0.0 || secs > MAX_EXPIRE_IN_SECONDS {
        return Err(Error::option(
            k,
            format!(
                "must be a positive number of seconds up to 100 years, not {}",
                values::shown(v)
            ),
        ));
    }
    Ok(secs)
}

fn unknown_option(key: &str, mode: Mode) -> Error {
    let mut keys: Vec<&str> = fields::FIELDS
        .iter()
        .filter(|f| mode != Mode::Update || !matches!(f.role, Role::CreateOnly(_)))
        .map(|f| f.key)
        .collect();
    if mode != Mode::Create {
        keys.insert(0, "url");
    }
    Error::new(
        Kind::InvalidParameter,
        format!(
            "unknown option \"{}\"",
            key.chars().take(60).collect::<String>()
        ),
    )
    .with_hint(format!("Known options: {}.", keys.join(", ")))
}

fn both_expiries() -> Error {
    Error::new(
        Kind::InvalidParameter,
        "invalid options: \"expires_at\" and \"expire_in\" cannot both be given",
    )
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
        assert_eq!(values::depth(&json!({"a": {"b": [1]}})), 3);
        assert_eq!(values::depth(&json!({"a": []})), 2);
        assert_eq!(values::depth(&json!(5)), 0);
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
            // In the order of the registry (fields::FIELDS).
            vec![
                ("image", "https://i.example/x.png".to_string()),
                ("callback_url", "https://c.example/".to_string()),
                ("webhook_urls", "https://w1.example/".to_string()),
                ("webhook_urls", "https://w2.example/".to_string()),
                ("expired_url", "https://a.example/".to_string()),
            ]
        );
        assert!(ok(json!({"title": "t"})).destinations().is_empty());
    }
}

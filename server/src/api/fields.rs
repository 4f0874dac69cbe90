//! The API's names for link options: camelCase of the extension's own keys
//! (`shortlink_core::fields`, the one list of them), and the names a Dub-style client
//! sends (`customSlug`, `tagIds`, `forwardParameters`, `PERMANENT_301`, `URL`, a
//! comma-separated `webhookUrls`). A request field nobody knows is a 400 naming it.

use serde_json::{Map, Value};

use crate::service::{Class, Error};

pub use crate::service::camel_case;

/// The API's name of an extension option (or other database field).
pub fn api_name(option: &str) -> String {
    match option {
        "code" => "customSlug".to_owned(),
        "forward_params" => "forwardParameters".to_owned(),
        other => camel_case(other),
    }
}

/// The extension option a request field names, if any.
fn option_of(field: &str) -> Option<&'static str> {
    match field {
        "customSlug" => return Some("code"),
        "tagIds" => return Some("tags"),
        "forwardParameters" => return Some("forward_params"),
        _ => {}
    }
    shortlink_core::fields::FIELDS
        .iter()
        .map(|f| f.key)
        .filter(|k| *k != "if_exists")
        .find(|k| camel_case(k) == field)
}

/// The JSON type an option's value has (null aside, which clears or is the database's
/// to refuse): a value of another type is a 400 naming the field, before the database
/// sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JsonType {
    String,
    Bool,
    Integer,
    Number,
    Object,
    Array,
}

fn expected_type(option: &str) -> JsonType {
    use shortlink_core::fields::{Check, Role};
    match shortlink_core::fields::field(option).map(|f| &f.role) {
        Some(Role::Column { check, .. }) => match check {
            Check::Bool => JsonType::Bool,
            Check::Positive | Check::RedirectType => JsonType::Integer,
            Check::Object => JsonType::Object,
            Check::HttpUrls | Check::Tags => JsonType::Array,
            Check::Text(_)
            | Check::ShownText(_)
            | Check::HttpUrl
            | Check::LinkType
            | Check::MetaPixelId
            | Check::GoogleTagId
            | Check::Phone
            | Check::CallbackFormat => JsonType::String,
        },
        _ => match option {
            "length" => JsonType::Integer,
            "expire_in" => JsonType::Number,
            "template_vars" => JsonType::Object,
            _ => JsonType::String,
        },
    }
}

/// A JSON number with no fraction (`5.0`, which JSON Schema counts as an integer) as an
/// integer.
pub fn integral(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

fn has_type(v: &Value, t: JsonType) -> bool {
    match t {
        JsonType::String => v.is_string(),
        JsonType::Bool => v.is_boolean(),
        JsonType::Integer => v.is_i64() || v.is_u64() || integral(v).is_some(),
        JsonType::Number => v.is_number(),
        JsonType::Object => v.is_object(),
        JsonType::Array => v.is_array(),
    }
}

/// A Dub-style value in the extension's terms.
fn translate(option: &str, value: Value) -> Value {
    match (option, value) {
        ("redirect_type", Value::String(s)) => match s.as_str() {
            "PERMANENT_301" => Value::from(301),
            "TEMPORARY_302" => Value::from(302),
            _ => Value::String(s),
        },
        ("link_type", Value::String(s)) => Value::String(s.to_ascii_lowercase()),
        ("webhook_urls", Value::String(s)) => Value::Array(
            s.split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|u| Value::String(u.to_owned()))
                .collect(),
        ),
        (_, v) => v,
    }
}

/// A link body as (destination, extension options). `url` is required when
/// `url_required`; `fixed` fields (a bulk update's `id`) are skipped.
pub fn link_options(
    body: &Value,
    url_required: bool,
    fixed: &[&str],
) -> Result<(Option<String>, Map<String, Value>), Error> {
    let Value::Object(obj) = body else {
        return Err(Error::new(
            Class::BadRequest,
            "the body must be a JSON object",
        ));
    };
    let mut url = None;
    let mut opts = Map::new();
    for (field, value) in obj {
        if fixed.contains(&field.as_str()) {
            continue;
        }
        if field == "url" {
            match value {
                Value::String(s) => url = Some(s.clone()),
                Value::Null => {
                    return Err(
                        Error::new(Class::Unprocessable, "invalid url: must not be null")
                            .with_field("url"),
                    )
                }
                _ => {
                    return Err(
                        Error::new(Class::BadRequest, "invalid url: must be a string")
                            .with_field("url"),
                    )
                }
            }
            continue;
        }
        let option = option_of(field).ok_or_else(|| {
            Error::new(Class::BadRequest, format!("unknown field \"{field}\""))
                .with_field(field.clone())
        })?;
        // Two names of one option (customSlug and code, tagIds and tags): the same value,
        // or null beside a value, is one value; two values are a 400.
        if let Some(earlier) = opts.get(option) {
            if value.is_null() || *earlier == *value {
                continue;
            }
            if !earlier.is_null() {
                return Err(Error::new(
                    Class::Unprocessable,
                    format!("field \"{field}\" given twice (under two names) with two values"),
                )
                .with_field(field.clone()));
            }
        }
        let value = translate(option, value.clone());
        let want = expected_type(option);
        if !value.is_null() && !has_type(&value, want) {
            return Err(Error::new(
                Class::BadRequest,
                format!(
                    "field \"{field}\" must be {}",
                    match want {
                        JsonType::String => "a string",
                        JsonType::Bool => "true or false",
                        JsonType::Integer => "an integer",
                        JsonType::Number => "a number",
                        JsonType::Object => "an object",
                        JsonType::Array => "an array",
                    }
                ),
            )
            .with_field(field.clone()));
        }
        // 5.0 is the integer 5 (the database's options take integers as integers).
        let value = match (want, integral(&value)) {
            (JsonType::Integer, Some(i)) if !value.is_i64() => Value::from(i),
            _ => value,
        };
        opts.insert(option.to_owned(), value);
    }
    if url_required && url.is_none() {
        return Err(
            Error::new(Class::Unprocessable, "invalid url: must not be empty").with_field("url"),
        );
    }
    Ok((url, opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dub_bodies_become_shorten_options() {
        let (url, opts) = link_options(
            &json!({"url": "https://a.example", "customSlug": "x1", "redirectType": "PERMANENT_301",
                    "linkType": "URL", "tagIds": ["t"], "webhookUrls": "https://h.example/1, https://h.example/2",
                    "maxClicks": 5, "forwardParameters": true, "utmSource": "sms", "expireIn": 60}),
            true,
            &[],
        )
        .unwrap();
        assert_eq!(url.as_deref(), Some("https://a.example"));
        assert_eq!(
            Value::Object(opts),
            json!({"code": "x1", "redirect_type": 301, "link_type": "url", "tags": ["t"],
                   "webhook_urls": ["https://h.example/1", "https://h.example/2"], "max_clicks": 5,
                   "forward_params": true, "utm_source": "sms", "expire_in": 60})
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let e =
            link_options(&json!({"url": "https://a.example", "colour": 1}), true, &[]).unwrap_err();
        assert_eq!(
            (e.class, e.field.as_deref()),
            (Class::BadRequest, Some("colour"))
        );
        let e = link_options(&json!({"title": "x"}), true, &[]).unwrap_err();
        assert_eq!(
            (e.class, e.field.as_deref()),
            (Class::Unprocessable, Some("url"))
        );
        // A snake_case name is not the API's.
        assert!(link_options(&json!({"url": "u", "max_clicks": 1}), true, &[]).is_err());
        for (field, value) in [
            ("maxClicks", json!("ten")),
            ("cloaked", json!("yes")),
            ("tagIds", json!("a")),
            ("metadata", json!([1])),
            ("redirectType", json!("MOVED")),
        ] {
            let mut body = json!({"url": "https://a.example"});
            body[field] = value;
            let e = link_options(&body, true, &[]).unwrap_err();
            assert_eq!(
                (e.class, e.field.as_deref()),
                (Class::BadRequest, Some(field)),
                "{field}"
            );
        }
        // Values of the right type are the database's to judge.
        assert!(link_options(
            &json!({"url": "u", "maxClicks": 0, "redirectType": 307}),
            true,
            &[]
        )
        .is_ok());
        assert!(link_options(
            &json!({"url": "u", "tagIds": ["a"], "tags": ["b"]}),
            true,
            &[]
        )
        .is_err());
        // One value under both names, or null beside it, is one value.
        let (_, o) = link_options(
            &json!({"url": "u", "customSlug": "x", "code": "x", "tagIds": null, "tags": ["t"]}),
            true,
            &[],
        )
        .unwrap();
        assert_eq!(Value::Object(o), json!({"code": "x", "tags": ["t"]}));
    }

    #[test]
    fn integral_numbers_are_integers() {
        assert_eq!(integral(&json!(5)), Some(5));
        assert_eq!(integral(&json!(5.0)), Some(5));
        assert_eq!(integral(&json!(5.5)), None);
        assert_eq!(integral(&json!("5")), None);
        let (_, o) = link_options(&json!({"url": "u", "maxClicks": 7.0}), true, &[]).unwrap();
        assert_eq!(o["max_clicks"], json!(7));
    }

    #[test]
    fn option_names_read_back_as_the_api_spells_them() {
        assert_eq!(api_name("max_clicks"), "maxClicks");
        assert_eq!(api_name("code"), "customSlug");
        assert_eq!(api_name("forward_params"), "forwardParameters");
    }
}

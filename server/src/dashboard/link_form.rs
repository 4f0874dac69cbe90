//! The link form: every option of a link as a form field, the form read back into the
//! extension's options (`shorten`'s keys), and the database's error shown next to the
//! field it names.

use serde_json::{Map, Value};

use super::form::Form;
use crate::service::links::Link;

/// How a field is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Url,
    Number,
    DateTime,
    Password,
    Checkbox,
    Select,
    Lines,
}

/// One field as the template draws it.
#[derive(Clone, Debug)]
pub struct FieldView {
    /// The form's name of it: the extension's option (`max_clicks`), or `url`.
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub value: String,
    pub checked: bool,
    pub required: bool,
    pub hint: Option<&'static str>,
    /// The database's word on it, after a refused post.
    pub error: Option<String>,
    /// (value, label) of a select.
    pub choices: Vec<(String, String)>,
}

impl FieldView {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Text => "text",
            Kind::Url => "url",
            Kind::Number => "number",
            Kind::DateTime => "datetime-local",
            Kind::Password => "password",
            Kind::Checkbox => "checkbox",
            Kind::Select => "select",
            Kind::Lines => "lines",
        }
    }

    pub fn id(&self) -> String {
        format!("f-{}", self.name.replace('_', "-"))
    }
}

/// A fieldset of the form.
#[derive(Clone, Debug)]
pub struct Group {
    pub legend: &'static str,
    pub fields: Vec<FieldView>,
}

struct Spec {
    name: &'static str,
    label: &'static str,
    kind: Kind,
    hint: Option<&'static str>,
    /// Only when the link is made (code, domain).
    create_only: bool,
}

const fn spec(name: &'static str, label: &'static str, kind: Kind) -> Spec {
    Spec {
        name,
        label,
        kind,
        hint: None,
        create_only: false,
    }
}

const fn hinted(name: &'static str, label: &'static str, kind: Kind, hint: &'static str) -> Spec {
    Spec {
        name,
        label,
        kind,
        hint: Some(hint),
        create_only: false,
    }
}

const GROUPS: &[(&str, &[Spec])] = &[
    (
        "Destination",
        &[
            spec("url", "Destination URL", Kind::Url),
            Spec {
                name: "domain",
                label: "Short domain",
                kind: Kind::Select,
                hint: None,
                create_only: true,
            },
            Spec {
                name: "code",
                label: "Custom code",
                kind: Kind::Text,
                hint: Some("Leave empty for a random code."),
                create_only: true,
            },
            spec("title", "Title", Kind::Text),
            spec("description", "Description", Kind::Text),
            hinted("tags", "Tags", Kind::Text, "Separated by commas."),
            spec("image", "Preview image URL", Kind::Url),
        ],
    ),
    (
        "Behaviour",
        &[
            spec("redirect_type", "Redirect", Kind::Select),
            hinted(
                "expires_at",
                "Expires at (UTC)",
                Kind::DateTime,
                "Empty: never.",
            ),
            hinted(
                "max_clicks",
                "Most clicks",
                Kind::Number,
                "Empty: no limit.",
            ),
            hinted(
                "expired_url",
                "After expiry, send to",
                Kind::Url,
                "Empty: the expired page.",
            ),
            hinted(
                "password",
                "Password",
                Kind::Password,
                "Visitors must give it. When editing, empty keeps the current one.",
            ),
            spec("remove_password", "Remove the password", Kind::Checkbox),
            spec(
                "forward_params",
                "Forward the short link's query to the destination",
                Kind::Checkbox,
            ),
            spec("block_bots", "Refuse bots", Kind::Checkbox),
            spec("tracking", "Count clicks", Kind::Checkbox),
            spec(
                "cloaked",
                "Cloak the destination (show it in a frame)",
                Kind::Checkbox,
            ),
        ],
    ),
    (
        "Campaign (UTM)",
        &[
            hinted(
                "utm_source",
                "utm_source",
                Kind::Text,
                "UTM parameters go into the destination URL; to take one out, edit the destination.",
            ),
            spec("utm_medium", "utm_medium", Kind::Text),
            spec("utm_campaign", "utm_campaign", Kind::Text),
            spec("utm_term", "utm_term", Kind::Text),
            spec("utm_content", "utm_content", Kind::Text),
        ],
    ),
    (
        "Pixels and callbacks",
        &[
            hinted(
                "meta_pixel_id",
                "Meta Pixel ID",
                Kind::Text,
                "15 or 16 digits.",
            ),
            hinted(
                "google_tag_id",
                "Google tag ID",
                Kind::Text,
                "G-…, AW-… or GTM-…",
            ),
            hinted(
                "webhook_urls",
                "Webhook URLs",
                Kind::Lines,
                "One per line: each click is posted there, signed.",
            ),
            spec("callback_url", "Callback URL", Kind::Url),
        ],
    ),
];

/// A link's value of field `name`, as the form shows it.
fn value_of(link: &Link, name: &str) -> (String, bool) {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let utm = |k: &str| {
        link.utm
            .as_ref()
            .and_then(|u| u.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match name {
        "url" => (link.url.clone(), false),
        "domain" => (link.domain.clone(), false),
        "code" => (link.code.clone(), false),
        "title" => (text(&link.title), false),
        "description" => (text(&link.description), false),
        "tags" => (link.tags.join(", "), false),
        "image" => (text(&link.image), false),
        "redirect_type" => (link.redirect_type.to_string(), false),
        // datetime-local's value: minutes, no zone (shown as UTC).
        "expires_at" => (
            link.expires_at
                .as_deref()
                .map(|t| t.replace(' ', "T").chars().take(16).collect())
                .unwrap_or_default(),
            false,
        ),
        "max_clicks" => (
            link.max_clicks.map(|n| n.to_string()).unwrap_or_default(),
            false,
        ),
        "expired_url" => (text(&link.expired_url), false),
        "forward_params" => (String::new(), link.forward_params),
        "block_bots" => (String::new(), link.block_bots),
        "tracking" => (String::new(), link.tracking),
        "cloaked" => (String::new(), link.cloaked),
        "meta_pixel_id" => (text(&link.meta_pixel_id), false),
        "google_tag_id" => (text(&link.google_tag_id), false),
        "webhook_urls" => (
            link.webhook_urls.clone().unwrap_or_default().join("\n"),
            false,
        ),
        "callback_url" => (text(&link.callback_url), false),
        k if k.starts_with("utm_") => (utm(k), false),
        _ => (String::new(), false),
    }
}

/// The form's fieldsets: for a new link (`link` None) or one being edited, with the
/// values posted (`posted`, after a refusal) or the link's, and `error` next to its field.
pub fn groups(
    link: Option<&Link>,
    posted: Option<&Form>,
    domains: &[String],
    error: Option<(&str, String)>,
) -> Vec<Group> {
    let editing = link.is_some();
    let mut error = error;
    let mut out = Vec::new();
    for (legend, specs) in GROUPS {
        let mut fields = Vec::new();
        for s in specs.iter() {
            if s.create_only && editing {
                continue;
            }
            if s.name == "remove_password" && !link.is_some_and(|l| l.password_protected) {
                continue;
            }
            let (mut value, mut checked) = match (posted, link) {
                (Some(f), _) => (f.get(s.name).unwrap_or("").to_owned(), f.checked(s.name)),
                (None, Some(l)) => value_of(l, s.name),
                (None, None) => (String::new(), s.name == "tracking"),
            };
            if s.kind == Kind::Password {
                value.clear();
            }
            if s.kind == Kind::Checkbox {
                value = "on".to_owned();
            }
            let choices = match s.name {
                "domain" => domains.iter().map(|d| (d.clone(), d.clone())).collect(),
                "redirect_type" => {
                    if value.is_empty() {
                        value = "302".to_owned();
                    }
                    vec![
                        ("302".to_owned(), "302 Found (temporary)".to_owned()),
                        ("301".to_owned(), "301 Moved Permanently".to_owned()),
                    ]
                }
                _ => Vec::new(),
            };
            if s.name == "tracking" && posted.is_none() && link.is_none() {
                checked = true;
            }
            let field_error = match &error {
                Some((f, _)) if *f == s.name => error.take().map(|(_, m)| m),
                _ => None,
            };
            fields.push(FieldView {
                name: s.name,
                label: s.label,
                kind: s.kind,
                value,
                checked,
                required: s.name == "url",
                hint: s.hint,
                error: field_error,
                choices,
            });
        }
        out.push(Group { legend, fields });
    }
    out
}

/// Whether `field` (an option named in a database error) is one of the form's.
pub fn has_field(field: &str) -> bool {
    GROUPS
        .iter()
        .flat_map(|(_, specs)| specs.iter())
        .any(|s| s.name == field)
        || field.starts_with("utm")
}

/// The destination and options a posted form asks for: for a new link only what is
/// filled in; for an edit every field (empty clears it).
pub fn options(form: &Form, editing: bool) -> (String, Map<String, Value>) {
    let mut opts = Map::new();
    let url = form.text("url").unwrap_or("").to_owned();
    for (_, specs) in GROUPS {
        for s in specs.iter() {
            if s.name == "url" || (s.create_only && editing) || s.name == "remove_password" {
                continue;
            }
            let text = form.text(s.name);
            let value = match s.kind {
                Kind::Checkbox => Some(Value::Bool(form.checked(s.name))),
                Kind::Password => match text {
                    Some(p) => Some(Value::String(p.to_owned())),
                    None if editing && form.checked("remove_password") => Some(Value::Null),
                    None => None,
                },
                Kind::Number => match text {
                    Some(t) => Some(
                        t.parse::<i64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::String(t.to_owned())),
                    ),
                    None => editing.then_some(Value::Null),
                },
                Kind::Select if s.name == "redirect_type" => {
                    text.and_then(|t| t.parse::<i64>().ok()).map(Value::from)
                }
                Kind::DateTime => match text {
                    // The form's minutes, as UTC.
                    Some(t) => Some(Value::String(if t.len() == 16 {
                        format!("{t}:00Z")
                    } else {
                        format!("{t}Z")
                    })),
                    None => editing.then_some(Value::Null),
                },
                Kind::Lines => {
                    let lines: Vec<Value> = form
                        .get(s.name)
                        .unwrap_or("")
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| Value::String(l.to_owned()))
                        .collect();
                    if lines.is_empty() {
                        editing.then_some(Value::Null)
                    } else {
                        Some(Value::Array(lines))
                    }
                }
                _ if s.name == "tags" => {
                    let tags: Vec<Value> = form
                        .get(s.name)
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(|t| Value::String(t.to_owned()))
                        .collect();
                    (editing || !tags.is_empty()).then_some(Value::Array(tags))
                }
                // UTM parameters are put into the destination: set here, and taken out by
                // editing the destination (the database refuses to clear one alone).
                _ if s.name.starts_with("utm_") => text.map(|t| Value::String(t.to_owned())),
                _ => match text {
                    Some(t) => Some(Value::String(t.to_owned())),
                    None => editing.then_some(Value::Null),
                },
            };
            if let Some(v) = value {
                opts.insert(s.name.to_owned(), v);
            }
        }
    }
    (url, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_link_sends_only_what_is_filled_in() {
        let f = Form::parse(
            b"url=https%3A%2F%2Fexample.com&domain=s.test&code=&tags=a%2C+b&max_clicks=5\
              &redirect_type=301&tracking=on&expires_at=2030-01-02T03%3A04&utm_source=sms",
        );
        let (url, o) = options(&f, false);
        assert_eq!(url, "https://example.com");
        assert_eq!(o["domain"], "s.test");
        assert!(!o.contains_key("code"));
        assert_eq!(o["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(o["max_clicks"], 5);
        assert_eq!(o["redirect_type"], 301);
        assert_eq!(o["tracking"], true);
        assert_eq!(o["block_bots"], false);
        assert_eq!(o["expires_at"], "2030-01-02T03:04:00Z");
        assert_eq!(o["utm_source"], "sms");
        assert!(!o.contains_key("title"));
        assert!(!o.contains_key("password"));
    }

    #[test]
    fn an_edit_clears_empty_fields_and_keeps_the_password_unless_asked() {
        let f = Form::parse(b"url=https%3A%2F%2Fexample.com&title=&max_clicks=");
        let (_, o) = options(&f, true);
        assert_eq!(o["title"], Value::Null);
        assert_eq!(o["max_clicks"], Value::Null);
        assert_eq!(o["tags"], serde_json::json!([]));
        assert!(!o.contains_key("password"));
        assert!(!o.contains_key("domain"), "the domain is not changed");
        assert!(
            !o.contains_key("utm_source"),
            "a UTM parameter is not cleared alone"
        );
        let f = Form::parse(b"url=x&remove_password=on");
        assert_eq!(options(&f, true).1["password"], Value::Null);
    }

    #[test]
    fn a_refused_field_shows_its_error_once() {
        let f = Form::parse(b"url=nope&max_clicks=0");
        let g = groups(
            None,
            Some(&f),
            &["s.test".to_owned()],
            Some(("max_clicks", "must be positive".to_owned())),
        );
        let errors: Vec<_> = g
            .iter()
            .flat_map(|g| g.fields.iter())
            .filter_map(|f| f.error.as_ref().map(|e| (f.name, e.clone())))
            .collect();
        assert_eq!(errors, [("max_clicks", "must be positive".to_owned())]);
        assert!(has_field("max_clicks") && has_field("url") && !has_field("nonsense"));
    }
}

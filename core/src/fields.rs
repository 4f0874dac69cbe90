//! The options a link takes, one entry each: the key, how its value is checked, and
//! for an option stored as it is, the default of its `shortlink.links` column. Option
//! parsing (`options::parse`), the extension's insert and update statements and the
//! `if_exists` comparison are all read from [`FIELDS`]: a new option is a column in the
//! schema, an entry here, and its upgrade script.

pub use crate::option_values::Check;
use crate::option_values::{MAX_DESCRIPTION_CHARS, MAX_TEXT_CHARS};

/// What an option is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Stored in the `shortlink.links` column of the same name, as checked. `default`
    /// is the SQL the insert stores when it is not given (None: NULL); `clearable`: null
    /// in `update_link` clears it.
    Column {
        check: Check,
        default: Option<&'static str>,
        clearable: bool,
    },
    /// One of the `utm_*` parameters put into the destination's query and kept together
    /// in the `utm` column.
    Utm,
    /// Read by `shorten` only; worked on before the link is stored.
    CreateOnly(CreateOnly),
    /// Worked on before the link is stored; null in `update_link` clears it.
    Expiry(ExpiryKind),
    Password,
    /// The `{{macro}}` values of the destination; null in `update_link` is ignored.
    TemplateVars,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOnly {
    Code,
    Domain,
    Length,
    IfExists,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryKind {
    At,
    In,
}

/// One option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub role: Role,
}

const fn column(key: &'static str, check: Check) -> Field {
    Field {
        key,
        role: Role::Column {
            check,
            default: None,
            clearable: true,
        },
    }
}

/// A column that is never NULL: `default` when not given, and not clearable.
const fn column_with_default(key: &'static str, check: Check, default: &'static str) -> Field {
    Field {
        key,
        role: Role::Column {
            check,
            default: Some(default),
            clearable: false,
        },
    }
}

const fn other(key: &'static str, role: Role) -> Field {
    Field { key, role }
}

/// Every option, in the order the "unknown option" hint lists them.
pub const FIELDS: &[Field] = &[
    other("code", Role::CreateOnly(CreateOnly::Code)),
    other("domain", Role::CreateOnly(CreateOnly::Domain)),
    other("length", Role::CreateOnly(CreateOnly::Length)),
    other("expires_at", Role::Expiry(ExpiryKind::At)),
    other("expire_in", Role::Expiry(ExpiryKind::In)),
    column("max_clicks", Check::Positive),
    column_with_default("metadata", Check::Object, "'{}'"),
    column_with_default("tracking", Check::Bool, "true"),
    column_with_default("redirect_type", Check::RedirectType, "302"),
    column_with_default("link_type", Check::LinkType, "'url'"),
    other("password", Role::Password),
    other("utm_source", Role::Utm),
    other("utm_medium", Role::Utm),
    other("utm_campaign", Role::Utm),
    other("utm_term", Role::Utm),
    other("utm_content", Role::Utm),
    column_with_default("forward_params", Check::Bool, "false"),
    column_with_default("block_bots", Check::Bool, "false"),
    column("title", Check::ShownText(MAX_TEXT_CHARS)),
    column("description", Check::ShownText(MAX_DESCRIPTION_CHARS)),
    column("image", Check::HttpUrl),
    // Cleared to the empty array, which is what an untagged link holds.
    Field {
        key: "tags",
        role: Role::Column {
            check: Check::Tags,
            default: Some("'{}'"),
            clearable: true,
        },
    },
    column_with_default("cloaked", Check::Bool, "false"),
    column("meta_pixel_id", Check::MetaPixelId),
    column("google_tag_id", Check::GoogleTagId),
    column("custom_field", Check::Text(MAX_TEXT_CHARS)),
    column("dlt_header", Check::Text(MAX_TEXT_CHARS)),
    column("contact_phone", Check::Phone),
    other("template_vars", Role::TemplateVars),
    column("callback_url", Check::HttpUrl),
    column("callback_format", Check::CallbackFormat),
    column("webhook_urls", Check::HttpUrls),
    column("expired_url", Check::HttpUrl),
    other("if_exists", Role::CreateOnly(CreateOnly::IfExists)),
];

/// Stored columns the 0.2.0 schema does not have: the library serves that schema until
/// `ALTER EXTENSION shortlink UPDATE`, with statements that leave them out, and refuses
/// their options until then.
pub const NEWER_COLUMNS: &[&str] = &["callback_format"];

/// The column that holds the `utm_*` options together.
pub const UTM_COLUMN: &str = "utm";

/// The option `key`.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The `shortlink.links` columns that options are stored in as they are, with the
/// default of each (None: NULL): every Column field, then `utm`.
pub fn stored_columns() -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    FIELDS
        .iter()
        .filter_map(|f| match f.role {
            Role::Column { default, .. } => Some((f.key, default)),
            _ => None,
        })
        .chain(std::iter::once((UTM_COLUMN, None)))
}

/// The `utm_*` keys in the order they are put into the query.
pub fn utm_keys() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter(|f| f.role == Role::Utm).map(|f| f.key)
}

/// The option URLs besides the destination, each vetted like it (hosts, blocklist).
pub fn is_url_option(key: &str) -> bool {
    matches!(
        field(key).map(|f| f.role),
        Some(Role::Column {
            check: Check::HttpUrl | Check::HttpUrls,
            ..
        })
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::option_values::checked;
    use serde_json::Value;

    #[test]
    fn keys_are_listed_once() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS[i + 1..].iter().all(|g| g.key != f.key),
                "{} twice",
                f.key
            );
        }
    }

    #[test]
    fn stored_columns_come_from_the_column_fields() {
        let cols: Vec<_> = stored_columns().collect();
        assert_eq!(cols.first(), Some(&("max_clicks", None)));
        assert_eq!(cols.last(), Some(&(UTM_COLUMN, None)));
        assert!(cols.contains(&("tags", Some("'{}'"))));
        assert!(cols.contains(&("tracking", Some("true"))));
        assert!(!cols.iter().any(|(c, _)| *c == "password" || *c == "code"));
        assert_eq!(cols.len(), 22);
    }

    #[test]
    fn utm_keys_in_query_order() {
        assert_eq!(
            utm_keys().collect::<Vec<_>>(),
            [
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_term",
                "utm_content"
            ]
        );
    }

    #[test]
    fn url_options() {
        for k in ["image", "callback_url", "expired_url", "webhook_urls"] {
            assert!(is_url_option(k), "{k}");
        }
        assert!(!is_url_option("title"));
        assert!(!is_url_option("nope"));
    }

    #[test]
    fn option_url_errors_keep_the_rule_whatever_the_url_holds() {
        // The URL itself holds ": ", which once cut the rule at the wrong place.
        let e = checked(
            "image",
            Check::HttpUrl,
            &Value::from("ftp://a.example/x: y"),
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("invalid option \"image\": scheme \"ftp\" is not allowed"),
            "{}",
            e.message
        );
        let e = checked("image", Check::HttpUrl, &Value::from("")).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"image\": must not be empty (\"\")"
        );
    }
}

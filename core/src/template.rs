//! `{{name}}` macros in destinations, filled from built-in values and from `template_vars`.
//!
//! A macro is `{{`, optional spaces, a name, optional spaces and `}}`. A name is one or more
//! dot-separated parts of ASCII letters, digits, `_` and `-` (`code`, `link.code`,
//! `contact.phone`, `items.0`). There is no escape for a literal `{{`.

use crate::error::{Error, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

/// Macro values are encoded as a URL component: everything but RFC 3986's unreserved
/// characters, so a "+" in a phone number stays a "+" (`%2B`) and "&" cannot add a parameter.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The longest macro name accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Whether `s` contains `{{`, i.e. whether [`fill`] has work to do (or an error to report).
pub fn has_macros(s: &str) -> bool {
    s.contains("{{")
}

/// The names of the macros in `dest`, in order (repeats included), after checking the
/// macro syntax. Useful to validate a destination before any variables are known.
pub fn names(dest: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = dest;
    while let Some(m) = next_macro(rest)? {
        out.push(m.name);
        rest = m.after;
    }
    Ok(out)
}

/// Replaces every `{{name}}` in `dest` by its value, percent-encoded as a URL component.
///
/// A name is looked up first in `builtins` (exact match, e.g. `("link.code", "abc")`), then
/// in `vars`: as a flat key (`{"contact.phone": ...}`), else by walking nested objects
/// (`{"contact": {"phone": ...}}`; a part that is a number indexes an array). Longer flat
/// keys win over walking at every level. Strings, numbers and booleans can be inserted.
///
/// Errors: an unknown macro, a value that is null, an object or an array
/// (`invalid option "template_vars": ...`), and a malformed macro (`invalid option "url": ...`).
pub fn fill(dest: &str, vars: &Map<String, Value>, builtins: &[(&str, &str)]) -> Result<String> {
    let mut out = String::with_capacity(dest.len() + 32);
    let mut rest = dest;
    while let Some(m) = next_macro(rest)? {
        out.push_str(m.before);
        let name = m.name;
        if let Some((_, value)) = builtins.iter().find(|(n, _)| *n == name) {
            out.extend(utf8_percent_encode(value, COMPONENT));
        } else {
            match lookup(vars, name) {
                Some(Value::String(s)) => out.extend(utf8_percent_encode(s, COMPONENT)),
                Some(Value::Number(n)) => {
                    out.extend(utf8_percent_encode(&n.to_string(), COMPONENT))
                }
                Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                Some(other) => {
                    let what = match other {
                        Value::Null => "null",
                        Value::Array(_) => "an array",
                        _ => "an object",
                    };
                    return Err(Error::option(
                        "template_vars",
                        format!(
                            "macro {{{{{name}}}}} is {what}; only a string, number or boolean \
                             can be inserted"
                        ),
                    ));
                }
                None => {
                    return Err(Error::option(
                        "template_vars",
                        format!("unknown macro {{{{{name}}}}}"),
                    )
                    .with_hint(format!(
                        "Add \"{name}\" to template_vars, or remove the macro from the URL."
                    )))
                }
            }
        }
        rest = m.after;
    }
    out.push_str(rest);
    Ok(out)
}

struct Macro<'a> {
    /// The text before the macro.
    before: &'a str,
    name: &'a str,
    /// The text after the macro.
    after: &'a str,
}

/// The first macro in `s`, or `None` when there is no `{{`.
fn next_macro(s: &str) -> Result<Option<Macro<'_>>> {
    let Some(open) = s.find("{{") else {
        return Ok(None);
    };
    let inner_start = open + 2;
    let Some(len) = s[inner_start..].find("}}") else {
        return Err(Error::option(
            "url",
            format!("unterminated macro \"{}\"", excerpt(&s[open..])),
        )
        .with_hint("A macro is written {{name}}."));
    };
    let name = s[inner_start..inner_start + len].trim_matches(|c: char| c == ' ' || c == '\t');
    check_name(name)?;
    Ok(Some(Macro {
        before: &s[..open],
        name,
        after: &s[inner_start + len + 2..],
    }))
}

fn check_name(name: &str) -> Result<()> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if name.len() <= MAX_NAME_LEN && name.split('.').all(part_ok) {
        Ok(())
    } else {
        Err(Error::option(
            "url",
            format!("invalid macro name \"{{{{{}}}}}\"", excerpt(name)),
        )
        .with_hint(
            "A macro name is made of letters, digits, \"_\" and \"-\", in parts separated by \
             dots, such as {{contact.phone}}.",
        ))
    }
}

/// `name` in `vars`: longest flat key first, then walking into nested objects and arrays.
fn lookup<'v>(vars: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if let Some(v) = vars.get(name) {
        return Some(v);
    }
    // Try the prefixes that end before a dot, longest first.
    name.rmatch_indices('.').find_map(|(dot, _)| {
        let child = vars.get(&name[..dot])?;
        walk(child, &name[dot + 1..])
    })
}

fn walk<'v>(value: &'v Value, rest: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => lookup(map, rest),
        Value::Array(items) => {
            let (index, tail) = match rest.split_once('.') {
                Some((i, t)) => (i, Some(t)),
                None => (rest, None),
            };
            let item = items.get(index.parse::<usize>().ok()?)?;
            match tail {
                Some(t) => walk(item, t),
                None => Some(item),
            }
        }
        _ => None,
    }
}

/// The first 60 characters of `s`, for messages.
fn excerpt(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn no_macros() {
        let v = Map::new();
        assert_eq!(
            fill("https://example.com/a?b=c", &v, &[]).unwrap(),
            "https://example.com/a?b=c"
        );
        assert_eq!(fill("", &v, &[]).unwrap(), "");
        // Single braces and a lone "}}" are literal text.
        assert_eq!(
            fill("https://x.com/{a}/}}", &v, &[]).unwrap(),
            "https://x.com/{a}/}}"
        );
        assert!(!has_macros("https://x.com/{a}/}}"));
    }

    #[test]
    fn builtins_and_vars() {
        let v = vars(json!({"contact": {"phone": "+14155550123", "name": "Ann Lee"}, "n": 42}));
        let b = [("link.code", "abc"), ("code", "abc")];
        assert_eq!(
            fill(
                "https://wa.me/?phone={{contact.phone}}&text=Hi%20{{ contact.name }}%20{{link.code}}&n={{n}}",
                &v,
                &b
            )
            .unwrap(),
            "https://wa.me/?phone=%2B14155550123&text=Hi%20Ann%20Lee%20abc&n=42"
        );
        assert_eq!(fill("{{code}}{{code}}", &v, &b).unwrap(), "abcabc");
        assert_eq!(fill("x{{\tcode\t}}y", &v, &b).unwrap(), "xabcy");
    }

    #[test]
    fn builtins_win_over_vars() {
        let v = vars(json!({"link.code": "fromvars", "link": {"code": "nested"}}));
        assert_eq!(
            fill("{{link.code}}", &v, &[("link.code", "builtin")]).unwrap(),
            "builtin"
        );
    }

    #[test]
    fn flat_keys_win_over_nesting() {
        let v = vars(json!({"contact.phone": "flat", "contact": {"phone": "nested"}}));
        assert_eq!(fill("{{contact.phone}}", &v, &[]).unwrap(), "flat");
        let v = vars(json!({"contact": {"phone": "nested"}}));
        assert_eq!(fill("{{contact.phone}}", &v, &[]).unwrap(), "nested");
        // Mixed: a flat key inside a nested object, and the reverse.
        let v = vars(json!({"a": {"b.c": "x"}, "d.e": {"f": "y"}}));
        assert_eq!(fill("{{a.b.c}}-{{d.e.f}}", &v, &[]).unwrap(), "x-y");
    }

    #[test]
    fn arrays_by_index() {
        let v = vars(json!({"items": ["zero", {"name": "one"}]}));
        assert_eq!(
            fill("{{items.0}}/{{items.1.name}}", &v, &[]).unwrap(),
            "zero/one"
        );
        let e = fill("{{items.2}}", &v, &[]).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"template_vars\": unknown macro {{items.2}}"
        );
        assert!(fill("{{items.x}}", &v, &[]).is_err());
    }

    #[test]
    fn value_types_and_encoding() {
        let v = vars(json!({
            "s": "a b&c=d/é#?+",
            "i": -7,
            "f": 1.5,
            "t": true,
            "no": false,
            "safe": "A-z_0.9~",
        }));
        assert_eq!(
            fill("{{s}}", &v, &[]).unwrap(),
            "a%20b%26c%3Dd%2F%C3%A9%23%3F%2B"
        );
        assert_eq!(
            fill("{{i}}|{{f}}|{{t}}|{{no}}", &v, &[]).unwrap(),
            "-7|1.5|true|false"
        );
        assert_eq!(fill("{{safe}}", &v, &[]).unwrap(), "A-z_0.9~");
        // Built-in values are encoded too.
        assert_eq!(fill("{{x}}", &v, &[("x", "a/b c")]).unwrap(), "a%2Fb%20c");
    }

    #[test]
    fn unusable_values() {
        let v = vars(json!({"n": null, "o": {"a": 1}, "a": [1, 2]}));
        for (dest, what) in [
            ("{{n}}", "null"),
            ("{{o}}", "an object"),
            ("{{a}}", "an array"),
        ] {
            let e = fill(dest, &v, &[]).unwrap_err();
            assert!(
                e.message
                    .starts_with("invalid option \"template_vars\": macro {{"),
                "{e}"
            );
            assert!(e.message.contains(what), "{e}");
            assert_eq!(e.sqlstate(), "22023");
        }
    }

    #[test]
    fn unknown_macro() {
        let v = vars(json!({"contact": {"email": "x"}, "s": "str"}));
        let e = fill("https://x.com/?p={{contact.phone}}", &v, &[]).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"template_vars\": unknown macro {{contact.phone}}"
        );
        assert!(e.hint.as_deref().unwrap_or("").contains("contact.phone"));
        // Walking into a string is not possible.
        assert!(fill("{{s.len}}", &v, &[]).is_err());
        assert!(fill("{{missing}}", &Map::new(), &[]).is_err());
    }

    #[test]
    fn malformed_macros() {
        let v = vars(json!({"a": "1"}));
        for (dest, why) in [
            ("https://x.com/?p={{a", "unterminated macro \"{{a\""),
            ("{{a}} and {{", "unterminated macro \"{{\""),
            ("{{a}", "unterminated"),
            ("{{}}", "invalid macro name"),
            ("{{  }}", "invalid macro name"),
            ("{{a b}}", "invalid macro name"),
            ("{{a..b}}", "invalid macro name"),
            ("{{.a}}", "invalid macro name"),
            ("{{a.}}", "invalid macro name"),
            ("{{{a}}}", "invalid macro name"),
            ("{{a\nb}}", "invalid macro name"),
            ("{{é}}", "invalid macro name"),
        ] {
            let e = fill(dest, &v, &[]).unwrap_err();
            assert!(
                e.message.starts_with("invalid option \"url\": "),
                "{dest}: {e}"
            );
            assert!(e.message.contains(why), "{dest}: {e}");
            assert!(names(dest).is_err(), "{dest}");
        }
        let long = format!("{{{{{}}}}}", "a".repeat(MAX_NAME_LEN + 1));
        assert!(fill(&long, &v, &[]).is_err());
        let ok = format!("{{{{{}}}}}", "a".repeat(MAX_NAME_LEN));
        assert!(names(&ok).is_ok());
        // Long input is cut short in the message.
        let e = fill(&format!("{{{{{}", "x".repeat(1000)), &v, &[]).unwrap_err();
        assert!(e.message.len() < 200, "{}", e.message);
    }

    #[test]
    fn names_lists_macros() {
        assert_eq!(
            names("https://x.com/{{ a }}/{{b.c}}?x={{a}}").unwrap(),
            vec!["a", "b.c", "a"]
        );
        assert!(names("https://x.com/").unwrap().is_empty());
    }

    #[test]
    fn has_macros_detects_open_braces() {
        assert!(has_macros("https://x.com/{{a}}"));
        assert!(has_macros("https://x.com/{{a")); // fill reports the error
        assert!(!has_macros("https://x.com/{a}"));
        assert!(!has_macros(""));
    }

    #[test]
    fn text_around_macros_is_kept_verbatim() {
        let v = vars(json!({"a": "1"}));
        assert_eq!(
            fill("héllo {{a}} wörld %20 {single} }}", &v, &[]).unwrap(),
            "héllo 1 wörld %20 {single} }}"
        );
    }
}

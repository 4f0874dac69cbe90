//! The upstream lists' JavaScript regular expressions in Rust: plain text for the
//! Aho-Corasick automaton, a regular expression, or one with literal look-around (which
//! Rust's regex engine does not have) split into a core and its guards.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

/// Why a set of patterns could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid pattern \"{}\": {}", self.pattern, self.reason)
    }
}

impl std::error::Error for PatternError {}

/// A pattern with literal look-around at its ends: `(?<!a|b)core(?!c|d)`.
pub(crate) struct Guarded {
    pub(crate) core: Regex,
    pub(crate) not_before: Vec<Vec<u8>>,
    pub(crate) not_after: Vec<Vec<u8>>,
}

impl Guarded {
    /// The first match of the core whose surroundings pass the guards.
    pub(crate) fn find(&self, ua: &[u8]) -> Option<(usize, usize)> {
        let mut from = 0;
        while let Some(m) = self.core.find_at(ua, from) {
            let before = &ua[..m.start()];
            let after = &ua[m.end()..];
            if !self.not_before.iter().any(|g| before.ends_with(g))
                && !self.not_after.iter().any(|g| after.starts_with(g))
            {
                return Some((m.start(), m.end()));
            }
            from = m.start() + 1;
            if from > ua.len() {
                break;
            }
        }
        None
    }
}

pub(crate) fn literal_matcher<I, P>(
    patterns: I,
    case_insensitive: bool,
) -> Result<AhoCorasick, PatternError>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(case_insensitive)
        .match_kind(MatchKind::LeftmostFirst)
        .build(patterns)
        .map_err(|e| PatternError {
            pattern: String::new(),
            reason: e.to_string(),
        })
}

/// What an upstream (JavaScript) pattern is in Rust.
pub(crate) enum Upstream {
    Literal(String),
    Regex(String),
    Guarded(String, Vec<String>, Vec<String>),
}

/// Sorts a JavaScript pattern: plain text, a regular expression, or one with look-around.
pub(crate) fn classify_pattern(js: &str) -> Result<Upstream, PatternError> {
    let err = |reason: &str| PatternError {
        pattern: js.to_owned(),
        reason: reason.to_owned(),
    };
    if js.contains("(?<") || js.contains("(?!") || js.contains("(?=") {
        let (not_before, rest) = match js.strip_prefix("(?<!") {
            Some(r) => {
                let end = r.find(')').ok_or_else(|| err("unclosed look-behind"))?;
                (alternatives(&r[..end]), &r[end + 1..])
            }
            None => (Vec::new(), js),
        };
        let (core, not_after) = match rest.find("(?!") {
            Some(i) if rest.ends_with(')') => {
                let inner = &rest[i + 3..rest.len() - 1];
                let inner = inner
                    .strip_prefix("(?:")
                    .and_then(|x| x.strip_suffix(')'))
                    .unwrap_or(inner);
                (&rest[..i], alternatives(inner))
            }
            _ => (rest, Vec::new()),
        };
        let literal_guards = not_before
            .iter()
            .chain(&not_after)
            .all(|g| literal(g).is_some());
        if core.contains("(?<") || core.contains("(?!") || core.contains("(?=") || !literal_guards {
            return Err(err("look-around other than literal guards at the ends"));
        }
        let unescape = |v: Vec<String>| v.iter().filter_map(|g| literal(g)).collect();
        return Ok(Upstream::Guarded(
            js_to_rust(core),
            unescape(not_before),
            unescape(not_after),
        ));
    }
    Ok(match literal(js) {
        Some(text) => Upstream::Literal(text),
        None => Upstream::Regex(js_to_rust(js)),
    })
}

pub(crate) fn alternatives(s: &str) -> Vec<String> {
    s.split('|').map(str::to_owned).collect()
}

/// The text a pattern matches if it is plain text (escapes of punctuation allowed).
pub(crate) fn literal(js: &str) -> Option<String> {
    let mut out = String::with_capacity(js.len());
    let mut chars = js.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => out.push(e),
                _ => return None,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => {
                return None
            }
            c => out.push(c),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A JavaScript regular expression in Rust's syntax: a `-` after a class escape inside a
/// bracket class is literal in JavaScript and an error in Rust.
pub(crate) fn js_to_rust(js: &str) -> String {
    let b: Vec<char> = js.chars().collect();
    let mut out = String::with_capacity(js.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\\' && i + 1 < b.len() {
            out.push(c);
            out.push(b[i + 1]);
            if in_class && b[i + 1].is_ascii_alphabetic() && b.get(i + 2) == Some(&'-') {
                out.push_str("\\-");
                i += 3;
            } else {
                i += 2;
            }
            continue;
        }
        if c == '[' && !in_class {
            in_class = true;
        } else if c == ']' && in_class {
            in_class = false;
        }
        out.push(c);
        i += 1;
    }
    out
}

pub(crate) fn lower_all(v: Vec<String>) -> Vec<Vec<u8>> {
    v.into_iter()
        .map(|s| s.to_ascii_lowercase().into_bytes())
        .collect()
}

pub(crate) fn bytes_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, PatternError> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .unicode(false)
        .size_limit(32 << 20)
        .build()
        .map_err(|e| PatternError {
            pattern: pattern.chars().take(200).collect(),
            reason: e.to_string(),
        })
}

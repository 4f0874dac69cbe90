//! Reading JSON text before parsing it. serde_json refuses input nested past 128 levels
//! as a whole, and so cannot say under which option the nesting is, nor let one item of a
//! batch fail alone; these scanners walk the text (well-formed: PostgreSQL's own jsonb
//! output) without recursion, so any depth is safe.

/// The structural bytes of JSON text, with strings skipped whole: each `{ } [ ] : ,` at
/// its offset, and each string as `"` at its opening quote with the span of its contents.
fn tokens(text: &str) -> impl Iterator<Item = (usize, u8, (usize, usize))> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at = i;
            i += 1;
            match bytes[at] {
                b'"' => {
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    let end = i.min(bytes.len());
                    i = end + 1;
                    return Some((at, b'"', (at + 1, end)));
                }
                b @ (b'{' | b'}' | b'[' | b']' | b':' | b',') => return Some((at, b, (at, at))),
                _ => {}
            }
        }
        None
    })
}

/// The top-level key under which something nests deeper than `max_depth` levels (the
/// top-level value counts as one); "" when the top-level value is not an object. None
/// when nothing is that deep.
pub fn too_deep(text: &str, max_depth: usize) -> Option<String> {
    let (mut depth, mut top_is_object) = (0usize, false);
    let (mut key, mut last_string) = ((0, 0), (0, 0));
    for (_, b, span) in tokens(text) {
        match b {
            b'"' => last_string = span,
            b':' if depth == 1 => key = last_string,
            b'{' | b'[' => {
                if depth == 0 {
                    top_is_object = b == b'{';
                }
                depth += 1;
                if depth > max_depth {
                    return Some(if top_is_object {
                        key_text(text, key)
                    } else {
                        String::new()
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The key whose quoted contents are `text[start..end]`, unescaped so the error names it as `parse` would
/// (`"a\"b"` is the key `a"b`); the raw contents if the quoted text does not decode.
fn key_text(text: &str, (start, end): (usize, usize)) -> String {
    start
        .checked_sub(1)
        .and_then(|open| text.get(open..end + 1))
        .and_then(|quoted| serde_json::from_str(quoted).ok())
        .unwrap_or_else(|| text[start..end].to_owned())
}

/// The texts of the elements of a JSON array, or None when `text` is not an array.
pub fn split_array(text: &str) -> Option<Vec<&str>> {
    let trimmed = text.trim();
    if !trimmed.starts_with('[') || !trimmed.ends_with(']') {
        return None;
    }
    let body = &trimmed[1..trimmed.len() - 1];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (at, b, _) in tokens(body) {
        match b {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                items.push(body[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    let last = body[start..].trim();
    if !last.is_empty() || !items.is_empty() {
        items.push(last);
    }
    Some(items)
}

/// `text` without the commas that close an object or an array (`{"a": 1,}`, `[1, 2, ]`),
/// which JavaScript accepts and JSON does not. The hosted link APIs' documents print
/// request examples with them (Exotel's), and clients copy those byte for byte. Nothing
/// else changes: a comma inside a string stays, and text that has none is borrowed.
pub fn without_trailing_commas(text: &str) -> std::borrow::Cow<'_, str> {
    let toks: Vec<(usize, u8)> = tokens(text).map(|(at, b, _)| (at, b)).collect();
    let trailing: Vec<usize> = toks
        .windows(2)
        .filter(|w| {
            let ((at, b), (next, nb)) = (w[0], w[1]);
            b == b','
                && matches!(nb, b'}' | b']')
                && text.as_bytes()[at + 1..next]
                    .iter()
                    .all(u8::is_ascii_whitespace)
        })
        .map(|w| w[0].0)
        .collect();
    if trailing.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for at in trailing {
        out.push_str(&text[from..at]);
        from = at + 1;
    }
    out.push_str(&text[from..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_depth_scanner_names_the_key_without_parsing() {
        let deep = format!(
            "{{\"title\": \"a{{[\\\"\", \"metadata\": {}1{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(too_deep(&deep, 33).as_deref(), Some("metadata"));
        let arr = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(too_deep(&arr, 33).as_deref(), Some(""));
        assert_eq!(too_deep(r#"{"a": {"b": "[[[[[[["}}"#, 2), None);
        assert_eq!(too_deep(r#"{"a": {"b": [1]}}"#, 2).as_deref(), Some("a"));
        assert_eq!(
            too_deep(r#"{"a": 1, "b": {"c": {}}}"#, 2).as_deref(),
            Some("b")
        );
        assert_eq!(too_deep(r#"{"a": 1}"#, 1), None);
    }

    #[test]
    fn the_depth_scanner_unescapes_the_key_it_names() {
        assert_eq!(
            too_deep(r#"{"me\"ta\u00e9": [[1]]}"#, 2).as_deref(),
            Some("me\"ta\u{e9}")
        );
        // Unterminated text (never PostgreSQL's output) still names what it can.
        assert_eq!(too_deep(r#"{"k": [[["#, 2).as_deref(), Some("k"));
    }

    #[test]
    fn arrays_split_into_their_items_whatever_the_items_hold() {
        assert_eq!(
            split_array(r#"[{"url": "a,b]"}, "x", 3, [1, [2]], {"q": "\"],"}]"#),
            Some(vec![
                r#"{"url": "a,b]"}"#,
                r#""x""#,
                "3",
                "[1, [2]]",
                r#"{"q": "\"],"}"#
            ])
        );
        assert_eq!(split_array("[]"), Some(vec![]));
        assert_eq!(split_array(" [ 1 ] "), Some(vec!["1"]));
        assert_eq!(split_array(r#"{"a": 1}"#), None);
        assert_eq!(split_array("5"), None);
        let deep = format!("[{}{}, 2]", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(split_array(&deep).map(|v| v.len()), Some(2));
    }

    #[test]
    fn trailing_commas_go_and_nothing_else_does() {
        let exotel = "{\n\"links\": [\n{\n\"long_url\": \"https://www.google.co.in/\",\n\"tracking\": true,\n\n}\n]\n}";
        let fixed = without_trailing_commas(exotel);
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["links"][0]["tracking"], true);
        assert_eq!(without_trailing_commas("[1, 2, ]"), "[1, 2 ]");
        assert_eq!(
            without_trailing_commas(r#"{"a": ",}", "b": [",]",],}"#),
            r#"{"a": ",}", "b": [",]"]}"#
        );
        assert!(matches!(
            without_trailing_commas(r#"{"a": [1, 2]}"#),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(without_trailing_commas("[1, 2]"), "[1, 2]");
    }
}

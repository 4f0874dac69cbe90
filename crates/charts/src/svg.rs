//! What every chart writes the same way: the `<svg>` element and its `<title>`, escaped text,
//! numbers with at most one decimal, and "N clicks".

use std::fmt::Write as _;

/// The SVG namespace, which an `<svg>` inlined in HTML may omit but a standalone file may not.
const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// Appends `text` to `out` escaped for XML text content and for attribute values in either
/// quote. Characters XML 1.0 cannot carry at all (control characters other than tab, line
/// feed and carriage return, U+FFFE and U+FFFF) become U+FFFD, so the output stays
/// well-formed whatever the input.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
}

/// A coordinate or length rounded to one decimal, without a trailing `.0`, and never `-0`,
/// `NaN` or `inf` (a non-finite number, which the charts' arithmetic should never produce,
/// is written as 0 rather than as an attribute no browser reads).
pub(crate) fn number(value: f64) -> String {
    let tenths = (value * 10.0).round();
    if !tenths.is_finite() || tenths == 0.0 {
        return "0".to_owned();
    }
    // Tenths as an integer keep the text exact: 12.25 is "12.3", never "12.299999".
    let tenths = tenths as i64;
    let (sign, magnitude) = if tenths < 0 {
        ("-", -tenths)
    } else {
        ("", tenths)
    };
    match magnitude % 10 {
        0 => format!("{sign}{}", magnitude / 10),
        fraction => format!("{sign}{}.{fraction}", magnitude / 10),
    }
}

/// "1 click", "N clicks": the words of every tooltip.
pub(crate) fn clicks_phrase(clicks: i64) -> String {
    if clicks == 1 {
        "1 click".to_owned()
    } else {
        format!("{clicks} clicks")
    }
}

/// The `id` of a chart's `<title>`, which `aria-labelledby` names: the kind (`chart`, `map`)
/// and a 64-bit FNV-1a hash of the title in hex. Without state there is nothing else to make
/// it unique from, so two charts of one kind and the same title on one page share an id;
/// each still names a `<title>` with the same text, which is what a screen reader reads.
/// FNV-1a rather than std's `DefaultHasher`, whose output may change between Rust releases:
/// the same title gives the same id, and the same bytes, on every build.
pub(crate) fn title_id(kind: &str, title: &str) -> String {
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = title.bytes().fold(FNV_OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    });
    format!("{kind}-{hash:016x}")
}

/// Appends the opening `<svg>` tag and its `<title>`, the accessible name, as the first
/// child. `presentation` is the chart's own presentation attributes for the root, written as
/// they are (never input). The caller closes the element with `</svg>`.
pub(crate) fn open_svg(
    out: &mut String,
    kind: &str,
    view_box: &str,
    presentation: &str,
    title: &str,
) {
    let id = title_id(kind, title);
    let _ = write!(out, r#"<svg xmlns="{SVG_NAMESPACE}" viewBox=""#);
    push_escaped(out, view_box);
    let _ = write!(
        out,
        r#"" class="{kind}"{presentation} role="img" aria-labelledby="{id}"><title id="{id}">"#
    );
    push_escaped(out, title);
    out.push_str("</title>");
}

use super::*;
use crate::map_path::{self, Point, Rounded, Subpath};
use crate::svg::{number, push_escaped, title_id};
use crate::time_chart::{tick_label, x_label_stride, YAxis};
use crate::world_map::{shade_level, source_map, world};

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'quoted'";

/// Checks that `xml` is a single well-formed element, as far as these charts need: tags
/// balanced and nested, attribute values double-quoted, unique per element and free of `<`,
/// and every `&` in text or values the start of one of XML's five entities or a character
/// reference.
fn check_well_formed(xml: &str) -> Result<(), String> {
    fn check_entities(text: &str) -> Result<(), String> {
        for (at, _) in text.match_indices('&') {
            let rest = &text[at..];
            let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|entity| rest.starts_with(entity));
            let reference = rest.starts_with("&#") && rest.contains(';');
            if !known && !reference {
                return Err(format!("stray & at {rest:.20}"));
            }
        }
        Ok(())
    }
    fn is_name_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '_' | '.')
    }

    let mut open: Vec<&str> = Vec::new();
    let mut rest = xml;
    let mut closed_root = false;
    while !rest.is_empty() {
        if closed_root && !rest.trim().is_empty() {
            return Err(format!("content after the root element: {rest:.20}"));
        }
        let Some(tag_start) = rest.find('<') else {
            if open.is_empty() && rest.trim().is_empty() {
                break;
            }
            return Err(format!("text outside the root or unclosed: {rest:.20}"));
        };
        let text = &rest[..tag_start];
        if open.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:.20}"));
        }
        if text.contains('>') {
            // Allowed by XML in text, but the escaper never leaves one: it would be a slip.
            return Err(format!("raw > in text: {text:.20}"));
        }
        check_entities(text)?;
        rest = &rest[tag_start + 1..];

        if let Some(after) = rest.strip_prefix('/') {
            let end = after.find('>').ok_or("unterminated end tag")?;
            let name = &after[..end];
            match open.pop() {
                Some(expected) if expected == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            rest = &after[end + 1..];
            closed_root = open.is_empty();
            continue;
        }

        let name_end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return Err(format!("a < that opens no tag: <{rest:.20}"));
        }
        if open.is_empty() && closed_root {
            return Err("a second root element".to_owned());
        }
        rest = &rest[name_end..];
        let mut attributes: Vec<&str> = Vec::new();
        loop {
            let trimmed = rest.trim_start();
            let had_space = trimmed.len() != rest.len();
            rest = trimmed;
            if let Some(after) = rest.strip_prefix("/>") {
                rest = after;
                closed_root = open.is_empty();
                break;
            }
            if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                open.push(name);
                break;
            }
            if !had_space {
                return Err(format!("no space before an attribute of <{name}>"));
            }
            let eq = rest.find('=').ok_or("attribute without =")?;
            let attribute = &rest[..eq];
            if attribute.is_empty() || !attribute.chars().all(is_name_char) {
                return Err(format!("bad attribute name {attribute:?} in <{name}>"));
            }
            if attributes.contains(&attribute) {
                return Err(format!("attribute {attribute} twice in <{name}>"));
            }
            attributes.push(attribute);
            let value_and_rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or(format!("unquoted value of {attribute}"))?;
            let value_end = value_and_rest
                .find('"')
                .ok_or(format!("unterminated value of {attribute}"))?;
            let value = &value_and_rest[..value_end];
            if value.contains('<') {
                return Err(format!("raw < in the value of {attribute}"));
            }
            check_entities(value)?;
            rest = &value_and_rest[value_end + 1..];
        }
    }
    if !open.is_empty() {
        return Err(format!("unclosed elements: {open:?}"));
    }
    if !closed_root {
        return Err("no root element".to_owned());
    }
    Ok(())
}

/// Panics with the reason when `svg` is not well-formed or carries any inline style.
fn assert_clean(svg: &str) {
    if let Err(reason) = check_well_formed(svg) {
        panic!("not well-formed: {reason}");
    }
    assert!(!svg.contains("style="), "an inline style attribute");
    assert!(!svg.contains("<style"), "a <style> element");
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "a non-finite number"
    );
}

/// The value of attribute `name` in each element of `svg` that has it, in order.
fn attribute_values<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    svg.match_indices(&needle)
        .map(|(at, _)| {
            let value = &svg[at + needle.len()..];
            &value[..value.find('"').unwrap_or(value.len())]
        })
        .collect()
}

/// The `class` of each map path whose `data-country` is `code`.
fn country_classes<'a>(svg: &'a str, code: &str) -> Vec<&'a str> {
    let marker = format!(" data-country=\"{code}\"");
    svg.split("<path ")
        .skip(1)
        .filter(|element| element.contains(&marker))
        .filter_map(|element| element.strip_prefix("class=\"")?.split('"').next())
        .collect()
}

/// The tooltip of the map path whose `data-country` is `code` (the first, for `um`).
fn country_tooltip(svg: &str, code: &str) -> String {
    let element = svg
        .split("<path ")
        .find(|element| element.contains(&format!(" data-country=\"{code}\"")))
        .unwrap_or_else(|| panic!("no path for {code}"));
    let title = element.split("<title>").nth(1).expect("a tooltip");
    title[..title.find("</title>").expect("closed")].to_owned()
}

fn labels(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("Dec {}", i + 1)).collect()
}

fn chart<'a>(labels: &'a [String], people: &'a [i64]) -> TimeChart<'a> {
    TimeChart {
        title: "Clicks per day, 7 days",
        labels,
        people,
        bots: None,
        previous: None,
    }
}

// Escaping.

#[test]
fn time_chart_escapes_a_hostile_title_and_labels() {
    let hostile_labels = vec![HOSTILE.to_owned(), "a&b".to_owned()];
    let svg = time_chart_svg(&TimeChart {
        title: HOSTILE,
        labels: &hostile_labels,
        people: &[3, 4],
        bots: Some(&[1, 1]),
        previous: Some(&[2, 2]),
    });
    assert_clean(&svg);
    assert!(!svg.contains("<script"), "{svg}");
    assert!(
        svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;quoted&apos;")
    );
    assert!(svg.contains(">a&amp;b</text>"));
    assert!(svg.contains("<title>a&amp;b: 4 clicks</title>"));
}

#[test]
fn world_map_escapes_a_hostile_title() {
    let svg = world_map_svg(HOSTILE, &[(HOSTILE.to_owned(), 5), ("de".to_owned(), 1)]);
    assert_clean(&svg);
    assert!(!svg.contains("<script"));
    assert!(svg.contains("<title id=\"map-"));
    assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
}

#[test]
fn world_map_tooltip_escapes_an_apostrophe_in_a_name() {
    let svg = world_map_svg("Clicks by country", &[("CI".to_owned(), 2)]);
    assert_eq!(country_tooltip(&svg, "ci"), "Côte d&apos;Ivoire: 2 clicks");
}

#[test]
fn escaping_replaces_characters_xml_cannot_carry() {
    let mut out = String::new();
    push_escaped(&mut out, "a\u{0}b\u{1b}c\td\u{ffff}");
    assert_eq!(out, "a\u{fffd}b\u{fffd}c\td\u{fffd}");
    let svg = time_chart_svg(&TimeChart {
        title: "bell\u{7}",
        ..chart(&[], &[])
    });
    assert_clean(&svg);
    assert!(!svg.contains('\u{7}'));
}

// The SVG element, its title and classes.

#[test]
fn both_svgs_open_with_a_title_that_aria_labelledby_names() {
    let chart_svg = time_chart_svg(&chart(&labels(2), &[1, 2]));
    let map_svg = world_map_svg("Clicks by country", &[]);
    for (svg, title) in [
        (&chart_svg, "Clicks per day, 7 days"),
        (&map_svg, "Clicks by country"),
    ] {
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(" role=\"img\" "));
        let id = attribute_values(svg, "aria-labelledby")[0];
        let open_tag_end = svg.find('>').expect("an open tag") + 1;
        assert!(
            svg[open_tag_end..].starts_with(&format!("<title id=\"{id}\">{title}</title>")),
            "{:.300}",
            svg
        );
    }
    assert!(chart_svg.contains("viewBox=\"0 0 720 260\""));
    assert!(map_svg.contains("viewBox=\"0 0 1010 666\""));
}

#[test]
fn title_id_is_the_kind_and_a_hash_of_the_title() {
    assert_eq!(title_id("chart", "a"), title_id("chart", "a"));
    assert_ne!(title_id("chart", "a"), title_id("chart", "b"));
    assert!(title_id("chart", "a").starts_with("chart-"));
    assert!(title_id("map", "a").starts_with("map-"));
    // FNV-1a of the empty string is its offset basis: the hash is the documented one.
    assert_eq!(title_id("chart", ""), "chart-cbf29ce484222325");
}

#[test]
fn time_chart_has_its_classes() {
    let svg = time_chart_svg(&TimeChart {
        bots: Some(&[0, 1]),
        previous: Some(&[2, 1]),
        ..chart(&labels(2), &[1, 2])
    });
    assert_clean(&svg);
    for class in [
        "chart-grid",
        "chart-axis",
        "chart-people",
        "chart-point",
        "chart-bots",
        "chart-previous",
    ] {
        assert!(svg.contains(&format!("class=\"{class}\"")), "no {class}");
    }
}

#[test]
fn world_map_has_its_classes() {
    let svg = world_map_svg("Clicks by country", &[("de".to_owned(), 10)]);
    assert_clean(&svg);
    assert!(svg.contains("class=\"map-country map-level-5\""));
    assert!(svg.contains("class=\"map-country map-level-0\""));
    let paths = svg.matches("<path ").count();
    assert_eq!(paths, 256);
    assert_eq!(
        attribute_values(&svg, "class").len(),
        paths + 1,
        "one class per path and the svg's"
    );
}

#[test]
fn neither_svg_has_an_inline_style() {
    let all = labels(30);
    let people: Vec<i64> = (0..30).collect();
    let svgs = [
        time_chart_svg(&chart(&[], &[])),
        time_chart_svg(&TimeChart {
            bots: Some(&people),
            previous: Some(&people),
            ..chart(&all, &people)
        }),
        world_map_svg("Clicks by country", &[]),
        world_map_svg(
            "Clicks by country",
            &[("us".to_owned(), 9), ("fr".to_owned(), 2)],
        ),
    ];
    for svg in &svgs {
        assert!(!svg.contains("style"), "{:.200}", svg);
    }
}

#[test]
fn output_is_deterministic() {
    let all = labels(24);
    let people: Vec<i64> = (0..24).map(|i| i * 37 % 11).collect();
    let draw = || {
        time_chart_svg(&TimeChart {
            previous: Some(&people),
            ..chart(&all, &people)
        })
    };
    assert_eq!(draw(), draw());
    let clicks = vec![("de".to_owned(), 4), ("fr".to_owned(), 2)];
    assert_eq!(world_map_svg("m", &clicks), world_map_svg("m", &clicks));
}

// The world map.

#[test]
fn world_map_shades_the_top_country_at_5_and_a_country_without_clicks_at_0() {
    let svg = world_map_svg(
        "Clicks by country",
        &[("de".to_owned(), 40), ("fr".to_owned(), 3)],
    );
    assert_eq!(country_classes(&svg, "de"), ["map-country map-level-5"]);
    assert_eq!(country_classes(&svg, "it"), ["map-country map-level-0"]);
    assert_eq!(country_tooltip(&svg, "de"), "Germany: 40 clicks");
    assert_eq!(country_tooltip(&svg, "it"), "Italy: 0 clicks");
}

#[test]
fn world_map_levels_are_the_ceiling_of_five_times_the_share() {
    let svg = world_map_svg(
        "Clicks by country",
        &[
            ("de".to_owned(), 100),
            ("fr".to_owned(), 50),
            ("it".to_owned(), 21),
            ("es".to_owned(), 20),
            ("pt".to_owned(), 1),
        ],
    );
    assert_eq!(country_classes(&svg, "fr"), ["map-country map-level-3"]);
    assert_eq!(country_classes(&svg, "it"), ["map-country map-level-2"]);
    assert_eq!(country_classes(&svg, "es"), ["map-country map-level-1"]);
    assert_eq!(country_classes(&svg, "pt"), ["map-country map-level-1"]);
    assert_eq!(country_tooltip(&svg, "pt"), "Portugal: 1 click");
}

#[test]
fn shade_level_spans_0_to_5_and_never_overflows() {
    assert_eq!(shade_level(0, 10), 0);
    assert_eq!(shade_level(-3, 10), 0);
    assert_eq!(shade_level(10, 10), 5);
    assert_eq!(shade_level(1, 10), 1);
    assert_eq!(shade_level(6, 10), 3);
    assert_eq!(shade_level(i64::MAX, i64::MAX), 5);
    assert_eq!(shade_level(1, i64::MAX), 1);
    assert_eq!(shade_level(i64::MAX / 2, i64::MAX), 3);
}

#[test]
fn world_map_ignores_unknown_codes() {
    let svg = world_map_svg(
        "Clicks by country",
        &[
            ("zz".to_owned(), 1000),
            ("".to_owned(), 1000),
            ("deu".to_owned(), 1000),
            ("d1".to_owned(), 1000),
            ("um-dq".to_owned(), 1000),
            ("de".to_owned(), 2),
        ],
    );
    assert_clean(&svg);
    // Had any unknown code counted, it would have set the maximum and Germany been level 1.
    assert_eq!(country_classes(&svg, "de"), ["map-country map-level-5"]);
    assert!(!svg.contains("data-country=\"zz\""));
    assert_eq!(svg.matches("map-level-5").count(), 1);
}

#[test]
fn world_map_reads_codes_in_any_case_and_sums_a_code_given_twice() {
    let svg = world_map_svg(
        "Clicks by country",
        &[
            ("DE".to_owned(), 3),
            ("de".to_owned(), 3),
            ("Fr".to_owned(), 2),
        ],
    );
    assert_eq!(country_classes(&svg, "de"), ["map-country map-level-5"]);
    assert_eq!(country_tooltip(&svg, "de"), "Germany: 6 clicks");
    // ceil(5 * 2 / 6) = 2.
    assert_eq!(country_classes(&svg, "fr"), ["map-country map-level-2"]);
}

#[test]
fn world_map_without_clicks_is_all_level_0() {
    let svg = world_map_svg(
        "Clicks by country",
        &[("de".to_owned(), 0), ("fr".to_owned(), -5)],
    );
    assert_eq!(svg.matches("map-level-0").count(), 256);
    assert_eq!(country_tooltip(&svg, "fr"), "France: 0 clicks");
}

#[test]
fn world_map_survives_huge_counts() {
    let svg = world_map_svg(
        "Clicks by country",
        &[
            ("us".to_owned(), i64::MAX),
            ("US".to_owned(), i64::MAX),
            ("de".to_owned(), 1),
        ],
    );
    assert_clean(&svg);
    assert_eq!(country_classes(&svg, "us"), ["map-country map-level-5"]);
    assert_eq!(country_classes(&svg, "de"), ["map-country map-level-1"]);
    assert_eq!(
        country_tooltip(&svg, "us"),
        format!("United States: {} clicks", i64::MAX)
    );
}

#[test]
fn world_map_shades_every_island_of_a_territory_with_its_clicks() {
    let svg = world_map_svg("Clicks by country", &[("UM".to_owned(), 7)]);
    assert_eq!(
        country_classes(&svg, "um"),
        vec!["map-country map-level-5"; 6]
    );
    assert_eq!(country_tooltip(&svg, "um"), "Jarvis Island (UM): 7 clicks");
}

#[test]
fn country_name_reads_the_map_in_any_case() {
    assert_eq!(country_name("de"), Some("Germany"));
    assert_eq!(country_name("DE"), Some("Germany"));
    assert_eq!(country_name("dE"), Some("Germany"));
    assert_eq!(country_name("gb"), Some("United Kingdom"));
    assert_eq!(country_name("ci"), Some("Côte d'Ivoire"));
    for unknown in ["zz", "", "d", "deu", "um", "um-dq", "dé", " de"] {
        assert_eq!(country_name(unknown), None, "{unknown:?}");
    }
}

#[test]
fn world_data_is_the_package_with_an_alpha2_code_per_location() {
    let svg = world_map_svg("m", &[]);
    let codes = attribute_values(&svg, "data-country");
    assert_eq!(codes.len(), 256);
    assert!(codes
        .iter()
        .all(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase())));
    assert_eq!(codes.iter().filter(|&&code| code == "um").count(), 6);
}

// The map's path data.

fn point(x: f64, y: f64) -> Point {
    Point { x, y }
}

fn points(pairs: &[(f64, f64)]) -> Vec<Point> {
    pairs.iter().map(|&(x, y)| point(x, y)).collect()
}

fn ring(pairs: &[(f64, f64)]) -> Subpath {
    Subpath {
        points: points(pairs),
        closed: true,
    }
}

/// Asserts that `actual` is `expected` to within float rounding (`0.1 + 0.2` is not `0.3`).
fn assert_points(actual: &[Point], expected: &[(f64, f64)]) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{actual:?} is not {expected:?}"
    );
    for (a, &(x, y)) in actual.iter().zip(expected) {
        assert!(
            (a.x - x).abs() < 1e-9 && (a.y - y).abs() < 1e-9,
            "{actual:?} is not {expected:?}"
        );
    }
}

/// The bounding box of `points`: min x, min y, max x, max y.
fn bounding_box(points: impl IntoIterator<Item = Point>) -> [f64; 4] {
    points.into_iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |[x0, y0, x1, y1], p| [x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y)],
    )
}

#[test]
fn path_parser_makes_relative_moves_and_lines_absolute() {
    let subpaths = map_path::parse("m 10,20 l 5,5 -1-2 L 3 4 l.5 .5 z").unwrap();
    assert_eq!(subpaths.len(), 1);
    assert!(subpaths[0].closed);
    assert_points(
        &subpaths[0].points,
        &[
            (10.0, 20.0),
            (15.0, 25.0),
            (14.0, 23.0),
            (3.0, 4.0),
            (3.5, 4.5),
        ],
    );
}

#[test]
fn path_parser_reads_numbers_after_a_move_as_lines() {
    let relative = map_path::parse("m1 2 3 4 5,6").unwrap();
    assert_points(&relative[0].points, &[(1.0, 2.0), (4.0, 6.0), (9.0, 12.0)]);
    assert!(!relative[0].closed);
    let absolute = map_path::parse("M1 2 3 4 5,6").unwrap();
    assert_points(&absolute[0].points, &[(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]);
    // Repeated without the letter, a line stays a line of the same kind.
    let lines = map_path::parse("M0 0l1 1 1 1L5 5 6 6").unwrap();
    assert_points(
        &lines[0].points,
        &[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (5.0, 5.0), (6.0, 6.0)],
    );
}

#[test]
fn path_parser_moves_one_coordinate_for_h_and_v() {
    let subpaths = map_path::parse("M1 2H5V7h-1 -1v-2").unwrap();
    assert_points(
        &subpaths[0].points,
        &[
            (1.0, 2.0),
            (5.0, 2.0),
            (5.0, 7.0),
            (4.0, 7.0),
            (3.0, 7.0),
            (3.0, 5.0),
        ],
    );
}

#[test]
fn path_parser_returns_to_the_subpath_start_at_z() {
    // After z, a relative move is from the ring's first point, not from its last.
    let subpaths = map_path::parse("m10 10 5 0 0 5z m1 1 1 0 0 1z").unwrap();
    assert_eq!(subpaths.len(), 2);
    assert_points(
        &subpaths[1].points,
        &[(11.0, 11.0), (12.0, 11.0), (12.0, 12.0)],
    );
    // A line right after z starts a new subpath at the same first point.
    let subpaths = map_path::parse("M0 0L4 0 4 4Zl2 0").unwrap();
    assert_eq!(subpaths.len(), 2);
    assert_points(&subpaths[1].points, &[(0.0, 0.0), (2.0, 0.0)]);
    assert!(subpaths[0].closed && !subpaths[1].closed);
}

#[test]
fn path_parser_reads_numbers_as_svg_writes_them() {
    // The map writes 10e-4; `1.2.3` is 1.2 and .3; a sign or a second point ends a number.
    let subpaths = map_path::parse("m10e-4-.5L1.2.3 1E2,+2-1e+1-.5.5\t\n-10E-1 ").unwrap();
    assert_points(
        &subpaths[0].points,
        &[
            (0.001, -0.5),
            (1.2, 0.3),
            (100.0, 2.0),
            (-10.0, -0.5),
            (0.5, -1.0),
        ],
    );
}

#[test]
fn path_parser_refuses_what_it_cannot_draw() {
    for (data, at, words) in [
        ("M0 0C1 1 2 2 3 3", 4, "command 'C' is not supported"),
        ("M0 0a1 1 0 0 1 3 3", 4, "command 'a' is not supported"),
        ("L1 1", 0, "must begin with a move"),
        ("M0 0L1", 6, "a number was expected"),
        ("M0 0L1 .", 7, "a number was expected"),
        ("M0 0Z 1 1", 6, "Z takes no numbers"),
        ("M0 0 # 1 1", 5, "a command letter was expected"),
        // An `e` without digits is no exponent, and no command either.
        ("M1e 2", 2, "a number was expected"),
        ("M1 2e 3", 4, "command 'e' is not supported"),
    ] {
        let error = map_path::parse(data).expect_err(data);
        assert_eq!(error.at, at, "{data}: {error}");
        assert!(error.to_string().contains(words), "{data}: {error}");
    }
    assert_eq!(map_path::parse("").unwrap(), []);
}

#[test]
fn rounded_points_are_written_as_steps_in_the_fewest_bytes() {
    let write = |grid: i64, points: &[(i64, i64)], closed: bool| {
        let mut out = String::new();
        map_path::write_rounded(
            &mut out,
            &Rounded {
                grid,
                points: points.to_vec(),
                closed,
            },
        );
        out
    };
    // No trailing zeros, no leading 0, no space before a sign or before a second point.
    assert_eq!(
        write(
            10,
            &[(1234, 456), (1240, 460), (1239, 459), (1249, 462)],
            true
        ),
        "M123.4 45.6l.6.4-.1-.1 1 .3Z"
    );
    // A space wherever the next number would run on: after an integer, or before a 0.
    assert_eq!(
        write(10, &[(0, 0), (10, 3), (10, 8), (25, 8)], false),
        "M0 0l1 .3 0 .5 1.5 0"
    );
    assert_eq!(
        write(100, &[(50000, 50000), (50003, 50000), (50003, 50010)], true),
        "M500 500l.03 0 0 .1Z"
    );
    assert_eq!(write(10, &[(7, -7)], true), "M.7-.7Z");
    assert_eq!(write(10, &[], true), "");
}

#[test]
fn rounding_is_to_the_grid_without_repeated_points() {
    let rounded = map_path::round(
        &points(&[
            (12.34, 5.66),
            (12.36, 5.64),
            (12.38, 5.62),
            (20.0, 5.0),
            (12.3, 5.7),
        ]),
        10,
        true,
    );
    // (12.38, 5.62) rounds onto the point before it; the last onto the first, where Z goes.
    assert_eq!(rounded.points, [(123, 57), (124, 56), (200, 50)]);
    assert_eq!(rounded.grid, 10);
    let open = map_path::round(&points(&[(0.0, 0.0), (1.0, 1.0), (0.04, 0.0)]), 10, false);
    assert_eq!(open.points, [(0, 0), (10, 10), (0, 0)]);
}

#[test]
fn points_closer_than_min_step_to_the_last_kept_one_are_dropped() {
    let step = map_path::MIN_STEP;
    let along = |xs: &[f64]| -> Vec<(f64, f64)> { xs.iter().map(|&x| (x * step, 0.0)).collect() };
    // Measured from the last point kept, not the last point seen: 0.5 and 0.9 both go.
    let open = Subpath {
        points: points(&along(&[0.0, 0.5, 0.9, 1.2, 1.5, 2.3, 2.6])),
        closed: false,
    };
    // An open line keeps its end, in place of the last kept point (2.3) it is near.
    assert_points(&map_path::drop_near(&open), &along(&[0.0, 1.2, 2.6]));
    // A ring drops its last points near its first, which Z draws to, however far they are
    // from the point kept before them.
    let corners = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
    for (last, kept) in [((0.0, 0.9 * step), false), ((0.0, 1.1 * step), true)] {
        let closed = ring(&[corners.as_slice(), &[last]].concat());
        let expected = if kept {
            [corners.as_slice(), &[last]].concat()
        } else {
            corners.to_vec()
        };
        assert_points(&map_path::drop_near(&closed), &expected);
    }
}

#[test]
fn points_on_a_nearly_straight_line_are_dropped_and_bends_kept() {
    let tolerance = map_path::MAX_DEVIATION;
    let square = |bump: f64| {
        points(&[
            (0.0, 0.0),
            (5.0, bump),
            (10.0, 0.0),
            (10.0, 5.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (bump, 5.0),
        ])
    };
    let flat = map_path::drop_straight(&square(0.5 * tolerance), true);
    assert_points(&flat, &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
    let bent = map_path::drop_straight(&square(2.0 * tolerance), true);
    assert_points(
        &bent,
        &[
            (0.0, 0.0),
            (5.0, 2.0 * tolerance),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (2.0 * tolerance, 5.0),
        ],
    );
    // An open line keeps both ends, however straight.
    let line = points(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]);
    assert_points(
        &map_path::drop_straight(&line, false),
        &[(0.0, 0.0), (2.0, 0.0)],
    );
}

#[test]
fn a_tiny_ring_keeps_its_points() {
    // 0.1 units a side: every point is closer than MIN_STEP to the first, so the simplified
    // ring would be a point; the original points, rounded, are kept instead.
    let small =
        map_path::simplify_subpath(&ring(&[(5.0, 5.0), (5.1, 5.0), (5.1, 5.1), (5.0, 5.1)]));
    assert_eq!(small.grid, 10);
    assert_eq!(small.points, [(50, 50), (51, 50), (51, 51), (50, 51)]);
    // 0.03 units a side would be one point on a 0.1 grid: it is kept on a 0.01 grid.
    let tiny = map_path::simplify_subpath(&ring(&[(5.0, 5.0), (5.03, 5.0), (5.03, 5.03)]));
    assert_eq!(tiny.grid, 100);
    assert_eq!(tiny.points, [(500, 500), (503, 500), (503, 503)]);
    assert_eq!(
        map_path::simplify("M5 5h.03v.03z").unwrap(),
        "M5 5l.03 0 0 .03Z"
    );
}

#[test]
fn every_location_keeps_every_ring_and_its_bounding_box() {
    let source = source_map();
    let simplified = &world().locations;
    assert_eq!(source.locations.len(), simplified.len());
    let mut worst = 0.0_f64;
    for (original, small) in source.locations.iter().zip(simplified) {
        let id = &original.id;
        assert_eq!(&small.id, id);
        assert!(small.path.starts_with('M'), "{id}: {}", small.path);
        let before = map_path::parse(&original.path).unwrap();
        let after = map_path::parse(&small.path).unwrap();
        // Not one island gone, and each ring a ring of at least three points.
        assert_eq!(before.len(), after.len(), "{id}");
        assert!(
            after
                .iter()
                .all(|ring| ring.closed && ring.points.len() >= 3),
            "{id}: {}",
            small.path
        );
        let box_before = bounding_box(before.iter().flat_map(|ring| ring.points.clone()));
        let box_after = bounding_box(after.iter().flat_map(|ring| ring.points.clone()));
        for (b, a) in box_before.iter().zip(box_after) {
            worst = worst.max((b - a).abs());
        }
        assert!(
            box_before
                .iter()
                .zip(box_after)
                .all(|(b, a)| (b - a).abs() <= 0.5),
            "{id}: {box_before:?} became {box_after:?}"
        );
    }
    println!("largest change of a bounding box's edge: {worst:.3} units");
}

#[test]
fn simplified_paths_read_back_as_the_points_written() {
    // The writer's separators are right if its output parses to the rounded points.
    for location in &source_map().locations {
        for subpath in map_path::parse(&location.path).unwrap() {
            let rounded = map_path::simplify_subpath(&subpath);
            let mut written = String::new();
            map_path::write_rounded(&mut written, &rounded);
            let read = map_path::parse(&written).unwrap();
            let grid = rounded.grid as f64;
            let expected: Vec<(f64, f64)> = rounded
                .points
                .iter()
                .map(|&(x, y)| (x as f64 / grid, y as f64 / grid))
                .collect();
            assert_eq!(read.len(), 1, "{written}");
            for (a, &(x, y)) in read[0].points.iter().zip(&expected) {
                assert!(
                    (a.x - x).abs() < 1e-6 && (a.y - y).abs() < 1e-6,
                    "{}: {written}",
                    location.id
                );
            }
            assert_eq!(read[0].points.len(), expected.len(), "{written}");
        }
    }
}

#[test]
fn world_map_is_under_300_kb() {
    let svg = world_map_svg("Clicks by country", &[("de".to_owned(), 1)]);
    let paths: usize = world().locations.iter().map(|l| l.path.len()).sum();
    println!("world map: {} bytes, of which path data {paths}", svg.len());
    assert!(svg.len() < 300_000, "{} bytes", svg.len());
    // The file's path data is 1,222,502 bytes.
    let source: usize = source_map().locations.iter().map(|l| l.path.len()).sum();
    assert!(source > 1_200_000, "{source}");
}

// The time chart.

#[test]
fn time_chart_with_no_buckets_draws_the_axes_only() {
    let svg = time_chart_svg(&TimeChart {
        bots: Some(&[]),
        previous: Some(&[]),
        ..chart(&[], &[])
    });
    assert_clean(&svg);
    assert_eq!(svg.matches("class=\"chart-grid\"").count(), 3, "0, 1, 2");
    assert!(!svg.contains("<polyline"));
    assert!(!svg.contains("chart-point"));
    assert!(!svg.contains("People"));
    assert!(!svg.contains("text-anchor=\"middle\""), "no x labels");
}

#[test]
fn time_chart_with_one_bucket_draws_one_point_in_the_middle() {
    let svg = time_chart_svg(&chart(&labels(1), &[5]));
    assert_clean(&svg);
    assert_eq!(svg.matches("<circle class=\"chart-point\"").count(), 1);
    assert_eq!(attribute_values(&svg, "cx"), ["380"]);
    assert!(svg.contains("<title>Dec 1: 5 clicks</title>"));
    assert!(svg.contains("points=\"380,"));
}

#[test]
fn time_chart_with_100_buckets_thins_its_labels() {
    let all = labels(100);
    let people: Vec<i64> = (0..100).map(|i| (i * 7919) % 1000).collect();
    let svg = time_chart_svg(&chart(&all, &people));
    assert_clean(&svg);
    assert_eq!(svg.matches("class=\"chart-point\"").count(), 100);
    let x_labels = svg.matches("text-anchor=\"middle\"").count();
    assert!((2..=8).contains(&x_labels), "{x_labels} x labels");
    assert!(svg.contains(">Dec 1</text>"));
    let points = attribute_values(&svg, "points");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].split(' ').count(), 100);
}

#[test]
fn x_labels_are_thinned_to_at_most_eight() {
    assert_eq!(x_label_stride(0), 1);
    assert_eq!(x_label_stride(8), 1);
    assert_eq!(x_label_stride(9), 2);
    assert_eq!(x_label_stride(24), 3);
    assert_eq!(x_label_stride(100), 13);
    for buckets in 0..500usize {
        assert!(buckets.div_ceil(x_label_stride(buckets)) <= 8, "{buckets}");
    }
}

#[test]
fn time_chart_of_all_zeros_has_a_sensible_axis() {
    let svg = time_chart_svg(&chart(&labels(7), &[0; 7]));
    assert_clean(&svg);
    let y_labels: Vec<&str> = svg
        .split("text-anchor=\"end\">")
        .skip(1)
        .map(|rest| &rest[..rest.find('<').unwrap_or(0)])
        .collect();
    assert_eq!(y_labels, ["0", "1", "2"]);
    // Every point on the x axis.
    assert!(attribute_values(&svg, "cy").iter().all(|&cy| cy == "228"));
}

#[test]
fn time_chart_plots_larger_counts_higher() {
    let svg = time_chart_svg(&chart(&labels(3), &[0, 4, 8]));
    let cy: Vec<f64> = attribute_values(&svg, "cy")
        .iter()
        .map(|cy| cy.parse().expect("a number"))
        .collect();
    assert_eq!(cy[0], 228.0);
    assert!(cy[0] > cy[1] && cy[1] > cy[2], "{cy:?}");
    // The axis for 8 is 0..8 in steps of 2: the top point touches the top of the plot.
    assert_eq!(cy[2], 36.0);
}

#[test]
fn time_chart_survives_huge_values() {
    let svg = time_chart_svg(&TimeChart {
        bots: Some(&[i64::MAX, 0]),
        previous: Some(&[i64::MIN, i64::MAX]),
        ..chart(&labels(2), &[i64::MAX, i64::MAX - 1])
    });
    assert_clean(&svg);
    assert!(svg.contains(&format!("<title>Dec 1: {} clicks</title>", i64::MAX)));
    assert!(svg.contains(">10E</text>"), "the axis's top, 10^19");
    // Every point inside the plot, the negative count on the x axis.
    for points in attribute_values(&svg, "points") {
        for point in points.split(' ') {
            let (_, y) = point.split_once(',').expect("x,y");
            let y: f64 = y.parse().expect("a number");
            assert!((36.0..=228.0).contains(&y), "{point}");
        }
    }
    assert!(attribute_values(&svg, "points")[0].contains(",228 "));
}

#[test]
fn time_chart_numbers_have_at_most_one_decimal() {
    let all = labels(7);
    let people = [3, 1, 4, 1, 5, 9, 2];
    let svg = time_chart_svg(&TimeChart {
        bots: Some(&[1, 0, 0, 2, 0, 1, 0]),
        previous: Some(&[2, 7, 1, 8, 2, 8, 1]),
        ..chart(&all, &people)
    });
    let mut fractional = 0;
    for name in [
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "points", "viewBox",
    ] {
        for value in attribute_values(&svg, name) {
            for token in value.split([' ', ',']) {
                assert!(token.parse::<f64>().is_ok(), "{name}={value:?}");
                if let Some((_, decimals)) = token.split_once('.') {
                    assert_eq!(decimals.len(), 1, "{name}={value:?}");
                    fractional += 1;
                }
            }
        }
    }
    // Seven buckets over 648 units put points at thirds: the rounding was exercised.
    assert!(fractional > 0);
}

#[test]
fn number_rounds_to_one_decimal() {
    assert_eq!(number(3.0), "3");
    assert_eq!(number(12.25), "12.3");
    assert_eq!(number(1.0 / 3.0), "0.3");
    assert_eq!(number(-1.5), "-1.5");
    assert_eq!(number(-0.04), "0");
    assert_eq!(number(f64::NAN), "0");
    assert_eq!(number(f64::INFINITY), "0");
}

#[test]
fn y_axis_ticks_are_nice() {
    let ticks = |max| YAxis::for_max(max).ticks().collect::<Vec<u128>>();
    assert_eq!(ticks(7), [0, 2, 4, 6, 8]);
    assert_eq!(ticks(0), [0, 1, 2]);
    assert_eq!(ticks(1), [0, 1, 2]);
    assert_eq!(ticks(5), [0, 1, 2, 3, 4, 5]);
    assert_eq!(ticks(10), [0, 2, 4, 6, 8, 10]);
    assert_eq!(ticks(11), [0, 5, 10, 15]);
    assert_eq!(ticks(100), [0, 20, 40, 60, 80, 100]);
    assert_eq!(ticks(1234), [0, 500, 1000, 1500]);
    assert_eq!(
        YAxis::for_max(i64::MAX as u64).top(),
        10_000_000_000_000_000_000
    );
    assert_eq!(YAxis::for_max(u64::MAX).top(), 20_000_000_000_000_000_000);
}

#[test]
fn y_axis_has_3_to_6_ticks_of_1_2_or_5_times_a_power_of_ten() {
    let maxima = (0..=20_000u64)
        .chain((0..64).map(|shift| 1u64 << shift))
        .chain([u64::MAX]);
    for max in maxima {
        let axis = YAxis::for_max(max);
        let ticks = axis.ticks().count();
        assert!((3..=6).contains(&ticks), "{max}: {ticks} ticks");
        assert!(axis.top() >= u128::from(max), "{max}");
        let mut mantissa = axis.step;
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
        }
        assert!([1, 2, 5].contains(&mantissa), "{max}: step {}", axis.step);
    }
}

#[test]
fn tick_labels_are_short() {
    assert_eq!(tick_label(0), "0");
    assert_eq!(tick_label(999), "999");
    assert_eq!(tick_label(1000), "1k");
    assert_eq!(tick_label(1500), "1.5k");
    assert_eq!(tick_label(25_000), "25k");
    assert_eq!(tick_label(2_000_000), "2M");
    assert_eq!(tick_label(10_000_000_000_000_000_000), "10E");
}

#[test]
fn previous_period_is_drawn_only_when_given() {
    let all = labels(3);
    let without = time_chart_svg(&chart(&all, &[1, 2, 3]));
    assert!(!without.contains("chart-previous"));
    assert!(!without.contains("Previous period"));
    assert!(!without.contains("stroke-dasharray"));
    assert!(without.contains(">People</text>"));

    let with = time_chart_svg(&TimeChart {
        previous: Some(&[3, 2, 1]),
        ..chart(&all, &[1, 2, 3])
    });
    assert_clean(&with);
    assert!(with.contains("<polyline class=\"chart-previous\""));
    assert!(with.contains(">Previous period</text>"));
    assert!(with.contains("stroke-dasharray"));
}

#[test]
fn bots_are_drawn_only_when_given() {
    let all = labels(3);
    let without = time_chart_svg(&chart(&all, &[1, 2, 3]));
    assert!(!without.contains("chart-bots"));
    assert!(!without.contains(">Bots</text>"));

    let with = time_chart_svg(&TimeChart {
        bots: Some(&[9, 0, 0]),
        ..chart(&all, &[1, 2, 3])
    });
    assert!(with.contains("<polyline class=\"chart-bots\""));
    assert!(with.contains(">Bots</text>"));
    // The bots' 9 sets the axis (0..10 in steps of 2), not only the people's 3.
    assert!(with.contains(">10</text>"));
}

#[test]
fn time_chart_survives_series_of_other_lengths() {
    let short_labels = labels(1);
    let svg = time_chart_svg(&TimeChart {
        bots: Some(&[1, 2, 3, 4, 5, 6]),
        previous: Some(&[1]),
        ..chart(&short_labels, &[1, 2, 3])
    });
    assert_clean(&svg);
    let points = attribute_values(&svg, "points");
    let lengths: Vec<usize> = points.iter().map(|p| p.split(' ').count()).collect();
    // Previous (1 of 3), bots (cut to 3), people (3).
    assert_eq!(lengths, [1, 3, 3]);
    assert!(
        svg.contains("<title>: 2 clicks</title>"),
        "a missing label is empty"
    );
}

// The checker the tests lean on, shown able to fail.

#[test]
fn well_formedness_checker_rejects_broken_xml() {
    assert!(check_well_formed("<svg><g/></svg>").is_ok());
    assert!(check_well_formed("<svg a=\"1\"><title>a &amp; b</title></svg>").is_ok());
    for broken in [
        "<svg><g></svg>",
        "<svg></g></svg>",
        "<svg>",
        "<svg>a < b</svg>",
        "<svg>a & b</svg>",
        "<svg a=\"<\"/>",
        "<svg a='1'/>",
        "<svg a=\"1\" a=\"2\"/>",
        "<svg/><svg/>",
        "text<svg/>",
    ] {
        assert!(check_well_formed(broken).is_err(), "{broken}");
    }
}

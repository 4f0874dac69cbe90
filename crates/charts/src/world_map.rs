//! The world map: each country shaded by its share of the clicks, and the countries' names.
//! The map is `@svg-maps/world` 2.0.0 (CC BY 4.0, Victor Cazanave after MapSVG), converted
//! to `data/world.json`; `data/README.md` says how. Its paths are simplified as the file is
//! loaded (`map_path`), which the file's licence allows for an adaptation.

use crate::map_path;
use crate::svg::{clicks_phrase, open_svg, push_escaped};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The map as the package ships it: `{ label, viewBox, locations: [{ name, id, path }] }`.
const WORLD_JSON: &str = include_str!("../data/world.json");

/// The number of shades above "no clicks": the country with the most clicks is level 5.
const TOP_LEVEL: u128 = 5;

#[derive(Debug, Deserialize)]
pub(crate) struct WorldMap {
    #[serde(rename = "viewBox")]
    pub(crate) view_box: String,
    pub(crate) locations: Vec<Location>,
}

/// One shape on the map: a country, or one of the six US Minor Outlying Islands.
#[derive(Debug, Deserialize)]
pub(crate) struct Location {
    /// The English name, e.g. "Germany".
    pub(crate) name: String,
    /// The ISO 3166-1 alpha-2 code in lower case, or `um-dq` … `um-wq` for the islands.
    pub(crate) id: String,
    /// SVG path data in the map's viewBox: as the file has it, or simplified in [`world`].
    pub(crate) path: String,
}

impl Location {
    /// The alpha-2 code whose clicks shade it: the id, or its part before `-` (the islands
    /// are each drawn apart but GeoIP knows them only as `um`).
    fn country_code(&self) -> &str {
        self.id.split_once('-').map_or(&self.id, |(code, _)| code)
    }
}

/// The map as the file has it, its paths unchanged.
pub(crate) fn source_map() -> WorldMap {
    // Not input: the file is compiled in, and the tests parse it.
    serde_json::from_str(WORLD_JSON).expect("data/world.json is the map's JSON")
}

/// The map with its paths simplified, made on first use and kept for the life of the
/// process.
pub(crate) fn world() -> &'static WorldMap {
    static WORLD: OnceLock<WorldMap> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut map = source_map();
        for location in &mut map.locations {
            // The tests simplify every path of the compiled-in file, so this cannot fail.
            location.path = map_path::simplify(&location.path)
                .unwrap_or_else(|error| panic!("data/world.json, {}: {error}", location.id));
        }
        map
    })
}

/// `code` as a map id: two ASCII letters, lowered; anything else is no country.
fn alpha2_key(code: &str) -> Option<String> {
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_lowercase())
}

/// The country's English name for an alpha-2 code (from the map's data), if known.
/// Any case: "de", "DE" and "De" are all "Germany". `um` (US Minor Outlying Islands) has no
/// name of its own in the data, only its islands', so it is None.
pub fn country_name(alpha2: &str) -> Option<&'static str> {
    let key = alpha2_key(alpha2)?;
    world()
        .locations
        .iter()
        .find(|location| location.id == key)
        .map(|location| location.name.as_str())
}

/// The shade of a country with `clicks` when the most any country has is `max`: 0 for no
/// clicks, else `ceil(5 * clicks / max)`, 1 to 5, so the top country is always 5. u128
/// arithmetic, so `5 * clicks` cannot overflow.
pub(crate) fn shade_level(clicks: i64, max: i64) -> u8 {
    if clicks <= 0 || max <= 0 {
        return 0;
    }
    let clicks = u128::from(clicks.unsigned_abs());
    let max = u128::from(max.unsigned_abs());
    let level = (TOP_LEVEL * clicks).div_ceil(max).min(TOP_LEVEL);
    // At most TOP_LEVEL (5), so the conversion cannot fail.
    u8::try_from(level).unwrap_or(5)
}

/// A world map, each country shaded by its share of the clicks (ISO 3166-1 alpha-2 codes,
/// any case; unknown codes ignored).
///
/// A complete `<svg>` element to inline in the page: every country is a
/// `<path class="map-country map-level-L" data-country="xx">` whose level L is 0 for no
/// clicks and 1 to 5 by its share of the busiest country's clicks (see `shade_level`), with
/// a tooltip "Name: N clicks". The page's CSS colours the levels. A code given twice counts
/// the sum; negative counts count as 0. The title is the SVG's `<title>`, named by
/// `aria-labelledby` with the id `map-<hash of the title>`; two maps with the same title on
/// one page share that id.
///
/// The map's path data, simplified from the file's 1.2 MB, is about 190 KB, and every
/// answer about 220 KB: compress it or cache it.
pub fn world_map_svg(title: &str, clicks_by_country: &[(String, i64)]) -> String {
    let world = world();
    let mut clicks: BTreeMap<String, i64> = BTreeMap::new();
    for (code, count) in clicks_by_country {
        let Some(key) = alpha2_key(code) else {
            continue;
        };
        // Only codes on the map count, so an unknown code cannot set the maximum.
        if !world.locations.iter().any(|l| l.country_code() == key) {
            continue;
        }
        let total = clicks.entry(key).or_insert(0);
        *total = total.saturating_add((*count).max(0));
    }
    let max = clicks.values().copied().max().unwrap_or(0);

    let paths: usize = world.locations.iter().map(|l| l.path.len()).sum();
    let mut out = String::with_capacity(paths + 128 * world.locations.len());
    open_svg(&mut out, "map", &world.view_box, "", title);
    out.push('\n');
    for location in &world.locations {
        let code = location.country_code();
        let count = clicks.get(code).copied().unwrap_or(0);
        let _ = write!(
            out,
            r#"<path class="map-country map-level-{}" data-country=""#,
            shade_level(count, max),
        );
        push_escaped(&mut out, code);
        out.push_str(r#"" d=""#);
        push_escaped(&mut out, &location.path);
        out.push_str(r#""><title>"#);
        push_escaped(&mut out, &location.name);
        if location.id != code {
            // An island of a territory: its clicks are the territory's, and the tooltip says so.
            out.push_str(" (");
            push_escaped(&mut out, &code.to_ascii_uppercase());
            out.push(')');
        }
        out.push_str(": ");
        push_escaped(&mut out, &clicks_phrase(count));
        out.push_str("</title></path>\n");
    }
    out.push_str("</svg>");
    out
}

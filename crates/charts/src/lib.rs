//! The dashboard's charts, drawn on the server as SVG so the page needs no JavaScript:
//! clicks over time ([`time_chart_svg`]) and clicks by country on a world map
//! ([`world_map_svg`], with [`country_name`] for the countries' names).
//!
//! Each function returns a complete `<svg>` element to inline in the HTML page. The page's
//! Content-Security-Policy forbids inline styles, so the SVG carries no `style` attribute and
//! no `<style>` element: its shapes have classes (listed on each function) that the page's
//! CSS colours for light and dark mode. Inlined, not `<img src>`: an image does not see the
//! page's CSS. Every piece of text is XML-escaped, and the output is deterministic: the same
//! input gives the same bytes, with coordinates written to at most one decimal (but for the
//! map's tiniest islands, which would vanish on that grid).

mod map_path;
mod svg;
mod time_chart;
mod world_map;

pub use time_chart::{time_chart_svg, TimeChart};
pub use world_map::{country_name, world_map_svg};

#[cfg(test)]
mod tests;

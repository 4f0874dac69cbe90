//! Clicks over time: one line per series (people, bots, the previous period) over a y axis
//! of "nice" ticks, in a fixed 720×260 box the page scales.

use crate::svg::{clicks_phrase, number, open_svg, push_escaped};
use std::fmt::Write as _;

/// One time-series chart: clicks per bucket, the previous period overlaid.
///
/// The number of buckets is `people.len()`. The other slices should be as long; when they are
/// not, a missing label is drawn empty and a shorter series stops early (a longer one is cut),
/// rather than the chart failing. Negative counts are drawn as 0.
#[derive(Debug, Clone, Copy)]
pub struct TimeChart<'a> {
    /// The chart's accessible name (the SVG's `<title>`), e.g. "Clicks per day, 7 days".
    pub title: &'a str,
    /// One label per bucket, e.g. "Dec 1" or "14:00" (all the same length as `people`).
    pub labels: &'a [String],
    /// Clicks of people per bucket.
    pub people: &'a [i64],
    /// Clicks of bots per bucket, drawn apart; None: not drawn.
    pub bots: Option<&'a [i64]>,
    /// The previous period's people clicks, bucket for bucket; None: not drawn.
    pub previous: Option<&'a [i64]>,
}

/// The viewBox's size: wide and short, the shape of a dashboard's row.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
/// The plot area inside it: room on the left for the y axis's labels ("1.5k" at most five
/// characters), above for the legend, below for the x axis's labels.
const PLOT_LEFT: f64 = 56.0;
const PLOT_RIGHT: f64 = 704.0;
const PLOT_TOP: f64 = 36.0;
const PLOT_BOTTOM: f64 = 228.0;
/// The baselines of the legend's text and of the x axis's labels.
const LEGEND_BASELINE: f64 = 18.0;
const X_LABEL_BASELINE: f64 = 246.0;
/// The text's size in viewBox units.
const FONT_SIZE: f64 = 12.0;
/// The most x labels drawn: eight "Dec 12" fit the width with room between them.
const MAX_X_LABELS: usize = 8;
/// The most intervals on the y axis (six ticks, 0 included); the fewest is two.
const MAX_Y_INTERVALS: u128 = 5;
const MIN_Y_INTERVALS: u128 = 2;
/// The radius of a bucket's point, which carries its tooltip.
const POINT_RADIUS: f64 = 3.0;
/// The dash of the previous period's line: the line is told apart without colour.
const PREVIOUS_DASH: &str = "6 4";

/// The y axis: `intervals` steps of `step` clicks from 0, so its top is `step * intervals`.
/// u128 because the top may lie beyond `u64::MAX` (2 × 10^19 for `u64::MAX` clicks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct YAxis {
    pub(crate) step: u128,
    pub(crate) intervals: u128,
}

impl YAxis {
    /// The axis for counts up to `max`: the smallest step of 1, 2 or 5 × 10^n that reaches
    /// `max` in at most five intervals, and at least two intervals so that an axis for 0 or 1
    /// click still has a scale (0, 1, 2).
    pub(crate) fn for_max(max: u64) -> YAxis {
        let max = u128::from(max);
        let mut power = 1u128;
        loop {
            for multiple in [1, 2, 5] {
                let step = multiple * power;
                let intervals = max.div_ceil(step);
                if intervals <= MAX_Y_INTERVALS {
                    return YAxis {
                        step,
                        intervals: intervals.max(MIN_Y_INTERVALS),
                    };
                }
            }
            // Ends by 10^18: 5 × 10^18 reaches u64::MAX in four intervals.
            power *= 10;
        }
    }

    /// The largest count the axis shows.
    pub(crate) fn top(self) -> u128 {
        self.step * self.intervals
    }

    /// The ticks' values, from 0 up to the top.
    pub(crate) fn ticks(self) -> impl Iterator<Item = u128> {
        (0..=self.intervals).map(move |i| i * self.step)
    }
}

/// A tick's label, short enough for the axis's margin: counts below 1000 as they are, larger
/// ones with an SI suffix and at most one decimal (1500 → "1.5k", 2 × 10^6 → "2M").
pub(crate) fn tick_label(value: u128) -> String {
    const UNITS: [(u128, &str); 6] = [
        (1_000_000_000_000_000_000, "E"),
        (1_000_000_000_000_000, "P"),
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (unit, suffix) in UNITS {
        if value >= unit {
            // Ticks are multiples of a step at least a fifth of themselves, so one decimal is
            // exact for them; other values round to the nearest tenth.
            let tenths = (value * 10 + unit / 2) / unit;
            return match tenths % 10 {
                0 => format!("{}{suffix}", tenths / 10),
                fraction => format!("{}.{fraction}{suffix}", tenths / 10),
            };
        }
    }
    value.to_string()
}

/// Every how many buckets an x label is drawn, so that at most [`MAX_X_LABELS`] show.
pub(crate) fn x_label_stride(buckets: usize) -> usize {
    buckets.div_ceil(MAX_X_LABELS).max(1)
}

/// The x coordinate of bucket `index` of `buckets`: spread edge to edge, a lone bucket in
/// the middle.
fn bucket_x(index: usize, buckets: usize) -> f64 {
    if buckets <= 1 {
        (PLOT_LEFT + PLOT_RIGHT) / 2.0
    } else {
        PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * index as f64 / (buckets - 1) as f64
    }
}

/// The y coordinate of a count on an axis whose top is `top` (at least 2, so never a
/// division by 0; f64 holds every i64 count to within its precision, far below a pixel).
fn count_y(count: i64, top: u128) -> f64 {
    let share = count.max(0) as f64 / top as f64;
    PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * share
}

/// One line of the chart: its class (which the page's CSS colours), legend text, counts and
/// dash pattern.
struct Series<'a> {
    class: &'static str,
    legend: &'static str,
    counts: &'a [i64],
    dash: Option<&'static str>,
}

/// Draws the chart as a complete `<svg>` element, to be inlined in the page (its classes
/// take their colours from the page's CSS: `chart-grid`, `chart-axis` for text,
/// `chart-people`, `chart-point`, `chart-bots`, `chart-previous`). The title is the SVG's
/// `<title>`, named by `aria-labelledby` with the id `chart-<hash of the title>`; two charts
/// with the same title on one page share that id. Each bucket's point has a tooltip,
/// "label: N clicks". With no buckets, the axes alone are drawn.
pub fn time_chart_svg(chart: &TimeChart<'_>) -> String {
    let buckets = chart.people.len();
    let mut series = Vec::with_capacity(3);
    // Drawn in this order, so the current period's line lies on top.
    if let Some(previous) = chart.previous {
        series.push(Series {
            class: "chart-previous",
            legend: "Previous period",
            counts: &previous[..previous.len().min(buckets)],
            dash: Some(PREVIOUS_DASH),
        });
    }
    if let Some(bots) = chart.bots {
        series.push(Series {
            class: "chart-bots",
            legend: "Bots",
            counts: &bots[..bots.len().min(buckets)],
            dash: None,
        });
    }
    series.push(Series {
        class: "chart-people",
        legend: "People",
        counts: chart.people,
        dash: None,
    });

    let max = series
        .iter()
        .flat_map(|s| s.counts.iter())
        .map(|&count| count.max(0).unsigned_abs())
        .max()
        .unwrap_or(0);
    let axis = YAxis::for_max(max);
    let top = axis.top();

    let mut out = String::with_capacity(2048 + buckets * 160);
    open_svg(
        &mut out,
        "chart",
        &format!("0 0 {} {}", number(WIDTH), number(HEIGHT)),
        // The size the layout assumes (the legend's spacing, the axis's margin), inherited by
        // every text; the page's CSS may still override it.
        &format!(r#" font-size="{}""#, number(FONT_SIZE)),
        chart.title,
    );
    out.push('\n');

    // The y axis: a grid line and a label per tick; the line at 0 is the x axis.
    for tick in axis.ticks() {
        let y = PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * (tick as f64 / top as f64);
        let _ = writeln!(
            out,
            r#"<line class="chart-grid" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="currentColor"/>"#,
            number(PLOT_LEFT),
            number(PLOT_RIGHT),
            y = number(y),
        );
        let _ = writeln!(
            out,
            r#"<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>"#,
            number(PLOT_LEFT - 8.0),
            // A third of the font below the line centres the digits on it, in every renderer
            // (rsvg ignores dominant-baseline).
            number(y + FONT_SIZE / 3.0),
            tick_label(tick),
        );
    }

    // The x axis's labels, thinned.
    let stride = x_label_stride(buckets);
    for index in (0..buckets).step_by(stride) {
        let label = chart.labels.get(index).map_or("", String::as_str);
        let _ = write!(
            out,
            r#"<text class="chart-axis" x="{}" y="{}" text-anchor="middle">"#,
            number(bucket_x(index, buckets)),
            number(X_LABEL_BASELINE),
        );
        push_escaped(&mut out, label);
        out.push_str("</text>\n");
    }

    if buckets == 0 {
        out.push_str("</svg>");
        return out;
    }

    for line in &series {
        let points: Vec<String> = line
            .counts
            .iter()
            .enumerate()
            .map(|(index, &count)| {
                format!(
                    "{},{}",
                    number(bucket_x(index, buckets)),
                    number(count_y(count, top))
                )
            })
            .collect();
        let _ = write!(
            out,
            r#"<polyline class="{}" points="{}" fill="none" stroke="currentColor""#,
            line.class,
            points.join(" "),
        );
        if let Some(dash) = line.dash {
            let _ = write!(out, r#" stroke-dasharray="{dash}""#);
        }
        out.push_str("/>\n");
    }

    // A point per bucket of the current period, each with its tooltip.
    for (index, &count) in chart.people.iter().enumerate() {
        let label = chart.labels.get(index).map_or("", String::as_str);
        let _ = write!(
            out,
            r#"<circle class="chart-point" cx="{}" cy="{}" r="{}"><title>"#,
            number(bucket_x(index, buckets)),
            number(count_y(count, top)),
            number(POINT_RADIUS),
        );
        push_escaped(&mut out, label);
        out.push_str(": ");
        push_escaped(&mut out, &clicks_phrase(count));
        out.push_str("</title></circle>\n");
    }

    // The legend, above the plot, in the order a reader weighs the series.
    let mut x = PLOT_LEFT;
    for line in series.iter().rev() {
        let swatch_y = number(LEGEND_BASELINE - 4.0);
        let _ = write!(
            out,
            r#"<line class="{}" x1="{}" y1="{swatch_y}" x2="{}" y2="{swatch_y}" stroke="currentColor""#,
            line.class,
            number(x),
            number(x + 16.0),
        );
        if let Some(dash) = line.dash {
            let _ = write!(out, r#" stroke-dasharray="{dash}""#);
        }
        out.push_str("/>\n");
        let _ = writeln!(
            out,
            r#"<text class="chart-axis" x="{}" y="{}">{}</text>"#,
            number(x + 22.0),
            number(LEGEND_BASELINE),
            line.legend,
        );
        // About 7 units a character at the axis's font size, and a gap before the next.
        x += 22.0 + 7.0 * line.legend.len() as f64 + 18.0;
    }

    out.push_str("</svg>");
    out
}

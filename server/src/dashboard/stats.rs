//! Clicks seen: a time series with the previous period overlaid, people and bots apart,
//! a world map and the breakdowns, for one link, one tag or the whole workspace; and the
//! CSV of what is shown. Read through the API's analytics service, in the session's view.

use askama::Template;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime, Time};

use super::form::query_string;
use super::frame::{error_page, Frame, Nav};
use super::render;
use super::session::Signed;
use crate::service::analytics::{self, Bots, Breakdown, Count, Scope, TopLink};
use crate::service::{Class, Error, Session};

/// Rows of each breakdown shown.
const BREAKDOWN_ROWS: i64 = 10;

/// The breakdowns, in the order shown: (dimension, heading, what a row is).
const BREAKDOWNS: &[(&str, &str, &str)] = &[
    ("country", "Countries", "Country"),
    ("region", "Regions", "Region"),
    ("city", "Cities", "City"),
    ("device", "Devices", "Device"),
    ("device_model", "Device models", "Model"),
    ("os", "Operating systems", "System"),
    ("os_version", "System versions", "Version"),
    ("browser", "Browsers", "Browser"),
    ("referer_host", "Referers", "Referer"),
];

/// The time a page shows: a preset, or a custom range of whole UTC days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// 24h, 7d, 30d, 90d, all, or custom.
    pub preset: String,
    /// Custom: the first and last day (YYYY-MM-DD), inclusive.
    pub from: String,
    pub to: String,
    /// Overlay the period before.
    pub compare: bool,
}

impl Range {
    /// The range a query asks for (30 days unless it says otherwise).
    pub fn from_query(q: &HashMap<String, String>) -> Range {
        let preset = q
            .get("range")
            .map(String::as_str)
            .filter(|p| matches!(*p, "24h" | "7d" | "30d" | "90d" | "all" | "custom"))
            .unwrap_or("30d")
            .to_owned();
        Range {
            preset,
            from: q.get("from").cloned().unwrap_or_default(),
            to: q.get("to").cloned().unwrap_or_default(),
            compare: q.get("compare").is_some_and(|v| v == "1" || v == "on"),
        }
    }

    /// The query pairs that ask for this range.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("range", self.preset.clone())];
        if self.preset == "custom" {
            p.push(("from", self.from.clone()));
            p.push(("to", self.to.clone()));
        }
        if self.compare {
            p.push(("compare", "1".to_owned()));
        }
        p
    }
}

/// A range made concrete at `now`: its bounds, buckets and the period before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start; None: since the first click.
    pub start: Option<OffsetDateTime>,
    /// Exclusive end.
    pub end: OffsetDateTime,
    /// hour or day.
    pub bucket: &'static str,
    pub label: String,
}

fn day_start(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_time(Time::MIDNIGHT)
}

fn parse_day(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// `range` at `now` (UTC): 422 for a custom range that does not read or runs backwards.
pub fn window(range: &Range, now: OffsetDateTime) -> Result<Window, Error> {
    let next_hour = now.replace_time(Time::from_hms(now.hour(), 0, 0).unwrap_or(Time::MIDNIGHT))
        + Duration::HOUR;
    let tomorrow = day_start(now) + Duration::DAY;
    let days = |n: i64, label: &str| Window {
        start: Some(tomorrow - Duration::days(n)),
        end: tomorrow,
        bucket: "day",
        label: label.to_owned(),
    };
    Ok(match range.preset.as_str() {
        "24h" => Window {
            start: Some(next_hour - Duration::hours(24)),
            end: next_hour,
            bucket: "hour",
            label: "last 24 hours".to_owned(),
        },
        "7d" => days(7, "last 7 days"),
        "90d" => days(90, "last 90 days"),
        "all" => Window {
            start: None,
            end: tomorrow,
            bucket: "day",
            label: "all time".to_owned(),
        },
        "custom" => {
            let bad = |what: &str| {
                Error::new(
                    Class::Unprocessable,
                    format!("invalid range: {what} (dates as YYYY-MM-DD)"),
                )
            };
            let from = parse_day(&range.from).ok_or_else(|| bad("the first day does not read"))?;
            let to = parse_day(&range.to).ok_or_else(|| bad("the last day does not read"))?;
            if to < from {
                return Err(bad("the last day is before the first"));
            }
            if to - from > Duration::days(3660) {
                return Err(bad("at most ten years"));
            }
            Window {
                start: Some(from),
                end: to + Duration::DAY,
                bucket: "day",
                label: format!("{} to {}", range.from, range.to),
            }
        }
        _ => days(30, "last 30 days"),
    })
}

impl Window {
    /// The period of the same length just before (none for all time).
    pub fn previous(&self) -> Option<Window> {
        let start = self.start?;
        let len = self.end - start;
        Some(Window {
            start: Some(start - len),
            end: start,
            bucket: self.bucket,
            label: "previous period".to_owned(),
        })
    }

    /// The buckets' starts, from `first` (the window's start, or the first click's
    /// bucket) to the end.
    pub fn buckets(&self, first: Option<OffsetDateTime>) -> Vec<OffsetDateTime> {
        let step = if self.bucket == "hour" {
            Duration::HOUR
        } else {
            Duration::DAY
        };
        let Some(mut t) = self.start.or(first) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // At most ten years of days, or of hours a year: a bound, never reached by a range
        // this page makes.
        while t < self.end && out.len() < 9000 {
            out.push(t);
            t += step;
        }
        out
    }
}

fn iso(t: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&format).unwrap_or_default()
}

/// A bucket's key, as analytics::timeseries writes bucket starts (UTC).
fn bucket_key(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    t.format(&format).unwrap_or_default()
}

fn bucket_label(t: OffsetDateTime, bucket: &str) -> String {
    let format = if bucket == "hour" {
        time::macros::format_description!("[hour]:00")
    } else {
        time::macros::format_description!("[month repr:short] [day padding:none]")
    };
    t.format(&format).unwrap_or_default()
}

/// One row of a breakdown as shown.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub people: i64,
    pub bots: i64,
    pub visitors: i64,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub dimension: &'static str,
    pub heading: &'static str,
    pub key_label: &'static str,
    pub rows: Vec<Row>,
}

/// One bucket of the series as shown (and exported).
#[derive(Clone, Debug)]
pub struct Point {
    pub start: String,
    pub label: String,
    pub people: i64,
    pub bots: i64,
    pub previous: Option<i64>,
}

/// What a statistics section shows.
pub struct StatsView {
    pub range: Range,
    pub label: String,
    pub totals: Count,
    pub previous_totals: Option<Count>,
    pub points: Vec<Point>,
    pub chart_svg: String,
    pub map_svg: String,
    pub tables: Vec<Table>,
    pub top_links: Vec<TopLink>,
    /// The page's own path and query parameters other than the range (link, tag).
    pub base: String,
    pub base_pairs: Vec<(&'static str, String)>,
    /// Where the CSV of this view is.
    pub csv_path: String,
}

impl StatsView {
    /// The address of this page with another range preset.
    pub fn preset_href(&self, preset: &str) -> String {
        let mut pairs: Vec<(&str, String)> = self.base_pairs.clone();
        pairs.push(("range", preset.to_owned()));
        if self.range.compare {
            pairs.push(("compare", "1".to_owned()));
        }
        format!(
            "{}{}",
            self.base,
            query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        )
    }

    /// The CSV of what is shown.
    pub fn csv_href(&self) -> String {
        let mut pairs: Vec<(&str, String)> = self.base_pairs.clone();
        pairs.extend(self.range.pairs());
        format!(
            "{}{}",
            self.csv_path,
            query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        )
    }

    /// This page with the previous period overlaid.
    pub fn compare_href(&self) -> String {
        let mut pairs: Vec<(&str, String)> = self.base_pairs.clone();
        let mut range = self.range.clone();
        range.compare = true;
        pairs.extend(range.pairs());
        format!(
            "{}{}",
            self.base,
            query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        )
    }

    /// "aria-current" of a preset's link.
    pub fn preset_current(&self, preset: &str) -> &'static str {
        if self.range.preset == preset {
            "true"
        } else {
            "false"
        }
    }

    /// The change against the previous period, as text ("+20%", "new"), if compared.
    pub fn change(&self) -> Option<String> {
        let prev = self.previous_totals.as_ref()?.clicks;
        let now = self.totals.clicks;
        Some(if prev == 0 {
            if now == 0 {
                "no change".to_owned()
            } else {
                "new".to_owned()
            }
        } else {
            let pct = ((now - prev) as f64 / prev as f64 * 100.0).round() as i64;
            format!("{pct:+}%")
        })
    }
}

fn rows(b: Vec<Breakdown>, dimension: &str) -> Vec<Row> {
    b.into_iter()
        .map(|r| Row {
            label: match (r.key, dimension) {
                (Some(k), "country") => shortlink_charts::country_name(&k)
                    .map(|n| format!("{n} ({})", k.to_ascii_uppercase()))
                    .unwrap_or(k),
                (Some(k), _) => k,
                (None, _) => "Unknown".to_owned(),
            },
            people: r.clicks,
            bots: r.bot_clicks,
            visitors: r.unique_visitors,
        })
        .collect()
}

/// Reads what a statistics section shows for `scope` (its link, domain or tag) over
/// `range`.
pub async fn view(
    s: &Session,
    mut scope: Scope,
    range: &Range,
    base: &str,
    base_pairs: Vec<(&'static str, String)>,
    csv_path: &str,
    with_top_links: bool,
) -> Result<StatsView, Error> {
    let now = OffsetDateTime::now_utc();
    let w = window(range, now)?;
    scope.bots = Bots::Exclude;
    scope.start = w.start.map(iso);
    scope.end = Some(iso(w.end));
    let rollup_dimensions: Vec<&str> = BREAKDOWNS
        .iter()
        .map(|b| b.0)
        .filter(|d| *d != "device_model")
        .collect();
    let (totals, mut by_dimension) = analytics::breakdowns(s, &scope, &rollup_dimensions).await?;
    let series = analytics::timeseries(s, &scope, w.bucket, "UTC").await?;
    let previous = match (range.compare, w.previous()) {
        (true, Some(p)) => {
            let mut ps = scope.clone();
            ps.start = p.start.map(iso);
            ps.end = Some(iso(p.end));
            let t = analytics::count(s, &ps).await?;
            let sr = analytics::timeseries(s, &ps, p.bucket, "UTC").await?;
            Some((p, t, sr))
        }
        _ => None,
    };
    let first = series.first().and_then(|b| {
        let format =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        time::PrimitiveDateTime::parse(&b.start, &format)
            .ok()
            .map(|t| t.assume_utc())
    });
    let by_start: HashMap<&str, (i64, i64)> = series
        .iter()
        .map(|b| (b.start.as_str(), (b.clicks, b.bot_clicks)))
        .collect();
    let starts = w.buckets(first);
    let prev_counts: Option<Vec<i64>> = previous.as_ref().map(|(p, _, sr)| {
        let m: HashMap<&str, i64> = sr.iter().map(|b| (b.start.as_str(), b.clicks)).collect();
        p.buckets(None)
            .iter()
            .map(|t| m.get(bucket_key(*t).as_str()).copied().unwrap_or(0))
            .collect()
    });
    let points: Vec<Point> = starts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let key = bucket_key(*t);
            let (people, bots) = by_start.get(key.as_str()).copied().unwrap_or((0, 0));
            Point {
                start: key,
                label: bucket_label(*t, w.bucket),
                people,
                bots,
                previous: prev_counts.as_ref().map(|p| p.get(i).copied().unwrap_or(0)),
            }
        })
        .collect();
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let people: Vec<i64> = points.iter().map(|p| p.people).collect();
    let bots: Vec<i64> = points.iter().map(|p| p.bots).collect();
    let prev: Option<Vec<i64>> = prev_counts
        .as_ref()
        .map(|_| points.iter().map(|p| p.previous.unwrap_or(0)).collect());
    let title = format!("Clicks per {}, {}", w.bucket, w.label);
    let chart_svg = shortlink_charts::time_chart_svg(&shortlink_charts::TimeChart {
        title: &title,
        labels: &labels,
        people: &people,
        bots: Some(&bots),
        previous: prev.as_deref(),
    });
    // The map shades every country's people clicks (the table shows the first ten).
    let by_country: Vec<(String, i64)> = by_dimension
        .get("country")
        .map(|c| {
            c.iter()
                .filter_map(|b| b.key.clone().map(|k| (k, b.clicks)))
                .collect()
        })
        .unwrap_or_default();
    let mut tables = Vec::new();
    for (dimension, heading, key_label) in BREAKDOWNS {
        let mut b = if *dimension == "device_model" {
            analytics::device_models(s, &scope, BREAKDOWN_ROWS).await?
        } else {
            by_dimension.remove(*dimension).unwrap_or_default()
        };
        b.truncate(BREAKDOWN_ROWS as usize);
        tables.push(Table {
            dimension,
            heading,
            key_label,
            rows: rows(b, dimension),
        });
    }
    let map_svg = shortlink_charts::world_map_svg("Clicks of people by country", &by_country);
    let top_links = if with_top_links {
        analytics::top_links(s, &scope, 10).await?
    } else {
        Vec::new()
    };
    Ok(StatsView {
        range: range.clone(),
        label: w.label,
        totals,
        previous_totals: previous.map(|(_, t, _)| t),
        points,
        chart_svg,
        map_svg,
        tables,
        top_links,
        base: base.to_owned(),
        base_pairs,
        csv_path: csv_path.to_owned(),
    })
}

/// The CSV of a statistics view: the series and every breakdown, one row each.
pub fn csv(v: &StatsView) -> Result<Vec<u8>, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::internal(format!("a CSV row did not write: {e}"));
    w.write_record([
        "table",
        "key",
        "people",
        "bots",
        "unique_visitors",
        "previous_period",
    ])
    .map_err(fail)?;
    w.write_record([
        "total",
        v.label.as_str(),
        &v.totals.clicks.to_string(),
        &v.totals.bot_clicks.to_string(),
        &v.totals.unique_visitors.to_string(),
        &v.previous_totals
            .as_ref()
            .map(|p| p.clicks.to_string())
            .unwrap_or_default(),
    ])
    .map_err(fail)?;
    for p in &v.points {
        w.write_record([
            "series",
            p.start.as_str(),
            &p.people.to_string(),
            &p.bots.to_string(),
            "",
            &p.previous.map(|n| n.to_string()).unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    for t in &v.tables {
        for r in &t.rows {
            w.write_record([
                t.dimension,
                r.label.as_str(),
                &r.people.to_string(),
                &r.bots.to_string(),
                &r.visitors.to_string(),
                "",
            ])
            .map_err(fail)?;
        }
    }
    for l in &v.top_links {
        w.write_record([
            "top_links",
            &format!("{}/{}", l.domain, l.code),
            &l.clicks.to_string(),
            &l.bot_clicks.to_string(),
            &l.unique_visitors.to_string(),
            "",
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::internal(format!("the CSV did not finish: {e}")))
}

/// A CSV download named `filename`.
pub fn csv_response(body: Vec<u8>, filename: &str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[derive(Template)]
#[template(path = "dashboard/analytics.html")]
struct AnalyticsPage {
    frame: Frame,
    stats: StatsView,
    tag: String,
    tags: Vec<String>,
}

/// The workspace's scope, or one tag's.
fn workspace_scope(q: &HashMap<String, String>) -> (Scope, Vec<(&'static str, String)>, String) {
    let tag = q
        .get("tag")
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    let scope = Scope {
        tag: (!tag.is_empty()).then(|| tag.clone()),
        ..Scope::default()
    };
    let pairs = if tag.is_empty() {
        Vec::new()
    } else {
        vec![("tag", tag.clone())]
    };
    (scope, pairs, tag)
}

/// The workspace's tags, for the tag filter.
async fn tags(s: &Session) -> Result<Vec<String>, Error> {
    Ok(s.query(
        "SELECT DISTINCT t FROM shortlink.links l, unnest(l.tags) t ORDER BY t LIMIT 200",
        &[],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

pub async fn workspace(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let range = Range::from_query(&q);
    let (scope, pairs, tag) = workspace_scope(&q);
    let result = async {
        let stats = view(
            &signed.session,
            scope,
            &range,
            "/analytics",
            pairs,
            "/analytics.csv",
            true,
        )
        .await?;
        Ok::<_, Error>((stats, tags(&signed.session).await?))
    }
    .await;
    match result {
        Ok((stats, tags)) => {
            let title = if tag.is_empty() {
                "Analytics".to_owned()
            } else {
                format!("Analytics of tag {tag}")
            };
            let page = AnalyticsPage {
                frame: Frame::new(title, &signed, Nav::Analytics),
                stats,
                tag,
                tags,
            };
            let _ = signed.session.commit().await;
            render(StatusCode::OK, &page)
        }
        Err(e) => {
            let page = error_page(Some(&signed), &e);
            signed.session.rollback().await;
            page
        }
    }
}

pub async fn export(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let range = Range::from_query(&q);
    let (scope, pairs, _) = workspace_scope(&q);
    let result = async {
        csv(&view(
            &signed.session,
            scope,
            &range,
            "/analytics",
            pairs,
            "/analytics.csv",
            true,
        )
        .await?)
    }
    .await;
    match result {
        Ok(body) => {
            let _ = signed.session.commit().await;
            csv_response(body, "shortlink-analytics.csv")
        }
        Err(e) => {
            let page = error_page(Some(&signed), &e);
            signed.session.rollback().await;
            page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn range(preset: &str) -> Range {
        Range {
            preset: preset.to_owned(),
            from: "2026-11-01".to_owned(),
            to: "2026-11-03".to_owned(),
            compare: true,
        }
    }

    #[test]
    fn presets_cover_whole_buckets_up_to_now() {
        let now = datetime!(2026-12-07 20:15:30 UTC);
        let w = window(&range("24h"), now).unwrap();
        assert_eq!(w.end, datetime!(2026-12-07 21:00 UTC));
        assert_eq!(w.buckets(None).len(), 24);
        let w = window(&range("7d"), now).unwrap();
        assert_eq!(w.start, Some(datetime!(2026-12-01 0:00 UTC)));
        assert_eq!(w.buckets(None).len(), 7);
        assert_eq!(window(&range("30d"), now).unwrap().buckets(None).len(), 30);
        assert_eq!(window(&range("90d"), now).unwrap().buckets(None).len(), 90);
    }

    #[test]
    fn the_previous_period_is_as_long_and_just_before() {
        let now = datetime!(2026-12-07 20:15:30 UTC);
        let w = window(&range("7d"), now).unwrap();
        let p = w.previous().unwrap();
        assert_eq!(p.end, w.start.unwrap());
        assert_eq!(p.buckets(None).len(), 7);
        assert!(window(&range("all"), now).unwrap().previous().is_none());
    }

    #[test]
    fn custom_ranges_are_whole_days_and_checked() {
        let now = datetime!(2026-12-07 20:15:30 UTC);
        let w = window(&range("custom"), now).unwrap();
        assert_eq!(w.start, Some(datetime!(2026-11-01 0:00 UTC)));
        assert_eq!(w.end, datetime!(2026-11-04 0:00 UTC));
        let mut r = range("custom");
        r.to = "2026-10-01".to_owned();
        assert_eq!(window(&r, now).unwrap_err().class, Class::Unprocessable);
        r.to = "not a day".to_owned();
        assert!(window(&r, now).is_err());
    }

    #[test]
    fn all_time_starts_at_the_first_click() {
        let now = datetime!(2026-12-07 20:15:30 UTC);
        let w = window(&range("all"), now).unwrap();
        assert!(w.buckets(None).is_empty());
        assert_eq!(w.buckets(Some(datetime!(2026-12-05 0:00 UTC))).len(), 3);
    }

    #[test]
    fn unknown_presets_read_as_thirty_days() {
        let q = HashMap::from([("range".to_owned(), "'; DROP".to_owned())]);
        assert_eq!(Range::from_query(&q).preset, "30d");
    }
}

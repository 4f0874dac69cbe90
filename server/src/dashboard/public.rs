//! A link's public statistics page (`/s/{token}`): read by anyone with its address, with
//! no session, through the extension's `shared_*` functions, which answer only for a
//! link whose owner turned the page on. It shows counts, never a destination or visitor.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::BTreeMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime, Time};

use super::frame::{error_page, Frame};
use super::links::short_time;
use super::stats::{Row, Table};
use super::{render, Dashboard};
use crate::service::people::{SharedLink, SharedTotal};
use crate::service::Error;

/// The breakdowns a public page shows.
const TABLES: &[(&str, &str, &str)] = &[
    ("country", "Countries", "Country"),
    ("device", "Devices", "Device"),
    ("os", "Operating systems", "System"),
    ("browser", "Browsers", "Browser"),
    ("referer_host", "Referers", "Referer"),
];

/// Days a public page shows.
const DAYS: i64 = 30;

#[derive(Template)]
#[template(path = "dashboard/public_stats.html")]
struct PublicPage {
    frame: Frame,
    link: SharedLink,
    created: String,
    people: i64,
    bots: i64,
    chart_svg: String,
    map_svg: String,
    tables: Vec<Table>,
}

fn iso(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f).unwrap_or_default()
}

/// Per-day sums of (hour "YYYY-MM-DD HH:00", people, bots), one entry for each of the
/// `DAYS` days ending with `today`.
fn daily(hours: &[(String, i64, i64)], first_day: OffsetDateTime) -> Vec<(String, i64, i64)> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let mut days: BTreeMap<String, (i64, i64)> = (0..DAYS)
        .map(|i| {
            (
                (first_day + Duration::days(i))
                    .format(&f)
                    .unwrap_or_default(),
                (0, 0),
            )
        })
        .collect();
    for (hour, people, bots) in hours {
        if let Some(d) = days.get_mut(hour.get(..10).unwrap_or("")) {
            d.0 += people;
            d.1 += bots;
        }
    }
    days.into_iter().map(|(d, (p, b))| (d, p, b)).collect()
}

fn tables(totals: &[SharedTotal]) -> Vec<Table> {
    TABLES
        .iter()
        .map(|(dimension, heading, key_label)| {
            let mut rows: Vec<Row> = totals
                .iter()
                .filter(|t| t.dimension == *dimension && (t.clicks > 0 || t.bot_clicks > 0))
                .map(|t| Row {
                    label: match (&t.key, *dimension) {
                        (Some(k), "country") => shortlink_charts::country_name(k)
                            .map(|n| format!("{n} ({})", k.to_ascii_uppercase()))
                            .unwrap_or_else(|| k.clone()),
                        (Some(k), _) => k.clone(),
                        (None, _) => "Unknown".to_owned(),
                    },
                    people: t.clicks,
                    bots: t.bot_clicks,
                    visitors: 0,
                })
                .collect();
            rows.sort_by(|a, b| b.people.cmp(&a.people).then(a.label.cmp(&b.label)));
            rows.truncate(10);
            Table {
                dimension,
                heading,
                key_label,
                rows,
            }
        })
        .collect()
}

pub async fn stats(State(dash): State<Arc<Dashboard>>, Path(token): Path<String>) -> Response {
    let result = async {
        let service = &dash.service;
        let Some(link) = service.shared_link(&token).await? else {
            return Err(Error::new(
                crate::service::Class::NotFound,
                "no public statistics page here: the address is wrong, or its owner turned it off",
            ));
        };
        let now = OffsetDateTime::now_utc();
        let first_day = now.replace_time(Time::MIDNIGHT) - Duration::days(DAYS - 1);
        let since = iso(first_day);
        let mut dims = vec!["total"];
        dims.extend(TABLES.iter().map(|t| t.0));
        let totals = service
            .shared_totals(&token, Some(&since), None, &dims)
            .await?;
        let hours = service.shared_hours(&token, &since, None).await?;
        let days = daily(&hours, first_day);
        let labels: Vec<String> = days
            .iter()
            .map(|d| d.0.get(5..).unwrap_or("").to_owned())
            .collect();
        let people: Vec<i64> = days.iter().map(|d| d.1).collect();
        let bots: Vec<i64> = days.iter().map(|d| d.2).collect();
        let chart_svg = shortlink_charts::time_chart_svg(&shortlink_charts::TimeChart {
            title: "Clicks per day, last 30 days",
            labels: &labels,
            people: &people,
            bots: Some(&bots),
            previous: None,
        });
        let countries: Vec<(String, i64)> = totals
            .iter()
            .filter(|t| t.dimension == "country")
            .filter_map(|t| t.key.clone().map(|k| (k, t.clicks)))
            .collect();
        let map_svg = shortlink_charts::world_map_svg("Clicks of people by country", &countries);
        let total = totals.iter().find(|t| t.dimension == "total");
        Ok(PublicPage {
            frame: Frame::public(format!("Clicks of {}/{}", link.domain, link.code)),
            created: short_time(&link.created_at),
            people: total.map_or(0, |t| t.clicks),
            bots: total.map_or(0, |t| t.bot_clicks),
            chart_svg,
            map_svg,
            tables: tables(&totals),
            link,
        })
    }
    .await;
    match result {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => error_page(None, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hours_sum_into_every_day_of_the_window() {
        let first = datetime!(2026-11-08 0:00 UTC);
        let hours = vec![
            ("2026-11-08 10:00".to_owned(), 2, 1),
            ("2026-11-08 11:00".to_owned(), 3, 0),
            ("2026-12-07 09:00".to_owned(), 1, 0),
            ("2026-10-01 09:00".to_owned(), 99, 0),
        ];
        let d = daily(&hours, first);
        assert_eq!(d.len(), 30);
        assert_eq!(d[0], ("2026-11-08".to_owned(), 5, 1));
        assert_eq!(d[29], ("2026-12-07".to_owned(), 1, 0));
        assert_eq!(
            d.iter().map(|x| x.1).sum::<i64>(),
            6,
            "outside the window: not counted"
        );
    }
}

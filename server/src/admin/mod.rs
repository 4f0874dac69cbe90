//! The admin listener: /healthz (the process is up), /readyz (the database answers and
//! the role may call what this server calls) and /metrics (Prometheus text format).

pub mod readiness;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::Arc;

use self::readiness::Readiness;
use crate::db::shared_conn::SharedConnections;

/// Request latency buckets, in seconds: a redirect is a few milliseconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Clicks per statement sent by the redirect connections' batchers.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Every metric the server reports, with its HELP text: one list, so that /metrics
/// explains each (a test checks that every metric the code records is here).
const METRICS: &[(&str, Kind, &str)] = &[
    (
        "shortlink_api_requests_total",
        Kind::Counter,
        "Requests answered by the API listener, by method, route template and HTTP status.",
    ),
    (
        "shortlink_api_request_duration_seconds",
        Kind::Histogram,
        "Time to answer an API request, in seconds (a streamed export: to its first byte).",
    ),
    (
        "shortlink_http_refused_total",
        Kind::Counter,
        "Connections and requests refused by a listener's limits, by listener and reason (header_timeout, body_timeout, header_too_large, too_many_connections).",
    ),
    (
        "shortlink_build_info",
        Kind::Gauge,
        "Always 1; the version label is the running shortlink-server's.",
    ),
    (
        "shortlink_http_requests_total",
        Kind::Counter,
        "Requests answered by the redirect listener, by HTTP status.",
    ),
    (
        "shortlink_http_request_duration_seconds",
        Kind::Histogram,
        "Time to answer a GET or HEAD of a short code, in seconds.",
    ),
    (
        "shortlink_qr_codes_total",
        Kind::Counter,
        "QR code images drawn for GET /{code}/qr, by format (svg, png); 304 answers draw none.",
    ),
    (
        "shortlink_database_errors_total",
        Kind::Counter,
        "Redirect-listener requests answered 503 because the database failed or did not answer.",
    ),
    (
        "shortlink_click_batch_size",
        Kind::Histogram,
        "Clicks sent in one statement by a redirect connection's batcher.",
    ),
    (
        "shortlink_click_batches_retried_total",
        Kind::Counter,
        "Click batches the database refused, whose clicks were then sent one by one.",
    ),
    (
        "shortlink_webhook_deliveries_total",
        Kind::Counter,
        "Webhook attempts, by what became of the delivery: delivered, retry, dead, gone, already_settled.",
    ),
    (
        "shortlink_outbox_pending_deliveries",
        Kind::Gauge,
        "Webhook deliveries not yet delivered or given up (needs shortlink.grant_dispatcher()).",
    ),
    (
        "shortlink_outbox_oldest_pending_seconds",
        Kind::Gauge,
        "Age of the oldest event with a pending delivery, in seconds (needs shortlink.grant_dispatcher()).",
    ),
    (
        "shortlink_db_pool_connections",
        Kind::Gauge,
        "Connections of the pool for password checks, the dispatcher and /readyz, by state.",
    ),
    (
        "shortlink_db_pool_max_size",
        Kind::Gauge,
        "Most connections the pool opens (--pool-size).",
    ),
    (
        "shortlink_redirect_connections",
        Kind::Gauge,
        "Shared redirect connections: open now, and configured (--redirect-connections).",
    ),
];

/// Gives every metric its HELP text and sets shortlink_build_info, on the installed
/// recorder.
fn describe_metrics() {
    for (name, kind, help) in METRICS {
        match kind {
            Kind::Counter => metrics::describe_counter!(*name, *help),
            Kind::Gauge => metrics::describe_gauge!(*name, *help),
            Kind::Histogram => metrics::describe_histogram!(*name, *help),
        }
    }
    metrics::gauge!("shortlink_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

fn prometheus() -> Result<PrometheusBuilder, String> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("shortlink_http_request_duration_seconds".into()),
            LATENCY_BUCKETS,
        )
        .map_err(|e| format!("metrics: {e}"))?
        .set_buckets_for_metric(
            Matcher::Full("shortlink_click_batch_size".into()),
            BATCH_BUCKETS,
        )
        .map_err(|e| format!("metrics: {e}"))
}

pub fn install_metrics() -> Result<PrometheusHandle, String> {
    let handle = prometheus()?
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;
    describe_metrics();
    Ok(handle)
}

#[derive(Clone)]
struct Admin {
    pool: deadpool_postgres::Pool,
    shared: Arc<SharedConnections>,
    readiness: Arc<Readiness>,
    metrics: PrometheusHandle,
}

pub fn router(
    pool: deadpool_postgres::Pool,
    shared: Arc<SharedConnections>,
    readiness: Arc<Readiness>,
    metrics: PrometheusHandle,
) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(render))
        .with_state(Admin {
            pool,
            shared,
            readiness,
            metrics,
        })
}

/// 200 `ready`, or 503 with the reason (and what to run about it).
async fn ready(State(a): State<Admin>) -> impl IntoResponse {
    match a.readiness.check().await.not_ready {
        None => (StatusCode::OK, "ready\n".to_owned()),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")),
    }
}

async fn render(State(a): State<Admin>) -> impl IntoResponse {
    // The backlog needs shortlink.grant_dispatcher(); without it the gauges are absent.
    if let Ok(c) = a.pool.get().await {
        if let Ok(row) = c
            .query_one(
                "SELECT pending, oldest_seconds FROM shortlink.delivery_backlog()",
                &[],
            )
            .await
        {
            metrics::gauge!("shortlink_outbox_pending_deliveries").set(row.get::<_, i64>(0) as f64);
            metrics::gauge!("shortlink_outbox_oldest_pending_seconds").set(row.get::<_, f64>(1));
        }
    }
    let s = a.pool.status();
    metrics::gauge!("shortlink_db_pool_connections", "state" => "in_use")
        .set((s.size.saturating_sub(s.available)) as f64);
    metrics::gauge!("shortlink_db_pool_connections", "state" => "idle").set(s.available as f64);
    metrics::gauge!("shortlink_db_pool_max_size").set(s.max_size as f64);
    metrics::gauge!("shortlink_redirect_connections", "state" => "open")
        .set(a.shared.open() as f64);
    metrics::gauge!("shortlink_redirect_connections", "state" => "configured")
        .set(a.shared.size() as f64);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        a.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the metrics recorded in `source`: the first argument of each
    /// `counter!`, `gauge!` and `histogram!`.
    fn recorded(source: &str) -> Vec<String> {
        let mut names = Vec::new();
        for mac in ["counter!(", "gauge!(", "histogram!("] {
            for (at, _) in source.match_indices(mac) {
                let rest = source[at + mac.len()..].trim_start();
                let name = rest.strip_prefix('"').and_then(|r| r.split('"').next());
                // Metric names only (this test's own list of macros is none).
                if let Some(name) = name.filter(|n| {
                    !n.is_empty()
                        && n.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                }) {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }

    #[test]
    fn every_recorded_metric_has_help() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("readiness.rs"),
            include_str!("../dispatch/mod.rs"),
            include_str!("../redirect/mod.rs"),
            include_str!("../redirect/qr.rs"),
            include_str!("../redirect/access_log.rs"),
            include_str!("../redirect/response.rs"),
            include_str!("../db/shared_conn.rs"),
            include_str!("../main.rs"),
            include_str!("../api/mod.rs"),
            include_str!("../http/listener.rs"),
        ];
        let names: Vec<String> = sources.iter().flat_map(|s| recorded(s)).collect();
        assert!(names.len() >= 10, "{names:?}");
        for name in names {
            assert!(
                METRICS.iter().any(|(m, _, _)| *m == name),
                "{name} has no HELP text in METRICS"
            );
        }
    }

    #[test]
    fn metrics_render_with_help_and_the_build_info() {
        let recorder = prometheus().unwrap().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe_metrics();
            metrics::counter!("shortlink_http_requests_total", "status" => "302").increment(1);
            metrics::histogram!("shortlink_click_batch_size").record(3.0);
        });
        let text = handle.render();
        for name in [
            "shortlink_build_info",
            "shortlink_http_requests_total",
            "shortlink_click_batch_size",
        ] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
        }
        assert!(
            text.contains(&format!(
                "shortlink_build_info{{version=\"{}\"}} 1\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
    }
}

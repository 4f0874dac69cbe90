//! The admin listener: /healthz (the process is up), /readyz (the database answers) and
//! /metrics (Prometheus text format).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::Arc;

use crate::shared_conn::SharedConnections;

/// Request latency buckets, in seconds: a redirect is a few milliseconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Clicks per statement sent by the redirect connections' batchers.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

pub fn install_metrics() -> Result<PrometheusHandle, String> {
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
        .map_err(|e| format!("metrics: {e}"))?
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))
}

#[derive(Clone)]
struct Admin {
    pool: deadpool_postgres::Pool,
    shared: Arc<SharedConnections>,
    metrics: PrometheusHandle,
}

pub fn router(
    pool: deadpool_postgres::Pool,
    shared: Arc<SharedConnections>,
    metrics: PrometheusHandle,
) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(render))
        .with_state(Admin {
            pool,
            shared,
            metrics,
        })
}

async fn ready(State(a): State<Admin>) -> impl IntoResponse {
    let ok = match a.pool.get().await {
        Ok(c) => c.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    if ok {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
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

//! shortlink-server: answers short links (redirects) and reports its health and metrics.

mod admin;
mod api;
mod config;
mod dashboard;
mod db;
mod dispatch;
mod http;
mod logging;
mod redirect;
mod service;

use clap::Parser;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;

/// Says once what the server found at start: the database and role it runs as (or, when
/// the database did not answer, the ones configured), the extension's version, what is
/// on and where it listens. A database that is down is no reason to exit: the pools
/// reconnect, and /readyz says 503 until then.
fn log_start(config: &Config, pg: &tokio_postgres::Config, checked: &admin::readiness::Checked) {
    let found = checked.found.as_ref();
    let configured_user = pg.get_user().unwrap_or("(the operating system user)");
    let database = found.map_or(pg.get_dbname().unwrap_or(configured_user), |f| {
        f.database.as_str()
    });
    let role = found.map_or(configured_user, |f| f.role.as_str());
    let extension = match found {
        Some(f) => f.extension.as_deref().unwrap_or("not installed"),
        None => "unknown",
    };
    let listen = if config.no_redirects {
        "off".to_owned()
    } else {
        config.listen.to_string()
    };
    tracing::info!(
        database, role, extension,
        dispatcher = if config.no_dispatcher { "off" } else { "on" },
        listen = %listen, admin = %config.admin_listen,
        api = %config.api_listen.map_or("off".to_owned(), |a| a.to_string()),
        "shortlink-server started"
    );
    match (&checked.not_ready, found) {
        (None, _) => tracing::info!("ready"),
        (Some(reason), None) => tracing::warn!(
            reason = %reason,
            "the database cannot be used at start: running anyway, answering 503 (and \
             /readyz 503) until it can; connections are retried as requests come"
        ),
        (Some(reason), Some(_)) => tracing::warn!(reason = %reason, "not ready"),
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Flags first: --log-format decides how the logger writes.
    let config = Config::parse();
    logging::init(config.log_format);
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let metrics = admin::install_metrics()?;
    let pool = db::pool(&config.database_url, config.pool_size)?;
    let dispatcher = if config.no_dispatcher {
        None
    } else {
        let secret = config.webhook_secret.as_deref().ok_or(
            "--webhook-secret (SHORTLINK_WEBHOOK_SECRET) is required to sign webhooks; pass it, or --no-dispatcher",
        )?;
        Some(dispatch::Dispatcher {
            pool: pool.clone(),
            pg: config
                .database_url
                .parse()
                .map_err(|e| format!("invalid --database-url: {e}"))?,
            http: dispatch::http_client(config.allow_private_webhooks)?,
            secret: dispatch::signing_key(secret)?,
            allow_private: config.allow_private_webhooks,
            batch: config.dispatch_batch.clamp(1, 1000),
            lease: std::time::Duration::from_secs(config.dispatch_lease_seconds.max(1)),
            poll: std::time::Duration::from_secs(config.dispatch_poll_seconds.max(1)),
        })
    };
    let pages = redirect::pages::Pages::load(config.pages_dir.as_deref())
        .map_err(|e| format!("cannot read --pages-dir: {e}"))?;
    let pg: tokio_postgres::Config = config
        .database_url
        .parse()
        .map_err(|e| format!("invalid --database-url: {e}"))?;
    let shared = db::shared_conn::SharedConnections::start(pg.clone(), config.redirect_connections);
    let state = Arc::new(redirect::state::AppState::new(
        config.clone(),
        pool.clone(),
        shared.clone(),
        pages,
    ));

    let listener = if config.no_redirects {
        None
    } else {
        Some(
            TcpListener::bind(config.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?,
        )
    };
    let api_listener = match config.api_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?,
        ),
        None => None,
    };
    let admin_listener = TcpListener::bind(config.admin_listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.admin_listen))?;
    let readiness = Arc::new(admin::readiness::Readiness::new(
        pool.clone(),
        !config.no_redirects,
        !config.no_dispatcher,
    ));
    log_start(&config, &pg, &readiness.first_check().await);

    // One signal stops everything: the listeners stop accepting and finish what is in
    // flight, the dispatcher finishes its round, and the process exits.
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let redirects = {
        let stop = stop_rx.clone();
        let limits = config.limits(config.max_connections);
        async move {
            match listener {
                Some(l) => http::listener::serve(
                    l,
                    redirect::router(state),
                    limits,
                    "redirect",
                    stopped(stop),
                )
                .await
                .map_err(|e| format!("redirect listener: {e}")),
                None => Ok(()),
            }
        }
    };
    let api = {
        let stop = stop_rx.clone();
        let limits = config.limits(config.api_max_connections);
        let api = Arc::new(api::Api::new(
            service::Service::new(pool.clone()),
            config.api_rate_limit,
        ));
        let dashboard = (!config.no_dashboard).then(|| {
            Arc::new(dashboard::Dashboard {
                service: service::Service::new(pool.clone()),
                secure_cookies: config.secure_cookies,
                session_hours: config.session_hours.clamp(1, 720),
            })
        });
        async move {
            match api_listener {
                Some(l) => {
                    let mut router = api::router(api).map_err(|e| format!("API: {e}"))?;
                    if let Some(d) = dashboard {
                        router = router.merge(dashboard::router(d));
                    }
                    http::listener::serve(l, router, limits, "api", stopped(stop))
                        .await
                        .map_err(|e| format!("API listener: {e}"))
                }
                None => Ok(()),
            }
        }
    };
    let admin = http::listener::serve(
        admin_listener,
        admin::router(pool, shared, readiness, metrics),
        config.limits(config.api_max_connections),
        "admin",
        stopped(stop_rx.clone()),
    );
    let deliveries = async move {
        if let Some(d) = dispatcher {
            d.run(stop_rx).await;
        }
    };
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        let _ = stop_tx.send(true);
    };
    let (r, p, a, (), ()) = tokio::join!(redirects, api, admin, deliveries, signal);
    r?;
    p?;
    a.map_err(|e| format!("admin listener: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

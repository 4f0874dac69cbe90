//! Logging: text or JSON lines on stderr, filtered by RUST_LOG, never carrying a secret.
//!
//! Some dependencies log the values they handle below INFO: tokio-postgres logs every
//! statement with its parameters at DEBUG (a POSTed link password among them), reqwest's
//! connections log the bytes they read and write at TRACE. Their targets are capped at
//! INFO by a filter of their own, applied after RUST_LOG's: a directive in RUST_LOG
//! (`trace`, `tokio_postgres::query=trace`) cannot lift the cap, since both filters must
//! let an event through.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

/// The target of the one line logged per request on the redirect listener.
pub const ACCESS: &str = "shortlink::access";

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `time LEVEL target: message key=value …`
    Text,
    /// One JSON object per line: timestamp, level, target, message and the fields.
    Json,
}

/// Dependencies whose lines below INFO carry statement parameters or the bytes of
/// requests and answers, and the level they are capped at whatever RUST_LOG says.
const CAPPED: &[(&str, LevelFilter)] = &[
    ("tokio_postgres", LevelFilter::INFO),
    ("postgres_protocol", LevelFilter::INFO),
    ("deadpool", LevelFilter::INFO),
    ("reqwest", LevelFilter::INFO),
    ("hyper", LevelFilter::INFO),
    ("hyper_util", LevelFilter::INFO),
    ("h2", LevelFilter::INFO),
    ("rustls", LevelFilter::INFO),
    ("tokio_rustls", LevelFilter::INFO),
    ("hyper_rustls", LevelFilter::INFO),
];

fn dependency_cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPPED.iter().copied())
}

/// RUST_LOG's filter, or `info` when it is unset or unreadable (said on stderr: the
/// subscriber that would log it does not exist yet).
fn env_filter() -> EnvFilter {
    match EnvFilter::try_from_default_env() {
        Ok(f) => f,
        Err(e) => {
            if std::env::var_os(EnvFilter::DEFAULT_ENV).is_some() {
                eprintln!("shortlink-server: ignoring RUST_LOG ({e}); logging at info");
            }
            EnvFilter::new("info")
        }
    }
}

/// The subscriber: `filter`, then the dependency cap, then lines in `format` to `writer`.
fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    let lines = match format {
        LogFormat::Text => lines.with_ansi(ansi).boxed(),
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(dependency_cap())
        .with(lines)
}

/// Installs the process's subscriber (and the bridge from the `log` crate, which
/// tokio-postgres and reqwest log through).
pub fn init(format: LogFormat) {
    use tracing_subscriber::util::SubscriberInitExt;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if let Err(e) = subscriber(format, env_filter(), std::io::stderr, ansi).try_init() {
        eprintln!("shortlink-server: cannot install the logger: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps what was logged.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Captured {
        type Writer = Captured;
        fn make_writer(&'w self) -> Captured {
            self.clone()
        }
    }

    fn logged(format: LogFormat, rust_log: &str, log: impl FnOnce()) -> String {
        let out = Captured::default();
        let s = subscriber(format, EnvFilter::new(rust_log), out.clone(), false);
        tracing::subscriber::with_default(s, log);
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    fn like_tokio_postgres() {
        tracing::debug!(target: "tokio_postgres::query", "parameters: [\"open sesame\"]");
        tracing::trace!(target: "reqwest::connect::verbose", "write: whsec_secret");
        tracing::info!(target: "tokio_postgres::connection", "NOTICE: kept");
        tracing::trace!(target: "shortlink_server::dispatch", "ours, kept");
    }

    #[test]
    fn dependency_parameters_are_never_logged_whatever_rust_log_says() {
        // (RUST_LOG, whether our own TRACE line is logged: that is RUST_LOG's to decide)
        for (rust_log, ours) in [
            ("trace", true),
            ("debug", false),
            ("tokio_postgres=trace,reqwest=trace", false),
            (
                "tokio_postgres::query=trace,reqwest::connect::verbose=trace,trace",
                true,
            ),
        ] {
            for format in [LogFormat::Text, LogFormat::Json] {
                let out = logged(format, rust_log, like_tokio_postgres);
                assert!(!out.contains("open sesame"), "{rust_log}: {out}");
                assert!(!out.contains("whsec_secret"), "{rust_log}: {out}");
                assert!(out.contains("NOTICE: kept"), "{rust_log}: {out}");
                assert_eq!(out.contains("ours, kept"), ours, "{rust_log}: {out}");
            }
        }
    }

    #[test]
    fn json_lines_are_one_object_each_with_the_fields_at_the_top() {
        let out = logged(LogFormat::Json, "info", || {
            tracing::info!(target: ACCESS, method = "GET", status = 302u16, "request");
            tracing::info!("second");
        });
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0]["target"], "shortlink::access");
        assert_eq!(lines[0]["method"], "GET");
        assert_eq!(lines[0]["status"], 302);
        assert_eq!(lines[0]["message"], "request");
        assert!(lines[0]["timestamp"].is_string(), "{out}");
        assert_eq!(lines[1]["message"], "second");
    }
}

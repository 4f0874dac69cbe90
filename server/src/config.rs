//! Command-line flags, each also an environment variable.

use clap::Parser;
use ipnet::IpNet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::http::listener::Limits;

use crate::logging::LogFormat;

/// Answers shortlink's short links: redirects on --listen, health and metrics on
/// --admin-listen, and delivers webhooks unless --no-dispatcher. The database role needs
/// `SELECT shortlink.grant_redirect('role')` and, with the dispatcher,
/// `SELECT shortlink.grant_dispatcher('role')`; /readyz answers 503 naming what is missing.
///
/// Logs go to stderr, filtered by RUST_LOG (default info; `shortlink::access=off` drops the
/// per-request lines). They never carry passwords, the webhook secret or full client
/// addresses, at any level.
#[derive(Parser, Debug, Clone)]
#[command(name = "shortlink-server", version)]
pub struct Config {
    /// libpq connection URL of the database that has the shortlink extension, e.g.
    /// postgres://edge@127.0.0.1/app or postgres://edge@%2Fvar%2Frun%2Fpostgresql/app
    /// for a unix socket. No TLS: connect over loopback or a unix socket.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,

    /// How log lines are written: text, or json (one JSON object per line).
    #[arg(long, env = "SHORTLINK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Address of the redirect listener.
    #[arg(long, env = "SHORTLINK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, env = "SHORTLINK_ADMIN_LISTEN", default_value = "127.0.0.1:9090")]
    pub admin_listen: SocketAddr,

    /// Address of the HTTP API (/api/v1) and its OpenAPI document; off unless set. The
    /// database role needs `SELECT shortlink.grant_api('role')`: it sees nothing until a
    /// request presents a key.
    #[arg(long, env = "SHORTLINK_API_LISTEN")]
    pub api_listen: Option<SocketAddr>,

    /// Seconds a client has to send a request's head (and a keep-alive connection may sit
    /// idle): past it, 408 and the connection is closed. Every listener.
    #[arg(long, env = "SHORTLINK_HEADER_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_timeout_seconds: u64,

    /// Seconds a client has to send a request's body: past it, 408. Every listener.
    #[arg(long, env = "SHORTLINK_BODY_TIMEOUT_SECONDS", default_value_t = 30)]
    pub body_timeout_seconds: u64,

    /// Most bytes of a request's head (request line and headers): past it, 431. Every
    /// listener. nginx's default (large_client_header_buffers 4 8k) allows 8 KiB a line.
    #[arg(long, env = "SHORTLINK_MAX_HEADER_BYTES", default_value_t = 16384)]
    pub max_header_bytes: usize,

    /// Most open connections on the redirect listener: past it, 503 and closed.
    #[arg(long, env = "SHORTLINK_MAX_CONNECTIONS", default_value_t = 10000)]
    pub max_connections: usize,

    /// Most open connections on the API and the admin listeners each.
    #[arg(long, env = "SHORTLINK_API_MAX_CONNECTIONS", default_value_t = 1024)]
    pub api_max_connections: usize,

    /// Serve no dashboard on the API listener (it is on wherever the API is).
    #[arg(long, env = "SHORTLINK_NO_DASHBOARD")]
    pub no_dashboard: bool,

    /// Mark the dashboard's cookies Secure (and name the session cookie __Host-…) on
    /// every answer: set it when users reach the dashboard over TLS. Without it they are
    /// Secure on requests a TLS proxy marks `X-Forwarded-Proto: https`.
    #[arg(long, env = "SHORTLINK_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Hours a dashboard sign-in lasts (1 to 720).
    #[arg(long, env = "SHORTLINK_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,

    /// Requests per minute of an API key that sets no rate limit of its own.
    #[arg(long, env = "SHORTLINK_API_RATE_LIMIT", default_value_t = 600)]
    pub api_rate_limit: u32,

    /// Database connections at most for password checks, the dispatcher and /readyz.
    #[arg(long, env = "SHORTLINK_POOL_SIZE", default_value_t = 16)]
    pub pool_size: usize,

    /// Database connections that redirects share: every request in flight on one is
    /// pipelined on it. About the database's cores is enough; more only adds backends.
    #[arg(long, env = "SHORTLINK_REDIRECT_CONNECTIONS", default_value_t = 2)]
    pub redirect_connections: usize,

    /// Proxies whose X-Forwarded-For / Forwarded and country header are believed
    /// (comma-separated CIDRs, e.g. 127.0.0.1/32,10.0.0.0/8).
    #[arg(long, env = "SHORTLINK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpNet>,

    /// Request header holding the client's two-letter country, set by a trusted proxy
    /// (e.g. CF-IPCountry).
    #[arg(long, env = "SHORTLINK_COUNTRY_HEADER")]
    pub country_header: Option<String>,

    /// max-age, in seconds, of the private Cache-Control of 301 redirects: short, so that
    /// later clicks still reach the server and are counted.
    #[arg(long, env = "SHORTLINK_REDIRECT_MAX_AGE", default_value_t = 60)]
    pub redirect_max_age: u32,

    /// max-age, in seconds, of the public Cache-Control of QR codes (GET /{code}/qr): a
    /// link's QR code encodes its short URL, which never changes while the link exists.
    #[arg(long, env = "SHORTLINK_QR_MAX_AGE", default_value_t = 86400)]
    pub qr_max_age: u32,

    /// Where `/` redirects (302); without it `/` is the 404 page.
    #[arg(long, env = "SHORTLINK_ROOT_REDIRECT")]
    pub root_redirect: Option<String>,

    /// The body of /robots.txt.
    #[arg(
        long,
        env = "SHORTLINK_ROBOTS_TXT",
        default_value = "User-agent: *\nDisallow: /\n"
    )]
    pub robots_txt: String,

    /// A directory whose 404.html, 410.html and 403.html replace the built-in pages.
    #[arg(long, env = "SHORTLINK_PAGES_DIR")]
    pub pages_dir: Option<PathBuf>,

    /// Password attempts allowed per client IP and code per minute; more get 429.
    #[arg(long, env = "SHORTLINK_PASSWORD_ATTEMPTS", default_value_t = 10)]
    pub password_attempts: u32,

    /// Key of the webhook signatures: Standard Webhooks' whsec_<base64>, or any string.
    /// Required unless --no-dispatcher.
    #[arg(long, env = "SHORTLINK_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,

    /// Deliver webhooks to loopback, private and link-local addresses too (test
    /// receivers, intranets).
    #[arg(long, env = "SHORTLINK_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,

    /// Run no webhook dispatcher.
    #[arg(long, env = "SHORTLINK_NO_DISPATCHER")]
    pub no_dispatcher: bool,

    /// Answer no redirects (a dispatcher-only process).
    #[arg(long, env = "SHORTLINK_NO_REDIRECTS")]
    pub no_redirects: bool,

    /// Deliveries claimed, and sent concurrently, per round.
    #[arg(long, env = "SHORTLINK_DISPATCH_BATCH", default_value_t = 50)]
    pub dispatch_batch: i32,

    /// How long a claimed delivery is this dispatcher's before another may retry it; longer
    /// than the 10 s request timeout.
    #[arg(long, env = "SHORTLINK_DISPATCH_LEASE_SECONDS", default_value_t = 60)]
    pub dispatch_lease_seconds: u64,

    /// How often the dispatcher looks for due deliveries without a notification.
    #[arg(long, env = "SHORTLINK_DISPATCH_POLL_SECONDS", default_value_t = 5)]
    pub dispatch_poll_seconds: u64,
}

impl Config {
    /// The limits of a listener that takes `max_connections` connections.
    pub fn limits(&self, max_connections: usize) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(self.header_timeout_seconds.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout_seconds.max(1)),
            max_header_bytes: self.max_header_bytes.max(1024),
            max_connections: max_connections.max(1),
        }
    }
}

//! What the redirect listener's handlers share: settings, connections, pages, and the
//! per-client count of password attempts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::db::shared_conn::SharedConnections;
use crate::redirect::pages::Pages;

/// The state of the redirect listener.
pub struct AppState {
    pub config: Config,
    /// Password checks: a password hash takes long enough that it gets a connection
    /// of its own instead of holding up the clicks pipelined on a shared one.
    pub pool: deadpool_postgres::Pool,
    /// Clicks, HEADs and cards: statements pipelined on a few shared connections.
    pub shared: Arc<SharedConnections>,
    pub pages: Pages,
    attempts: Mutex<HashMap<(IpAddr, String), (Instant, u32)>>,
}

impl AppState {
    pub fn new(
        config: Config,
        pool: deadpool_postgres::Pool,
        shared: Arc<SharedConnections>,
        pages: Pages,
    ) -> Self {
        AppState {
            config,
            pool,
            shared,
            pages,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a password attempt; Err(seconds to wait) past the per-minute allowance.
    pub fn password_attempt(&self, ip: IpAddr, code: &str) -> Result<(), u64> {
        let window = Duration::from_secs(60);
        let now = Instant::now();
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry((ip, code.to_owned())).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.config.password_attempts {
            let wait = window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }
}

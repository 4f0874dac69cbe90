//! The webhook dispatcher: delivers outbox events to their targets, at least once.
//!
//! `LISTEN shortlink_events` wakes it, and it polls as well: the notification is a hint,
//! `shortlink.deliveries` is the truth. Each round claims due deliveries with a lease
//! (`shortlink.claim_deliveries`), POSTs them with Standard Webhooks signatures, and
//! reports each answer (`shortlink.finish_delivery`), which keeps the retry schedule in
//! the database. A dispatcher killed mid-delivery loses nothing: its claims come due
//! again when their lease ends, with the same `webhook-id`.

mod webhook_error;

use base64::Engine;
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::{Digest, Sha256};
use shortlink_core::destination;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{watch, Notify};

use self::webhook_error::{classify, failed_status, ResolveError, REQUEST_TIMEOUT};
use crate::db::error::{warn_db, DbError};

const CLAIM: &str = "SELECT event_id, target, attempts, payload::text
     FROM shortlink.claim_deliveries($1, pg_catalog.make_interval(secs => $2))";
/// Every attempt of a round reported in one statement, so in one transaction: one commit
/// (one WAL flush) per round rather than one per delivery, which capped a dispatcher at a
/// few hundred deliveries a second.
const FINISH: &str =
    "SELECT u.n, shortlink.finish_delivery(u.event_id, u.target, u.status, u.error, u.give_up)
     FROM ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::text[]),
                     pg_catalog.unnest($3::integer[]), pg_catalog.unnest($4::text[]),
                     pg_catalog.unnest($5::boolean[]))
          WITH ORDINALITY AS u(event_id, target, status, error, give_up, n)";

/// How soon after a wake-up the dispatcher looks again: twice the extension's window of
/// one notification per database (`shortlink_core::wake_gate::WINDOW_MS`), so that the
/// events of transactions that committed within the window after the one that notified
/// are delivered about as promptly as the notified one.
const AFTER_WAKE: Duration = Duration::from_millis(2 * shortlink_core::wake_gate::WINDOW_MS as u64);

pub struct Dispatcher {
    pub pool: deadpool_postgres::Pool,
    pub pg: tokio_postgres::Config,
    pub http: reqwest::Client,
    pub secret: Vec<u8>,
    pub allow_private: bool,
    pub batch: i32,
    pub lease: Duration,
    pub poll: Duration,
}

/// The signing key of `--webhook-secret`: Standard Webhooks' `whsec_<base64>` form is
/// decoded, any other string is used as it is.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("invalid --webhook-secret: whsec_ followed by bad base64 ({e})")),
        None if secret.is_empty() => Err("--webhook-secret must not be empty".into()),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// `webhook-id`: the same for every attempt of one event to one target.
pub fn webhook_id(event_id: i64, target: &str) -> String {
    let digest = Sha256::digest(target.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{event_id}_{hex}")
}

/// `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
pub fn signature(key: &[u8], id: &str, timestamp: u64, body: &str) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Resolves target hosts and, unless private targets are allowed, drops loopback, private
/// and link-local addresses, so that a name cannot point a webhook into the network the
/// dispatcher runs in (checked at connect time: no DNS-rebinding window).
pub struct PublicResolver {
    pub allow_private: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str();
            // Boxed as the trait object here: `?` on a Box<ResolveError> would box it
            // again, and the classifier's downcast would no longer see it.
            let refused = |text: String| -> Box<dyn std::error::Error + Send + Sync> {
                Box::new(ResolveError(text))
            };
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
                .await
                .map_err(|e| refused(format!("{host}: {e}")))?
                .filter(|a| allow_private || destination::private_address(a.ip()).is_none())
                .collect();
            if addrs.is_empty() {
                return Err(refused(format!("{host} resolves to no public address")));
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

pub fn http_client(allow_private: bool) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("shortlink/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(PublicResolver { allow_private }))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// What one attempt came to: the HTTP status (None: no answer), an error text, and
/// whether to give up on the target at once.
struct Attempt {
    status: Option<i32>,
    error: Option<String>,
    give_up: bool,
}

impl Dispatcher {
    async fn deliver(&self, event_id: i64, target: &str, body: String) -> Attempt {
        // IP literals are refused here; names are filtered when resolved.
        if let Err(e) = destination::check_public_host("webhook", target, self.allow_private) {
            let rule = e
                .message
                .split_once(": ")
                .map_or(e.message.as_str(), |(_, r)| r);
            return Attempt {
                status: None,
                error: Some(format!("target refused: {rule}")),
                give_up: true,
            };
        }
        let id = webhook_id(event_id, target);
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let sig = signature(&self.secret, &id, timestamp, &body);
        let sent = self
            .http
            .post(target)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", sig)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) => Attempt {
                status: Some(i32::from(r.status().as_u16())),
                error: (!r.status().is_success()).then(|| failed_status(r.status())),
                give_up: false,
            },
            Err(e) => Attempt {
                status: None,
                error: Some(classify(&e)),
                give_up: false,
            },
        }
    }

    /// One round: claim, deliver concurrently, report. Returns how many were claimed.
    async fn round(&self) -> Result<usize, DbError> {
        let db = self.pool.get().await?;
        let claim = db.prepare_cached(CLAIM).await?;
        let rows = db
            .query(&claim, &[&self.batch, &self.lease.as_secs_f64()])
            .await?;
        let claimed: Vec<(i64, String, String)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(3)))
            .collect();
        let attempts = join_all(
            claimed
                .iter()
                .map(|(id, target, body)| self.deliver(*id, target, body.clone())),
        )
        .await;
        let finish = db.prepare_cached(FINISH).await?;
        let ids: Vec<i64> = claimed.iter().map(|(id, _, _)| *id).collect();
        let targets: Vec<&str> = claimed.iter().map(|(_, t, _)| t.as_str()).collect();
        let statuses: Vec<Option<i32>> = attempts.iter().map(|a| a.status).collect();
        let errors: Vec<Option<&str>> = attempts.iter().map(|a| a.error.as_deref()).collect();
        let give_ups: Vec<bool> = attempts.iter().map(|a| a.give_up).collect();
        let rows = db
            .query(&finish, &[&ids, &targets, &statuses, &errors, &give_ups])
            .await?;
        let mut states: Vec<Option<String>> = vec![None; claimed.len()];
        for row in &rows {
            let n: i64 = row.get(0);
            if let Some(slot) = usize::try_from(n - 1).ok().and_then(|i| states.get_mut(i)) {
                *slot = row.get(1);
            }
        }
        for (((id, target, _), a), state) in claimed.iter().zip(&attempts).zip(states) {
            let result = match state.as_deref() {
                Some("pending") => "retry",
                Some(s) => s,
                None => "already_settled",
            };
            metrics::counter!("shortlink_webhook_deliveries_total", "result" => result.to_owned())
                .increment(1);
            if let Some(e) = &a.error {
                tracing::info!(event = id, target = %target, error = %e, result, "webhook attempt failed");
            }
        }
        Ok(claimed.len())
    }

    /// Delivers until `stop` turns true; a round in flight is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let wake = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(self.pg.clone(), wake.clone()));
        tracing::info!("webhook dispatcher started");
        // After a wake-up, the next round comes after AFTER_WAKE rather than the poll: the
        // database sends one notification per window for all the events of that window
        // (the extension's wake gate), and the transactions that committed just after the
        // one that notified are found by that round.
        let mut wait = self.poll;
        loop {
            if *stop.borrow() {
                break;
            }
            match self.round().await {
                // A full batch: more may be due at once.
                Ok(n) if n >= self.batch as usize => continue,
                Ok(_) => {}
                Err(e) => warn_db!(e, "dispatcher round failed"),
            }
            wait = tokio::select! {
                _ = wake.notified() => AFTER_WAKE.min(self.poll),
                _ = tokio::time::sleep(wait) => self.poll,
                _ = stop.changed() => self.poll,
            };
        }
        listener.abort();
        tracing::info!("webhook dispatcher stopped");
    }
}

/// Keeps a connection that LISTENs on shortlink_events and wakes the dispatcher for each
/// notification; reconnects after losing it (and wakes it then, to catch up).
async fn listen(pg: tokio_postgres::Config, wake: Arc<Notify>) {
    loop {
        match pg.connect(tokio_postgres::NoTls).await {
            Ok((client, mut conn)) => {
                let messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
                let drive = async {
                    use futures_util::StreamExt;
                    let mut messages = std::pin::pin!(messages);
                    while let Some(m) = messages.next().await {
                        match m {
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => wake.notify_one(),
                            Ok(_) => {}
                            Err(e) => {
                                warn_db!(DbError::from(e), "LISTEN connection lost");
                                break;
                            }
                        }
                    }
                };
                let subscribe = async {
                    if let Err(e) = client.batch_execute("LISTEN shortlink_events").await {
                        warn_db!(DbError::from(e), "LISTEN failed");
                    }
                    wake.notify_one();
                    std::future::pending::<()>().await
                };
                tokio::select! {
                    _ = drive => {}
                    _ = subscribe => {}
                }
            }
            Err(e) => warn_db!(DbError::from(e), "cannot connect for LISTEN"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_webhook_id_is_stable_per_event_and_target() {
        assert_eq!(
            webhook_id(7, "https://a.example/"),
            webhook_id(7, "https://a.example/")
        );
        assert_ne!(
            webhook_id(7, "https://a.example/"),
            webhook_id(7, "https://b.example/")
        );
        assert_ne!(
            webhook_id(7, "https://a.example/"),
            webhook_id(8, "https://a.example/")
        );
        assert!(webhook_id(7, "x").starts_with("msg_7_"));
    }

    #[test]
    fn secrets_in_whsec_form_are_decoded_others_taken_as_they_are() {
        assert_eq!(signing_key("whsec_aGk=").unwrap(), b"hi");
        assert_eq!(signing_key("plain").unwrap(), b"plain");
        assert!(signing_key("whsec_***").is_err());
        assert!(signing_key("").is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused() {
        let strict = PublicResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(strict.resolve(name).await.is_err());
        let lenient = PublicResolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(lenient.resolve(name).await.is_ok());
    }
}

//! The redirect path's database connections: a few long-lived connections, each
//! shared by every request in flight on it. tokio-postgres pipelines the statements
//! of concurrent requests on one connection (each with its own Sync, so each is its
//! own implicit transaction and one failure touches no other), so a backend reads
//! many statements per wake-up instead of sleeping and waking once per click. On two
//! cores this is what lets redirects run at the database's own rate; a connection
//! per request in flight spends a large share of the CPU on context switches.
//!
//! Clicks go one step further: each connection has a batcher that sends the clicks
//! that arrived while its previous statement ran as one statement (one
//! `record_click` per row of an `unnest`), so one commit and one round trip serve them
//! all. Nothing waits for a batch to fill: an idle server sends each click at once,
//! and batches grow only while the database is busy, like group commit. If a batch
//! fails with an error from the database (and so was rolled back whole), each of its
//! clicks is run again alone, so one bad click never fails the others.
//!
//! The trade: a slow statement delays the ones queued behind it on the same
//! connection. Redirect statements are one index probe each, so the queue drains in
//! microseconds; password checks and management traffic never share these connections.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, Statement};

use crate::db::error::{warn_db, DbError};

/// How long a connection attempt may take before the request gets a 503.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed attempt, requests fail at once (503) for this long instead of
/// queueing up behind more attempts at a database that is down.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(500);

/// Most clicks sent in one statement.
const MAX_BATCH: usize = 64;

/// One connection with the redirect statements prepared on it.
pub struct Conn {
    pub client: Client,
    pub record_click: Statement,
    pub record_clicks: Statement,
    pub peek_click: Statement,
    pub link_card: Statement,
}

/// What `record_click` is called with for one GET.
pub struct Click {
    pub code: String,
    pub domain: String,
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    pub country: Option<String>,
    pub query: Option<String>,
}

/// `record_click`'s answer `(status, location, http_status)`, or why there is none.
pub type Answer = Result<(String, Option<String>, i32), DbError>;

type Pending = (Click, oneshot::Sender<Answer>);

pub const RECORD_CLICK: &str = "SELECT status, location, http_status
     FROM shortlink.record_click($1, $2, $3, $4, $5, $6, $7, $8)";
/// Many clicks in one statement (and one transaction), answered in the order given.
pub const RECORD_CLICKS: &str = "SELECT r.status, r.location, r.http_status
     FROM unnest($1::text[], $2::text[], $3::inet[], $4::text[], $5::text[], $6::text[], $7::text[])
          WITH ORDINALITY AS c(code, domain, ip, user_agent, referer, country, query, n)
     CROSS JOIN LATERAL shortlink.record_click(c.code, c.domain, c.ip, c.user_agent, c.referer,
                                               c.country, NULL, c.query) AS r
     ORDER BY c.n";
pub const PEEK_CLICK: &str = "SELECT status, location, http_status
     FROM shortlink.peek_click($1, $2, $3, $4, $5, $6, $7, $8)";
pub const LINK_CARD: &str = "SELECT title, description, image FROM shortlink.link_card($1, $2)";

struct Slot {
    conn: RwLock<Option<Arc<Conn>>>,
    /// The clicks waiting for this connection's batcher.
    clicks: mpsc::UnboundedSender<Pending>,
    /// Held while connecting, so that one task connects and the others wait for it.
    connecting: tokio::sync::Mutex<Option<Instant>>,
}

pub struct SharedConnections {
    pg: tokio_postgres::Config,
    slots: Vec<Slot>,
    next: AtomicUsize,
}

impl SharedConnections {
    /// `count` connections, opened on first use, each with its click batcher running.
    pub fn start(pg: tokio_postgres::Config, count: usize) -> Arc<Self> {
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..count.max(1)).map(|_| mpsc::unbounded_channel()).unzip();
        let shared = Arc::new(SharedConnections {
            pg,
            slots: senders
                .into_iter()
                .map(|clicks| Slot {
                    conn: RwLock::new(None),
                    clicks,
                    connecting: tokio::sync::Mutex::new(None),
                })
                .collect(),
            next: AtomicUsize::new(0),
        });
        for (slot, rx) in receivers.into_iter().enumerate() {
            tokio::spawn(batcher(Arc::downgrade(&shared), slot, rx));
        }
        shared
    }

    /// Records one click through a connection's batcher.
    pub async fn record_click(&self, click: Click) -> Answer {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let (tx, rx) = oneshot::channel();
        slot.clicks
            .send((click, tx))
            .map_err(|_| DbError::other("the click batcher stopped"))?;
        rx.await
            .unwrap_or_else(|_| Err(DbError::other("the click batcher stopped")))
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| Self::current(s).is_some_and(|c| !c.client.is_closed()))
            .count()
    }

    pub fn size(&self) -> usize {
        self.slots.len()
    }

    fn current(slot: &Slot) -> Option<Arc<Conn>> {
        slot.conn.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A live connection, taken round-robin; a broken one is replaced first.
    pub async fn get(&self) -> Result<Arc<Conn>, DbError> {
        self.get_slot(self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len())
            .await
    }

    async fn get_slot(&self, index: usize) -> Result<Arc<Conn>, DbError> {
        let slot = &self.slots[index];
        if let Some(c) = Self::current(slot).filter(|c| !c.client.is_closed()) {
            return Ok(c);
        }
        let mut last_failure = tokio::time::timeout(CONNECT_TIMEOUT, slot.connecting.lock())
            .await
            .map_err(|_| DbError::other("timed out waiting for a database connection"))?;
        // Another task may have connected while this one waited.
        if let Some(c) = Self::current(slot).filter(|c| !c.client.is_closed()) {
            return Ok(c);
        }
        if last_failure.is_some_and(|t| t.elapsed() < RETRY_AFTER_FAILURE) {
            return Err(DbError::other(
                "the database did not answer the last connection attempt",
            ));
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, self.connect()).await {
            Ok(Ok(c)) => {
                *last_failure = None;
                *slot.conn.write().unwrap_or_else(|e| e.into_inner()) = Some(c.clone());
                Ok(c)
            }
            Ok(Err(e)) => {
                *last_failure = Some(Instant::now());
                Err(e)
            }
            Err(_) => {
                *last_failure = Some(Instant::now());
                Err(DbError::other("timed out connecting to the database"))
            }
        }
    }

    async fn connect(&self) -> Result<Arc<Conn>, DbError> {
        let (client, connection) = self.pg.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                warn_db!(DbError::from(e), "redirect connection closed");
            }
        });
        let prepare = |sql| client.prepare(sql);
        let (record_click, record_clicks, peek_click, link_card) = tokio::try_join!(
            prepare(RECORD_CLICK),
            prepare(RECORD_CLICKS),
            prepare(PEEK_CLICK),
            prepare(LINK_CARD)
        )?;
        Ok(Arc::new(Conn {
            client,
            record_click,
            record_clicks,
            peek_click,
            link_card,
        }))
    }
}

/// Sends the clicks of one connection: all that waited while the last statement ran,
/// up to [`MAX_BATCH`], in one statement. Stops when the server is dropped.
async fn batcher(
    shared: std::sync::Weak<SharedConnections>,
    slot: usize,
    mut rx: mpsc::UnboundedReceiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        metrics::histogram!("shortlink_click_batch_size").record(batch.len() as f64);
        let answers = match shared.get_slot(slot).await {
            Ok(conn) => record_clicks(&conn, &batch).await,
            Err(e) => vec![Err(e); batch.len()],
        };
        for ((_, reply), answer) in batch.drain(..).zip(answers) {
            let _ = reply.send(answer);
        }
    }
}

/// The answers to `batch`, in its order.
async fn record_clicks(conn: &Conn, batch: &[Pending]) -> Vec<Answer> {
    if let [(click, _)] = batch {
        return vec![record_one(conn, click).await];
    }
    let col = |f: fn(&Click) -> Option<&str>| batch.iter().map(|(c, _)| f(c)).collect::<Vec<_>>();
    let codes = col(|c| Some(&c.code));
    let domains = col(|c| Some(&c.domain));
    let ips: Vec<IpAddr> = batch.iter().map(|(c, _)| c.ip).collect();
    let agents = col(|c| c.user_agent.as_deref());
    let referers = col(|c| c.referer.as_deref());
    let countries = col(|c| c.country.as_deref());
    let queries = col(|c| c.query.as_deref());
    let rows = conn
        .client
        .query(
            &conn.record_clicks,
            &[
                &codes, &domains, &ips, &agents, &referers, &countries, &queries,
            ],
        )
        .await;
    match rows {
        Ok(rows) if rows.len() == batch.len() => rows
            .iter()
            .map(|r| Ok((r.get(0), r.get(1), r.get(2))))
            .collect(),
        Ok(rows) => {
            // record_click answers every call with one row; anything else is a bug.
            let e = format!("{} answers to {} clicks", rows.len(), batch.len());
            tracing::error!("{e}");
            vec![Err(DbError::other(e)); batch.len()]
        }
        // The database refused the statement, so it rolled back whole: each click
        // again alone, so that only the click at fault gets the error.
        Err(e) if e.as_db_error().is_some() => {
            metrics::counter!("shortlink_click_batches_retried_total").increment(1);
            let alone = batch.iter().map(|(c, _)| record_one(conn, c));
            futures_util::future::join_all(alone).await
        }
        // The connection broke: whether the statement committed is unknown, so no click
        // is sent again (the redirect answers 503 and the client may retry).
        Err(e) => vec![Err(DbError::from(e)); batch.len()],
    }
}

async fn record_one(conn: &Conn, c: &Click) -> Answer {
    let password: Option<&str> = None;
    conn.client
        .query_one(
            &conn.record_click,
            &[
                &c.code,
                &c.domain,
                &c.ip,
                &c.user_agent,
                &c.referer,
                &c.country,
                &password,
                &c.query,
            ],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .map_err(DbError::from)
}

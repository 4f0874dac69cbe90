//! The one service layer of every surface that acts for an API key (the HTTP API today;
//! the vendor routes and the dashboard next): it owns the SQL and the caller's scope.
//!
//! A request's work runs in one transaction that starts by presenting the key to the
//! database (`shortlink.api_begin`), which from then on decides the workspace, the scopes
//! and the domains the statements see (row-level security): this layer never filters by
//! tenant itself, so a bug above it cannot cross workspaces. Without a presented key the
//! server's role sees no row at all.

pub mod analytics;
pub mod domains;
mod error;
pub mod keys;
pub mod links;
pub mod people;
pub mod sending;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

pub use self::error::{Class, Error};
use crate::db::error::DbError;

/// `json`, an object of the database's snake_case keys, with camelCase keys, the way the
/// service's types serialize (`created_at` → `createdAt`).
pub fn camel_keys(json: &str) -> Result<serde_json::Value, Error> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| Error::internal(format!("a row's JSON does not read: {e}")))?;
    Ok(match value {
        serde_json::Value::Object(o) => {
            serde_json::Value::Object(o.into_iter().map(|(k, v)| (camel_case(&k), v)).collect())
        }
        other => other,
    })
}

/// `max_clicks` → `maxClicks`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A row's JSON (snake_case keys) as one of the service's types.
pub fn from_row<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Error> {
    serde_json::from_value(camel_keys(json)?).map_err(|e| {
        Error::internal(format!(
            "a row does not read as {}: {e}",
            std::any::type_name::<T>()
        ))
    })
}

/// What the database says of the key a request presented.
#[derive(Clone, Debug)]
pub struct PresentedKey {
    pub id: i64,
    pub prefix: String,
    pub workspace: String,
    /// Requests per minute set on the key; None: the server's default.
    pub rate_limit: Option<i32>,
}

/// The database connections the service uses.
#[derive(Clone)]
pub struct Service {
    pool: Pool,
}

impl Service {
    pub fn new(pool: Pool) -> Self {
        Service { pool }
    }

    /// The row of one statement run on its own, in autocommit: for the extension's
    /// functions that present a key themselves (shortlink.api_shorten).
    pub async fn statement_row(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Error> {
        let mut rows = self.statement_rows(sql, params).await?;
        match rows.len() {
            1 => Ok(rows.remove(0)),
            n => Err(Error::internal(format!("expected one row, got {n}"))),
        }
    }

    /// The row of one statement run on its own, if it has one.
    pub async fn statement_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        let mut rows = self.statement_rows(sql, params).await?;
        Ok((!rows.is_empty()).then(|| rows.remove(0)))
    }

    /// The rows of one statement run on its own, in autocommit, with no key presented:
    /// for the functions anyone may call (sign-in, public statistics pages).
    pub async fn statement_rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        let client = self.pool.get().await.map_err(DbError::from)?;
        let stmt = client.prepare_cached(sql).await.map_err(DbError::from)?;
        Ok(client.query(&stmt, params).await.map_err(DbError::from)?)
    }

    /// Opens a transaction with `secret` presented: 401 for a key the database refuses.
    pub async fn begin(&self, secret: &str) -> Result<Session, Error> {
        let client = self.pool.get().await.map_err(DbError::from)?;
        let stmt = client
            .prepare_cached(
                "SELECT key_id, prefix, workspace, rate_limit FROM shortlink.api_begin($1)",
            )
            .await
            .map_err(DbError::from)?;
        // BEGIN and the key in one round trip: tokio-postgres sends both before it reads
        // either answer (join polls them in order, and each is sent at its first poll).
        let params: [&(dyn ToSql + Sync); 1] = [&secret];
        let (begun, row) = tokio::join!(
            client.batch_execute("BEGIN"),
            client.query_one(&stmt, &params)
        );
        let mut session = Session {
            client: Some(client),
            key: None,
        };
        // A key refused (the common failure) ends the transaction and keeps the
        // connection; dropping the session would close it.
        let row = match begun.and(row) {
            Ok(row) => row,
            Err(e) => {
                session.rollback().await;
                return Err(DbError::from(e).into());
            }
        };
        session.key = Some(PresentedKey {
            id: row.get(0),
            prefix: row.get(1),
            workspace: row.get(2),
            rate_limit: row.get(3),
        });
        Ok(session)
    }
}

/// One request's transaction, with its key presented. Committed by [`Session::commit`];
/// dropped without it (an error, a client gone mid-request), its connection is closed
/// rather than returned to the pool, so no transaction, and no presented key, outlives
/// its request.
pub struct Session {
    client: Option<Object>,
    key: Option<PresentedKey>,
}

impl Session {
    fn client(&self) -> &Object {
        // Some until commit/rollback consume the session.
        self.client
            .as_ref()
            .expect("a session's connection is there until it ends")
    }

    pub fn key(&self) -> &PresentedKey {
        self.key.as_ref().expect("a session has a key once begun")
    }

    pub async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        let client = self.client();
        let stmt = client.prepare_cached(sql).await.map_err(DbError::from)?;
        Ok(client.query(&stmt, params).await.map_err(DbError::from)?)
    }

    pub async fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, Error> {
        let mut rows = self.query(sql, params).await?;
        match rows.len() {
            1 => Ok(rows.remove(0)),
            n => Err(Error::internal(format!("expected one row, got {n}"))),
        }
    }

    pub async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        let mut rows = self.query(sql, params).await?;
        Ok(if rows.is_empty() {
            None
        } else {
            Some(rows.remove(0))
        })
    }

    /// Asks the database whether the presented key holds `scope` (42501, so 403, if not).
    /// The functions of the extension check their own; this is for the statements that
    /// read its tables directly, where a missing scope would read as no rows.
    pub async fn require(&self, scope: &str) -> Result<(), Error> {
        self.query("SELECT shortlink.require_scope($1)", &[&scope])
            .await
            .map(drop)
    }

    /// The connection itself, for a statement streamed row by row.
    pub fn raw(&self) -> &tokio_postgres::Client {
        self.client()
    }

    /// Runs `work` on its own: when it fails, what it did is rolled back (to a savepoint)
    /// and the transaction goes on. The outer error is the database failing the savepoint
    /// itself; the inner one is `work`'s.
    pub async fn alone<T>(
        &self,
        work: impl AsyncFnOnce(&Session) -> Result<T, Error>,
    ) -> Result<Result<T, Error>, Error> {
        let batch = |sql: &'static str| async move {
            self.client()
                .batch_execute(sql)
                .await
                .map_err(|e| Error::from(DbError::from(e)))
        };
        batch("SAVEPOINT alone").await?;
        match work(self).await {
            Ok(v) => {
                batch("RELEASE SAVEPOINT alone").await?;
                Ok(Ok(v))
            }
            Err(e) => {
                batch("ROLLBACK TO SAVEPOINT alone").await?;
                Ok(Err(e))
            }
        }
    }

    pub async fn commit(mut self) -> Result<(), Error> {
        let client = self.client.take().expect("committed once");
        match client.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = Object::take(client);
                Err(DbError::from(e).into())
            }
        }
    }

    pub async fn rollback(mut self) {
        if let Some(client) = self.client.take() {
            if client.batch_execute("ROLLBACK").await.is_err() {
                let _ = Object::take(client);
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Still in its transaction: close the connection (PostgreSQL rolls back).
            let _ = Object::take(client);
        }
    }
}

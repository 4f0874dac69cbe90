//! Database errors as the log shows them: the SQLSTATE and message of an error the
//! database reported, or the chain of causes when it could not be reached.
//!
//! tokio-postgres' own `Display` is only the kind (`db error`, `error connecting to
//! server`): the part an operator acts on is in `as_db_error()` or in the sources.

use std::fmt;
use tokio_postgres::error::SqlState;

#[derive(Clone, Debug)]
pub struct DbError {
    /// The SQLSTATE of an error the database reported; None when it gave no answer.
    pub sqlstate: Option<SqlState>,
    /// The database's message, or what went wrong on the way to it.
    pub message: String,
    /// Without a SQLSTATE: whether the database could not be reached or the connection
    /// broke (a retry may succeed: 503), rather than a fault of this server's in a
    /// statement it sent or an answer it read (a parameter or column of the wrong type:
    /// 500).
    pub unreachable: bool,
}

impl DbError {
    /// The database out of reach, in this server's words (a connection attempt that
    /// timed out, the click batcher gone).
    pub fn other(message: impl Into<String>) -> Self {
        DbError {
            sqlstate: None,
            message: message.into(),
            unreachable: true,
        }
    }

    /// The SQLSTATE code, for a log field.
    pub fn code(&self) -> Option<&str> {
        self.sqlstate.as_ref().map(SqlState::code)
    }
}

/// Logs a [`DbError`] at WARN with `sqlstate` and `error` fields, under the caller's
/// module as target: `warn_db!(e, "dispatcher round failed")`.
macro_rules! warn_db {
    ($e:expr, $what:literal) => {{
        let e: &$crate::db::error::DbError = &$e;
        tracing::warn!(sqlstate = e.code(), error = %e.message, $what)
    }};
}
pub(crate) use warn_db;

/// `e` and its sources, `: `-separated.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        // Some errors repeat their source's text in their own.
        if !text.ends_with(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Whether a client-side error of tokio-postgres means the database is out of reach: the
/// connection closed, failed or timed out, or its socket failed. The others (a parameter
/// that does not serialize, a column that does not read, a row count, a message out of
/// protocol) are this server's faults.
fn out_of_reach(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    let text = e.to_string();
    e.is_closed()
        || [
            "error connecting",
            "timeout",
            "authentication",
            "error performing TLS",
        ]
        .iter()
        .any(|p| text.starts_with(p))
}

impl From<&tokio_postgres::Error> for DbError {
    fn from(e: &tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => DbError {
                sqlstate: Some(db.code().clone()),
                message: db.message().to_owned(),
                unreachable: false,
            },
            None => DbError {
                sqlstate: None,
                message: chain(e),
                unreachable: out_of_reach(e),
            },
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::from(&e)
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => DbError::from(&e),
            other => DbError::other(chain(&other)),
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code() {
            Some(code) => write!(f, "{} (SQLSTATE {code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn a_chain_names_every_cause_once() {
        let e = Layer(
            "error connecting to server",
            Some(Box::new(Layer(
                "Connection refused (os error 111)",
                Some(Box::new(Layer("Connection refused (os error 111)", None))),
            ))),
        );
        assert_eq!(
            chain(&e),
            "error connecting to server: Connection refused (os error 111)"
        );
    }

    #[test]
    fn the_sqlstate_is_shown_after_the_message() {
        let e = DbError {
            sqlstate: Some(SqlState::INSUFFICIENT_PRIVILEGE),
            message: "permission denied for function record_click".into(),
            unreachable: false,
        };
        assert_eq!(e.code(), Some("42501"));
        assert_eq!(
            e.to_string(),
            "permission denied for function record_click (SQLSTATE 42501)"
        );
        assert_eq!(DbError::other("timed out").to_string(), "timed out");
    }
}

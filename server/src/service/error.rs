//! The service layer's error: a class (which the HTTP layer turns into a status, in one
//! match), the database's message and the request field it names.
//!
//! A database error is classed by its SQLSTATE, once, here: the table in docs/api.md
//! ("Errors") is this function's.

use tokio_postgres::error::SqlState;

use crate::db::error::DbError;

/// What kind of failure, at the granularity of an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// The request cannot be read (JSON, types, unknown fields): 400.
    BadRequest,
    /// No key, or one the database refuses: 401.
    Unauthorized,
    /// The key lacks the scope: 403.
    Forbidden,
    /// No such object in the key's view: 404.
    NotFound,
    /// Taken, still in use, or not possible in the object's state: 409.
    Conflict,
    /// Too large a body: 413.
    PayloadTooLarge,
    /// Not JSON: 415.
    UnsupportedMediaType,
    /// Read, but a value breaks a rule of the database's: 422.
    Unprocessable,
    /// Past the key's rate limit: 429.
    TooManyRequests,
    /// The database is down, read-only, or asked for a retry: 503.
    Unavailable,
    /// A bug: 500, with nothing of it in the answer.
    Internal,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub class: Class,
    /// Said to the client (never for Internal, which is logged instead).
    pub detail: String,
    /// The option at fault, by the database's name for it (`max_clicks`, `code`, `url`):
    /// each surface says it in its clients' spelling.
    pub field: Option<String>,
    /// The database's SQLSTATE, when the database refused.
    pub sqlstate: Option<String>,
    /// Seconds after which a retry may succeed (429, 503).
    pub retry_after: Option<u64>,
}

impl Error {
    pub fn new(class: Class, detail: impl Into<String>) -> Self {
        Error {
            class,
            detail: detail.into(),
            field: None,
            sqlstate: None,
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// A bug: `detail` goes to the log, and the client reads "internal error" (as for a
    /// database error of no known class).
    pub fn internal(detail: impl Into<String>) -> Self {
        tracing::error!(detail = %detail.into(), "internal error in an API request");
        Error::new(Class::Internal, "internal error")
    }

    pub fn not_found(what: &str) -> Self {
        Error::new(Class::NotFound, format!("{what} not found"))
    }
}

/// The class of a SQLSTATE: the one mapping from the database's errors to HTTP.
pub fn class_of(state: &SqlState) -> Class {
    let code = state.code();
    match code {
        // invalid_authorization_specification: an unknown, revoked or expired key.
        "28000" => Class::Unauthorized,
        // insufficient_privilege: the key lacks a scope.
        "42501" => Class::Forbidden,
        // no_data_found: not in the key's view.
        "P0002" => Class::NotFound,
        // unique_violation, foreign_key_violation, program_limit_exceeded (a domain's code
        // space full), object_not_in_prerequisite_state, feature_not_supported.
        "23505" | "23503" | "54000" | "55000" | "0A000" => Class::Conflict,
        // serialization_failure, deadlock_detected, lock_not_available, query_canceled
        // (statement_timeout), read_only_sql_transaction, admin/crash shutdown, cannot
        // connect now, too many connections.
        "40001" | "40P01" | "55P03" | "57014" | "25006" | "57P01" | "57P02" | "57P03" | "53300" => {
            Class::Unavailable
        }
        _ => match &code[..2] {
            // Data exceptions (22023 invalid_parameter_value and the other 22xxx: a value
            // out of range, a timestamp that does not parse) and integrity rules (23xxx:
            // not null, check).
            "22" | "23" | "2201" => Class::Unprocessable,
            // Connection exceptions, insufficient resources.
            "08" | "53" => Class::Unavailable,
            _ => Class::Internal,
        },
    }
}

/// The option a database message names: `invalid option "max_clicks": …` → `max_clicks`;
/// `invalid url …` → `url`; a taken code → `code`.
fn field_of(message: &str, state: &str) -> Option<String> {
    if state == "23505" && message.starts_with("code ") {
        return Some("code".to_owned());
    }
    if let Some(rest) = message.strip_prefix("invalid option \"") {
        let name = rest.split('"').next()?;
        return Some(name.to_owned());
    }
    if message.starts_with("invalid url") {
        return Some("url".to_owned());
    }
    if message.starts_with("invalid domain") {
        return Some("domain".to_owned());
    }
    if message.starts_with("domain \"") && message.contains("not registered") {
        return Some("domain".to_owned());
    }
    None
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        match &e.sqlstate {
            Some(state) => {
                let class = class_of(state);
                let field = field_of(&e.message, state.code());
                let retry_after = (class == Class::Unavailable).then_some(1);
                if class == Class::Internal {
                    crate::db::error::warn_db!(e, "database error in an API request");
                }
                Error {
                    class,
                    detail: if class == Class::Internal {
                        "internal error".to_owned()
                    } else {
                        e.message.clone()
                    },
                    field,
                    sqlstate: Some(state.code().to_owned()),
                    retry_after,
                }
            }
            None if e.unreachable => {
                crate::db::error::warn_db!(e, "database unavailable");
                Error {
                    class: Class::Unavailable,
                    detail: "database unavailable".to_owned(),
                    field: None,
                    sqlstate: None,
                    retry_after: Some(5),
                }
            }
            // A statement this server sent or an answer it read wrongly: a bug, logged,
            // never said to the client as the database's being down.
            None => {
                crate::db::error::warn_db!(e, "client-side database error in an API request");
                Error::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_classes() {
        assert_eq!(
            class_of(&SqlState::INVALID_PARAMETER_VALUE),
            Class::Unprocessable
        );
        assert_eq!(class_of(&SqlState::UNIQUE_VIOLATION), Class::Conflict);
        assert_eq!(class_of(&SqlState::NO_DATA_FOUND), Class::NotFound);
        assert_eq!(
            class_of(&SqlState::INSUFFICIENT_PRIVILEGE),
            Class::Forbidden
        );
        assert_eq!(
            class_of(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION),
            Class::Unauthorized
        );
        assert_eq!(
            class_of(&SqlState::T_R_SERIALIZATION_FAILURE),
            Class::Unavailable
        );
        assert_eq!(
            class_of(&SqlState::INVALID_DATETIME_FORMAT),
            Class::Unprocessable
        );
        assert_eq!(class_of(&SqlState::INTERNAL_ERROR), Class::Internal);
        // What went wrong inside is logged, not said to the client.
        let e = Error::internal("a row does not read as Link: missing field `id`");
        assert_eq!(
            (e.class, e.detail.as_str()),
            (Class::Internal, "internal error")
        );
    }

    #[test]
    fn a_fault_of_the_servers_is_500_and_an_unreachable_database_503() {
        let down = Error::from(DbError::other(
            "error connecting to server: Connection refused",
        ));
        assert_eq!(
            (down.class, down.retry_after),
            (Class::Unavailable, Some(5))
        );
        let bug = Error::from(DbError {
            sqlstate: None,
            message: "error deserializing column 0: cannot convert between the Rust type `i32` and the Postgres type `int8`".into(),
            unreachable: false,
        });
        assert_eq!(
            (bug.class, bug.detail.as_str()),
            (Class::Internal, "internal error")
        );
    }

    #[test]
    fn messages_name_the_client_field() {
        assert_eq!(
            field_of(
                "invalid option \"max_clicks\": must be an integer >= 1",
                "22023"
            ),
            Some("max_clicks".to_owned())
        );
        assert_eq!(
            field_of("code \"x\" already exists on domain \"d\"", "23505"),
            Some("code".to_owned())
        );
        assert_eq!(
            field_of("invalid url: must not be empty", "22023"),
            Some("url".to_owned())
        );
        assert_eq!(field_of("something else", "22023"), None);
    }
}

//! Reporting: shortlink-core's typed errors become PostgreSQL errors with a SQLSTATE,
//! message, detail and hint.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use shortlink_core::{Error, Kind};

/// PostgreSQL's code for a five-character SQLSTATE (its MAKE_SQLSTATE packing).
fn error_code(sqlstate: &str) -> PgSqlErrorCode {
    let packed = sqlstate
        .bytes()
        .take(5)
        .enumerate()
        .fold(0i32, |acc, (i, b)| {
            acc + (((i32::from(b) - i32::from(b'0')) & 0x3F) << (6 * i))
        });
    PgSqlErrorCode::from(packed)
}

/// Raises `e` as an ERROR with its kind's SQLSTATE (`Error::sqlstate`), message, detail
/// and hint: the one way the extension raises an error.
pub fn raise(e: Error) -> ! {
    let mut report = ErrorReport::new(error_code(e.sqlstate()), e.message, "shortlink");
    if let Some(d) = e.detail {
        report = report.set_detail(d);
    }
    if let Some(h) = e.hint {
        report = report.set_hint(h);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// The value, or the error raised.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for shortlink_core::Result<T> {
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| raise(e))
    }
}

impl<T> OrRaise<T> for Result<T, pgrx::spi::SpiError> {
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| {
            raise(Error::new(
                Kind::Internal,
                format!("shortlink: SPI failed: {e}"),
            ))
        })
    }
}

/// A value the schema guarantees (a NOT NULL column); its absence is a bug, reported as
/// an internal error rather than a panic.
pub fn required<T>(v: Option<T>, what: &str) -> T {
    v.unwrap_or_else(|| {
        raise(Error::new(
            Kind::Internal,
            format!("shortlink: {what} is unexpectedly NULL"),
        ))
    })
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;

    /// Every kind's SQLSTATE packs to the PostgreSQL code of that name.
    #[pgrx::pg_test]
    fn sqlstates_pack_as_postgresql_does() {
        for (sqlstate, code) in [
            ("22023", PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE),
            ("23505", PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION),
            ("54000", PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED),
            ("0A000", PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED),
            ("P0002", PgSqlErrorCode::ERRCODE_NO_DATA_FOUND),
            ("25006", PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION),
            (
                "55000",
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            ),
            ("42P01", PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE),
            ("42703", PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN),
            ("42P13", PgSqlErrorCode::ERRCODE_INVALID_FUNCTION_DEFINITION),
            ("2201B", PgSqlErrorCode::ERRCODE_INVALID_REGULAR_EXPRESSION),
            ("XX000", PgSqlErrorCode::ERRCODE_INTERNAL_ERROR),
        ] {
            assert_eq!(error_code(sqlstate), code, "{sqlstate}");
        }
    }
}

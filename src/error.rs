//! Reporting: shortlink-core's typed errors become PostgreSQL errors with a SQLSTATE,
//! message, detail and hint.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use shortlink_core::{Error, Kind};

/// The SQLSTATE of each error kind (the README's errors table).
pub fn sqlstate(kind: Kind) -> PgSqlErrorCode {
    match kind {
        Kind::InvalidParameter | Kind::InvalidSetting => {
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE
        }
        Kind::AlreadyExists => PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION,
        Kind::CodeSpaceExhausted => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        Kind::NotFound => PgSqlErrorCode::ERRCODE_NO_DATA_FOUND,
    }
}

/// Raises `e` as an ERROR; never returns.
pub fn raise(e: Error) -> ! {
    let mut report = ErrorReport::new(sqlstate(e.kind), e.message, "shortlink");
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
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("shortlink: SPI failed: {e}"),
                "shortlink",
            )
            .report(PgLogLevel::ERROR);
            unreachable!("ERROR does not return")
        })
    }
}

/// A value the schema guarantees (a NOT NULL column); its absence is a bug, reported as
/// an internal error rather than a panic.
pub fn required<T>(v: Option<T>, what: &str) -> T {
    v.unwrap_or_else(|| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("shortlink: {what} is unexpectedly NULL"),
            "shortlink",
        )
        .report(PgLogLevel::ERROR);
        unreachable!("ERROR does not return")
    })
}

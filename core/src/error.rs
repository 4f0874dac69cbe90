//! The one error type of shortlink. The extension layer maps [`Kind`] to a SQLSTATE.

use std::fmt;

/// What went wrong, at the granularity of a SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad input of any kind: 22023 invalid_parameter_value.
    InvalidParameter,
    /// A custom code (or domain) that is taken: 23505 unique_violation.
    AlreadyExists,
    /// No free code left up to the maximum length: 54000 program_limit_exceeded.
    CodeSpaceExhausted,
    /// A named link or domain that does not exist: P0002 no_data_found.
    NotFound,
    /// A setting (GUC) holds a value the extension cannot use: 22023 too, named as a setting.
    InvalidSetting,
}

/// An error with the three parts PostgreSQL shows: message, detail and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// `invalid option "key": rule` — the shape of every option error.
    pub fn option(key: &str, rule: impl fmt::Display) -> Self {
        Error::new(
            Kind::InvalidParameter,
            format!("invalid option \"{key}\": {rule}"),
        )
    }

    /// `invalid setting "shortlink.x": rule`.
    pub fn setting(name: &str, rule: impl fmt::Display) -> Self {
        Error::new(
            Kind::InvalidSetting,
            format!("invalid setting \"{name}\": {rule}"),
        )
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The five-character SQLSTATE this error is reported with.
    pub fn sqlstate(&self) -> &'static str {
        match self.kind {
            Kind::InvalidParameter | Kind::InvalidSetting => "22023",
            Kind::AlreadyExists => "23505",
            Kind::CodeSpaceExhausted => "54000",
            Kind::NotFound => "P0002",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

//! The one error type of shortlink: every error the extension raises is one of these,
//! and [`Error::sqlstate`] is the one place a kind gets its SQLSTATE.

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
    /// Every slot a link may take in the click counter is held by transactions in
    /// progress: 54000 program_limit_exceeded too.
    ClickCounterFull,
    /// What shortlink cannot do in this kind of transaction (PREPARE TRANSACTION after a
    /// counted click): 0A000 feature_not_supported.
    FeatureNotSupported,
    /// A named link or domain that does not exist: P0002 no_data_found.
    NotFound,
    /// A setting (GUC) holds a value the extension cannot use: 22023 too, named as a setting.
    InvalidSetting,
    /// A write (a counted click) in a read-only transaction or on a hot standby: 25006
    /// read_only_sql_transaction.
    ReadOnlyTransaction,
    /// A feature that needs server set-up that is missing (shared memory not preloaded):
    /// 55000 object_not_in_prerequisite_state.
    NotInPrerequisiteState,
    /// A table or column of shortlink's dropped or altered by hand: 42P01 undefined_table.
    UndefinedTable,
    /// … 42703 undefined_column.
    UndefinedColumn,
    /// A function of shortlink's redeclared by hand: 42P13 invalid_function_definition.
    InvalidFunctionDefinition,
    /// A stored pattern that does not compile: 2201B invalid_regular_expression.
    InvalidRegularExpression,
    /// A presented API key without the scope a call needs: 42501 insufficient_privilege.
    InsufficientPrivilege,
    /// An API key that is unknown, revoked or expired: 28000
    /// invalid_authorization_specification.
    InvalidAuthorization,
    /// What needs a transaction block run outside one (`api_begin`): 25P01
    /// no_active_sql_transaction.
    NoActiveTransaction,
    /// A second, different API key presented in one transaction: 25000
    /// invalid_transaction_state.
    InvalidTransactionState,
    /// A row that others still refer to (a domain with links): 23503
    /// foreign_key_violation.
    StillReferenced,
    /// A broken invariant (a bug): XX000 internal_error.
    Internal,
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
            Kind::CodeSpaceExhausted | Kind::ClickCounterFull => "54000",
            Kind::FeatureNotSupported => "0A000",
            Kind::NotFound => "P0002",
            Kind::ReadOnlyTransaction => "25006",
            Kind::NotInPrerequisiteState => "55000",
            Kind::UndefinedTable => "42P01",
            Kind::UndefinedColumn => "42703",
            Kind::InvalidFunctionDefinition => "42P13",
            Kind::InvalidRegularExpression => "2201B",
            Kind::InsufficientPrivilege => "42501",
            Kind::InvalidAuthorization => "28000",
            Kind::NoActiveTransaction => "25P01",
            Kind::InvalidTransactionState => "25000",
            Kind::StillReferenced => "23503",
            Kind::Internal => "XX000",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

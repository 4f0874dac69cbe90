//! The database-free logic of the shortlink extension: code generation, URL, domain and
//! option validation. Plain Rust, so `cargo test -p shortlink-core` and fuzzers reach it.

pub mod codes;
pub mod destination;
pub mod error;
pub mod options;

pub use error::{Error, Kind, Result};

//! The database-free logic of the shortlink extension: code generation, URL, domain and
//! option validation. Plain Rust, so `cargo test -p shortlink-core` and fuzzers reach it.

pub mod bots;
pub mod codes;
pub mod destination;
pub mod error;
pub mod ipanon;
pub mod json_text;
pub mod options;
pub mod password;
pub mod phone;
pub mod place_table;
pub mod query;
pub mod template;
pub mod useragent;
pub mod visitor;

pub use error::{Error, Kind, Result};

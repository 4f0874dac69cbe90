//! The database-free logic of the shortlink extension: code generation, URL, domain and
//! option validation, IP anonymisation and visitor hashes. Plain Rust, so
//! `cargo test -p shortlink-core` and fuzzers reach it, and light enough for the server:
//! bots and User-Agents (`shortlink-useragent`), password hashing (`shortlink-password`) and
//! the shared place table (`shortlink-place-table`) are crates of their own.

pub mod api_key;
pub mod click;
pub mod click_counter;
pub mod codes;
pub mod destination;
pub mod error;
pub mod exotel_callback;
pub mod fields;
pub mod ipanon;
pub mod json_text;
pub mod option_values;
pub mod options;
pub mod password;
pub mod phone;
pub mod query;
pub mod template;
pub mod timestamp;
pub mod visitor;
pub mod wake_gate;

pub use error::{Error, Kind, Result};

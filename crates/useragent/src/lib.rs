//! What a click's User-Agent says: whether it is a bot (and which rule said so), and the
//! device class, operating system and browser. Its own crate because it builds regular
//! expressions, an Aho-Corasick automaton and ua-parser, which `shortlink-core` and the
//! server do without. The patterns are data under `data/`, each list under its own licence.

pub mod bots;
mod js_patterns;
pub mod useragent;
mod vocabulary;

//! What every HTTP surface shares: how a listener bounds its clients, how errors are
//! answered (RFC 9457 problem details), and how a JSON body is read strictly.

pub mod body;
pub mod listener;
pub mod problem;

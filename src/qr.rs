//! `shortlink.qr_svg`: the QR code of a link's short URL as SVG, for e-mail templates and
//! PDFs; `shortlink-qr` draws it, byte for byte what shortlink-server's `GET /{code}/qr`
//! answers without parameters.

use pgrx::prelude::*;

use crate::error::OrRaise;
use crate::{domains, manage};

/// The QR code of the short URL of `code` on `domain` (default
/// `shortlink.default_domain`): an SVG document of 300 by 300 pixels, quiet zone of 4
/// modules, error correction M. Any link that exists has one, disabled, expired or
/// password-protected alike (it encodes the link's address, not its destination); an
/// unknown code, or a link of a workspace the role does not act in, is P0002, as for
/// `require_link`. Counts nothing. Found as `link_id` finds a link, in the caller's name
/// (row-level security applies), so it is granted with `grant_app`, like `stats`.
#[pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn qr_svg(code: Option<&str>, domain: default!(Option<&str>, "NULL")) -> String {
    crate::presented_key::require("links:read").or_raise();
    let (Some(code), Some(key), Some(_)) = (
        code,
        domains::lookup_key(domain),
        manage::link_id(code, domain),
    ) else {
        crate::error::raise(manage::not_found(code.unwrap_or("<NULL>"), domain))
    };
    shortlink_qr::default_svg(&shortlink_core::codes::short_url(&key, code)).or_raise()
}

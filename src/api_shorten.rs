//! `shortlink.api_shorten(secret, url, options)`: an HTTP API's link creation in one
//! statement. It presents the key (as `api_begin` does, for the rest of the transaction),
//! creates the link (as `shorten` does, under that key's workspace, scopes and domains)
//! and answers the whole link as JSON, written from the row just stored (`link_json`). A
//! server answering `POST /api/v1/links` sends this one statement, in autocommit, instead
//! of BEGIN, api_begin, shorten, a read of the link and COMMIT: one round trip and one
//! transaction of one statement, where a link's creation costs what `shorten` costs.

use pgrx::prelude::*;
use shortlink_core::options::{self, Mode};

use crate::error::OrRaise;
use crate::json_arg::{self, JsonText, JsonbText};

/// Presents `secret` and creates one link with it. SECURITY DEFINER, as api_begin: it
/// reads `api_keys`; what it may create is the presented key's to decide (its workspace,
/// domains and `links:write`), whoever calls. A NULL secret acts for the key already
/// presented in this transaction (`api_begin`): a server that needed the full way (an
/// Idempotency-Key) creates the link the same way, one statement and no read-back.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn api_shorten(
    secret: Option<&str>,
    url: Option<&str>,
    options: default!(Option<JsonbText>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(key_id, i64),
        name!(rate_limit, Option<i32>),
        name!(link, JsonText),
    ),
> {
    let (key_id, rate_limit) = crate::presented_key::present_id(secret);
    let link = json_arg::parse_opts(options)
        .and_then(|opts| options::parse(&opts, Mode::Create))
        .and_then(|o| crate::shorten::create(url, &o))
        .or_raise();
    TableIterator::once((key_id, rate_limit, JsonText(crate::link_json::of(&link))))
}

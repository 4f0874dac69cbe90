//! `shortlink.api_shorten(secret, url, options)`: an HTTP API's link creation in one
//! statement. It presents the key (as `api_begin` does, for the rest of the transaction),
//! creates the link (as `shorten` does, under that key's workspace, scopes and domains)
//! and answers the link as `shortlink.link_json` shows it. A server answering
//! `POST /api/v1/links` sends this one statement, in autocommit, instead of BEGIN,
//! api_begin, shorten, a read of the link and COMMIT: one round trip and one transaction
//! of one statement, where a link's creation costs what `shorten` costs. The link is
//! `json` text, passed from link_json to the client as it is: never parsed on the way.

use pgrx::datum::JsonString;
use pgrx::prelude::*;
use shortlink_core::options::{self, Mode};

use crate::error::{required, OrRaise};
use crate::json_arg::{self, JsonText, JsonbText};
use crate::plan;

plan!(
    LINK_JSON,
    read,
    "SELECT shortlink.link_json(l) FROM shortlink.links l WHERE l.id = $1",
    [INT8OID]
);

/// Presents `secret` and creates one link with it. SECURITY DEFINER, as api_begin: it
/// reads `api_keys`; what it may create is the presented key's to decide (its workspace,
/// domains and `links:write`), whoever calls.
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
    let (key_id, rate_limit) = crate::presented_key::present_id(secret.unwrap_or_default());
    let link = json_arg::parse_opts(options)
        .and_then(|opts| options::parse(&opts, Mode::Create))
        .and_then(|o| crate::shorten::create(url, &o))
        .or_raise();
    let json = Spi::connect(|client| {
        required(
            LINK_JSON.select_one::<JsonString>(client, &[link.id.into()]),
            "the link just made",
        )
    });
    TableIterator::once((key_id, rate_limit, JsonText(json.0)))
}

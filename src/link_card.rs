//! What a redirect server shows on its pages: `shortlink.link_card`, the title,
//! description and image of the preview and cloaked pages, and `shortlink.link_pixels`,
//! the retargeting pixels of the pixel page.

use pgrx::prelude::*;

use crate::error::OrRaise;
use crate::{domains, plan};

plan!(
    LINK_CARD,
    read,
    "SELECT title, description, image FROM shortlink.links
     WHERE domain = $1 AND code = $2
       AND password_hash IS NULL AND NOT disabled
       AND (expires_at IS NULL OR expires_at > now())",
    [TEXTOID, TEXTOID]
);

/// The card of a link (title, description, image) for the page a redirect server shows
/// for `preview` and `cloaked` answers; no row for an unknown, protected, disabled or
/// expired link. SECURITY DEFINER, for the redirect role.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn link_card(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(title, Option<String>),
        name!(description, Option<String>),
        name!(image, Option<String>),
    ),
> {
    let (Some(code), Some(domain)) = (code, domains::lookup_key(domain)) else {
        return TableIterator::new(std::iter::empty());
    };
    let row = Spi::connect(|client| {
        LINK_CARD.select_row(client, &[domain.as_str().into(), code.into()], |t| {
            (
                t.get::<String>(1).or_raise(),
                t.get::<String>(2).or_raise(),
                t.get::<String>(3).or_raise(),
            )
        })
    });
    TableIterator::new(row)
}

plan!(
    LINK_PIXELS,
    read,
    "SELECT meta_pixel_id, google_tag_id FROM shortlink.links
     WHERE domain = $1 AND code = $2 AND NOT disabled
       AND (expires_at IS NULL OR expires_at > now())",
    [TEXTOID, TEXTOID]
);

/// The retargeting pixels of a link (its Meta pixel id and Google tag id) for the page a
/// redirect server shows for `pixel` answers (on a protected link, only after
/// `record_click` took its password); no row for an unknown, disabled or expired link.
/// SECURITY DEFINER, for the redirect role.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn link_pixels(
    code: Option<&str>,
    domain: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(meta_pixel_id, Option<String>),
        name!(google_tag_id, Option<String>),
    ),
> {
    let (Some(code), Some(domain)) = (code, domains::lookup_key(domain)) else {
        return TableIterator::new(std::iter::empty());
    };
    let row = Spi::connect(|client| {
        LINK_PIXELS.select_row(client, &[domain.as_str().into(), code.into()], |t| {
            (t.get::<String>(1).or_raise(), t.get::<String>(2).or_raise())
        })
    });
    TableIterator::new(row)
}

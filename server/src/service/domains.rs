//! Domains of the key's workspace.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Error, Session};

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    pub domain: String,
    pub created_at: String,
    /// Links on the domain.
    pub links: i64,
}

const LIST: &str = "SELECT jsonb_build_object('domain', d.domain, 'created_at', d.created_at,
        'links', (SELECT count(*) FROM shortlink.links l WHERE l.domain = d.domain))::text
     FROM shortlink.domains d
     WHERE $1::text IS NULL OR d.domain = $1
     ORDER BY d.domain";

pub async fn list(s: &Session) -> Result<Vec<Domain>, Error> {
    s.require("domains:read").await?;
    let none: Option<&str> = None;
    s.query(LIST, &[&none])
        .await?
        .iter()
        .map(|r| super::from_row(&r.get::<_, String>(0)))
        .collect()
}

/// The workspace's domain names, without their link counts (which cost a count of every
/// link of each).
pub async fn names(s: &Session) -> Result<Vec<String>, Error> {
    s.require("domains:read").await?;
    Ok(s.query(
        "SELECT d.domain FROM shortlink.domains d ORDER BY d.domain",
        &[],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

/// Registers `domain` in the key's workspace (`add_domain`).
pub async fn add(s: &Session, domain: &str) -> Result<Domain, Error> {
    s.query("SELECT shortlink.add_domain($1, '{}')", &[&domain])
        .await?;
    let normalized = shortlink_core::destination::normalize_domain(domain).ok();
    let rows = s.query(LIST, &[&normalized]).await?;
    let row = rows
        .first()
        .ok_or_else(|| Error::internal("a domain just added is not seen"))?;
    super::from_row(&row.get::<_, String>(0))
}

/// Removes `domain`: 409 while a link uses it.
pub async fn remove(s: &Session, domain: &str) -> Result<(), Error> {
    let removed: bool = s
        .query_one("SELECT shortlink.remove_domain($1)", &[&domain])
        .await?
        .get(0);
    if removed {
        Ok(())
    } else {
        Err(Error::not_found("domain"))
    }
}

//! API keys of the key's workspace: made, changed and revoked by the extension's
//! functions (which check `keys:manage` and that a key grants no more than it has).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Error, Session};

/// A key as listed: never its secret, nor the secret's hash.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The visible start of the secret (`sl_xxxxxxxx`).
    pub prefix: String,
    pub scopes: Vec<String>,
    pub domains: Option<Vec<String>>,
    pub own_links_only: bool,
    pub rate_limit: Option<i32>,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub created_by: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Shown once, in the answer that created the key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
}

const COLUMNS: &str = "jsonb_build_object('id', k.id, 'name', k.name, 'prefix', k.prefix,
        'scopes', k.scopes, 'domains', k.domains, 'own_links_only', k.own_links_only,
        'rate_limit', k.rate_limit, 'expires_at', k.expires_at, 'created_at', k.created_at,
        'created_by', k.created_by, 'revoked_at', k.revoked_at, 'last_used_at', k.last_used_at)::text";

fn parse(json: &str) -> Result<ApiKey, Error> {
    super::from_row(json)
}

/// The workspace's keys: those in force, and the revoked ones too when `revoked`.
pub async fn list(s: &Session, revoked: bool) -> Result<Vec<ApiKey>, Error> {
    s.require("keys:manage").await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM shortlink.api_keys k
         WHERE k.user_id IS NULL AND ($1 OR k.revoked_at IS NULL) ORDER BY k.id"
    );
    s.query(&sql, &[&revoked])
        .await?
        .iter()
        .map(|r| parse(&r.get::<_, String>(0)))
        .collect()
}

/// Key `id`, if in force: a revoked key is gone from the API (404), as a deleted object
/// is; its row stays in `shortlink.api_keys` for the record, and `list` shows it on request.
pub async fn get(s: &Session, id: i64) -> Result<ApiKey, Error> {
    s.require("keys:manage").await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM shortlink.api_keys k
         WHERE k.id = $1 AND k.user_id IS NULL AND k.revoked_at IS NULL"
    );
    let row = s
        .query_opt(&sql, &[&id])
        .await?
        .ok_or_else(|| Error::not_found("API key"))?;
    parse(&row.get::<_, String>(0))
}

/// A new key in the presented key's workspace, its secret shown this once.
pub async fn create(s: &Session, name: &str, opts: &Map<String, Value>) -> Result<ApiKey, Error> {
    let workspace = s.key().workspace.clone();
    let opts = Value::Object(opts.clone()).to_string();
    let row = s
        .query_one(
            "SELECT k.id, k.secret FROM shortlink.create_api_key($1, $2, $3::text::jsonb) k",
            &[&workspace, &name, &opts],
        )
        .await?;
    let mut key = get(s, row.get(0)).await?;
    key.secret = Some(row.get(1));
    Ok(key)
}

pub async fn update(s: &Session, id: i64, opts: &Map<String, Value>) -> Result<ApiKey, Error> {
    get(s, id).await?;
    let opts = Value::Object(opts.clone()).to_string();
    s.query(
        "SELECT 1 FROM shortlink.update_api_key($1, $2::text::jsonb)",
        &[&id, &opts],
    )
    .await?;
    get(s, id).await
}

/// Revokes key `id`: refused from the next request on.
pub async fn revoke(s: &Session, id: i64) -> Result<(), Error> {
    get(s, id).await?;
    s.query("SELECT shortlink.revoke_api_key($1)", &[&id])
        .await?;
    Ok(())
}

//! `shortlink.add_domain`: registering a domain for short links in one of the caller's
//! workspaces.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::destination::normalize_domain;
use shortlink_core::options::MAX_JSON_BYTES;
use shortlink_core::{Error, Kind, Result};

use crate::error::{raise, required, OrRaise};
use crate::json_arg::{self, JsonbText};
use crate::plan;
use crate::privilege::Caller;

plan!(
    INSERT_DOMAIN,
    write,
    "INSERT INTO shortlink.domains (domain, workspace_id, metadata) VALUES ($1, $2, $3)
     ON CONFLICT (domain) DO NOTHING
     RETURNING domain, created_at, metadata",
    [TEXTOID, INT4OID, JSONBOID]
);
plan!(
    WORKSPACE_BY_NAME,
    read,
    "SELECT shortlink.workspace_id($1)",
    [TEXTOID]
);
plan!(
    CURRENT_WORKSPACE,
    read,
    "SELECT shortlink.current_workspace()",
    []
);
plan!(
    SELECT_DOMAIN,
    read,
    "SELECT domain, created_at, metadata, workspace_id FROM shortlink.domains WHERE domain = $1",
    [TEXTOID]
);

/// Registers a domain for short links. `opts`: `metadata` (object), `if_not_exists` (bool),
/// `workspace` (name; default: the caller's workspace).
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn add_domain(
    domain: Option<&str>,
    opts: default!(Option<JsonbText>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(domain, String),
        name!(created_at, TimestampWithTimeZone),
        name!(metadata, JsonB),
    ),
> {
    let (metadata, if_not_exists, workspace) =
        json_arg::parse_opts(opts).and_then(parse_opts).or_raise();
    let name = normalize_domain(domain.unwrap_or_default()).or_raise();
    if let Some(k) = crate::presented_key::presented() {
        k.require("domains:write").or_raise();
        if !k.allows_domain(&name) {
            raise(outside_key(&k, &name));
        }
    }
    let row = Spi::connect_mut(|client| {
        // As the caller: the workspace must be one of its own.
        let workspace_id = match &workspace {
            Some(w) => WORKSPACE_BY_NAME.select_one::<i32>(client, &[w.as_str().into()]),
            None => CURRENT_WORKSPACE.select_one::<i32>(client, &[]),
        };
        let workspace_id = required(workspace_id, "the workspace id");
        let caller = Caller::current(client);
        caller.as_owner(|| {
            let inserted = INSERT_DOMAIN.with_mut(client, |client, stmt| {
                let t = client
                    .update(
                        stmt,
                        None,
                        &[
                            name.clone().into(),
                            workspace_id.into(),
                            JsonB(metadata.clone()).into(),
                        ],
                    )
                    .or_raise();
                (!t.is_empty()).then(|| row_of(&t.first()))
            });
            let existing = || {
                SELECT_DOMAIN.select_row(client, &[name.as_str().into()], |t| {
                    (
                        row_of(t),
                        required(t.get::<i32>(4).or_raise(), "domains.workspace_id"),
                    )
                })
            };
            match inserted {
                Some(r) => Ok(r),
                // Idempotent only within the caller's workspaces; a domain of another
                // workspace is taken all the same, and says no more than that.
                None if if_not_exists => match existing() {
                    Some((r, ws)) if caller.sees_domain(ws, &name) && ws == workspace_id => Ok(r),
                    Some((_, ws)) if caller.sees(ws) => Err(taken(&name).with_hint(
                        "It is registered to another of your workspaces: pass that workspace in \"workspace\", or choose another domain.",
                    )),
                    _ => Err(taken(&name).with_hint(
                        "A domain belongs to one workspace, and this one is registered outside yours: choose another domain.",
                    )),
                },
                None => Err(taken(&name)
                    .with_hint("Pass {\"if_not_exists\": true} to make registration idempotent.")),
            }
        })
    })
    .or_raise();
    TableIterator::once(row)
}

/// A presented key restricted to some domains adds no other.
fn outside_key(k: &crate::presented_key::Presented, name: &str) -> Error {
    Error::new(
        Kind::InsufficientPrivilege,
        format!(
            "API key \"sl_{}\" is restricted to domains {} and cannot act on domain \"{name}\"",
            k.prefix,
            k.domains.as_deref().unwrap_or_default().join(", ")
        ),
    )
}

plan!(
    VISIBLE_DOMAIN,
    read,
    "SELECT workspace_id FROM shortlink.domains WHERE domain = $1",
    [TEXTOID]
);
plan!(
    DELETE_DOMAIN,
    write,
    "DELETE FROM shortlink.domains WHERE domain = $1 RETURNING domain",
    [TEXTOID]
);

/// Removes a registered domain of the caller's that no link uses (23503 while one does,
/// from the domains_guard trigger). A domain the caller does not see is P0002.
#[pg_extern(volatile, parallel_unsafe, strict)]
#[search_path(pg_catalog, pg_temp)]
fn remove_domain(domain: &str) -> bool {
    crate::presented_key::require("domains:write").or_raise();
    let name = normalize_domain(domain).or_raise();
    Spi::connect_mut(|client| {
        // As the caller: row-level security shows its workspaces' domains (and a key's).
        let visible = VISIBLE_DOMAIN.select_one::<i32>(client, &[name.as_str().into()]);
        let caller = Caller::current(client);
        if !visible.is_some_and(|ws| caller.sees_domain(ws, &name)) {
            raise(Error::new(
                Kind::NotFound,
                format!("domain \"{name}\" is not registered"),
            ));
        }
        caller.as_owner(|| {
            DELETE_DOMAIN.with_mut(client, |client, stmt| {
                !client
                    .update(stmt, None, &[name.as_str().into()])
                    .or_raise()
                    .is_empty()
            })
        })
    })
}

fn taken(name: &str) -> Error {
    Error::new(
        Kind::AlreadyExists,
        format!("domain \"{name}\" already exists"),
    )
}

/// A `shortlink.domains` row `(domain, created_at, metadata)` from a positioned table.
fn row_of(t: &pgrx::spi::SpiTupleTable<'_>) -> (String, TimestampWithTimeZone, JsonB) {
    (
        required(t.get(1).or_raise(), "domains.domain"),
        required(t.get(2).or_raise(), "domains.created_at"),
        required(t.get(3).or_raise(), "domains.metadata"),
    )
}

fn parse_opts(opts: Value) -> Result<(Value, bool, Option<String>)> {
    let mut metadata = Value::Object(Default::default());
    let mut if_not_exists = false;
    let mut workspace = None;
    match opts {
        Value::Null => {}
        Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("metadata", v @ Value::Object(_)) => metadata = v,
                    ("metadata", _) => {
                        return Err(Error::option("metadata", "must be a JSON object"))
                    }
                    ("if_not_exists", Value::Bool(b)) => if_not_exists = b,
                    ("if_not_exists", _) => {
                        return Err(Error::option("if_not_exists", "must be true or false"))
                    }
                    ("workspace", Value::String(w)) => workspace = Some(w),
                    ("workspace", _) => {
                        return Err(Error::option("workspace", "must be a workspace name"))
                    }
                    (other, _) => {
                        return Err(Error::new(
                            Kind::InvalidParameter,
                            format!("unknown option \"{other}\""),
                        )
                        .with_hint("Known options: metadata, if_not_exists, workspace."))
                    }
                }
            }
        }
        _ => {
            return Err(Error::new(
                Kind::InvalidParameter,
                "invalid options: must be a JSON object",
            ))
        }
    }
    if metadata.to_string().len() > MAX_JSON_BYTES {
        return Err(Error::option(
            "metadata",
            format!("must be at most {MAX_JSON_BYTES} bytes serialized"),
        ));
    }
    Ok((metadata, if_not_exists, workspace))
}

//! Readiness: whether the database answers and the configured role may call every
//! function this server calls, checked in one query at start and then on /readyz
//! (at most once per [`CACHE_FOR`]). Each way of not being ready has its own reason,
//! which /readyz answers with and the log says once per change.

use std::time::{Duration, Instant};
use tokio_postgres::error::SqlState;

use crate::db::error::DbError;

/// How long a check answers /readyz before the next one: probes every second from
/// several load balancers cost one query per interval.
const CACHE_FOR: Duration = Duration::from_secs(2);

/// Longest a check may take before it counts as the database not answering.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// A function the server calls: its name in schema shortlink, its argument types as
/// `pg_catalog.oidvectortypes` spells them, and the recipe that grants it.
struct Function {
    name: &'static str,
    args: &'static str,
    grant: &'static str,
}

/// What the redirect listener calls (redirect.rs, shared_conn.rs).
const REDIRECT: &[Function] = &[
    Function {
        name: "record_click",
        args: "text, text, inet, text, text, text, text, text",
        grant: "grant_redirect",
    },
    Function {
        name: "peek_click",
        args: "text, text, inet, text, text, text, text, text",
        grant: "grant_redirect",
    },
    Function {
        name: "link_card",
        args: "text, text",
        grant: "grant_redirect",
    },
];

/// What the dispatcher calls (dispatch.rs, and /metrics' backlog).
const DISPATCHER: &[Function] = &[
    Function {
        name: "claim_deliveries",
        args: "integer, interval",
        grant: "grant_dispatcher",
    },
    Function {
        name: "finish_delivery",
        args: "bigint, text, integer, text, boolean",
        grant: "grant_dispatcher",
    },
    Function {
        name: "delivery_backlog",
        args: "",
        grant: "grant_dispatcher",
    },
];

/// The role, database and extension, and which of the functions (by position in the
/// list given) are missing or not executable. Looked up in the catalogs rather than with
/// `to_regprocedure`, which raises an error instead of answering for a role without
/// USAGE on the schema.
const CHECK: &str = "SELECT current_user::text, current_database()::text,
       (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'shortlink'),
       (SELECT pg_catalog.has_schema_privilege(n.oid, 'USAGE')
        FROM pg_catalog.pg_namespace n WHERE n.nspname = 'shortlink'),
       ARRAY(SELECT w.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(name, args, i)
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_proc p
                               JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                               WHERE n.nspname = 'shortlink' AND p.proname = w.name
                                 AND pg_catalog.oidvectortypes(p.proargtypes) = w.args)
             ORDER BY w.i),
       ARRAY(SELECT w.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(name, args, i)
             WHERE EXISTS (SELECT FROM pg_catalog.pg_proc p
                           JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                           WHERE n.nspname = 'shortlink' AND p.proname = w.name
                             AND pg_catalog.oidvectortypes(p.proargtypes) = w.args
                             AND NOT pg_catalog.has_function_privilege(p.oid, 'EXECUTE'))
             ORDER BY w.i)";

/// What a check found in the database.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub role: String,
    pub database: String,
    /// `pg_extension.extversion`; None when the extension is not installed.
    pub extension: Option<String>,
    /// USAGE on schema shortlink; None when there is no such schema.
    schema_usage: Option<bool>,
    /// Positions in the needed functions.
    missing: Vec<i64>,
    denied: Vec<i64>,
}

/// The functions a server with redirects and/or the dispatcher on calls.
fn needed(redirects: bool, dispatcher: bool) -> Vec<&'static Function> {
    let mut needs: Vec<&'static Function> = Vec::new();
    if redirects {
        needs.extend(REDIRECT);
    }
    if dispatcher {
        needs.extend(DISPATCHER);
    }
    needs
}

/// The outcome of one check: what was found (None: the database could not be asked)
/// and why the server is not ready, if it is not.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub found: Option<Found>,
    pub not_ready: Option<String>,
}

struct Cache {
    at: Instant,
    checked: Checked,
}

pub struct Readiness {
    pool: deadpool_postgres::Pool,
    needs: Vec<&'static Function>,
    /// Held while checking, so that concurrent probes share one query.
    cache: tokio::sync::Mutex<Option<Cache>>,
}

impl Readiness {
    pub fn new(pool: deadpool_postgres::Pool, redirects: bool, dispatcher: bool) -> Self {
        Readiness {
            pool,
            needs: needed(redirects, dispatcher),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The check at start, which the caller reports; later changes are logged by
    /// [`Readiness::check`].
    pub async fn first_check(&self) -> Checked {
        let checked = self.check_now().await;
        *self.cache.lock().await = Some(Cache {
            at: Instant::now(),
            checked: checked.clone(),
        });
        checked
    }

    /// The latest check, made now when the cached one is older than [`CACHE_FOR`].
    pub async fn check(&self) -> Checked {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| c.at.elapsed() < CACHE_FOR) {
            return c.checked.clone();
        }
        let checked = self.check_now().await;
        let before = cache.as_ref().map(|c| &c.checked.not_ready);
        if before != Some(&checked.not_ready) {
            match &checked.not_ready {
                None => tracing::info!("ready"),
                Some(reason) => tracing::warn!(reason = %reason, "not ready"),
            }
        }
        *cache = Some(Cache {
            at: Instant::now(),
            checked: checked.clone(),
        });
        checked
    }

    async fn check_now(&self) -> Checked {
        let found = match tokio::time::timeout(CHECK_TIMEOUT, self.query()).await {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                return Checked {
                    found: None,
                    not_ready: Some(connection_failure(&e)),
                }
            }
            Err(_) => {
                return Checked {
                    found: None,
                    not_ready: Some(format!(
                        "database unreachable: no answer within {} s",
                        CHECK_TIMEOUT.as_secs()
                    )),
                }
            }
        };
        let not_ready = verdict(&found, &self.needs);
        Checked {
            found: Some(found),
            not_ready,
        }
    }

    async fn query(&self) -> Result<Found, DbError> {
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached(CHECK).await?;
        let names: Vec<&str> = self.needs.iter().map(|f| f.name).collect();
        let args: Vec<&str> = self.needs.iter().map(|f| f.args).collect();
        let row = client.query_one(&stmt, &[&names, &args]).await?;
        Ok(Found {
            role: row.try_get(0)?,
            database: row.try_get(1)?,
            extension: row.try_get(2)?,
            schema_usage: row.try_get(3)?,
            missing: row.try_get(4)?,
            denied: row.try_get(5)?,
        })
    }
}

/// Why a connection could not be made or used: the server refusing it (no such role or
/// database, a failed login) is said as PostgreSQL says it; anything else is the
/// database being unreachable.
fn connection_failure(e: &DbError) -> String {
    let refused = [
        SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        SqlState::INVALID_PASSWORD,
        SqlState::INVALID_CATALOG_NAME,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::CANNOT_CONNECT_NOW,
    ];
    match &e.sqlstate {
        Some(s) if refused.contains(s) => format!("the database refused the connection: {e}"),
        Some(_) => format!("the readiness check failed: {e}"),
        None => format!("database unreachable: {e}"),
    }
}

/// `role` as `regrole` input in a string literal: `'edge'`, `'"Edge"'`.
fn regrole_literal(role: &str) -> String {
    let plain = role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    let ident = if plain {
        role.to_owned()
    } else {
        format!("\"{}\"", role.replace('"', "\"\""))
    };
    format!("'{}'", ident.replace('\'', "''"))
}

fn signature(f: &Function) -> String {
    format!("shortlink.{}({})", f.name, f.args)
}

/// The statements that grant `role` the functions `fs`: one per recipe.
fn recipes<'f>(role: &str, fs: impl Iterator<Item = &'f Function>) -> String {
    let mut grants: Vec<&str> = fs.map(|f| f.grant).collect();
    // The lists keep each recipe's functions together.
    grants.dedup();
    grants
        .iter()
        .map(|g| format!("SELECT shortlink.{g}({})", regrole_literal(role)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why `found` is not enough for `needs`, or None when it is.
fn verdict(found: &Found, needs: &[&Function]) -> Option<String> {
    let role = &found.role;
    if needs.is_empty() {
        return None;
    }
    let Some(version) = &found.extension else {
        return Some(format!(
            "the shortlink extension is not installed in database \"{}\": run CREATE EXTENSION shortlink",
            found.database
        ));
    };
    let at = |i: &i64| {
        usize::try_from(*i - 1)
            .ok()
            .and_then(|i| needs.get(i).copied())
    };
    if !found.missing.is_empty() {
        let missing: Vec<String> = found.missing.iter().filter_map(at).map(signature).collect();
        return Some(format!(
            "the shortlink extension (version {version}) has no {}: run ALTER EXTENSION shortlink UPDATE",
            missing.join(", ")
        ));
    }
    if found.schema_usage != Some(true) {
        return Some(format!(
            "role \"{role}\" lacks USAGE on schema shortlink: run {}",
            recipes(role, needs.iter().copied())
        ));
    }
    if !found.denied.is_empty() {
        let denied: Vec<&Function> = found.denied.iter().filter_map(at).collect();
        let names: Vec<String> = denied.iter().copied().map(signature).collect();
        return Some(format!(
            "role \"{role}\" lacks EXECUTE on {}: run {}",
            names.join(", "),
            recipes(role, denied.iter().copied())
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(redirects: bool, dispatcher: bool) -> Vec<&'static Function> {
        needed(redirects, dispatcher)
    }

    fn found() -> Found {
        Found {
            role: "edge".into(),
            database: "app".into(),
            extension: Some("0.2.0".into()),
            schema_usage: Some(true),
            missing: vec![],
            denied: vec![],
        }
    }

    #[test]
    fn a_role_with_every_grant_is_ready() {
        assert_eq!(verdict(&found(), &needs(true, true)), None);
    }

    #[test]
    fn a_missing_extension_says_to_create_it() {
        let f = Found {
            extension: None,
            schema_usage: None,
            ..found()
        };
        assert_eq!(
            verdict(&f, &needs(true, false)).unwrap(),
            "the shortlink extension is not installed in database \"app\": run CREATE EXTENSION shortlink"
        );
    }

    #[test]
    fn a_role_without_usage_gets_the_recipes_of_what_is_on() {
        let f = Found {
            schema_usage: Some(false),
            ..found()
        };
        assert_eq!(
            verdict(&f, &needs(true, true)).unwrap(),
            "role \"edge\" lacks USAGE on schema shortlink: run SELECT shortlink.grant_redirect('edge'); SELECT shortlink.grant_dispatcher('edge')"
        );
        assert_eq!(
            verdict(&f, &needs(true, false)).unwrap(),
            "role \"edge\" lacks USAGE on schema shortlink: run SELECT shortlink.grant_redirect('edge')"
        );
    }

    #[test]
    fn denied_functions_are_named_with_the_grant_that_gives_them() {
        // With both on, positions 4 to 6 are the dispatcher's.
        let f = Found {
            denied: vec![4, 5, 6],
            ..found()
        };
        assert_eq!(
            verdict(&f, &needs(true, true)).unwrap(),
            "role \"edge\" lacks EXECUTE on shortlink.claim_deliveries(integer, interval), \
             shortlink.finish_delivery(bigint, text, integer, text, boolean), \
             shortlink.delivery_backlog(): run SELECT shortlink.grant_dispatcher('edge')"
        );
        let f = Found {
            denied: vec![1],
            ..found()
        };
        assert_eq!(
            verdict(&f, &needs(true, false)).unwrap(),
            "role \"edge\" lacks EXECUTE on shortlink.record_click(text, text, inet, text, text, text, text, text): run SELECT shortlink.grant_redirect('edge')"
        );
    }

    #[test]
    fn an_old_extension_says_to_update_it() {
        let f = Found {
            extension: Some("0.1.0".into()),
            missing: vec![3],
            ..found()
        };
        assert_eq!(
            verdict(&f, &needs(true, false)).unwrap(),
            "the shortlink extension (version 0.1.0) has no shortlink.link_card(text, text): run ALTER EXTENSION shortlink UPDATE"
        );
    }

    #[test]
    fn nothing_to_call_needs_only_the_database() {
        let f = Found {
            extension: None,
            ..found()
        };
        assert_eq!(verdict(&f, &needs(false, false)), None);
    }

    #[test]
    fn role_names_are_quoted_as_regrole_reads_them() {
        assert_eq!(regrole_literal("edge_1"), "'edge_1'");
        assert_eq!(regrole_literal("Edge"), "'\"Edge\"'");
        assert_eq!(regrole_literal("o'brien"), "'\"o''brien\"'");
        assert_eq!(regrole_literal("a\"b"), "'\"a\"\"b\"'");
    }

    #[test]
    fn refusals_are_told_apart_from_an_unreachable_database() {
        let role = DbError {
            sqlstate: Some(SqlState::INVALID_AUTHORIZATION_SPECIFICATION),
            message: "role \"ghost\" does not exist".into(),
            unreachable: false,
        };
        assert_eq!(
            connection_failure(&role),
            "the database refused the connection: role \"ghost\" does not exist (SQLSTATE 28000)"
        );
        assert_eq!(
            connection_failure(&DbError::other(
                "error connecting to server: Connection refused (os error 111)"
            )),
            "database unreachable: error connecting to server: Connection refused (os error 111)"
        );
    }
}

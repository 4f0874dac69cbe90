//! The dashboard's people: sign-in, sessions, invitations, members and public statistics
//! pages, through the extension's functions (sql/dashboard.sql). A signed-in session is an
//! API key of the user's workspace with its role's scopes: once signed in, every page runs
//! in a [`Session`] as an API request does, and the database decides what it may see.

use serde::Serialize;

use super::{Error, Service, Session};

/// A session just opened: its secret (the cookie's value, shown to no one else), where
/// and as what.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub secret: String,
    /// Seconds until it expires.
    pub lifetime: i64,
}

/// What a sign-in came to.
#[derive(Clone, Debug)]
pub enum SignIn {
    Opened(SignedIn),
    /// The e-mail, the password or the workspace is wrong (which, is not told).
    Refused,
    /// Too many refusals in a row: seconds to wait.
    Locked {
        retry_after: i64,
    },
}

/// Who a session is.
#[derive(Clone, Debug, Serialize)]
pub struct Member {
    pub email: String,
    pub workspace: String,
    /// owner, editor or viewer.
    pub role: String,
    /// The user's workspaces, to switch between.
    pub workspaces: Vec<String>,
}

impl Member {
    pub fn may_edit(&self) -> bool {
        self.role == "owner" || self.role == "editor"
    }

    pub fn is_owner(&self) -> bool {
        self.role == "owner"
    }
}

/// A member of the session's workspace, or an invitation still pending.
#[derive(Clone, Debug)]
pub struct Membership {
    pub email: String,
    pub role: String,
    pub since: String,
    pub pending: bool,
    pub expires_at: Option<String>,
}

/// An invitation just made: its token, shown once.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub token: String,
    pub expires_at: String,
}

/// The link of a public statistics page.
#[derive(Clone, Debug)]
pub struct SharedLink {
    pub code: String,
    pub domain: String,
    pub created_at: String,
}

/// One row of a public page's totals (`dimension`, `key`).
#[derive(Clone, Debug)]
pub struct SharedTotal {
    pub dimension: String,
    pub key: Option<String>,
    pub clicks: i64,
    pub bot_clicks: i64,
}

/// A session's length, as sign_in and accept_invitation take it.
fn lifetime_interval(hours: u32) -> String {
    format!("{} hours", hours.clamp(1, 720))
}

const SIGNED_IN: &str = "secret, extract(epoch FROM expires_at - now())::bigint";

fn signed_in(row: &tokio_postgres::Row) -> SignedIn {
    SignedIn {
        secret: row.get(0),
        lifetime: row.get(1),
    }
}

impl Service {
    /// Signs in with `email` and `password`, in `workspace` or the user's first.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        workspace: Option<&str>,
        hours: u32,
    ) -> Result<SignIn, Error> {
        let sql = format!(
            "SELECT {SIGNED_IN}, refused, retry_after
             FROM shortlink.sign_in($1, $2, $3, $4::text::interval)"
        );
        let row = self
            .statement_row(
                &sql,
                &[&email, &password, &workspace, &lifetime_interval(hours)],
            )
            .await?;
        Ok(match row.get::<_, Option<String>>(2).as_deref() {
            None => SignIn::Opened(signed_in(&row)),
            Some("locked") => SignIn::Locked {
                retry_after: row.get::<_, Option<i32>>(3).unwrap_or(1).into(),
            },
            Some(_) => SignIn::Refused,
        })
    }

    /// Accepts invitation `token`, and signs its user in.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        hours: u32,
    ) -> Result<SignedIn, Error> {
        let sql = format!(
            "SELECT {SIGNED_IN} FROM shortlink.accept_invitation($1, $2, $3::text::interval)"
        );
        let row = self
            .statement_row(&sql, &[&token, &password, &lifetime_interval(hours)])
            .await?;
        Ok(signed_in(&row))
    }

    /// The link of public statistics page `token`, if it is shared.
    pub async fn shared_link(&self, token: &str) -> Result<Option<SharedLink>, Error> {
        let row = self
            .statement_opt(
                "SELECT code, domain, created_at::text FROM shortlink.shared_link($1)",
                &[&token],
            )
            .await?;
        Ok(row.map(|r| SharedLink {
            code: r.get(0),
            domain: r.get(1),
            created_at: r.get(2),
        }))
    }

    /// A public page's totals over [since, until) for `dims`.
    pub async fn shared_totals(
        &self,
        token: &str,
        since: Option<&str>,
        until: Option<&str>,
        dims: &[&str],
    ) -> Result<Vec<SharedTotal>, Error> {
        let dims: Vec<String> = dims.iter().map(|d| (*d).to_owned()).collect();
        let rows = self
            .statement_rows(
                "SELECT dimension, key, clicks, bot_clicks
                 FROM shortlink.shared_click_totals($1, $2::text::timestamptz, $3::text::timestamptz, $4)
                 ORDER BY dimension, clicks DESC, key",
                &[&token, &since, &until, &dims],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SharedTotal {
                dimension: r.get(0),
                key: r.get(1),
                clicks: r.get(2),
                bot_clicks: r.get(3),
            })
            .collect())
    }

    /// A public page's clicks per hour over [since, until): (hour start in UTC as
    /// `YYYY-MM-DD HH24:00`, people, bots), oldest first.
    pub async fn shared_hours(
        &self,
        token: &str,
        since: &str,
        until: Option<&str>,
    ) -> Result<Vec<(String, i64, i64)>, Error> {
        let rows = self
            .statement_rows(
                "SELECT to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00'),
                        sum(clicks)::bigint, sum(bot_clicks)::bigint
                 FROM shortlink.shared_click_hours($1, $2::text::timestamptz, $3::text::timestamptz)
                 GROUP BY 1 ORDER BY 1",
                &[&token, &since, &until],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}

/// Who the session is.
pub async fn member(s: &Session) -> Result<Member, Error> {
    let row = s
        .query_one(
            "SELECT email, workspace, role, workspaces FROM shortlink.session_info()",
            &[],
        )
        .await?;
    Ok(Member {
        email: row.get(0),
        workspace: row.get(1),
        role: row.get(2),
        workspaces: row.get(3),
    })
}

/// Ends the session, or every session of its user.
pub async fn sign_out(s: &Session, everywhere: bool) -> Result<i32, Error> {
    Ok(s.query_one("SELECT shortlink.sign_out($1)", &[&everywhere])
        .await?
        .get(0))
}

/// A session in another of the user's workspaces (this one ends).
pub async fn switch_workspace(s: &Session, workspace: &str) -> Result<SignedIn, Error> {
    let sql = format!("SELECT {SIGNED_IN} FROM shortlink.switch_workspace($1)");
    Ok(signed_in(&s.query_one(&sql, &[&workspace]).await?))
}

/// Invites `email` to the session's workspace as `role`.
pub async fn invite(s: &Session, email: &str, role: &str) -> Result<Invitation, Error> {
    let row = s
        .query_one(
            "SELECT token, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')
             FROM shortlink.invite_user($1, $2)",
            &[&email, &role],
        )
        .await?;
    Ok(Invitation {
        token: row.get(0),
        expires_at: row.get(1),
    })
}

/// The members of the session's workspace, and its pending invitations (an owner's).
pub async fn members(s: &Session) -> Result<Vec<Membership>, Error> {
    let rows = s
        .query(
            "SELECT email, role, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD'), pending,
                    to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
             FROM shortlink.members()",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Membership {
            email: r.get(0),
            role: r.get(1),
            since: r.get(2),
            pending: r.get(3),
            expires_at: r.get(4),
        })
        .collect())
}

/// Removes `email` from the session's workspace: whether it was a member or invited.
pub async fn remove_member(s: &Session, email: &str) -> Result<bool, Error> {
    Ok(s.query_one("SELECT shortlink.remove_member($1)", &[&email])
        .await?
        .get(0))
}

/// Turns link `id`'s public statistics page on (its token) or off (None).
pub async fn share_stats(s: &Session, link_id: i64, on: bool) -> Result<Option<String>, Error> {
    Ok(
        s.query_one("SELECT shortlink.share_stats($1, $2)", &[&link_id, &on])
            .await?
            .get(0),
    )
}

/// The token of link `id`'s public statistics page, if it is shared.
pub async fn shared_token(s: &Session, link_id: i64) -> Result<Option<String>, Error> {
    Ok(s.query_opt(
        "SELECT t.token FROM shortlink.shared_stats t WHERE t.link_id = $1",
        &[&link_id],
    )
    .await?
    .map(|r| r.get(0)))
}

//! The workspace's API keys (made, shown once, revoked), members (invited, removed) and
//! short domains (added, removed): the same service calls as the HTTP API's, refused by
//! the database for a role that may not make them.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

use super::form::Form;
use super::frame::{notice, Frame, Nav};
use super::links::{origin, short_time, when};
use super::session::{finish, secure, signed_in, Signed};
use super::{message_of, render, see_other, status_of, Dashboard};
use crate::service::domains::{self, Domain};
use crate::service::keys::{self, ApiKey};
use crate::service::people::{self, Membership};
use crate::service::{Class, Error};

/// The scopes a key may be given, with what each lets it do.
const SCOPES: &[(&str, &str)] = &[
    ("links:read", "Read links"),
    ("links:write", "Make and change links"),
    ("analytics:read", "Read clicks"),
    ("domains:read", "Read domains"),
    ("domains:write", "Add and remove domains"),
    ("sending:read", "Read sending lists and offers"),
    ("sending:write", "Change sending lists and offers"),
    ("keys:manage", "Manage API keys"),
];

/// A key as the keys page lists it.
pub struct KeyRow {
    pub key: ApiKey,
    pub created: String,
    pub last_used: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "dashboard/keys.html")]
struct KeysPage {
    frame: Frame,
    keys: Vec<KeyRow>,
    scopes: &'static [(&'static str, &'static str)],
    /// The key just made, with its secret: shown this once.
    made: Option<ApiKey>,
    error: Option<String>,
}

async fn keys_page(
    signed: Signed,
    status: StatusCode,
    made: Option<ApiKey>,
    error: Option<String>,
    done: Option<String>,
) -> Response {
    let result = async {
        let list = keys::list(&signed.session, false).await?;
        let rows = list
            .into_iter()
            .map(|k| KeyRow {
                created: short_time(&k.created_at),
                last_used: when(&k.last_used_at),
                expires: when(&k.expires_at),
                key: k,
            })
            .collect();
        Ok(render(
            status,
            &KeysPage {
                frame: Frame::new("API keys", &signed, Nav::Keys).with_notice(done),
                keys: rows,
                scopes: SCOPES,
                made,
                error,
            },
        ))
    }
    .await;
    finish(signed, result).await
}

pub async fn keys(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let done = notice(q.get("done").map(String::as_str), None);
    keys_page(signed, StatusCode::OK, None, None, done).await
}

pub async fn create_key(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    signed: Signed,
    body: Bytes,
) -> Response {
    let made = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let name = form.text("name").unwrap_or("");
        let scopes: Vec<Value> = form
            .all("scope")
            .map(|s| Value::String(s.to_owned()))
            .collect();
        if scopes.is_empty() {
            return Err(
                Error::new(Class::Unprocessable, "choose at least one scope").with_field("scopes"),
            );
        }
        let mut opts = Map::new();
        opts.insert("scopes".to_owned(), Value::Array(scopes));
        keys::create(&signed.session, name, &opts).await
    }
    .await;
    match made {
        Ok(key) => keys_page(signed, StatusCode::CREATED, Some(key), None, None).await,
        Err(e) => {
            let status = status_of(&e);
            let message = message_of(&e);
            // The refused statement ended the transaction: the page is read in a new one.
            signed.session.rollback().await;
            match signed_in(&dash, &headers).await {
                Ok(s) => keys_page(s, status, None, Some(message), None).await,
                Err(r) => r,
            }
        }
    }
}

pub async fn revoke_key(
    headers: HeaderMap,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        keys::revoke(&signed.session, id).await?;
        Ok(see_other("/keys?done=revoked"))
    }
    .await;
    finish(signed, result).await
}

#[derive(Template)]
#[template(path = "dashboard/members.html")]
struct MembersPage {
    frame: Frame,
    members: Vec<Membership>,
    /// The invitation just made: its address, shown this once, whom and until when.
    invite_url: Option<String>,
    invited: String,
    invite_expires: String,
    error: Option<String>,
}

async fn members_page(
    signed: Signed,
    status: StatusCode,
    invite: Option<(String, String, String)>,
    error: Option<String>,
    done: Option<String>,
) -> Response {
    let result = async {
        let members = people::members(&signed.session).await?;
        let (invite_url, invited, invite_expires) = match invite {
            Some((url, email, until)) => (Some(url), email, until),
            None => (None, String::new(), String::new()),
        };
        Ok(render(
            status,
            &MembersPage {
                frame: Frame::new("Members", &signed, Nav::Members).with_notice(done),
                members,
                invite_url,
                invited,
                invite_expires,
                error,
            },
        ))
    }
    .await;
    finish(signed, result).await
}

pub async fn members(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let done = notice(q.get("done").map(String::as_str), None);
    members_page(signed, StatusCode::OK, None, None, done).await
}

pub async fn invite(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    signed: Signed,
    body: Bytes,
) -> Response {
    let made = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let email = form.text("email").unwrap_or("").to_owned();
        let role = form.text("role").unwrap_or("viewer");
        let invitation = people::invite(&signed.session, &email, role).await?;
        Ok::<_, Error>((invitation, email))
    }
    .await;
    match made {
        Ok((invitation, email)) => {
            let url = format!(
                "{}/invite/{}",
                origin(&headers, secure(&dash, &headers)),
                invitation.token
            );
            let invite = (url, email, invitation.expires_at);
            members_page(signed, StatusCode::CREATED, Some(invite), None, None).await
        }
        Err(e) => {
            let status = status_of(&e);
            let message = message_of(&e);
            signed.session.rollback().await;
            match signed_in(&dash, &headers).await {
                Ok(s) => members_page(s, status, None, Some(message), None).await,
                Err(r) => r,
            }
        }
    }
}

pub async fn remove_member(headers: HeaderMap, signed: Signed, body: Bytes) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let email = form
            .text("email")
            .ok_or_else(|| Error::new(Class::BadRequest, "whom to remove?"))?;
        if !people::remove_member(&signed.session, email).await? {
            return Err(Error::not_found("member"));
        }
        Ok(see_other("/members?done=removed"))
    }
    .await;
    finish(signed, result).await
}

#[derive(Template)]
#[template(path = "dashboard/domains.html")]
struct DomainsPage {
    frame: Frame,
    domains: Vec<Domain>,
    error: Option<String>,
}

async fn domains_page(
    signed: Signed,
    status: StatusCode,
    error: Option<String>,
    done: Option<String>,
) -> Response {
    let result = async {
        let list = domains::list(&signed.session).await?;
        Ok(render(
            status,
            &DomainsPage {
                frame: Frame::new("Domains", &signed, Nav::Domains).with_notice(done),
                domains: list,
                error,
            },
        ))
    }
    .await;
    finish(signed, result).await
}

pub async fn domains(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let done = notice(q.get("done").map(String::as_str), None);
    domains_page(signed, StatusCode::OK, None, done).await
}

/// Adds or removes a domain, then shows the list (or the database's refusal on it).
async fn change_domain(dash: &Dashboard, headers: &HeaderMap, body: &Bytes, add: bool) -> Response {
    let signed = match signed_in(dash, headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let changed = async {
        let form = Form::from_body(headers, body)?;
        signed.check_form(&form)?;
        let domain = form.text("domain").unwrap_or("");
        if add {
            domains::add(&signed.session, domain).await.map(drop)
        } else {
            domains::remove(&signed.session, domain).await
        }
    }
    .await;
    match changed {
        Ok(()) => {
            let to = if add {
                "/domains?done=added"
            } else {
                "/domains?done=removed"
            };
            finish(signed, Ok(see_other(to))).await
        }
        Err(e) => {
            let status = status_of(&e);
            let message = message_of(&e);
            signed.session.rollback().await;
            match signed_in(dash, headers).await {
                Ok(s) => domains_page(s, status, Some(message), None).await,
                Err(r) => r,
            }
        }
    }
}

pub async fn add_domain(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change_domain(&dash, &headers, &body, true).await
}

pub async fn remove_domain(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change_domain(&dash, &headers, &body, false).await
}

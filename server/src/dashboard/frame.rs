//! What every page has around its content (templates/dashboard/base.html): its title,
//! the navigation, who is signed in, and a notice after a change.

use askama::Template;
use axum::response::Response;

use super::session::Signed;
use super::{message_of, render, status_of};
use crate::service::people::Member;
use crate::service::Error;

/// The navigation's sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    None,
    Links,
    Analytics,
    Keys,
    Members,
    Domains,
}

pub struct Frame {
    pub title: String,
    pub member: Option<Member>,
    pub csrf: String,
    pub nav: Nav,
    /// Said at the top of the page (role="status"), after a change.
    pub notice: Option<String>,
}

impl Frame {
    pub fn new(title: impl Into<String>, signed: &Signed, nav: Nav) -> Frame {
        Frame {
            title: title.into(),
            member: Some(signed.member.clone()),
            csrf: signed.csrf.clone(),
            nav,
            notice: None,
        }
    }

    /// A page of no one signed in (sign-in, invitation, public statistics).
    pub fn public(title: impl Into<String>) -> Frame {
        Frame {
            title: title.into(),
            member: None,
            csrf: String::new(),
            nav: Nav::None,
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Frame {
        self.notice = notice;
        self
    }

    /// `aria-current` of the navigation link of section `name` ("links", "analytics",
    /// …): "page" for the page's own section.
    pub fn current(&self, name: &str) -> &'static str {
        let this = match self.nav {
            Nav::None => "",
            Nav::Links => "links",
            Nav::Analytics => "analytics",
            Nav::Keys => "keys",
            Nav::Members => "members",
            Nav::Domains => "domains",
        };
        if this == name {
            "page"
        } else {
            "false"
        }
    }

    pub fn may_edit(&self) -> bool {
        self.member.as_ref().is_some_and(Member::may_edit)
    }

    pub fn is_owner(&self) -> bool {
        self.member.as_ref().is_some_and(Member::is_owner)
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage {
    frame: Frame,
    status: u16,
    message: String,
}

/// The page of an error: its status, and the database's words for it.
pub fn error_page(signed: Option<&Signed>, e: &Error) -> Response {
    let status = status_of(e);
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let frame = match signed {
        Some(s) => Frame::new(title, s, Nav::None),
        None => Frame::public(title),
    };
    // A refusal for lack of a scope is the member's role speaking: say so first.
    let message = match (signed, e.class) {
        (Some(s), crate::service::Class::Forbidden) => format!(
            "You are {} {} in this workspace, which does not allow this. ({})",
            if s.member.role == "owner" { "an" } else { "a" },
            s.member.role,
            message_of(e)
        ),
        _ => message_of(e),
    };
    render(
        status,
        &ErrorPage {
            frame,
            status: status.as_u16(),
            message,
        },
    )
}

/// The words of a notice key put in a redirect's query (`?done=…`), if known.
pub fn notice(done: Option<&str>, count: Option<&str>) -> Option<String> {
    let n = count.and_then(|c| c.parse::<u64>().ok()).unwrap_or(1);
    let links = if n == 1 {
        "1 link".to_owned()
    } else {
        format!("{n} links")
    };
    Some(match done? {
        "created" => "Link created.".to_owned(),
        "saved" => "Link saved.".to_owned(),
        "deleted" => format!("Deleted {links}."),
        "disabled" => format!("Disabled {links}."),
        "enabled" => format!("Enabled {links}."),
        "tagged" => format!("Tagged {links}."),
        "shared" => "The public statistics page is on.".to_owned(),
        "unshared" => "The public statistics page is off.".to_owned(),
        "revoked" => "Key revoked.".to_owned(),
        "removed" => "Removed.".to_owned(),
        "added" => "Domain added.".to_owned(),
        "switched" => "Workspace switched.".to_owned(),
        _ => return None,
    })
}

//! Signing in and out, switching workspace, and accepting an invitation.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

use super::form::Form;
use super::frame::{error_page, Frame};
use super::session::{self, cookie, same_token, Signed, FORM_TOKEN};
use super::{message_of, render, see_other, status_of, Dashboard};
use crate::service::people::{self, SignIn, SignedIn};
use crate::service::{Class, Error};

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    frame: Frame,
    form_token: String,
    email: String,
    workspace: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/invite.html")]
struct InvitePage {
    frame: Frame,
    form_token: String,
    token: String,
    error: Option<String>,
}

/// A new random token for a form shown before any session, with the cookie that holds it.
fn form_token(dash: &Dashboard, headers: &HeaderMap) -> (String, HeaderValue) {
    // 256 random bits from the operating system, as API keys' secrets.
    let token = shortlink_core::api_key::token().unwrap_or_default();
    let c = session::set_cookie(FORM_TOKEN, &token, 3600, session::secure(dash, headers));
    (token, c)
}

/// Whether a form shown before any session carries the token its cookie holds.
fn form_token_ok(headers: &HeaderMap, form: &Form) -> bool {
    match (cookie(headers, FORM_TOKEN), form.get("form_token")) {
        (Some(c), Some(f)) => !c.is_empty() && same_token(c, f),
        _ => false,
    }
}

fn with_cookie(mut r: Response, c: HeaderValue) -> Response {
    r.headers_mut().append(header::SET_COOKIE, c);
    r
}

fn login_form(
    dash: &Dashboard,
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    workspace: &str,
    error: Option<String>,
) -> Response {
    let (token, c) = form_token(dash, headers);
    let page = LoginPage {
        frame: Frame::public("Sign in"),
        form_token: token,
        email: email.to_owned(),
        workspace: workspace.to_owned(),
        error,
    };
    with_cookie(render(status, &page), c)
}

/// Opens the browser's session: its cookie, and off to the links.
fn opened(dash: &Dashboard, headers: &HeaderMap, s: &SignedIn, to: &str) -> Response {
    let mut r = see_other(to);
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        session::session_cookie(dash, headers, &s.secret, s.lifetime),
    );
    h.append(
        header::SET_COOKIE,
        session::set_cookie(FORM_TOKEN, "", 0, session::secure(dash, headers)),
    );
    r
}

pub async fn login_page(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let error = q
        .contains_key("expired")
        .then(|| "Your session has ended: sign in again.".to_owned());
    login_form(&dash, &headers, StatusCode::OK, "", "", error)
}

pub async fn login(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match Form::from_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return error_page(None, &e),
    };
    let email = form.text("email").unwrap_or("");
    let workspace = form.text("workspace").unwrap_or("");
    if !form_token_ok(&headers, &form) {
        return login_form(
            &dash,
            &headers,
            StatusCode::FORBIDDEN,
            email,
            workspace,
            Some("This form has expired: sign in again.".to_owned()),
        );
    }
    let password = form.get("password").unwrap_or("");
    let ws = (!workspace.is_empty()).then_some(workspace);
    match dash
        .service
        .sign_in(email, password, ws, dash.session_hours)
        .await
    {
        Ok(SignIn::Opened(s)) => opened(&dash, &headers, &s, "/links"),
        Ok(SignIn::Refused) => login_form(
            &dash,
            &headers,
            StatusCode::UNAUTHORIZED,
            email,
            workspace,
            Some("Wrong e-mail, password or workspace.".to_owned()),
        ),
        Ok(SignIn::Locked { retry_after }) => {
            let mut r = login_form(
                &dash,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                email,
                workspace,
                Some(format!(
                    "Too many failed attempts: wait {retry_after} seconds before trying again."
                )),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            r
        }
        Err(e) => login_form(
            &dash,
            &headers,
            status_of(&e),
            email,
            workspace,
            Some(message_of(&e)),
        ),
    }
}

pub async fn logout(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    signed: Signed,
    body: Bytes,
) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        people::sign_out(&signed.session, form.checked("everywhere")).await
    }
    .await;
    if let Err(e) = result {
        signed.session.rollback().await;
        return error_page(None, &e);
    }
    if let Err(e) = signed.session.commit().await {
        return error_page(None, &e);
    }
    let mut r = see_other("/login");
    for c in session::clear_session(&dash, &headers) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

pub async fn switch_workspace(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    signed: Signed,
    body: Bytes,
) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let ws = form
            .text("workspace")
            .ok_or_else(|| Error::new(Class::BadRequest, "choose a workspace"))?;
        people::switch_workspace(&signed.session, ws).await
    }
    .await;
    match result {
        Ok(s) => match signed.session.commit().await {
            Ok(()) => opened(&dash, &headers, &s, "/links?done=switched"),
            Err(e) => error_page(None, &e),
        },
        Err(e) => {
            let page = error_page(Some(&signed), &e);
            signed.session.rollback().await;
            page
        }
    }
}

pub async fn invite_page(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let (form_token, c) = form_token(&dash, &headers);
    let page = InvitePage {
        frame: Frame::public("Join a workspace"),
        form_token,
        token,
        error: None,
    };
    with_cookie(render(StatusCode::OK, &page), c)
}

pub async fn accept_invite(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let again = |status: StatusCode, error: String| {
        let (form_token, c) = form_token(&dash, &headers);
        let page = InvitePage {
            frame: Frame::public("Join a workspace"),
            form_token,
            token: token.clone(),
            error: Some(error),
        };
        with_cookie(render(status, &page), c)
    };
    let form = match Form::from_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return error_page(None, &e),
    };
    if !form_token_ok(&headers, &form) {
        return again(
            StatusCode::FORBIDDEN,
            "This form has expired: try again.".to_owned(),
        );
    }
    let password = form.get("password").unwrap_or("");
    if password.chars().count() < 8 {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "A password needs at least 8 characters.".to_owned(),
        );
    }
    match dash
        .service
        .accept_invitation(&token, password, dash.session_hours)
        .await
    {
        Ok(s) => opened(&dash, &headers, &s, "/links"),
        Err(e) => again(status_of(&e), message_of(&e)),
    }
}

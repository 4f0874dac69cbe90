//! The links: the table (search, filters, sort, keyset pages, selection with bulk
//! actions and CSV), the form that makes and edits a link, and a link's own page (its
//! clicks, QR code, public statistics page and webhook deliveries).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

use super::form::{query_string, Form};
use super::frame::{notice, Frame, Nav};
use super::link_form::{self, Group};
use super::session::{finish, Signed};
use super::stats::{self, Range, StatsView};
use super::{message_of, render, see_other, status_of, Dashboard};
use crate::service::analytics::Scope;
use crate::service::domains;
use crate::service::links::{self, Filter, Link, LinkSummary, Order, Sort};
use crate::service::people;
use crate::service::{Class, Error};

/// Links a page of the table shows.
const PAGE_SIZE: i64 = 50;
/// Links the table counts at most ("more than 10,000 links match").
const COUNT_CAP: i64 = 10_000;
/// Most links one CSV export holds (a narrower filter exports the rest).
const EXPORT_MAX: usize = 100_000;

pub async fn home(signed: Signed) -> Response {
    signed.session.rollback().await;
    see_other("/links")
}

/// The table's filters and order, as the query gives them.
#[derive(Clone, Debug, Default)]
pub struct TableQuery {
    pub q: String,
    pub domain: String,
    pub tag: String,
    /// all, active, disabled or expired.
    pub state: String,
    /// created, clicks or last_click.
    pub sort: String,
    /// desc or asc.
    pub dir: String,
    pub cursor: Option<String>,
}

impl TableQuery {
    fn from_query(q: &HashMap<String, String>) -> TableQuery {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        let pick = |k: &str, allowed: &[&str]| {
            let v = get(k);
            if allowed.contains(&v.as_str()) {
                v
            } else {
                allowed[0].to_owned()
            }
        };
        TableQuery {
            q: get("q"),
            domain: get("domain"),
            tag: get("tag"),
            state: pick("state", &["all", "active", "disabled", "expired"]),
            sort: pick("sort", &["created", "clicks", "last_click"]),
            dir: pick("dir", &["desc", "asc"]),
            cursor: q.get("cursor").filter(|c| !c.is_empty()).cloned(),
        }
    }

    fn filter(&self) -> Filter {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let (disabled, expired) = match self.state.as_str() {
            "active" => (Some(false), Some(false)),
            "disabled" => (Some(true), None),
            "expired" => (None, Some(true)),
            _ => (None, None),
        };
        Filter {
            domain: opt(&self.domain),
            tag: opt(&self.tag),
            search: opt(&self.q),
            created_after: None,
            created_before: None,
            disabled,
            expired,
        }
    }

    /// "created" is the order links were made in (their ids: a page of a million links
    /// without sorting them all).
    fn order(&self) -> Order {
        match self.sort.as_str() {
            "clicks" => Order::By(Sort::Clicks),
            "last_click" => Order::By(Sort::LastClickedAt),
            _ => Order::Made,
        }
    }

    /// The query of this table's filters, without its page.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut p = Vec::new();
        for (k, v) in [("q", &self.q), ("domain", &self.domain), ("tag", &self.tag)] {
            if !v.is_empty() {
                p.push((k, v.as_str()));
            }
        }
        if self.state != "all" {
            p.push(("state", self.state.as_str()));
        }
        if self.sort != "created" {
            p.push(("sort", self.sort.as_str()));
        }
        if self.dir != "desc" {
            p.push(("dir", self.dir.as_str()));
        }
        p
    }

    pub fn next_href(&self, cursor: &str) -> String {
        let mut p = self.pairs();
        p.push(("cursor", cursor));
        format!("/links{}", query_string(p))
    }

    pub fn csv_href(&self) -> String {
        format!("/links.csv{}", query_string(self.pairs()))
    }

    pub fn first_href(&self) -> String {
        format!("/links{}", query_string(self.pairs()))
    }
}

/// `n` with commas between thousands.
fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A link's state, as the table says it.
pub fn state_of(l: &Link) -> &'static str {
    state_name(l.disabled, l.expired)
}

fn state_name(disabled: bool, expired: bool) -> &'static str {
    if disabled {
        "disabled"
    } else if expired {
        "expired"
    } else {
        "active"
    }
}

/// A timestamp as the pages show it: minutes, UTC.
pub fn when(t: &Option<String>) -> String {
    t.as_deref().map(short_time).unwrap_or_default()
}

pub fn short_time(t: &str) -> String {
    let t: String = t.replace('T', " ").chars().take(16).collect();
    if t.is_empty() {
        t
    } else {
        format!("{t} UTC")
    }
}

#[derive(Template)]
#[template(path = "dashboard/links.html")]
struct LinksPage {
    frame: Frame,
    table: TableQuery,
    links: Vec<LinkSummary>,
    next: Option<String>,
    total: i64,
    domains: Vec<String>,
}

impl LinksPage {
    /// "1 link matches", "12 links match", "more than 10,000 links match".
    fn count_text(&self) -> String {
        match self.total {
            1 => "1 link matches".to_owned(),
            n if n > COUNT_CAP => format!("More than {} links match", group_thousands(COUNT_CAP)),
            n => format!("{} links match", group_thousands(n)),
        }
    }

    fn state(&self, l: &LinkSummary) -> &'static str {
        state_name(l.disabled, l.expired)
    }

    fn last_click(&self, l: &LinkSummary) -> String {
        when(&l.last_clicked_at)
    }

    fn created(&self, l: &LinkSummary) -> String {
        short_time(&l.created_at)
    }

    fn sort_selected(&self, v: &str) -> bool {
        self.table.sort == v
    }
}

async fn domain_names(signed: &Signed) -> Result<Vec<String>, Error> {
    domains::names(&signed.session).await
}

pub async fn list(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let table = TableQuery::from_query(&q);
    let result = async {
        let s = &signed.session;
        let filter = table.filter();
        let (links, next) = links::list_summaries(
            s,
            &filter,
            table.order(),
            table.dir == "desc",
            PAGE_SIZE,
            table.cursor.as_deref(),
        )
        .await?;
        let total = links::count_up_to(s, &filter, COUNT_CAP).await?;
        let page = LinksPage {
            frame: Frame::new("Links", &signed, Nav::Links).with_notice(notice(
                q.get("done").map(String::as_str),
                q.get("n").map(String::as_str),
            )),
            table: table.clone(),
            links,
            next,
            total,
            domains: domain_names(&signed).await?,
        };
        Ok(render(StatusCode::OK, &page))
    }
    .await;
    finish(signed, result).await
}

/// The CSV of links: one row each, every field the table shows and their limits.
fn links_csv(links: &[LinkSummary]) -> Result<Vec<u8>, Error> {
    let fail = |e: csv::Error| Error::internal(format!("a CSV row did not write: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "short_url",
        "url",
        "title",
        "tags",
        "state",
        "clicks",
        "bot_clicks",
        "last_clicked_at",
        "created_at",
        "expires_at",
        "max_clicks",
    ])
    .map_err(fail)?;
    for l in links {
        w.write_record([
            l.id.to_string().as_str(),
            &l.short_url,
            &l.url,
            l.title.as_deref().unwrap_or(""),
            &l.tags.join(" "),
            state_name(l.disabled, l.expired),
            &l.clicks.to_string(),
            &l.bot_clicks.to_string(),
            l.last_clicked_at.as_deref().unwrap_or(""),
            &l.created_at,
            l.expires_at.as_deref().unwrap_or(""),
            &l.max_clicks.map(|n| n.to_string()).unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::internal(format!("the CSV did not finish: {e}")))
}

/// Every link the table's filters match, as CSV.
pub async fn export(signed: Signed, Query(q): Query<HashMap<String, String>>) -> Response {
    let table = TableQuery::from_query(&q);
    let result = async {
        let s = &signed.session;
        let filter = table.filter();
        let total = links::count(s, &filter).await?;
        if total as usize > EXPORT_MAX {
            return Err(Error::new(
                Class::Unprocessable,
                format!(
                    "{total} links match: an export holds at most {EXPORT_MAX}; narrow the filter (a domain, a tag, a search)"
                ),
            ));
        }
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = links::list_summaries(
                s,
                &filter,
                table.order(),
                table.dir == "desc",
                1000,
                cursor.as_deref(),
            )
            .await?;
            all.extend(page);
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(stats::csv_response(links_csv(&all)?, "shortlink-links.csv"))
    }
    .await;
    finish(signed, result).await
}

/// The table's selection: disable, enable, delete, tag, or export as CSV.
pub async fn bulk(headers: HeaderMap, signed: Signed, body: Bytes) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let ids: Vec<i64> = form
            .all("id")
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| Error::new(Class::BadRequest, "a selected link does not read"))
            })
            .collect::<Result<_, _>>()?;
        if ids.is_empty() {
            return Err(Error::new(
                Class::Unprocessable,
                "select at least one link first",
            ));
        }
        if ids.len() > 1000 {
            return Err(Error::new(
                Class::Unprocessable,
                "at most 1,000 links at once",
            ));
        }
        let s = &signed.session;
        let action = form.get("action").unwrap_or("");
        let done = match action {
            "disable" | "enable" => {
                for id in &ids {
                    links::set_disabled(s, *id, action == "disable").await?;
                }
                format!("{action}d")
            }
            "delete" => {
                for id in &ids {
                    links::delete(s, *id).await?;
                }
                "deleted".to_owned()
            }
            "tag" => {
                let tag = form.text("tag").ok_or_else(|| {
                    Error::new(Class::Unprocessable, "give the tag to add").with_field("tag")
                })?;
                for id in &ids {
                    let link = links::get(s, *id).await?;
                    if link.tags.iter().any(|t| t == tag) {
                        continue;
                    }
                    let mut tags: Vec<Value> =
                        link.tags.iter().map(|t| Value::String(t.clone())).collect();
                    tags.push(Value::String(tag.to_owned()));
                    let mut opts = Map::new();
                    opts.insert("tags".to_owned(), Value::Array(tags));
                    links::update(s, *id, &opts).await?;
                }
                "tagged".to_owned()
            }
            "export" => {
                let all = links::summaries(s, &ids).await?;
                if all.len() != ids.len() {
                    return Err(Error::not_found("link"));
                }
                return Ok(stats::csv_response(
                    links_csv(&all)?,
                    "shortlink-selected-links.csv",
                ));
            }
            _ => return Err(Error::new(Class::BadRequest, "unknown action")),
        };
        Ok(see_other(&format!("/links?done={done}&n={}", ids.len())))
    }
    .await;
    finish(signed, result).await
}

#[derive(Template)]
#[template(path = "dashboard/link_form.html")]
struct LinkFormPage {
    frame: Frame,
    /// None: a new link.
    link: Option<Link>,
    groups: Vec<Group>,
    /// An error that names no field of the form.
    error: Option<String>,
}

fn form_page(
    signed: &Signed,
    status: StatusCode,
    link: Option<Link>,
    posted: Option<&Form>,
    domains: &[String],
    error: Option<&Error>,
) -> Response {
    let named = error.and_then(|e| {
        e.field
            .as_deref()
            .filter(|f| link_form::has_field(f))
            .map(|f| (f.to_owned(), message_of(e)))
    });
    let loose = match (&named, error) {
        (None, Some(e)) => Some(message_of(e)),
        _ => None,
    };
    let groups = link_form::groups(
        link.as_ref(),
        posted,
        domains,
        named.as_ref().map(|(f, m)| (f.as_str(), m.clone())),
    );
    let title = match &link {
        Some(l) => format!("Edit {}", l.short_url),
        None => "New link".to_owned(),
    };
    render(
        status,
        &LinkFormPage {
            frame: Frame::new(title, signed, Nav::Links),
            link,
            groups,
            error: loose,
        },
    )
}

pub async fn new_page(signed: Signed) -> Response {
    let result = async {
        if !signed.member.may_edit() {
            return Err(Error::new(
                Class::Forbidden,
                "a viewer sees links but does not make them",
            ));
        }
        let domains = domain_names(&signed).await?;
        Ok(form_page(
            &signed,
            StatusCode::OK,
            None,
            None,
            &domains,
            None,
        ))
    }
    .await;
    finish(signed, result).await
}

/// The answer to a refused form: the form again, with the database's error by its field.
/// The transaction is rolled back, then the page is drawn with what was read before.
async fn refused(
    signed: Signed,
    link: Option<Link>,
    form: &Form,
    domains: &[String],
    e: Error,
) -> Response {
    let status = status_of(&e);
    let page = form_page(&signed, status, link, Some(form), domains, Some(&e));
    signed.session.rollback().await;
    page
}

pub async fn create(headers: HeaderMap, signed: Signed, body: Bytes) -> Response {
    let form = match Form::from_body(&headers, &body).and_then(|f| {
        signed.check_form(&f)?;
        Ok(f)
    }) {
        Ok(f) => f,
        Err(e) => return finish(signed, Err(e)).await,
    };
    let domains = match domain_names(&signed).await {
        Ok(d) => d,
        Err(e) => return finish(signed, Err(e)).await,
    };
    let (url, opts) = link_form::options(&form, false);
    match links::create(&signed.session, &url, &opts).await {
        Ok(link) => {
            let to = format!("/links/{}?done=created", link.id);
            finish(signed, Ok(see_other(&to))).await
        }
        Err(e) => refused(signed, None, &form, &domains, e).await,
    }
}

#[derive(Template)]
#[template(path = "dashboard/link.html")]
struct LinkPage {
    frame: Frame,
    link: Link,
    stats: StatsView,
    share_url: Option<String>,
    deliveries: Vec<Delivery>,
    history: Vec<links::EarlierDestination>,
}

impl LinkPage {
    fn state(&self) -> &'static str {
        state_of(&self.link)
    }

    fn last_click(&self) -> String {
        when(&self.link.last_clicked_at)
    }

    fn expires(&self) -> String {
        when(&self.link.expires_at)
    }

    fn created(&self) -> String {
        short_time(&self.link.created_at)
    }
}

/// One recent webhook delivery of the link's clicks.
pub struct Delivery {
    pub target: String,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub at: String,
}

/// The link's last deliveries, newest first (analytics:read, as its events).
async fn deliveries(signed: &Signed, link_id: i64) -> Result<Vec<Delivery>, Error> {
    let rows = signed
        .session
        .query(
            "SELECT d.target, d.state, d.attempts, d.last_status, d.last_error,
                    to_char(coalesce(d.last_attempt_at, o.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
             FROM shortlink.outbox o JOIN shortlink.deliveries d ON d.event_id = o.id
             WHERE o.link_id = $1
             ORDER BY o.id DESC, d.target
             LIMIT 20",
            &[&link_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Delivery {
            target: r.get(0),
            state: r.get(1),
            attempts: r.get(2),
            last_status: r.get(3),
            last_error: r.get(4),
            at: r.get::<_, Option<String>>(5).unwrap_or_default(),
        })
        .collect())
}

/// The origin the dashboard is reached at, for addresses shown to be copied (public
/// statistics pages, invitations): the Host the browser used.
pub fn origin(headers: &HeaderMap, secure: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("{}://{host}", if secure { "https" } else { "http" })
}

pub async fn show(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let range = Range::from_query(&q);
    let result = async {
        let s = &signed.session;
        let link = links::get(s, id).await?;
        let scope = Scope {
            link_id: Some(id),
            ..Scope::default()
        };
        let stats = stats::view(
            s,
            scope,
            &range,
            &format!("/links/{id}"),
            Vec::new(),
            &format!("/links/{id}/stats.csv"),
            false,
        )
        .await?;
        let share_url = people::shared_token(s, id).await?.map(|t| {
            format!(
                "{}/s/{t}",
                origin(&headers, super::session::secure(&dash, &headers))
            )
        });
        let page = LinkPage {
            frame: Frame::new(link.short_url.clone(), &signed, Nav::Links)
                .with_notice(notice(q.get("done").map(String::as_str), None)),
            deliveries: deliveries(&signed, id).await?,
            history: links::destination_history(s, id, 20).await?,
            link,
            stats,
            share_url,
        };
        Ok(render(StatusCode::OK, &page))
    }
    .await;
    finish(signed, result).await
}

pub async fn update(
    headers: HeaderMap,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = match Form::from_body(&headers, &body).and_then(|f| {
        signed.check_form(&f)?;
        Ok(f)
    }) {
        Ok(f) => f,
        Err(e) => return finish(signed, Err(e)).await,
    };
    let link = match links::get(&signed.session, id).await {
        Ok(l) => l,
        Err(e) => return finish(signed, Err(e)).await,
    };
    let (url, mut opts) = link_form::options(&form, true);
    opts.insert("url".to_owned(), Value::String(url));
    match links::update(&signed.session, id, &opts).await {
        Ok(_) => finish(signed, Ok(see_other(&format!("/links/{id}?done=saved")))).await,
        Err(e) => refused(signed, Some(link), &form, &[], e).await,
    }
}

/// The CSV of what a link's page shows of its clicks.
pub async fn stats_csv(
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let range = Range::from_query(&q);
    let result = async {
        let s = &signed.session;
        let link = links::get(s, id).await?;
        let scope = Scope {
            link_id: Some(id),
            ..Scope::default()
        };
        let base = format!("/links/{id}");
        let v = stats::view(s, scope, &range, &base, Vec::new(), "", false).await?;
        Ok(stats::csv_response(
            stats::csv(&v)?,
            &format!("shortlink-{}-clicks.csv", link.code),
        ))
    }
    .await;
    finish(signed, result).await
}

/// The edit form of a link.
pub async fn edit_page(signed: Signed, Path(id): Path<i64>) -> Response {
    let result = async {
        if !signed.member.may_edit() {
            return Err(Error::new(
                Class::Forbidden,
                "a viewer sees links but does not change them",
            ));
        }
        let link = links::get(&signed.session, id).await?;
        Ok(form_page(
            &signed,
            StatusCode::OK,
            Some(link),
            None,
            &[],
            None,
        ))
    }
    .await;
    finish(signed, result).await
}

/// Disables, enables or deletes one link.
pub async fn set_state(
    headers: HeaderMap,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let s = &signed.session;
        Ok(match form.get("action") {
            Some("disable") => {
                links::set_disabled(s, id, true).await?;
                see_other(&format!("/links/{id}?done=disabled"))
            }
            Some("enable") => {
                links::set_disabled(s, id, false).await?;
                see_other(&format!("/links/{id}?done=enabled"))
            }
            Some("delete") => {
                links::delete(s, id).await?;
                see_other("/links?done=deleted&n=1")
            }
            _ => return Err(Error::new(Class::BadRequest, "unknown action")),
        })
    }
    .await;
    finish(signed, result).await
}

/// Turns the link's public statistics page on or off.
pub async fn share(
    headers: HeaderMap,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let result = async {
        let form = Form::from_body(&headers, &body)?;
        signed.check_form(&form)?;
        let on = form.get("shared") == Some("on");
        people::share_stats(&signed.session, id, on).await?;
        Ok(see_other(&format!(
            "/links/{id}?done={}",
            if on { "shared" } else { "unshared" }
        )))
    }
    .await;
    finish(signed, result).await
}

async fn qr(signed: Signed, id: i64, format: &str) -> Response {
    let result = async {
        let link = links::get(&signed.session, id).await?;
        let options = shortlink_qr::Options::from_query([("format", format), ("size", "600")])
            .map_err(|e| Error::new(Class::BadRequest, e.to_string()))?;
        let image = shortlink_qr::render(&link.short_url, &options)
            .map_err(|e| Error::internal(e.to_string()))?;
        let mut r = (StatusCode::OK, image).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(options.format.content_type()),
        );
        let name = format!("attachment; filename=\"qr-{}.{format}\"", link.code);
        if let Ok(v) = HeaderValue::from_str(&name) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        // A link's QR code never changes: the browser may keep it for a day.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=86400"),
        );
        Ok(r)
    }
    .await;
    finish(signed, result).await
}

pub async fn qr_svg(signed: Signed, Path(id): Path<i64>) -> Response {
    qr(signed, id, "svg").await
}

pub async fn qr_png(signed: Signed, Path(id): Path<i64>) -> Response {
    qr(signed, id, "png").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_queries_refuse_unknown_values_and_keep_filters_across_pages() {
        let q = HashMap::from([
            ("q".to_owned(), " spring ".to_owned()),
            ("state".to_owned(), "nonsense".to_owned()),
            ("sort".to_owned(), "clicks".to_owned()),
        ]);
        let t = TableQuery::from_query(&q);
        assert_eq!(t.q, "spring");
        assert_eq!(t.state, "all");
        assert_eq!(t.order(), Order::By(Sort::Clicks));
        assert_eq!(t.next_href("abc"), "/links?q=spring&sort=clicks&cursor=abc");
        assert_eq!(t.csv_href(), "/links.csv?q=spring&sort=clicks");
        let f = TableQuery {
            state: "active".to_owned(),
            ..t
        }
        .filter();
        assert_eq!((f.disabled, f.expired), (Some(false), Some(false)));
    }

    #[test]
    fn counts_read_with_thousands_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }

    #[test]
    fn origins_take_only_a_host_name() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "dash.example:8443".parse().unwrap());
        assert_eq!(origin(&h, true), "https://dash.example:8443");
        h.insert(header::HOST, "evil\"<x>".parse().unwrap());
        assert_eq!(origin(&h, false), "http://localhost");
    }

    #[test]
    fn links_export_as_csv_with_quoting() {
        let link: LinkSummary = serde_json::from_value(serde_json::json!({
            "id": 7, "domain": "s.test", "code": "a1", "short_url": "https://s.test/a1",
            "url": "https://example.com/?a=1,b=\"2\"", "title": null, "tags": ["x", "y"],
            "disabled": false, "expired": false, "expires_at": null, "max_clicks": null,
            "created_at": "2026-12-07T10:00:00Z", "clicks": 3, "bot_clicks": 0,
            "last_clicked_at": null
        }))
        .unwrap();
        let csv = String::from_utf8(links_csv(&[link]).unwrap()).unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("id,short_url,url,"));
        assert_eq!(
            lines.next().unwrap(),
            "7,https://s.test/a1,\"https://example.com/?a=1,b=\"\"2\"\"\",,x y,active,3,0,,2026-12-07T10:00:00Z,,"
        );
    }
}

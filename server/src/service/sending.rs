//! Sending lists and offers (`shortlink.sending_lists`, `shortlink.offers`: sql/sending.sql),
//! and the link made for a message sent from a list: from a URL, or from an offer's
//! destination template. The Trackly drop-in and `/api/v1` share it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::links::{self, Link};
use super::{Class, Error, Session};

/// A number the workspace sends from, and the short domain of its links.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendingList {
    pub list_id: i64,
    /// E.164.
    pub phone_number: String,
    /// The short domain of the list's links; null: none configured.
    pub domain: Option<String>,
    pub name: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
}

/// A destination template links are made from.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub offer_id: String,
    /// An http or https URL; `{{contact.phone}}`, `{{link.code}}` and `{{link.domain}}`
    /// are filled when a link is made.
    pub destination: String,
    /// Links made from the offer refuse known bots.
    pub filter_bots: bool,
    /// An inactive offer makes no new links.
    pub active: bool,
    pub name: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
}

const LIST_COLUMNS: &str = "jsonb_build_object('list_id', s.list_id, 'phone_number', s.phone_number,
        'domain', s.domain, 'name', s.name, 'created_at', s.created_at, 'updated_at', s.updated_at)::text";
const OFFER_COLUMNS: &str =
    "jsonb_build_object('offer_id', o.offer_id, 'destination', o.destination,
        'filter_bots', o.filter_bots, 'active', o.active, 'name', o.name,
        'created_at', o.created_at, 'updated_at', o.updated_at)::text";

fn rows<T: serde::de::DeserializeOwned>(rows: Vec<tokio_postgres::Row>) -> Result<Vec<T>, Error> {
    rows.iter()
        .map(|r| super::from_row(&r.get::<_, String>(0)))
        .collect()
}

/// The workspace's sending lists, by list id.
pub async fn lists(s: &Session) -> Result<Vec<SendingList>, Error> {
    s.require("sending:read").await?;
    let sql = format!("SELECT {LIST_COLUMNS} FROM shortlink.sending_lists s ORDER BY s.list_id");
    rows(s.query(&sql, &[]).await?)
}

pub async fn list(s: &Session, list_id: i64) -> Result<SendingList, Error> {
    s.require("sending:read").await?;
    let sql = format!("SELECT {LIST_COLUMNS} FROM shortlink.sending_lists s WHERE s.list_id = $1");
    let row = s
        .query_opt(&sql, &[&list_id])
        .await?
        .ok_or_else(|| Error::not_found("sending list").with_field("list_id"))?;
    super::from_row(&row.get::<_, String>(0))
}

/// Adds or changes sending list `list_id` (`set_sending_list`).
pub async fn set_list(
    s: &Session,
    list_id: i64,
    phone_number: &str,
    domain: Option<&str>,
    name: Option<&str>,
) -> Result<SendingList, Error> {
    let sql = format!("SELECT {LIST_COLUMNS} FROM shortlink.set_sending_list($1, $2, $3, $4) s");
    let row = s
        .query_one(&sql, &[&list_id, &phone_number, &domain, &name])
        .await?;
    super::from_row(&row.get::<_, String>(0))
}

pub async fn remove_list(s: &Session, list_id: i64) -> Result<(), Error> {
    let removed: bool = s
        .query_one("SELECT shortlink.remove_sending_list($1)", &[&list_id])
        .await?
        .get(0);
    removed
        .then_some(())
        .ok_or_else(|| Error::not_found("sending list").with_field("list_id"))
}

/// The workspace's offers, by id.
pub async fn offers(s: &Session) -> Result<Vec<Offer>, Error> {
    s.require("sending:read").await?;
    let sql = format!("SELECT {OFFER_COLUMNS} FROM shortlink.offers o ORDER BY o.offer_id");
    rows(s.query(&sql, &[]).await?)
}

pub async fn offer(s: &Session, offer_id: &str) -> Result<Offer, Error> {
    s.require("sending:read").await?;
    let sql = format!("SELECT {OFFER_COLUMNS} FROM shortlink.offers o WHERE o.offer_id = $1");
    let row = s
        .query_opt(&sql, &[&offer_id])
        .await?
        .ok_or_else(|| Error::not_found("offer").with_field("offer_id"))?;
    super::from_row(&row.get::<_, String>(0))
}

/// Adds or changes offer `offer_id` (`set_offer`).
pub async fn set_offer(
    s: &Session,
    offer_id: &str,
    destination: &str,
    filter_bots: bool,
    active: bool,
    name: Option<&str>,
) -> Result<Offer, Error> {
    let sql = format!("SELECT {OFFER_COLUMNS} FROM shortlink.set_offer($1, $2, $3, $4, $5) o");
    let row = s
        .query_one(
            &sql,
            &[&offer_id, &destination, &filter_bots, &active, &name],
        )
        .await?;
    super::from_row(&row.get::<_, String>(0))
}

pub async fn remove_offer(s: &Session, offer_id: &str) -> Result<(), Error> {
    let removed: bool = s
        .query_one("SELECT shortlink.remove_offer($1)", &[&offer_id])
        .await?
        .get(0);
    removed
        .then_some(())
        .ok_or_else(|| Error::not_found("offer").with_field("offer_id"))
}

/// Where a message's link goes.
pub enum Destination {
    Url(String),
    /// An active offer, by id: its template, filled.
    Offer(String),
}

/// The list a message is sent from.
pub enum Sender {
    ListId(i64),
    /// The list's E.164 number.
    Phone(String),
}

/// A link for one message.
pub struct Message {
    pub destination: Destination,
    pub sender: Sender,
    /// The recipient (E.164): `{{contact.phone}}` of an offer's template, stored on the link.
    pub contact_phone: Option<String>,
    /// Stored on the link.
    pub metadata: Option<Map<String, Value>>,
}

/// The link made for a message, and the offer it came from.
pub struct MessageLink {
    pub link: Link,
    pub offer_id: Option<String>,
}

/// Whether `s` is an E.164 number: "+", then 7 to 15 digits, the first not 0.
fn is_e164(s: &str) -> bool {
    shortlink_core::phone::validate_e164(s)
}

/// Makes a new link for a message: on the sending list's domain, to the URL or the offer's
/// filled template, refusing bots when the offer says so. Every call makes a new link.
/// Errors name their field: `url` (not http or https), `phone_number` and `contact_phone`
/// (not E.164), `offer_id` and `list_id` (not found: 404), `domain` (the list has none: 409).
pub async fn shorten(s: &Session, m: &Message) -> Result<MessageLink, Error> {
    s.require("links:write").await?;
    if let Destination::Url(url) = &m.destination {
        let scheme = url.split_once(':').map(|(a, _)| a.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(Error::new(
                Class::Unprocessable,
                "the url must use the http or https scheme",
            )
            .with_field("url"));
        }
    }
    if let Sender::Phone(p) = &m.sender {
        if !is_e164(p) {
            return Err(Error::new(
                Class::Unprocessable,
                format!("{p:?} is not an E.164 phone number such as +18005551234"),
            )
            .with_field("phone_number"));
        }
    }
    if let Some(p) = &m.contact_phone {
        if !is_e164(p) {
            return Err(Error::new(
                Class::Unprocessable,
                format!("{p:?} is not an E.164 phone number such as +15551234567"),
            )
            .with_field("contact_phone"));
        }
    }
    let (template, filter_bots, offer_id) = match &m.destination {
        Destination::Url(url) => (url.clone(), false, None),
        Destination::Offer(id) => {
            let row = s
                .query_opt(
                    "SELECT o.destination, o.filter_bots FROM shortlink.offers o
                     WHERE o.offer_id = $1 AND o.active",
                    &[id],
                )
                .await?
                .ok_or_else(|| {
                    Error::new(Class::NotFound, format!("no active offer {id:?}"))
                        .with_field("offer_id")
                })?;
            (
                row.get::<_, String>(0),
                row.get::<_, bool>(1),
                Some(id.clone()),
            )
        }
    };
    let list = match &m.sender {
        Sender::ListId(id) => {
            s.query_opt(
                "SELECT s.domain FROM shortlink.sending_lists s WHERE s.list_id = $1",
                &[id],
            )
            .await?
        }
        Sender::Phone(p) => {
            s.query_opt(
                "SELECT s.domain FROM shortlink.sending_lists s WHERE s.phone_number = $1",
                &[p],
            )
            .await?
        }
    };
    let domain: Option<String> = list
        .ok_or_else(|| {
            Error::new(Class::NotFound, "no such sending list in this workspace")
                .with_field("list_id")
        })?
        .get(0);
    let domain = domain.ok_or_else(|| {
        Error::new(
            Class::Conflict,
            "the sending list has no short domain configured",
        )
        .with_field("domain")
    })?;
    let mut opts = Map::new();
    opts.insert("domain".into(), Value::from(domain));
    if let Some(md) = &m.metadata {
        opts.insert("metadata".into(), Value::Object(md.clone()));
    }
    if filter_bots {
        opts.insert("block_bots".into(), Value::Bool(true));
    }
    if let Some(p) = &m.contact_phone {
        opts.insert("contact_phone".into(), Value::from(p.as_str()));
    }
    if offer_id.is_some() {
        // Without a contact, {{contact.phone}} is filled with nothing.
        let phone = m.contact_phone.as_deref().unwrap_or("");
        opts.insert("template_vars".into(), json!({"contact": {"phone": phone}}));
    }
    let link = links::create(s, &template, &opts).await?;
    Ok(MessageLink { link, offer_id })
}

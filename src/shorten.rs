//! Creating links: `shortlink.shorten`. Collision retry goes through the unique index
//! with `INSERT … ON CONFLICT DO NOTHING`: no subtransaction, no caught error, one
//! transaction id per call whatever the retries.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use shortlink_core::codes::Growth;
use shortlink_core::options::{self, Expiry, LinkOptions, LinkType, Mode};
use shortlink_core::{destination, password, template, Error, Kind, Result};

use crate::domains::{self, Destinations};
use crate::error::{required, OrRaise};
use crate::json_arg::{self, JsonbText};
use crate::privilege::Caller;
use crate::{link_insert, link_row, plan, row_value, settings};

plan!(
    INSERT_LINK,
    write,
    "INSERT INTO shortlink.links (domain, code, url, expires_at, max_clicks, metadata, tracking,
         link_type, redirect_type, password_hash, forward_params, block_bots, utm, title,
         description, image, tags, cloaked, meta_pixel_id, google_tag_id, custom_field,
         dlt_header, contact_phone, callback_url, webhook_urls, expired_url)
     SELECT $1, $2, $3,
            CASE WHEN $5 IS NOT NULL THEN now() + make_interval(secs => $5) ELSE $4::timestamptz END,
            r.max_clicks, coalesce(r.metadata, '{}'), coalesce(r.tracking, true),
            coalesce(r.link_type, 'url'), coalesce(r.redirect_type, 302), $7,
            coalesce(r.forward_params, false), coalesce(r.block_bots, false), r.utm, r.title,
            r.description, r.image, coalesce(r.tags, '{}'), coalesce(r.cloaked, false),
            r.meta_pixel_id, r.google_tag_id, r.custom_field, r.dlt_header, r.contact_phone,
            r.callback_url, r.webhook_urls, r.expired_url
     FROM jsonb_populate_record(NULL::shortlink.links, $6) r
     ON CONFLICT (domain, code) DO NOTHING
     RETURNING id, created_at, expires_at",
    [TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, JSONBOID, TEXTOID]
);
// INSERT_LINK for a link without column options (the common, campaign case): no
// jsonb_populate_record to set up and run per link.
plan!(
    INSERT_PLAIN_LINK,
    write,
    "INSERT INTO shortlink.links (domain, code, url, expires_at, password_hash)
     VALUES ($1, $2, $3,
             CASE WHEN $5 IS NOT NULL THEN now() + make_interval(secs => $5) ELSE $4::timestamptz END,
             $6)
     ON CONFLICT (domain, code) DO NOTHING
     RETURNING id, created_at, expires_at",
    [TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, TEXTOID]
);
plan!(
    EXISTING_LINK,
    read,
    "SELECT id, created_at, expires_at, url, max_clicks, metadata
     FROM shortlink.links WHERE domain = $1 AND code = $2",
    [TEXTOID, TEXTOID]
);

/// A new link, as shorten returns it.
pub struct Link {
    pub id: i64,
    pub domain: String,
    pub code: String,
    pub url: String,
    pub created_at: TimestampWithTimeZone,
    pub expires_at: Option<TimestampWithTimeZone>,
    pub max_clicks: Option<i64>,
    pub metadata: Value,
}

impl Link {
    pub fn short_url(&self) -> String {
        format!("https://{}/{}", self.domain, self.code)
    }

    /// The row shorten and update_link return.
    pub fn into_row(
        self,
    ) -> (
        i64,
        String,
        String,
        String,
        String,
        TimestampWithTimeZone,
        Option<TimestampWithTimeZone>,
        Option<i64>,
        JsonB,
    ) {
        let short_url = self.short_url();
        (
            self.id,
            self.domain,
            self.code,
            short_url,
            self.url,
            self.created_at,
            self.expires_at,
            self.max_clicks,
            JsonB(self.metadata),
        )
    }
}

plan!(IS_FUTURE, read, "SELECT $1::timestamptz > now()", [TEXTOID]);

v1_function_info!(pg_finfo_shortlink_shorten);

static SHORTEN: row_value::Declaration = row_value::Declaration {
    name: "shortlink.shorten",
    signature: "(url text, opts jsonb) RETURNS shortlink.short_link (id bigint, domain text, code text, short_url text, url text, created_at timestamptz, expires_at timestamptz, max_clicks bigint, metadata jsonb)",
    nargs: 2,
    attributes: &[
        pg_sys::INT8OID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TIMESTAMPTZOID,
        pg_sys::TIMESTAMPTZOID,
        pg_sys::INT8OID,
        pg_sys::JSONBOID,
    ],
};

/// `shortlink.shorten(url text, opts jsonb DEFAULT '{}')` (declared in
/// sql/functions.sql): creates a short link to `url` and returns it as one
/// `shortlink.short_link`. See the README for every option of `opts`.
///
/// A C function returning one row value (src/row_value.rs), not a set-returning function.
/// No `SET search_path`: fmgr's SET path (a GUC nest level, the path parsed and the
/// namespace cache rebuilt on every call) cost a fifth of a campaign `INSERT … SELECT
/// shorten()`. Nothing here looks a name up through `search_path`: the statements are
/// kept plans that pin their own (src/plans.rs), the direct insert binds everything by
/// oid (src/link_insert.rs); 10_hijack runs both paths under an attacker's path.
///
/// # Safety
/// Called by fmgr with a valid `fcinfo` of the two arguments the SQL declaration has.
#[unsafe(no_mangle)]
#[pg_guard]
pub unsafe extern "C-unwind" fn shortlink_shorten(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: fmgr passes the declared arguments (checked): text and jsonb, NULL as None;
    // the row's datums are its attributes' types and live through the call.
    unsafe {
        SHORTEN.check_args(fcinfo);
        let url = pgrx::fcinfo::pg_getarg::<&str>(fcinfo, 0);
        let opts = pgrx::fcinfo::pg_getarg::<JsonbText>(fcinfo, 1);
        let link = json_arg::parse_opts(opts)
            .and_then(|opts| options::parse(&opts, Mode::Create))
            .and_then(|o| create(url, &o))
            .or_raise();
        let short_url = link.short_url();
        SHORTEN.row(
            fcinfo,
            &[
                link.id.into_datum(),
                link.domain.into_datum(),
                link.code.into_datum(),
                short_url.into_datum(),
                link.url.into_datum(),
                link.created_at.into_datum(),
                link.expires_at.into_datum(),
                link.max_clicks.into_datum(),
                JsonB(link.metadata).into_datum(),
            ],
        )
    }
}

/// Checks an `expires_at` option against the clock: it must lie in the future.
pub fn check_future(client: &pgrx::spi::SpiClient<'_>, at: &str) -> Result<()> {
    let future = IS_FUTURE.select_one::<bool>(client, &[at.into()]);
    if future == Some(true) {
        Ok(())
    } else {
        Err(Error::option(
            "expires_at",
            format!("must be in the future, not {at}"),
        ))
    }
}

/// Validates and inserts one link. Every input error comes back as an `Error`, never as
/// a PostgreSQL ERROR, so a batch can report it and go on.
pub fn create(url: Option<&str>, o: &LinkOptions) -> Result<Link> {
    let raw = url.or(o.url.as_deref());
    let link_type = o.link_type.unwrap_or(LinkType::Url);
    let build = |domain: &str, code: &str| {
        destination::build(
            raw,
            link_type,
            o.template_vars.as_ref(),
            &[("link.code", code), ("link.domain", domain)],
            &o.utm,
        )
    };
    // Input errors first, before any row is touched. Without macros the destination does
    // not depend on the code, so it is built once, not once per collision retry.
    let fixed = build("localhost", "code")?;
    let fixed = (!raw.is_some_and(template::has_macros)).then_some(fixed);
    let dest_for = |domain: &str, code: &str| match &fixed {
        Some(url) => Ok(url.clone()),
        None => build(domain, code),
    };
    let password_hash = match &o.password {
        Some(Some(p)) => Some(password::hash(p)?),
        _ => None,
    };
    let dest = vet_destinations(fixed.as_deref(), o)?;
    Spi::connect_mut(|client| {
        let caller = Caller::current(client);
        caller.as_owner(|| {
            insert_link(
                client,
                &caller,
                o,
                &dest,
                &dest_for,
                fixed.is_none(),
                password_hash.as_deref(),
            )
        })
    })
}

/// The destinations of a new or changed link, checked against the private-address rule;
/// `url` is the link's destination when it is known before its code.
pub fn vet_destinations(url: Option<&str>, o: &LinkOptions) -> Result<Destinations> {
    let allow_private = settings::allow_private_destinations();
    let mut all: Vec<(&'static str, String)> = Vec::new();
    if let Some(u) = url {
        all.push(("url", u.to_owned()));
    }
    all.extend(o.destinations());
    for (field, u) in &all {
        destination::check_public_host(field, u, allow_private)?;
    }
    Ok(Destinations(all))
}

/// Inserts the link, as the owner of shortlink's tables, on a domain of the caller's.
fn insert_link(
    client: &mut pgrx::spi::SpiClient<'_>,
    caller: &Caller,
    o: &LinkOptions,
    dest: &Destinations,
    dest_for: &dyn Fn(&str, &str) -> Result<String>,
    macro_url: bool,
    password_hash: Option<&str>,
) -> Result<Link> {
    {
        let domain = domains::for_new_link(client, o.domain.as_deref(), caller, dest)?;
        let (expires_at, expire_in) = match &o.expiry {
            Some(Some(Expiry::In(secs))) => (None, Some(*secs)),
            Some(Some(Expiry::At(at))) => {
                check_future(client, at)?;
                (Some(at.clone()), None)
            }
            _ => (None, None),
        };
        let columns = Value::Object(o.columns.clone());
        // `generated`: the code is a random one, which a race may lose (src/link_insert.rs).
        let mut insert = |code: &str, generated: bool| -> Result<Option<Link>> {
            let url = dest_for(&domain, code)?;
            if macro_url {
                // A URL with macros is known only now: vet it like the others.
                destination::check_public_host(
                    "url",
                    &url,
                    settings::allow_private_destinations(),
                )?;
                domains::vet_hosts(client, &Destinations(vec![("url", url.clone())]))?;
            }
            let plain = o.columns.is_empty();
            if generated && plain && expires_at.is_none() {
                // No probe for a taken code first, unlike `INSERT … ON CONFLICT`'s: a random
                // code is almost never taken, and when it is, the speculative insert finds
                // it and goes back (a dead row, a used identity value), so the probe would
                // be an index descent per link spent on the rare case.
                match insert_directly(&domain, code, &url, expire_in, password_hash) {
                    Some(Direct::Made {
                        id,
                        created_at,
                        expires_at,
                    }) => {
                        return Ok(Some(Link {
                            id,
                            domain: domain.clone(),
                            code: code.to_owned(),
                            url,
                            created_at,
                            expires_at,
                            max_clicks: None,
                            metadata: Value::Object(serde_json::Map::new()),
                        }))
                    }
                    Some(Direct::Taken) => return Ok(None),
                    None => {}
                }
            }
            let mut args: Vec<pgrx::datum::DatumWithOid<'_>> = vec![
                domain.as_str().into(),
                code.into(),
                url.as_str().into(),
                expires_at.as_deref().into(),
                expire_in.into(),
            ];
            if !plain {
                args.push(JsonB(columns.clone()).into());
            }
            args.push(password_hash.into());
            let plan = if plain {
                &INSERT_PLAIN_LINK
            } else {
                &INSERT_LINK
            };
            Ok(plan.with_mut(client, |client, stmt| {
                let t = client.update(stmt, None, &args).or_raise();
                if t.is_empty() {
                    return None;
                }
                let t = t.first();
                Some(Link {
                    id: required(t.get::<i64>(1).or_raise(), "links.id"),
                    domain: domain.clone(),
                    code: code.to_owned(),
                    url: url.clone(),
                    created_at: required(t.get(2).or_raise(), "links.created_at"),
                    expires_at: t.get(3).or_raise(),
                    max_clicks: o.max_clicks(),
                    metadata: Value::Object(o.metadata()),
                })
            }))
        };
        if let Some(code) = &o.code {
            if let Some(link) = insert(code, false)? {
                return Ok(link);
            }
            let url = dest_for(&domain, code)?;
            if o.return_existing {
                if let Some(link) = existing(client, &domain, code).filter(|l| l.url == url) {
                    return Ok(link);
                }
            }
            return Err(Error::new(
                Kind::AlreadyExists,
                format!("code \"{code}\" already exists on domain \"{domain}\""),
            )
            .with_hint(if o.return_existing {
                "It points at another URL; \"if_exists\": \"return\" only returns a link to the same URL."
            } else {
                "Choose another code, leave \"code\" out to get a generated one, or pass \"if_exists\": \"return\"."
            }));
        }
        let alphabet = settings::alphabet()?;
        let start = o.length.unwrap_or_else(settings::code_length);
        let growth = Growth {
            start,
            max: settings::max_code_length().max(start),
            attempts: settings::collision_retries(),
        };
        for len in growth.lengths() {
            if let Some(link) = insert(&alphabet.generate(len), true)? {
                return Ok(link);
            }
        }
        Err(Error::new(
            Kind::CodeSpaceExhausted,
            format!(
                "no free code left on domain \"{domain}\" up to {} characters",
                growth.max
            ),
        )
        .with_detail(format!(
            "{} random codes of {} characters from a {}-character alphabet were all taken.",
            growth.lengths().count(),
            if growth.start == growth.max {
                growth.start.to_string()
            } else {
                format!("{} to {}", growth.start, growth.max)
            },
            alphabet.len()
        ))
        .with_hint("Raise shortlink.max_code_length, or use a larger shortlink.alphabet."))
    }
}

/// What became of a link inserted directly.
enum Direct {
    Made {
        id: i64,
        created_at: TimestampWithTimeZone,
        expires_at: Option<TimestampWithTimeZone>,
    },
    /// Another transaction's link of the same code got in first: none was made.
    Taken,
}

/// Inserts a plain link (no column options) straight into `shortlink.links` (see
/// src/link_insert.rs), or None when the table needs the executor (an operator's
/// trigger, rule or policy), nothing written.
fn insert_directly(
    domain: &str,
    code: &str,
    url: &str,
    expire_in: Option<f64>,
    password_hash: Option<&str>,
) -> Option<Direct> {
    // now() + make_interval(secs => expire_in), as INSERT_PLAIN_LINK computes it.
    // SAFETY: make_interval and timestamptz_pl_interval take these argument types; the
    // transaction start is now().
    let expires_at = expire_in.and_then(|secs| unsafe {
        let zero = Some(pg_sys::Datum::from(0i32));
        let interval = pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::make_interval,
            &[zero, zero, zero, zero, zero, zero, secs.into_datum()],
        );
        pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::timestamptz_pl_interval,
            &[
                pg_sys::GetCurrentTransactionStartTimestamp().into_datum(),
                interval,
            ],
        )
    });
    let columns: [link_insert::Column<'_>; 5] = [
        (c"domain", pg_sys::TEXTOID, domain.into_datum()),
        (c"code", pg_sys::TEXTOID, code.into_datum()),
        (c"url", pg_sys::TEXTOID, url.into_datum()),
        (c"expires_at", pg_sys::TIMESTAMPTZOID, expires_at),
        (
            c"password_hash",
            pg_sys::TEXTOID,
            password_hash.and_then(|p| p.into_datum()),
        ),
    ];
    let cat = link_row::catalog();
    // SAFETY: a transaction is open (we are called from SQL, after the domain check);
    // the datums are valid for the call; id and created_at are by-value columns.
    let outcome =
        unsafe { link_insert::insert(cat.links, cat.links_key, &columns, &[c"id", c"created_at"]) };
    match outcome {
        link_insert::Outcome::Inserted(kept) => {
            // SAFETY: the datums are an int8 and a timestamptz, by value.
            let (id, created_at) = unsafe {
                (
                    kept[0].and_then(|d| i64::from_datum(d, false)),
                    kept[1].and_then(|d| TimestampWithTimeZone::from_datum(d, false)),
                )
            };
            Some(Direct::Made {
                id: required(id, "links.id"),
                created_at: required(created_at, "links.created_at"),
                // SAFETY: a timestamptz datum, by value.
                expires_at: expires_at
                    .and_then(|d| unsafe { TimestampWithTimeZone::from_datum(d, false) }),
            })
        }
        link_insert::Outcome::Taken => Some(Direct::Taken),
        link_insert::Outcome::Executor => None,
    }
}

fn existing(client: &pgrx::spi::SpiClient<'_>, domain: &str, code: &str) -> Option<Link> {
    EXISTING_LINK.select_row(client, &[domain.into(), code.into()], |t| Link {
        id: required(t.get::<i64>(1).or_raise(), "links.id"),
        domain: domain.to_owned(),
        code: code.to_owned(),
        created_at: required(t.get(2).or_raise(), "links.created_at"),
        expires_at: t.get(3).or_raise(),
        url: required(t.get(4).or_raise(), "links.url"),
        max_clicks: t.get(5).or_raise(),
        metadata: required(t.get::<JsonB>(6).or_raise(), "links.metadata").0,
    })
}

// Many plain links in one statement (create_many); $1-$3 the domains, codes and URLs.
plan!(
    INSERT_PLAIN_LINKS,
    write,
    "INSERT INTO shortlink.links (domain, code, url)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (domain, code) DO NOTHING
     RETURNING domain, code, id, created_at",
    [TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID]
);

/// Whether a link is plain: a destination (with UTM parameters) on a domain, and no
/// option that needs a statement of its own (a custom code, expiry, password, template,
/// stored field or another link type).
fn is_plain(o: &LinkOptions) -> bool {
    o.code.is_none()
        && o.length.is_none()
        && o.expiry.is_none()
        && o.password.is_none()
        && o.template_vars.is_none()
        && o.columns.is_empty()
        && !o.return_existing
        && matches!(o.link_type, None | Some(LinkType::Url))
        && !o.url.as_deref().is_some_and(template::has_macros)
}

/// A plain link checked and waiting for its code.
struct Pending<'a> {
    idx: usize,
    opts: &'a LinkOptions,
    url: String,
    dest: Destinations,
}

/// Creates the links of `items` (`shorten_many`), each succeeding or failing alone, as
/// [`create`] would one by one. Plain links (see [`is_plain`]) take a set-wise path: one
/// domain check per domain, one host check and one `INSERT … SELECT FROM unnest` for all
/// of them. A plain link whose random code collided, and every other link, go through
/// `create`.
pub fn create_many(items: &[Result<LinkOptions>]) -> Vec<Result<Link>> {
    let mut out: Vec<Option<Result<Link>>> = items.iter().map(|_| None).collect();
    let mut pending: Vec<Pending<'_>> = Vec::new();
    let mut one_by_one: Vec<usize> = Vec::new();
    for (idx, item) in items.iter().enumerate() {
        match item {
            Err(e) => out[idx] = Some(Err(e.clone())),
            Ok(o) if is_plain(o) => {
                let checked =
                    destination::build(o.url.as_deref(), LinkType::Url, None, &[], &o.utm)
                        .and_then(|url| vet_destinations(Some(&url), o).map(|dest| (url, dest)));
                match checked {
                    Ok((url, dest)) => pending.push(Pending {
                        idx,
                        opts: o,
                        url,
                        dest,
                    }),
                    Err(e) => out[idx] = Some(Err(e)),
                }
            }
            Ok(_) => one_by_one.push(idx),
        }
    }
    if !pending.is_empty() {
        let collided = insert_plain(pending, &mut out);
        one_by_one.extend(collided);
    }
    for idx in one_by_one {
        if let Ok(o) = &items[idx] {
            out[idx] = Some(create(None, o));
        }
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| Err(Error::new(Kind::InvalidParameter, "item was not processed")))
        })
        .collect()
}

/// The set-wise part of [`create_many`]: fills `out` for each pending link, and returns
/// the positions of those whose random code collided.
fn insert_plain(pending: Vec<Pending<'_>>, out: &mut [Option<Result<Link>>]) -> Vec<usize> {
    Spi::connect_mut(|client| {
        let caller = Caller::current(client);
        caller.as_owner(|| {
            // One domain check per domain named.
            let mut domains_of: std::collections::HashMap<Option<String>, Result<String>> =
                std::collections::HashMap::new();
            let mut ready: Vec<(Pending<'_>, String)> = Vec::new();
            for p in pending {
                let key = p.opts.domain.clone();
                let domain = domains_of
                    .entry(key)
                    .or_insert_with(|| {
                        domains::for_new_link(
                            client,
                            p.opts.domain.as_deref(),
                            &caller,
                            &Destinations(vec![]),
                        )
                    })
                    .clone();
                match domain {
                    Ok(d) => ready.push((p, d)),
                    Err(e) => out[p.idx] = Some(Err(e)),
                }
            }
            let vetted = domains::vet_hosts_many(
                client,
                &ready.iter().map(|(p, _)| &p.dest).collect::<Vec<_>>(),
            );
            let alphabet = match settings::alphabet() {
                Ok(a) => a,
                Err(e) => {
                    for (p, _) in &ready {
                        out[p.idx] = Some(Err(e.clone()));
                    }
                    return Vec::new();
                }
            };
            let length = settings::code_length();
            let mut rows: Vec<(Pending<'_>, String, String)> = Vec::new();
            for ((p, domain), ok) in ready.into_iter().zip(vetted) {
                match ok {
                    Ok(()) => {
                        let code = alphabet.generate(length);
                        rows.push((p, domain, code));
                    }
                    Err(e) => out[p.idx] = Some(Err(e)),
                }
            }
            if rows.is_empty() {
                return Vec::new();
            }
            let domains: Vec<&str> = rows.iter().map(|(_, d, _)| d.as_str()).collect();
            let codes: Vec<&str> = rows.iter().map(|(_, _, c)| c.as_str()).collect();
            let urls: Vec<&str> = rows.iter().map(|(p, _, _)| p.url.as_str()).collect();
            let mut made: std::collections::HashMap<
                (String, String),
                (i64, TimestampWithTimeZone),
            > = std::collections::HashMap::new();
            INSERT_PLAIN_LINKS.with_mut(client, |client, stmt| {
                let t = client
                    .update(stmt, None, &[domains.into(), codes.into(), urls.into()])
                    .or_raise();
                for row in t {
                    let key = (
                        required(row.get::<String>(1).or_raise(), "links.domain"),
                        required(row.get::<String>(2).or_raise(), "links.code"),
                    );
                    let id = required(row.get::<i64>(3).or_raise(), "links.id");
                    let created = required(
                        row.get::<TimestampWithTimeZone>(4).or_raise(),
                        "links.created_at",
                    );
                    made.insert(key, (id, created));
                }
            });
            let mut collided = Vec::new();
            for (p, domain, code) in rows {
                match made.remove(&(domain.clone(), code.clone())) {
                    Some((id, created_at)) => {
                        out[p.idx] = Some(Ok(Link {
                            id,
                            domain,
                            code,
                            url: p.url,
                            created_at,
                            expires_at: None,
                            max_clicks: None,
                            metadata: Value::Object(serde_json::Map::new()),
                        }))
                    }
                    // Taken already, or twice in this batch: the one-by-one path retries.
                    None => collided.push(p.idx),
                }
            }
            collided
        })
    })
}

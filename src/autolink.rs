//! `shortlink.autolink()`: the trigger that links campaign rows as they are inserted.
//! A C trigger function, not PL/pgSQL: a campaign `INSERT` of 10^5 rows pays one
//! `shorten` per row and nothing else (no row turned into jsonb and back, no SQL
//! statement around `shorten`).
//!
//! It is not SECURITY DEFINER and sets no `search_path`: it looks up no name through
//! `search_path` (columns by name in the trigger's own table; types by oid), and the
//! statements `shorten` runs are kept plans that pin their own (src/plans.rs).

use std::ffi::{CStr, CString};

use pgrx::pg_sys;
use pgrx::prelude::*;
use serde_json::Value;
use shortlink_core::options::{self, LinkOptions, Mode};
use shortlink_core::{Error, Kind, Result};

use crate::error::OrRaise;
use crate::{plan, shorten};

const USAGE: &str =
    "EXECUTE FUNCTION shortlink.autolink('source_column', 'target_column' [, '{\"expire_in\": 86400}'])";

v1_function_info!(pg_finfo_shortlink_autolink);

/// The trigger function (sql/functions.sql declares `shortlink.autolink()` with it).
///
/// # Safety
/// Called by fmgr with a valid `fcinfo`.
#[unsafe(no_mangle)]
#[pg_guard]
pub unsafe extern "C-unwind" fn shortlink_autolink(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: fmgr passes a valid fcinfo; the trigger data, when it is one, is valid for
    // the call.
    unsafe {
        let context = (*fcinfo).context;
        if context.is_null() || (*context).type_ != pg_sys::NodeTag::T_TriggerData {
            not_a_row_trigger();
        }
        let data = &*(context as *const pg_sys::TriggerData);
        link_row(data).or_raise()
    }
}

fn not_a_row_trigger() -> ! {
    Err::<(), _>(Error::new(
        Kind::InvalidParameter,
        "shortlink.autolink() must be a BEFORE INSERT or UPDATE ... FOR EACH ROW trigger",
    ))
    .or_raise();
    unreachable!("or_raise raises")
}

/// The trigger's arguments: the source column, the target column and the options of
/// every link it makes, parsed.
fn parse_args(args: &[String]) -> Result<(&str, &str, LinkOptions)> {
    if !(2..=3).contains(&args.len()) {
        return Err(Error::new(
            Kind::InvalidParameter,
            format!(
                "needs 2 or 3 arguments (source column, target column, options), not {}",
                args.len()
            ),
        )
        .with_hint(USAGE));
    }
    let opts: Value = match args.get(2) {
        None => Value::Object(Default::default()),
        Some(text) => serde_json::from_str(text).map_err(|_| {
            Error::new(
                Kind::InvalidParameter,
                "the third argument must be a JSON object of shorten options",
            )
            .with_hint(USAGE)
        })?,
    };
    let opts = options::parse(&opts, Mode::Create)?;
    Ok((&args[0], &args[1], opts))
}

// The trigger `$1`: its table, type bits, arguments (NUL-terminated, one after another)
// and whether it runs shortlink.autolink().
plan!(
    AUTOLINK_TRIGGER,
    read,
    "SELECT t.tgrelid::pg_catalog.regclass::pg_catalog.text, t.tgtype::integer, t.tgargs,
            t.tgname::pg_catalog.text
     FROM pg_catalog.pg_trigger t
     WHERE t.oid = $1 AND t.tgfoid = 'shortlink.autolink()'::pg_catalog.regprocedure",
    [OIDOID]
);
// Column `$2` of table `$1` (not dropped, not a system column): whether its type is a
// string type (a domain over one counts).
plan!(
    TEXT_LIKE_COLUMN,
    read,
    "SELECT ty.typcategory = 'S'
     FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
     WHERE a.attrelid = (SELECT tgrelid FROM pg_catalog.pg_trigger WHERE oid = $1)
       AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
    [OIDOID, TEXTOID]
);

/// Checks a trigger just created (`CREATE TRIGGER`, through the event trigger
/// `shortlink_autolink_check`) that runs `shortlink.autolink()`: a BEFORE INSERT or UPDATE
/// row trigger, whose source and target columns exist and are of a string type, and whose
/// options parse. The trigger's first INSERT checks it again (a column may be dropped or
/// renamed since).
#[pg_extern(strict, volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn autolink_check_trigger(trigger: pg_sys::Oid) {
    check_trigger(trigger).or_raise()
}

fn check_trigger(trigger: pg_sys::Oid) -> Result<()> {
    Spi::connect(|client| {
        let Some((table, tgtype, raw_args, name)) =
            AUTOLINK_TRIGGER.select_row(client, &[trigger.into()], |t| {
                (
                    t.get::<String>(1).or_raise().unwrap_or_default(),
                    t.get::<i32>(2).or_raise().unwrap_or_default(),
                    t.get::<Vec<u8>>(3).or_raise().unwrap_or_default(),
                    t.get::<String>(4).or_raise().unwrap_or_default(),
                )
            })
        else {
            return Ok(());
        };
        let prefix = format!("shortlink.autolink() trigger \"{name}\" on {table}: ");
        let hint =
            format!("CREATE TRIGGER … BEFORE INSERT [OR UPDATE] ON {table} FOR EACH ROW {USAGE}");
        let bad = |message: String| {
            Error::new(Kind::InvalidParameter, format!("{prefix}{message}")).with_hint(hint.clone())
        };
        let tgtype = tgtype as u32;
        let row = tgtype & pg_sys::TRIGGER_TYPE_ROW != 0;
        let before = tgtype & pg_sys::TRIGGER_TYPE_TIMING_MASK == pg_sys::TRIGGER_TYPE_BEFORE;
        let other_events = pg_sys::TRIGGER_TYPE_DELETE | pg_sys::TRIGGER_TYPE_TRUNCATE;
        if !row || !before || tgtype & other_events != 0 {
            return Err(bad(
                "must be BEFORE INSERT or UPDATE, FOR EACH ROW".to_owned()
            ));
        }
        // tgargs: each argument followed by a NUL byte.
        let mut args: Vec<String> = raw_args
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        args.pop();
        let (source, target, _) = parse_args(&args).map_err(|e| Error {
            message: format!("{prefix}{}", e.message),
            hint: e.hint.or(Some(hint.clone())),
            ..e
        })?;
        for (role, column) in [("source", source), ("target", target)] {
            match TEXT_LIKE_COLUMN.select_one::<bool>(client, &[trigger.into(), column.into()]) {
                Some(true) => {}
                Some(false) => {
                    return Err(bad(format!(
                        "the {role} column \"{column}\" is not of a string type (text, varchar, …)"
                    )))
                }
                None => return Err(bad(format!("no column \"{column}\" (the {role} column)"))),
            }
        }
        Ok(())
    })
}

/// The 0-based attribute named `name` of `desc`, not dropped, not a system column.
///
/// # Safety
/// `desc` is a valid tuple descriptor.
unsafe fn column(desc: pg_sys::TupleDesc, name: &str) -> Option<usize> {
    // SAFETY: desc is valid (the caller's promise) and attributes are read below natts;
    // attname is a NUL-terminated NameData inside the attribute.
    unsafe {
        (0..(*desc).natts as usize).find(|&i| {
            let att = crate::pg_compat::attribute(desc, i);
            !att.attisdropped
                && CStr::from_ptr(att.attname.data.as_ptr()).to_bytes() == name.as_bytes()
        })
    }
}

/// Column `i` of `tuple` as text (its type's output), None when NULL.
///
/// # Safety
/// `tuple` is a valid tuple of `desc`, and `i < desc->natts`.
unsafe fn text_of(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc, i: usize) -> Option<String> {
    // SAFETY: the caller's promise is SPI_getvalue's; it returns NULL or a palloc'd,
    // NUL-terminated string in the current memory context, copied before it is left.
    unsafe {
        let value = pg_sys::SPI_getvalue(tuple, desc, (i + 1) as i32);
        (!value.is_null()).then(|| CStr::from_ptr(value).to_string_lossy().into_owned())
    }
}

/// The trigger's work on the row of `data`: the row with a short link of its source
/// column in its empty target column, or the row unchanged.
///
/// # Safety
/// `data` is the trigger data fmgr passed for this call, valid for it.
unsafe fn link_row(data: &pg_sys::TriggerData) -> Result<pg_sys::Datum> {
    // SAFETY: data is valid for the call (the caller's promise), and so are its trigger,
    // relation and tuples: tg_trigtuple for an INSERT, tg_newtuple (and tg_trigtuple, the
    // old row) for an UPDATE, which the event is checked to be; tgargs holds tgnargs
    // NUL-terminated strings; the columns are found in the relation's own descriptor; the
    // value given to heap_modify_tuple_by_cols is the target column's type, made by its
    // input function, and the new tuple is palloc'd in the trigger's memory context,
    // which is what a BEFORE trigger returns.
    unsafe {
        let event = data.tg_event;
        let op = event & pg_sys::TRIGGER_EVENT_OPMASK;
        let insert = op == pg_sys::TRIGGER_EVENT_INSERT;
        if event & pg_sys::TRIGGER_EVENT_ROW == 0
            || event & pg_sys::TRIGGER_EVENT_TIMINGMASK != pg_sys::TRIGGER_EVENT_BEFORE
            || !(insert || op == pg_sys::TRIGGER_EVENT_UPDATE)
        {
            not_a_row_trigger();
        }
        let trigger = &*data.tg_trigger;
        let args: Vec<String> = (0..trigger.tgnargs as usize)
            .map(|i| {
                CStr::from_ptr(*trigger.tgargs.add(i))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let (_, _, opts) = parse_args(&args).map_err(|e| Error {
            message: format!("shortlink.autolink(): {}", e.message),
            ..e
        })?;
        let rel = data.tg_relation;
        let desc = (*rel).rd_att;
        let no_column = |name: &str| {
            let schema = pg_sys::get_namespace_name((*(*rel).rd_rel).relnamespace);
            let schema = if schema.is_null() {
                String::new()
            } else {
                CStr::from_ptr(schema).to_string_lossy().into_owned()
            };
            let table = CStr::from_ptr((*(*rel).rd_rel).relname.data.as_ptr()).to_string_lossy();
            Error::new(
                Kind::InvalidParameter,
                format!("shortlink.autolink(): table {schema}.{table} has no column \"{name}\""),
            )
        };
        let src = column(desc, &args[0]).ok_or_else(|| no_column(&args[0]))?;
        let dst = column(desc, &args[1]).ok_or_else(|| no_column(&args[1]))?;
        let tuple = if insert {
            data.tg_trigtuple
        } else {
            data.tg_newtuple
        };
        let unchanged = Ok(pg_sys::Datum::from(tuple));
        let Some(url) = text_of(tuple, desc, src) else {
            return unchanged;
        };
        let mut target_null = false;
        pg_sys::SPI_getbinval(tuple, desc, (dst + 1) as i32, &mut target_null);
        if !target_null {
            return unchanged;
        }
        if !insert && text_of(data.tg_trigtuple, desc, src).as_deref() == Some(url.as_str()) {
            return unchanged;
        }
        let short_url = shorten::create(Some(&url), &opts)?.short_url();
        // The short URL through the target column's input function, as a text value
        // assigned to it would be.
        let att = crate::pg_compat::attribute(desc, dst);
        let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
        pg_sys::getTypeInputInfo(att.atttypid, &mut input, &mut ioparam);
        let text = CString::new(short_url)
            .map_err(|_| Error::new(Kind::InvalidParameter, "short URL contains a NUL byte"))?;
        let mut value =
            pg_sys::OidInputFunctionCall(input, text.as_ptr().cast_mut(), ioparam, att.atttypmod);
        let mut column = (dst + 1) as i32;
        let mut null = false;
        // Raw pointers: 18 declares these arguments const, 15 to 17 not.
        let changed = pg_sys::heap_modify_tuple_by_cols(
            tuple,
            desc,
            1,
            &raw mut column,
            &raw mut value,
            &raw mut null,
        );
        Ok(pg_sys::Datum::from(changed))
    }
}

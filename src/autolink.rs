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
use crate::shorten;

const USAGE: &str =
    "EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url' [, '{\"expire_in\": 86400}'])";

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

/// The 0-based attribute named `name` of `desc`, not dropped, not a system column.
unsafe fn column(desc: pg_sys::TupleDesc, name: &str) -> Option<usize> {
    unsafe {
        (0..(*desc).natts as usize).find(|&i| {
            let att = &*(*desc).attrs.as_ptr().add(i);
            !att.attisdropped
                && CStr::from_ptr(att.attname.data.as_ptr()).to_bytes() == name.as_bytes()
        })
    }
}

/// Column `i` of `tuple` as text (its type's output), None when NULL.
unsafe fn text_of(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc, i: usize) -> Option<String> {
    unsafe {
        let value = pg_sys::SPI_getvalue(tuple, desc, (i + 1) as i32);
        (!value.is_null()).then(|| CStr::from_ptr(value).to_string_lossy().into_owned())
    }
}

unsafe fn link_row(data: &pg_sys::TriggerData) -> Result<pg_sys::Datum> {
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
        if !(2..=3).contains(&args.len()) {
            return Err(Error::new(
                Kind::InvalidParameter,
                format!(
                    "shortlink.autolink() takes 2 or 3 arguments, not {}",
                    args.len()
                ),
            )
            .with_hint(USAGE));
        }
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
        let opts: Value = match args.get(2) {
            None => Value::Object(Default::default()),
            Some(text) => serde_json::from_str(text).map_err(|_| {
                Error::new(
                    Kind::InvalidParameter,
                    "shortlink.autolink(): the third argument must be a JSON object of shorten options",
                )
            })?,
        };
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
        let opts: LinkOptions = options::parse(&opts, Mode::Create)?;
        let short_url = shorten::create(Some(&url), &opts)?.short_url();
        // The short URL through the target column's input function, as a text value
        // assigned to it would be.
        let att = &*(*desc).attrs.as_ptr().add(dst);
        let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
        pg_sys::getTypeInputInfo(att.atttypid, &mut input, &mut ioparam);
        let text = CString::new(short_url)
            .map_err(|_| Error::new(Kind::InvalidParameter, "short URL contains a NUL byte"))?;
        let mut value =
            pg_sys::OidInputFunctionCall(input, text.as_ptr().cast_mut(), ioparam, att.atttypmod);
        let mut column = (dst + 1) as i32;
        let mut null = false;
        let changed =
            pg_sys::heap_modify_tuple_by_cols(tuple, desc, 1, &mut column, &mut value, &mut null);
        Ok(pg_sys::Datum::from(changed))
    }
}

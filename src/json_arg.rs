//! `jsonb` arguments read as their text, so that shortlink parses them itself: pgrx's
//! `JsonB` panics (XX000 with a Rust backtrace) on JSON nested past serde_json's limit of
//! 128 levels, which any caller can send. Parsed here, every input error is a 22023 that
//! names the field.

use pgrx::callconv::{Arg, ArgAbi};
use pgrx::nullable::Nullable;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::{pg_sys, FromDatum};
use serde_json::Value;
use shortlink_core::json_text;
use shortlink_core::options::{too_deep_error, MAX_JSON_DEPTH};
use shortlink_core::{Error, Kind, Result};

/// A `jsonb` argument as PostgreSQL prints it.
pub struct JsonbText(pub String);

impl FromDatum for JsonbText {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null {
            return None;
        }
        // SAFETY: the datum is a jsonb (the argument's declared type); jsonb_out returns a
        // palloc'd, NUL-terminated string, copied and freed here.
        unsafe {
            let out =
                pgrx::direct_function_call::<&core::ffi::CStr>(pg_sys::jsonb_out, &[Some(datum)])?;
            let text = out.to_string_lossy().into_owned();
            pg_sys::pfree(out.as_ptr() as *mut core::ffi::c_void);
            Some(JsonbText(text))
        }
    }
}

// SAFETY: a jsonb argument is unboxed through FromDatum above.
unsafe impl<'fcx> ArgAbi<'fcx> for JsonbText {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the argument is a jsonb; a NULL is unboxed through Option<JsonbText>.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        // SAFETY: as above.
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}

// SAFETY: the argument is declared `jsonb` in SQL, what FromDatum above reads.
unsafe impl SqlTranslatable for JsonbText {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(JsonbText);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: std::result::Result<SqlMappingRef, ArgumentError> =
        Ok(SqlMappingRef::literal("jsonb"));
    const RETURN_SQL: std::result::Result<ReturnsRef, ReturnsError> = Err(ReturnsError::Datum);
}

impl JsonbText {
    /// The value, or a 22023 naming the top-level key under which it nests too deep.
    /// `what` names the argument in the message ("options", "items").
    pub fn parse(&self, what: &str) -> Result<Value> {
        // The argument itself is one level.
        if let Some(key) = json_text::too_deep(&self.0, MAX_JSON_DEPTH + 1) {
            return Err(too_deep_error(&key));
        }
        serde_json::from_str(&self.0).map_err(|e| {
            Error::new(
                Kind::InvalidParameter,
                format!("invalid {what}: not readable as JSON ({e})"),
            )
        })
    }
}

/// `opts` as a value: NULL reads as no options.
pub fn parse_opts(opts: Option<JsonbText>) -> Result<Value> {
    opts.map_or(Ok(Value::Null), |j| j.parse("options"))
}

/// A `json` result given as its text and passed on as it is, never parsed (pgrx's
/// `JsonString` would do, but 0.18 gives it no SQL type). The text must be JSON: it comes
/// from `link_json`, which writes each value as PostgreSQL's json functions do.
pub struct JsonText(pub String);

impl pgrx::IntoDatum for JsonText {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        // json is stored as its text: the same varlena as a text datum.
        self.0.as_str().into_datum()
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONOID
    }
}

// SAFETY: the datum returned is IntoDatum's, which the caller's fcinfo returns as is.
unsafe impl pgrx::callconv::BoxRet for JsonText {
    unsafe fn box_into<'fcx>(
        self,
        fcinfo: &mut pgrx::callconv::FcInfo<'fcx>,
    ) -> pgrx::datum::Datum<'fcx> {
        match pgrx::IntoDatum::into_datum(self) {
            // SAFETY: a json datum made just now, returned to the function's caller.
            Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
            None => fcinfo.return_null(),
        }
    }
}

// SAFETY: returned as `json`, whose datum is the text varlena IntoDatum above makes.
unsafe impl SqlTranslatable for JsonText {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(JsonText);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: std::result::Result<SqlMappingRef, ArgumentError> =
        Err(ArgumentError::Datum);
    const RETURN_SQL: std::result::Result<ReturnsRef, ReturnsError> =
        Ok(ReturnsRef::One(SqlMappingRef::literal("json")));
}

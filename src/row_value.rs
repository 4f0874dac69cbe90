//! One row value returned by a C function (`record_click`, `peek_click`, `shorten`)
//! declared in `sql/*.sql` as returning a named composite type. A set-returning function
//! of one row is called twice through fmgr and builds its row type from `pg_proc` at each
//! call; these are called once and form their row with the type cache's descriptor.

use pgrx::pg_sys;
use shortlink_core::{Error, Kind};

/// The widest row value formed here (shorten's has 9 attributes).
const MAX_ATTRIBUTES: usize = 16;

/// What a C function returning a row value is declared as, to check it and to say so.
pub struct Declaration {
    /// The function(s), for the error: `shortlink.shorten`.
    pub name: &'static str,
    /// The arguments and result type as the extension's script declares them.
    pub signature: &'static str,
    pub nargs: i16,
    /// The result type's attribute types, in order.
    pub attributes: &'static [pg_sys::Oid],
}

impl Declaration {
    /// Refuses a call whose argument count is not the declared one.
    ///
    /// # Safety
    /// `fcinfo` is fmgr's, valid for the call.
    pub unsafe fn check_args(&self, fcinfo: pg_sys::FunctionCallInfo) {
        // SAFETY: as the caller promises.
        if unsafe { (*fcinfo).nargs } != self.nargs {
            self.altered();
        }
    }

    /// `values` (None: NULL) as a datum of the function's composite result type, after
    /// checking that type still has the declared attributes (an altered type is refused,
    /// never misread). The result type is looked up once per call site (`fn_extra`).
    ///
    /// # Safety
    /// `fcinfo` is fmgr's, valid for the call; each value is a datum of its attribute's
    /// type, alive through the call.
    pub unsafe fn row(
        &self,
        fcinfo: pg_sys::FunctionCallInfo,
        values: &[Option<pg_sys::Datum>],
    ) -> pg_sys::Datum {
        // SAFETY: flinfo is the called function's, fn_extra ours for its lifetime and
        // allocated in fn_mcxt; the descriptor is pinned while the tuple is formed.
        unsafe {
            let flinfo = (*fcinfo).flinfo;
            if (*flinfo).fn_extra.is_null() {
                let oid = pg_sys::MemoryContextAlloc(
                    (*flinfo).fn_mcxt,
                    std::mem::size_of::<pg_sys::Oid>(),
                ) as *mut pg_sys::Oid;
                *oid = pg_sys::get_func_rettype((*flinfo).fn_oid);
                (*flinfo).fn_extra = oid.cast();
            }
            let rowtype = *((*flinfo).fn_extra as *const pg_sys::Oid);
            let desc = pg_sys::lookup_rowtype_tupdesc(rowtype, -1);
            let declared = self.attributes.len() <= MAX_ATTRIBUTES
                && (*desc).natts as usize == self.attributes.len()
                && values.len() == self.attributes.len()
                && self.attributes.iter().enumerate().all(|(i, &t)| {
                    let att = crate::pg_compat::attribute(desc, i);
                    !att.attisdropped && att.atttypid == t
                });
            if !declared {
                pg_sys::DecrTupleDescRefCount(desc);
                self.altered();
            }
            // On the stack: a call allocates nothing here but the tuple.
            let mut datums = [pg_sys::Datum::from(0usize); MAX_ATTRIBUTES];
            let mut nulls = [true; MAX_ATTRIBUTES];
            for (i, v) in values.iter().enumerate() {
                if let Some(datum) = v {
                    datums[i] = *datum;
                    nulls[i] = false;
                }
            }
            let tuple = pg_sys::heap_form_tuple(desc, datums.as_mut_ptr(), nulls.as_mut_ptr());
            pg_sys::DecrTupleDescRefCount(desc);
            pg_sys::HeapTupleHeaderGetDatum((*tuple).t_data)
        }
    }

    /// The function or its result type no longer is what the extension declared.
    fn altered(&self) -> ! {
        crate::error::raise(
            Error::new(
                Kind::InvalidFunctionDefinition,
                format!("{} is not declared as the extension declares it", self.name),
            )
            .with_detail(format!(
                "The extension declares {}{}.",
                self.name, self.signature
            ))
            .with_hint("Restore the function or its result type as the extension's script creates them, or drop and create the extension again."),
        )
    }
}

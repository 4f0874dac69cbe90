//! Acting for the caller. The writing functions (shorten, shorten_many, update_link,
//! add_domain) need rights an application role does not have: INSERT on `links`, reading
//! `domains` outside its workspaces to refuse loops. They are not SECURITY DEFINER, because
//! a SECURITY DEFINER function cannot tell who called it, and the workspace of a call is
//! its caller's. Instead, like PostgreSQL's own foreign-key checks, they learn the caller's
//! workspaces as the caller, then run their statements as the owner of `shortlink.links`
//! (`SetUserIdAndSecContext` with SECURITY_LOCAL_USERID_CHANGE), restoring the caller on
//! every exit, error included.

use pgrx::pg_sys;
use pgrx::spi::SpiClient;
use std::cell::RefCell;

use crate::error::{required, OrRaise};
use crate::plan;
use crate::presented_key::Presented;
use std::rc::Rc;

plan!(
    CALLER,
    read,
    "SELECT shortlink.visible_workspaces(), c.relowner
     FROM pg_catalog.pg_class c
     WHERE c.oid OPERATOR(pg_catalog.=) 'shortlink.links'::pg_catalog.regclass",
    []
);

/// Who is calling: the workspaces it acts in, the API key it presented, and the role the
/// statements run as.
#[derive(Clone)]
pub struct Caller {
    /// None: every workspace (a superuser).
    workspaces: Option<Vec<i32>>,
    owner: pg_sys::Oid,
    /// The key presented in this transaction (shortlink.api_begin): it narrows the caller
    /// to its workspace, domains, links and scopes.
    key: Option<Rc<Presented>>,
}

/// The transaction, role, `shortlink.workspace` and presented key a cached [`Caller`] was
/// read for.
type Key = (u32, pg_sys::Oid, String, Option<i64>);

thread_local! {
    // One lookup per transaction and role: a campaign INSERT of 100 000 rows through
    // autolink asks once, not 100 000 times.
    static CACHE: RefCell<Option<(Key, Caller)>> = const { RefCell::new(None) };
}

fn key() -> Key {
    // SAFETY: GetUserId only reads a global.
    let (lxid, user) = (crate::pg_compat::local_transaction_id(), unsafe {
        pg_sys::GetUserId()
    });
    (
        lxid,
        user,
        crate::settings::workspace(),
        crate::presented_key::presented().map(|k| k.key_id),
    )
}

impl Caller {
    /// The current caller, read as the caller (its own rights, its row-level security).
    pub fn current(client: &SpiClient<'_>) -> Caller {
        let presented = crate::presented_key::presented();
        // SAFETY: superuser() and GetUserId() read the current role's cached attributes.
        if unsafe { pg_sys::superuser() } {
            // A superuser sees every workspace, but for a key's, and needs no other role's
            // rights.
            return Caller {
                workspaces: presented.as_ref().map(|k| vec![k.workspace_id]),
                // SAFETY: as above.
                owner: unsafe { pg_sys::GetUserId() },
                key: presented,
            };
        }
        let key = key();
        if let Some(c) = CACHE.with(|c| {
            c.borrow()
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, c)| c.clone())
        }) {
            return c;
        }
        let caller = required(
            CALLER.select_row(client, &[], |t| Caller {
                workspaces: Some(required(
                    t.get::<Vec<i32>>(1).or_raise(),
                    "shortlink.visible_workspaces()",
                )),
                owner: required(t.get::<pg_sys::Oid>(2).or_raise(), "pg_class.relowner"),
                key: presented.clone(),
            }),
            "the owner of shortlink.links",
        );
        CACHE.with(|c| *c.borrow_mut() = Some((key, caller.clone())));
        caller
    }

    /// Whether the caller acts in workspace `id`.
    pub fn sees(&self, id: i32) -> bool {
        self.workspaces.as_ref().is_none_or(|w| w.contains(&id))
    }

    /// Whether the caller acts on `domain` (normalized) of workspace `id`: a domain outside
    /// a presented key's is as one of another workspace.
    pub fn sees_domain(&self, id: i32, domain: &str) -> bool {
        self.sees(id) && self.key.as_ref().is_none_or(|k| k.allows_domain(domain))
    }

    /// The API key presented in this transaction, if any.
    pub fn key(&self) -> Option<&Presented> {
        self.key.as_deref()
    }

    /// Runs `f` as the owner of shortlink's tables, then restores the caller.
    pub fn as_owner<R>(&self, f: impl FnOnce() -> R) -> R {
        let (mut user, mut context) = (pg_sys::InvalidOid, 0);
        // SAFETY: reads two backend globals.
        unsafe { pg_sys::GetUserIdAndSecContext(&mut user, &mut context) };
        if user == self.owner {
            return f();
        }
        /// Puts the caller back when `f` returns or unwinds (a PostgreSQL ERROR unwinds
        /// through here as a Rust panic before pgrx re-raises it).
        struct Restore(pg_sys::Oid, i32);
        impl Drop for Restore {
            fn drop(&mut self) {
                // SAFETY: restores the values read above.
                unsafe { pg_sys::SetUserIdAndSecContext(self.0, self.1) };
            }
        }
        let _restore = Restore(user, context);
        // SAFETY: the owner exists (its oid was just read from pg_class); a local user id
        // change forbids SET ROLE and SET SESSION AUTHORIZATION until it is undone.
        unsafe {
            pg_sys::SetUserIdAndSecContext(
                self.owner,
                context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
            )
        };
        f()
    }
}

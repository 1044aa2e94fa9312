//! Fuzz target `ffi` (cargo feature `ffi`): the C ABI of `tokenlane-ffi`
//! called through its `extern "C"` functions, differential against the Rust
//! core on the same input.
//!
//! The first byte picks the path, the rest is the input:
//! - even: the rest is a token for an access validator (strict, audiences
//!   `https://api.example` and `client-app`) and an ID validator
//!   (`client-app`, no per-login checks), both built through the C ABI from
//!   the conformance keys; each result number must equal the core's
//!   `ErrorCode` number for the same token (0 when the core accepts), and
//!   the error detail must carry the same code;
//! - odd: the rest is a JWKS document for `tokenlane_keyset_from_jwks`,
//!   which must load exactly when `KeySet::from_jwks` does, with as many
//!   keys, and fail with `INVALID_KEY` otherwise.
//!
//! A NULL token with a non-zero length must be `NULL_PARAMETER`, never a
//! crash.

use core::ffi::c_char;
use core::ptr;

use tokenlane::KeySet;
use tokenlane_ffi::config::*;
use tokenlane_ffi::error::*;
use tokenlane_ffi::keyset::*;
use tokenlane_ffi::token::*;
use tokenlane_ffi::validator::*;

use crate::fixtures::{
    all_algorithms, conformance_keys, sources, SourceKind, API, CLIENT, ISSUER, LEEWAY, NOW,
};
use crate::lanes::Lane;

/// The validators, built once per thread through the C ABI and freed with
/// it (the entry points are safe `extern "C"` functions: no `unsafe` here).
struct World {
    access: *mut tokenlane_access_validator,
    id: *mut tokenlane_id_validator,
}

impl Drop for World {
    fn drop(&mut self) {
        tokenlane_access_validator_free(self.access);
        tokenlane_id_validator_free(self.id);
    }
}

thread_local! {
    static WORLD: World = World::new();
}

fn ok(r: tokenlane_result, what: &str) {
    assert_eq!(r, tokenlane_result::Ok, "{what}");
}

fn chars(s: &str) -> *const c_char {
    s.as_ptr().cast()
}

impl World {
    fn new() -> Self {
        let mut keys: *mut tokenlane_keyset = ptr::null_mut();
        ok(tokenlane_keyset_new(&mut keys), "keyset_new");
        for s in sources() {
            let mut one: *mut tokenlane_keyset = ptr::null_mut();
            let (kid, kid_len) = (chars(s.kid), s.kid.len());
            let r = match s.kind {
                SourceKind::SpkiDer => tokenlane_keyset_from_der(
                    s.bytes.as_ptr(),
                    s.bytes.len(),
                    kid,
                    kid_len,
                    ptr::null(),
                    0,
                    &mut one,
                    ptr::null_mut(),
                ),
                SourceKind::Secret => tokenlane_keyset_from_secret(
                    s.bytes.as_ptr(),
                    s.bytes.len(),
                    kid,
                    kid_len,
                    ptr::null(),
                    0,
                    &mut one,
                    ptr::null_mut(),
                ),
            };
            ok(r, s.kid);
            ok(
                tokenlane_keyset_extend(keys, one, ptr::null_mut()),
                "keyset_extend",
            );
            tokenlane_keyset_free(one);
        }

        let config = |access: bool| {
            let mut c: *mut tokenlane_validator_config = ptr::null_mut();
            ok(tokenlane_validator_config_new(&mut c), "config_new");
            ok(
                tokenlane_validator_config_set_issuer(c, chars(ISSUER), ISSUER.len()),
                "issuer",
            );
            if access {
                for aud in [API, CLIENT] {
                    ok(
                        tokenlane_validator_config_add_audience(c, chars(aud), aud.len()),
                        "audience",
                    );
                }
            } else {
                ok(
                    tokenlane_validator_config_set_client_id(c, chars(CLIENT), CLIENT.len()),
                    "client_id",
                );
            }
            // The same set as the core lanes it is compared with: every
            // algorithm of the table, as C bits.
            let mask = all_algorithms().iter().fold(0, |m, a| m | a.bit());
            ok(
                tokenlane_validator_config_set_algorithms(c, mask),
                "algorithms",
            );
            ok(tokenlane_validator_config_set_leeway(c, LEEWAY), "leeway");
            c
        };
        let mut access: *mut tokenlane_access_validator = ptr::null_mut();
        let c = config(true);
        ok(
            tokenlane_access_validator_new(c, keys, &mut access, ptr::null_mut()),
            "access_validator_new",
        );
        tokenlane_validator_config_free(c);
        let mut id: *mut tokenlane_id_validator = ptr::null_mut();
        let c = config(false);
        ok(
            tokenlane_id_validator_new(c, keys, &mut id, ptr::null_mut()),
            "id_validator_new",
        );
        tokenlane_validator_config_free(c);
        tokenlane_keyset_free(keys);
        World { access, id }
    }
}

/// The core's answer as a C result number.
fn core_number(lane: Lane, token: &[u8]) -> u32 {
    match lane.run(token, conformance_keys(), 0) {
        Ok(_) => 0,
        Err(e) => e.kind().number(),
    }
}

fn number(r: tokenlane_result) -> u32 {
    // Reading the discriminant of a fieldless `repr(u32)` enum.
    #[allow(clippy::as_conversions)]
    let n = r as u32;
    n
}

/// Fuzz target `ffi`; see the module docs.
pub fn ffi(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 1 {
        return jwks(rest);
    }
    WORLD.with(|w| validate(w, rest));
}

fn validate(w: &World, rest: &[u8]) {
    let mut detail: *mut tokenlane_error_detail = ptr::null_mut();
    ok(tokenlane_error_detail_new(&mut detail), "detail_new");

    let mut at: *mut tokenlane_access_token = ptr::null_mut();
    let r = tokenlane_access_validator_validate(
        w.access,
        rest.as_ptr().cast(),
        rest.len(),
        NOW,
        &mut at,
        detail,
    );
    assert_eq!(
        number(r),
        core_number(Lane::AccessStrict, rest),
        "access: C ABI {r:?} vs core"
    );
    assert_eq!(
        tokenlane_error_detail_code(detail),
        r,
        "access: detail code"
    );
    assert_eq!(
        at.is_null(),
        r != tokenlane_result::Ok,
        "access: *out written exactly on success"
    );
    tokenlane_access_token_free(at);

    let mut it: *mut tokenlane_id_token = ptr::null_mut();
    let r = tokenlane_id_validator_validate(
        w.id,
        rest.as_ptr().cast(),
        rest.len(),
        NOW,
        ptr::null(),
        &mut it,
        detail,
    );
    assert_eq!(
        number(r),
        core_number(Lane::IdClient, rest),
        "id: C ABI {r:?} vs core"
    );
    assert_eq!(tokenlane_error_detail_code(detail), r, "id: detail code");
    assert_eq!(
        it.is_null(),
        r != tokenlane_result::Ok,
        "id: *out written exactly on success"
    );
    tokenlane_id_token_free(it);

    let mut none: *mut tokenlane_access_token = ptr::null_mut();
    let r = tokenlane_access_validator_validate(
        w.access,
        ptr::null(),
        rest.len().max(1),
        NOW,
        &mut none,
        detail,
    );
    assert_eq!(r, tokenlane_result::NullParameter, "NULL token");
    assert!(none.is_null());
    tokenlane_error_detail_free(detail);
}

fn jwks(doc: &[u8]) {
    let core = KeySet::from_jwks(doc);
    let mut set: *mut tokenlane_keyset = ptr::null_mut();
    let r = tokenlane_keyset_from_jwks(doc.as_ptr().cast(), doc.len(), &mut set, ptr::null_mut());
    match core {
        Ok(keys) => {
            assert_eq!(r, tokenlane_result::Ok, "core loads, C ABI says {r:?}");
            assert_eq!(tokenlane_keyset_len(set), keys.len());
            assert_eq!(tokenlane_keyset_skipped_count(set), keys.skipped().len());
        }
        Err(_) => {
            assert_eq!(
                r,
                tokenlane_result::InvalidKey,
                "core refuses, C ABI says {r:?}"
            );
            assert!(set.is_null(), "*out written on failure");
        }
    }
    tokenlane_keyset_free(set);
}

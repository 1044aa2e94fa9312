//! The two validators: one per lane, immutable except for an atomic key
//! swap, shareable between threads.

use core::ffi::c_char;
use std::sync::{Arc, RwLock};

use tokenlane::{
    scratch_len, IdChecks, Key, KeySet, OwnedAccessPolicy, OwnedIdPolicy, PolicyError, UnixTime,
};
#[cfg(feature = "remote")]
use tokenlane_remote::{KeySource, ValidationError};

use crate::config::tokenlane_validator_config;
use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr};
use crate::keyset::tokenlane_keyset;
#[cfg(feature = "remote")]
use crate::keysource::tokenlane_keysource;
use crate::panic::ffi_boundary;
use crate::token::{tokenlane_access_token, tokenlane_id_token, AccessData, IdData};
use tokenlane::with_scratch;

/// Where a validator's keys come from: a key set the caller replaces
/// (`*_set_keys`), or a key source it follows (`*_set_keysource`).
#[derive(Debug, Clone)]
enum KeysFrom {
    Set(Arc<KeySet>),
    #[cfg(feature = "remote")]
    Source(KeySource),
}

/// The current keys of a validator. Each validation clones the `Arc` (or
/// the key source handle, itself an `Arc`) under a short read lock and then
/// works on that snapshot, so a concurrent [`Keys::replace`] (a swap under
/// the write lock) is never seen half-done: a validation uses either the
/// old keys or the new ones.
#[derive(Debug)]
struct Keys(RwLock<KeysFrom>);

impl Keys {
    fn new(keys: KeysFrom) -> Self {
        Self(RwLock::new(keys))
    }

    fn current(&self) -> KeysFrom {
        // A poisoned lock only means a panic elsewhere while it was held;
        // the value inside is always whole, so keep using it.
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, keys: KeysFrom) {
        let old = {
            let mut guard = self
                .0
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            core::mem::replace(&mut *guard, keys)
        };
        // The old keys are dropped outside the lock (or later, by the last
        // in-flight validation still holding them).
        drop(old);
    }
}

/// The keys one request lane call reads (see [`AccessValidator::parts`]).
pub(crate) enum CurrentKeys {
    Set(Arc<KeySet>),
    #[cfg(feature = "remote")]
    Source(tokenlane_remote::Keys),
}

impl core::ops::Deref for CurrentKeys {
    type Target = [Key];
    fn deref(&self) -> &[Key] {
        match self {
            CurrentKeys::Set(k) => k,
            #[cfg(feature = "remote")]
            CurrentKeys::Source(k) => k,
        }
    }
}

#[cfg(feature = "remote")]
/// A refusal of a validator following a key source.
fn source_failure(e: &ValidationError) -> Failure {
    match e {
        ValidationError::Token(e) => Failure::core(e),
        ValidationError::KeysUnavailable(e) => crate::keysource::keys_unavailable(e),
    }
}

#[cfg(feature = "remote")]
/// Reads the `keysource` argument of the `*_keysource` functions.
///
/// # Safety
/// `keysource` is NULL or a live key source.
unsafe fn source_arg(keysource: *const tokenlane_keysource) -> Result<KeysFrom, Failure> {
    // SAFETY: forwarded contract.
    unsafe { ffi::try_ref(keysource) }
        .map(|k| KeysFrom::Source(k.source.clone()))
        .ok_or_else(|| Failure::null("keysource"))
}

fn policy_failure(e: PolicyError) -> Failure {
    Failure::invalid(format!("invalid validator configuration: {e}"))
}

/// Reads the configuration and key set arguments of `*_validator_new`.
///
/// # Safety
/// `config` and `keyset` are NULL or live handles not mutated meanwhile.
unsafe fn inputs<'a>(
    config: *const tokenlane_validator_config,
    keyset: *const tokenlane_keyset,
) -> Result<(&'a crate::config::Config, KeysFrom), Failure> {
    // SAFETY: forwarded contract.
    let c = unsafe { ffi::try_ref(config) }.ok_or_else(|| Failure::null("config"))?;
    // SAFETY: forwarded contract.
    let k = unsafe { keys_arg(keyset) }?;
    Ok((c, k))
}

#[cfg(feature = "remote")]
/// Reads the configuration and key source arguments of
/// `*_validator_new_with_keysource`.
///
/// # Safety
/// `config` and `keysource` are NULL or live handles not mutated meanwhile.
unsafe fn source_inputs<'a>(
    config: *const tokenlane_validator_config,
    keysource: *const tokenlane_keysource,
) -> Result<(&'a crate::config::Config, KeysFrom), Failure> {
    // SAFETY: forwarded contract.
    let c = unsafe { ffi::try_ref(config) }.ok_or_else(|| Failure::null("config"))?;
    // SAFETY: forwarded contract.
    let k = unsafe { source_arg(keysource) }?;
    Ok((c, k))
}

/// Reads the `keyset` argument of `*_set_keys`.
///
/// # Safety
/// `keyset` is NULL or a live key set not mutated meanwhile.
unsafe fn keys_arg(keyset: *const tokenlane_keyset) -> Result<KeysFrom, Failure> {
    // SAFETY: forwarded contract.
    unsafe { ffi::try_ref(keyset) }
        .map(|k| KeysFrom::Set(Arc::clone(k)))
        .ok_or_else(|| Failure::null("keyset"))
}

/// Validates OAuth 2.0 access tokens (RFC 9068) for one API: an API's lane.
///
/// Immutable once built, except for its keys, which
/// `tokenlane_access_validator_set_keys` replaces atomically. Any number of
/// threads may validate with one validator at the same time, also while
/// another thread replaces its keys. Free it once, with
/// `tokenlane_access_validator_free`, after every thread is done with it.
pub struct tokenlane_access_validator {
    _private: [u8; 0],
}

/// The Rust value behind a `tokenlane_access_validator`: the core's owned
/// policy, checked once when built, and the current keys.
#[derive(Debug)]
pub(crate) struct AccessValidator {
    policy: OwnedAccessPolicy,
    keys: Keys,
}

impl Castable for tokenlane_access_validator {
    type RustType = AccessValidator;
}

impl AccessValidator {
    /// The policy and the current keys at `now` (the request lane reads
    /// both). A key source gives its current keys (the kid-miss refetch is
    /// [`Self::keys_after_kid_miss`]); none to be had is `KEYS_UNAVAILABLE`.
    pub(crate) fn parts(&self, now: u64) -> Result<(&OwnedAccessPolicy, CurrentKeys), Failure> {
        let keys = match self.keys.current() {
            KeysFrom::Set(k) => CurrentKeys::Set(k),
            #[cfg(feature = "remote")]
            KeysFrom::Source(s) => CurrentKeys::Source(
                s.keys(UnixTime::from_secs(now))
                    .map_err(|e| crate::keysource::keys_unavailable(&e))?,
            ),
        };
        #[cfg(not(feature = "remote"))]
        let _ = now;
        Ok((&self.policy, keys))
    }

    /// After a `key_not_found` for a token naming a `kid`, decided on
    /// `seen`: the keys to decide with once more, when the validator follows
    /// a key source and its kid-miss rule fetched (outside the cooldown) or
    /// another thread's fetch replaced `seen` meanwhile; `None` when a retry
    /// cannot see other keys (a key set, or within the cooldown).
    pub(crate) fn keys_after_kid_miss(
        &self,
        seen: &CurrentKeys,
        now: u64,
    ) -> Result<Option<CurrentKeys>, Failure> {
        match (seen, self.keys.current()) {
            #[cfg(feature = "remote")]
            (CurrentKeys::Source(k), KeysFrom::Source(s)) => {
                let now = UnixTime::from_secs(now);
                if !s.kid_miss_since(k, now) {
                    return Ok(None);
                }
                s.keys(now)
                    .map(|k| Some(CurrentKeys::Source(k)))
                    .map_err(|e| crate::keysource::keys_unavailable(&e))
            }
            _ => {
                let _ = now;
                Ok(None)
            }
        }
    }

    /// The policy (the introspector decides answers with it).
    #[cfg(feature = "remote")]
    pub(crate) fn policy(&self) -> &OwnedAccessPolicy {
        &self.policy
    }

    /// Validates a JWT with the current keys: a key set, or a key source
    /// (with its kid-miss refetch; no keys is `KEYS_UNAVAILABLE`).
    pub(crate) fn validate_jwt(&self, token: &[u8], now: u64) -> Result<AccessData, Failure> {
        let now = UnixTime::from_secs(now);
        let len = token.len().min(self.policy.max_token_bytes());
        match self.keys.current() {
            KeysFrom::Set(keys) => with_scratch(scratch_len(len), |scratch| {
                let t = self
                    .policy
                    .validate(token, &keys, now, scratch)
                    .map_err(|e| Failure::core(&e))?;
                Ok(AccessData::new(&t))
            }),
            #[cfg(feature = "remote")]
            KeysFrom::Source(source) => {
                with_scratch(tokenlane_remote::scratch_len(len), |scratch| {
                    let t = source
                        .validate_access(&self.policy.policy(), token, now, scratch)
                        .map_err(|e| source_failure(&e))?;
                    Ok(AccessData::new(&t))
                })
            }
        }
    }
}

/// Builds an access-token validator from `config` (copied) and `keyset`
/// (the validator takes its own reference; the caller still frees its
/// `keyset` and `config`). The result goes to `*out`; free it with
/// `tokenlane_access_validator_free`.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` when the core refuses the
/// configuration for the access lane: a client_id set (an ID-lane setting),
/// no audience (or an empty one), no issuer, no algorithm, a required scope
/// that is empty or not an RFC 6749 scope-token (a space, a quote, a
/// backslash, non-ASCII), leeway over 86400, a size limit outside
/// 1..=1048576 (the detail says which).
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_new(
    config: *const tokenlane_validator_config,
    keyset: *const tokenlane_keyset,
    out: *mut *mut tokenlane_access_validator,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or live handles it does not mutate
        // during the call.
        let (c, keys) = unsafe { inputs(config, keyset) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let policy = c.build_access().map_err(policy_failure)?;
        out.write(ffi::box_into_ptr(AccessValidator { policy, keys: Keys::new(keys) }));
        Ok(())
    }
}

/// Replaces the validator's keys with `keyset` (JWKS rotation). The swap is
/// atomic: a validation running meanwhile uses either the old keys or the
/// new ones, never a mix. The validator takes its own reference; the caller
/// still frees its `keyset`. Safe to call while other threads validate.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_set_keys(
    validator: *mut tokenlane_access_validator,
    keyset: *const tokenlane_keyset,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live validator (shared access
        // is fine: the swap synchronizes itself).
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes NULL or a live key set.
        let keys = unsafe { keys_arg(keyset) }?;
        v.keys.replace(keys);
        Ok(())
    }
}

#[cfg(feature = "remote")]
/// Builds an access-token validator from `config` (copied) that follows
/// `keysource`: each validation reads the source's current keys (fetching
/// the first time), and a token whose `kid` the keys lack triggers one
/// refetch outside the source's cooldown, then a retry. The validator
/// takes its own reference to the key source; the caller still frees its
/// `keysource` and `config`. Validation answers `KEYS_UNAVAILABLE` (HTTP
/// 503, not the token's fault) when no keys can be had.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` as
/// `tokenlane_access_validator_new`.
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_new_with_keysource(
    config: *const tokenlane_validator_config,
    keysource: *const tokenlane_keysource,
    out: *mut *mut tokenlane_access_validator,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or live handles it does not mutate
        // during the call.
        let (c, keys) = unsafe { source_inputs(config, keysource) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let policy = c.build_access().map_err(policy_failure)?;
        out.write(ffi::box_into_ptr(AccessValidator { policy, keys: Keys::new(keys) }));
        Ok(())
    }
}

#[cfg(feature = "remote")]
/// Makes the validator follow `keysource` from now on (instead of its key
/// set or another source), atomically, as `*_set_keys` does;
/// `tokenlane_access_validator_set_keys` goes back to a fixed key set. Safe
/// to call while other threads validate.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_set_keysource(
    validator: *mut tokenlane_access_validator,
    keysource: *const tokenlane_keysource,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live validator (shared access
        // is fine: the swap synchronizes itself).
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes NULL or a live key source.
        let keys = unsafe { source_arg(keysource) }?;
        v.keys.replace(keys);
        Ok(())
    }
}

/// Validates the access token `token` (`token_len` bytes, the compact JWS
/// without `Bearer `, no NUL needed) at Unix time `now` (seconds; pass
/// `tokenlane_now()` for the system clock). On success `*out` receives the
/// accepted token (free it with `tokenlane_access_token_free`); on failure
/// `*out` is not written and the result is the refusal code.
///
/// Thread safety: any number of threads may call this at once on one
/// validator (each with its own `detail`, or NULL).
///
/// Errors: `NULL_PARAMETER`, and the token refusal codes 1..=19 in the order of
/// the crate's refusal rules (the first failure wins); for a validator
/// following a key source, `KEYS_UNAVAILABLE` when no keys can be had. `detail` (optional)
/// receives a one-sentence reason, safe to log.
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_validate(
    validator: *const tokenlane_access_validator,
    token: *const c_char,
    token_len: usize,
    now: u64,
    out: *mut *mut tokenlane_access_token,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a live validator.
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes `token_len` readable bytes at `token`.
        let token = unsafe { ffi::try_slice(token, token_len, "token") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        out.write(ffi::box_into_ptr(v.validate_jwt(token, now)?));
        Ok(())
    }
}

/// Decides an RFC 7662 token introspection response (`response`: the
/// introspection endpoint's JSON body, `response_len` bytes) for an opaque
/// access token at `now` (Unix seconds), with the validator's issuer,
/// audiences, required scopes and leeway (its keys are not used). The
/// rules are the core's `AccessPolicy::validate_introspection`: `active`
/// must be JSON `true` (else `INVALID_CLAIM`, or `MISSING_CLAIM` when
/// absent); `token_type`, when present, must be `Bearer`, `DPoP` or
/// `access_token` (else `WRONG_TOKEN_TYPE`); `aud` is required (this is what
/// refuses node-oidc-provider's refresh tokens); `iss`, when present, must
/// be the issuer; `exp` is required. This function does no I/O: the caller
/// POSTs to the endpoint and passes the body. The accepted token is a
/// `tokenlane_access_token` like a JWT's, with an empty `alg`.
///
/// Errors: `NULL_PARAMETER`, `MALFORMED` (the body is not a strict JSON
/// object: an endpoint fault, not the user's), and the refusal codes above;
/// `detail` (optional) receives a one-sentence reason.
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_introspect_response(
    validator: *const tokenlane_access_validator,
    response: *const c_char,
    response_len: usize,
    now: u64,
    out: *mut *mut tokenlane_access_token,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a live validator.
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes `response_len` readable bytes at `response`.
        let response = unsafe { ffi::try_slice(response, response_len, "response") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let data = with_scratch(response.len(), |scratch| {
            let t = v.policy
                .policy()
                .validate_introspection(response, UnixTime::from_secs(now), scratch)
                .map_err(|e| Failure::core(&e))?;
            Ok(AccessData::new(&t))
        })?;
        out.write(ffi::box_into_ptr(data));
        Ok(())
    }
}

/// Frees a validator. NULL is a no-op. No thread may use it afterwards;
/// tokens it returned stay valid (they own their data).
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_free(validator: *mut tokenlane_access_validator) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a validator it owns and that no
        // thread uses any more.
        unsafe { ffi::free_box(validator) }
    }
}

/// Validates OpenID Connect ID tokens for one client app: a client's lane.
/// It has no scope checks, and its tokens no scope getters.
///
/// Thread safety and key rotation as for `tokenlane_access_validator`.
pub struct tokenlane_id_validator {
    _private: [u8; 0],
}

/// The Rust value behind a `tokenlane_id_validator`: the core's owned
/// policy, checked once when built, and the current keys.
#[derive(Debug)]
pub(crate) struct IdValidator {
    policy: OwnedIdPolicy,
    keys: Keys,
}

impl Castable for tokenlane_id_validator {
    type RustType = IdValidator;
}

/// Per-login checks of an ID token, owned by the caller. A zeroed struct
/// (`tokenlane_id_checks checks = {0};`) asks for none; each check is
/// enforced only when its pointer is non-NULL. Passing NULL instead of the
/// struct also asks for none.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_id_checks {
    /// The nonce sent in the authentication request (`nonce_len` bytes,
    /// UTF-8): `nonce` must be present (`MISSING_CLAIM`) and equal
    /// (`NONCE_MISMATCH`). NULL: not checked.
    pub nonce: *const c_char,
    /// Length of `nonce` in bytes.
    pub nonce_len: usize,
    /// Maximum authentication age in seconds: `auth_time` must be present
    /// (`MISSING_CLAIM`) and `auth_time + max_age + leeway >= now`
    /// (`AUTH_TOO_OLD`). NULL: not checked.
    pub max_age: *const u64,
    /// The access token issued with the ID token (`access_token_len`
    /// bytes): `at_hash` must be present (`MISSING_CLAIM`) and match
    /// (`AT_HASH_MISMATCH`). NULL: not checked.
    pub access_token: *const c_char,
    /// Length of `access_token` in bytes.
    pub access_token_len: usize,
}

/// Builds an ID-token validator from `config` (copied) and `keyset` (the
/// validator takes its own reference). The result goes to `*out`; free it
/// with `tokenlane_id_validator_free`.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` when the core refuses the
/// configuration for the ID lane: audiences, required scopes or a typ mode
/// set (access-lane settings), no client_id, no issuer, no algorithm, leeway
/// over 86400, a size limit outside 1..=1048576 (the detail says which).
#[no_mangle]
pub extern "C" fn tokenlane_id_validator_new(
    config: *const tokenlane_validator_config,
    keyset: *const tokenlane_keyset,
    out: *mut *mut tokenlane_id_validator,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or live handles it does not mutate
        // during the call.
        let (c, keys) = unsafe { inputs(config, keyset) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let policy = c.build_id().map_err(policy_failure)?;
        out.write(ffi::box_into_ptr(IdValidator { policy, keys: Keys::new(keys) }));
        Ok(())
    }
}

/// Replaces the validator's keys atomically, as
/// `tokenlane_access_validator_set_keys`.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_id_validator_set_keys(
    validator: *mut tokenlane_id_validator,
    keyset: *const tokenlane_keyset,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live validator (shared access
        // is fine: the swap synchronizes itself).
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes NULL or a live key set.
        let keys = unsafe { keys_arg(keyset) }?;
        v.keys.replace(keys);
        Ok(())
    }
}

#[cfg(feature = "remote")]
/// Builds an ID-token validator from `config` (copied) that follows
/// `keysource`, as `tokenlane_access_validator_new_with_keysource`.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` as
/// `tokenlane_id_validator_new`.
#[no_mangle]
pub extern "C" fn tokenlane_id_validator_new_with_keysource(
    config: *const tokenlane_validator_config,
    keysource: *const tokenlane_keysource,
    out: *mut *mut tokenlane_id_validator,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or live handles it does not mutate
        // during the call.
        let (c, keys) = unsafe { source_inputs(config, keysource) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let policy = c.build_id().map_err(policy_failure)?;
        out.write(ffi::box_into_ptr(IdValidator { policy, keys: Keys::new(keys) }));
        Ok(())
    }
}

#[cfg(feature = "remote")]
/// Makes the validator follow `keysource`, as
/// `tokenlane_access_validator_set_keysource`.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_id_validator_set_keysource(
    validator: *mut tokenlane_id_validator,
    keysource: *const tokenlane_keysource,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live validator (shared access
        // is fine: the swap synchronizes itself).
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes NULL or a live key source.
        let keys = unsafe { source_arg(keysource) }?;
        v.keys.replace(keys);
        Ok(())
    }
}

/// Validates the ID token `token` (`token_len` bytes) at Unix time `now`
/// with the optional per-login `checks` (NULL: none). On success `*out`
/// receives the accepted token (free it with `tokenlane_id_token_free`).
///
/// Thread safety as `tokenlane_access_validator_validate`.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (a check's text is not
/// UTF-8), and the refusal codes of the ID lane (first failure wins);
/// `detail` (optional) receives a one-sentence reason.
#[no_mangle]
pub extern "C" fn tokenlane_id_validator_validate(
    validator: *const tokenlane_id_validator,
    token: *const c_char,
    token_len: usize,
    now: u64,
    checks: *const tokenlane_id_checks,
    out: *mut *mut tokenlane_id_token,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a live validator.
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes `token_len` readable bytes at `token`.
        let token = unsafe { ffi::try_slice(token, token_len, "token") }?;
        // SAFETY: the caller passes NULL or an initialized struct.
        let c = unsafe { ffi::try_struct(checks) }.copied();
        let checks = match c {
            None => IdChecks::default(),
            Some(c) => IdChecks {
                // SAFETY: the struct's contract: NULL or `nonce_len` bytes.
                nonce: unsafe { ffi::try_opt_str(c.nonce, c.nonce_len, "nonce") }?,
                // SAFETY: the struct's contract: NULL or a readable u64.
                max_age: unsafe { ffi::try_opt_value(c.max_age) },
                // SAFETY: the struct's contract: NULL or `access_token_len` bytes.
                access_token: unsafe { ffi::try_opt_slice(c.access_token, c.access_token_len, "access_token") }?,
            },
        };
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let now = UnixTime::from_secs(now);
        let len = token.len().min(v.policy.max_token_bytes());
        let t = match v.keys.current() {
            KeysFrom::Set(keys) => with_scratch(scratch_len(len), |scratch| {
                let t = v.policy
                    .validate(token, &keys, now, &checks, scratch)
                    .map_err(|e| Failure::core(&e))?;
                Ok(IdData::new(&t))
            }),
            #[cfg(feature = "remote")]
            KeysFrom::Source(source) => with_scratch(tokenlane_remote::scratch_len(len), |scratch| {
                let t = source
                    .validate_id(&v.policy.policy(), token, now, &checks, scratch)
                    .map_err(|e| source_failure(&e))?;
                Ok(IdData::new(&t))
            }),
        }?;
        out.write(ffi::box_into_ptr(t));
        Ok(())
    }
}

/// Frees a validator. NULL is a no-op. No thread may use it afterwards.
#[no_mangle]
pub extern "C" fn tokenlane_id_validator_free(validator: *mut tokenlane_id_validator) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a validator it owns and that no
        // thread uses any more.
        unsafe { ffi::free_box(validator) }
    }
}

//! The DPoP state a server keeps besides its validators: the bounded
//! in-memory replay store (the Rust core's `tokenlane::dpop::MemoryReplayStore`)
//! and the stateless nonce issuer (`tokenlane::nonce::NonceIssuer`). Both
//! are handed to `tokenlane_access_validator_authorize` through
//! `tokenlane_dpop_options`.

use core::ffi::c_char;

use tokenlane::dpop::{MemoryReplayStore, DEFAULT_IAT_WINDOW_SECS};
use tokenlane::nonce::NonceIssuer;
use tokenlane::UnixTime;

use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr};
use crate::panic::ffi_boundary;

/// A bounded in-memory DPoP replay store for one process (the Rust core's
/// `MemoryReplayStore`), made by `tokenlane_replay_store_new`.
///
/// It remembers each proof's `(jkt, jti)` until `iat + iat_window` and
/// never forgets a live one earlier, so no number of fresh proofs can flush
/// a proof out and let it be replayed (a fixed-size cache that evicts its
/// eldest entry can be). When it holds `capacity` live proofs, a new proof
/// is refused with `TOKENLANE_RESULT_REPLAY_CHECK_FAILED` (HTTP 500: a
/// server fault, never an accept) until entries expire. The authorize call
/// consults it last, only for a proof that passed every other check, so
/// junk proofs never fill it.
///
/// Thread-safe: share one between threads and validators (a mutex guards
/// it). Several processes or replicas need a shared store of their own,
/// behind `tokenlane_dpop_hooks.check_replay`.
pub struct tokenlane_replay_store {
    _private: [u8; 0],
}

impl Castable for tokenlane_replay_store {
    type RustType = MemoryReplayStore;
}

/// Makes a replay store for at most `capacity` live proofs (size it for
/// the proofs a window brings: requests per second × 2 × `iat_window`; the
/// Rust core's default is 100000, about 800 DPoP requests per second with
/// a 60-second window, roughly 15 MB when full) that remembers each proof
/// for `iat_window` seconds after its `iat` (0: the core's default, 60).
/// The window must be at least the `iat_window` of every
/// `tokenlane_dpop_options` it is used with (else that call is
/// `INVALID_ARGUMENT`).
///
/// Free it with `tokenlane_replay_store_free`. Errors: `NULL_PARAMETER`
/// (`out`); `INVALID_ARGUMENT` (`capacity` 0).
#[no_mangle]
pub extern "C" fn tokenlane_replay_store_new(
    capacity: usize,
    iat_window: u64,
    out: *mut *mut tokenlane_replay_store,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        if capacity == 0 {
            return Err(Failure::invalid(String::from("capacity must be at least 1")));
        }
        let window = if iat_window == 0 { DEFAULT_IAT_WINDOW_SECS } else { iat_window };
        out.write(ffi::box_into_ptr(MemoryReplayStore::new(capacity, window)));
        Ok(())
    }
}

/// The number of entries the store holds (live, or expired and not yet
/// swept); 0 for NULL.
#[no_mangle]
pub extern "C" fn tokenlane_replay_store_len(store: *const tokenlane_replay_store) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live store.
        unsafe { ffi::try_ref(store) }.map_or(0, MemoryReplayStore::len)
    }
}

/// Frees a replay store. NULL is a no-op. No thread may use it afterwards
/// (it is borrowed by the calls it is passed to, never kept).
#[no_mangle]
pub extern "C" fn tokenlane_replay_store_free(store: *mut tokenlane_replay_store) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a store it owns and that no
        // thread uses any more.
        unsafe { ffi::free_box(store) }
    }
}

/// Stateless DPoP server nonces (RFC 9449 §8; the Rust core's
/// `NonceIssuer`), made by `tokenlane_nonce_issuer_new`.
///
/// The nonce of time bucket `b = now / bucket_secs` is
/// `base64url(HMAC-SHA256(key, "tokenlane-dpop-nonce-v1" || be64(bucket_secs) || be64(b)))`,
/// `TOKENLANE_NONCE_LEN` characters. The current and the previous bucket's
/// nonces are accepted (constant-time), nothing else: every replica made
/// with the same key and bucket length checks every replica's nonces, with
/// no shared state. Immutable and thread-safe.
pub struct tokenlane_nonce_issuer {
    _private: [u8; 0],
}

impl Castable for tokenlane_nonce_issuer {
    type RustType = NonceIssuer;
}

/// The length of every nonce, in bytes (without a NUL).
pub const TOKENLANE_NONCE_LEN: usize = 43;
const _: () = assert!(TOKENLANE_NONCE_LEN == tokenlane::nonce::NONCE_LEN);

/// Makes a nonce issuer keyed with the `key_len` bytes at `key` (at least
/// 32, from a CSPRNG, shared by the replicas; the library keeps its own
/// copy in derived form), rotating every `bucket_secs` seconds (0: the
/// core's default, 300; at most 86400).
///
/// Free it with `tokenlane_nonce_issuer_free`. Errors: `NULL_PARAMETER`
/// (`key`, `out`); `INVALID_ARGUMENT` (a key under 32 bytes, a bucket over
/// one day).
#[no_mangle]
pub extern "C" fn tokenlane_nonce_issuer_new(
    key: *const u8,
    key_len: usize,
    bucket_secs: u64,
    out: *mut *mut tokenlane_nonce_issuer,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `key_len` readable bytes at `key`.
        let key = unsafe { ffi::try_bytes(key, key_len, "key") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let bucket = if bucket_secs == 0 {
            tokenlane::nonce::DEFAULT_NONCE_BUCKET_SECS
        } else {
            bucket_secs
        };
        let issuer = NonceIssuer::new(key, bucket)
            .map_err(|e| Failure::invalid(format!("invalid nonce issuer: {e}")))?;
        out.write(ffi::box_into_ptr(issuer));
        Ok(())
    }
}

/// Writes the nonce to hand out at `now` (the current bucket's) into `buf`:
/// `TOKENLANE_NONCE_LEN` characters and a NUL (so `buf_len` must be at
/// least `TOKENLANE_NONCE_LEN + 1`); `*out_len` receives the length.
/// Send it as the `DPoP-Nonce` response header: on every refusal of
/// `tokenlane_access_validator_authorize` made with this issuer, and on an
/// acceptance when `tokenlane_binding.dpop_nonce` is not empty (that
/// field already holds it).
///
/// Errors: `NULL_PARAMETER` (`issuer`, `out_len`, or `buf` with a non-zero
/// `buf_len`), `BUFFER_TOO_SMALL`.
#[no_mangle]
pub extern "C" fn tokenlane_nonce_issuer_issue(
    issuer: *const tokenlane_nonce_issuer,
    now: u64,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live issuer.
        let issuer = unsafe { ffi::try_ref(issuer) }.ok_or_else(|| Failure::null("issuer"))?;
        // SAFETY: the caller promises `buf_len` writable bytes at `buf` and a
        // writable `*out_len`.
        let out = unsafe { ffi::OutBuf::new(buf, buf_len, out_len) }?;
        let nonce = issuer.issue(UnixTime::from_secs(now));
        crate::error::fill(out, nonce.as_str().as_bytes())
    }
}

/// Whether the `nonce_len` bytes at `nonce` are a nonce this issuer (or any
/// issuer with the same key and bucket length) handed out in the current
/// or the previous bucket at `now`. False for NULL arguments.
#[no_mangle]
pub extern "C" fn tokenlane_nonce_issuer_check(
    issuer: *const tokenlane_nonce_issuer,
    nonce: *const c_char,
    nonce_len: usize,
    now: u64,
) -> bool {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live issuer.
        let Some(issuer) = (unsafe { ffi::try_ref(issuer) }) else {
            return false;
        };
        // SAFETY: the caller passes `nonce_len` readable bytes at `nonce`.
        let Ok(nonce) = (unsafe { ffi::try_slice(nonce, nonce_len, "nonce") }) else {
            return false;
        };
        core::str::from_utf8(nonce)
            .is_ok_and(|n| issuer.check(n, UnixTime::from_secs(now)).is_accepted())
    }
}

/// Frees a nonce issuer. NULL is a no-op. No thread may use it afterwards.
#[no_mangle]
pub extern "C" fn tokenlane_nonce_issuer_free(issuer: *mut tokenlane_nonce_issuer) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or an issuer it owns and that no
        // thread uses any more.
        unsafe { ffi::free_box(issuer) }
    }
}

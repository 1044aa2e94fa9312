//! Key sets: loaded once from a JWKS, a PEM or DER public key, or an HMAC
//! secret, then handed to validators.

use core::ffi::c_char;
use std::ffi::CString;
use std::sync::{Arc, OnceLock};

use tokenlane::{Algorithm, KeySet, SkipReason};

use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr};
use crate::panic::ffi_boundary;

/// An immutable set of verification keys.
///
/// Created by `tokenlane_keyset_from_jwks`, `tokenlane_keyset_from_jwk`,
/// `tokenlane_keyset_from_pem`, `tokenlane_keyset_from_der`,
/// `tokenlane_keyset_from_secret` or `tokenlane_keyset_new`, combined with `tokenlane_keyset_extend`, and freed
/// with `tokenlane_keyset_free`. A validator takes its own reference to the
/// keys, so a key set may be freed as soon as it has been given to
/// `*_validator_new` or `*_validator_set_keys`.
///
/// Thread safety: the `const` functions may be called from several threads
/// at once; `tokenlane_keyset_extend` and `tokenlane_keyset_free` need
/// exclusive use.
pub struct tokenlane_keyset {
    _private: [u8; 0],
}

impl Castable for tokenlane_keyset {
    type RustType = Arc<KeySet>;
}

/// Why a JWKS entry was skipped (not loaded, and not an error).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tokenlane_skip_reason {
    /// `use` is not `sig`, or `key_ops` lacks `verify`.
    NotForVerifying = 1,
    /// Unknown `kty`, or a curve other than P-256.
    UnsupportedKeyType = 2,
    /// `alg` names an algorithm tokenlane does not verify with.
    UnsupportedAlg = 3,
    /// The JWK carries private members (`d`, `p`, `q`, …): a leaked private
    /// key, never used to verify.
    PrivateKey = 4,
    /// A reason this version of the header does not name.
    Other = 99,
}

impl tokenlane_skip_reason {
    /// The stable number.
    fn number(self) -> u32 {
        // Reading the discriminant of a fieldless `repr(u32)` enum.
        #[allow(clippy::as_conversions)]
        let n = self as u32;
        n
    }
}

impl From<SkipReason> for tokenlane_skip_reason {
    fn from(r: SkipReason) -> Self {
        match r {
            SkipReason::NotForVerifying => Self::NotForVerifying,
            SkipReason::UnsupportedKeyType => Self::UnsupportedKeyType,
            SkipReason::UnsupportedAlg => Self::UnsupportedAlg,
            SkipReason::PrivateKey => Self::PrivateKey,
            _ => Self::Other,
        }
    }
}

/// Parses an optional algorithm name (NULL: none).
///
/// # Safety
/// A non-NULL `alg` points to `alg_len` readable bytes.
pub(crate) unsafe fn opt_alg(
    alg: *const c_char,
    alg_len: usize,
) -> Result<Option<Algorithm>, Failure> {
    // SAFETY: forwarded contract.
    match unsafe { ffi::try_opt_str(alg, alg_len, "alg") }? {
        None => Ok(None),
        Some(name) => Algorithm::from_name(name).map(Some).ok_or_else(|| {
            Failure::invalid(format!("`{name}` is not an algorithm tokenlane implements"))
        }),
    }
}

fn give(out: OutPtr<*mut tokenlane_keyset>, set: KeySet) -> Result<(), Failure> {
    out.write(ffi::box_into_ptr(Arc::new(set)));
    Ok(())
}

/// Creates an empty key set in `*out` (add keys with
/// `tokenlane_keyset_extend`). Free it with `tokenlane_keyset_free`.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_keyset_new(out: *mut *mut tokenlane_keyset) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        give(out, KeySet::new())
    }
}

/// Loads a JWKS document (`{"keys":[...]}`) of `jwks_len` bytes (no NUL
/// needed) into a new key set in `*out`.
///
/// A bare JWK object (no `keys` member) is refused with `INVALID_KEY` (the
/// detail names the missing `keys` member): load one JWK with
/// `tokenlane_keyset_from_jwk`.
///
/// Entries a verifier cannot use (encryption keys, unknown `kty`, other
/// curves, non-signature `alg`) are skipped and reported by
/// `tokenlane_keyset_skipped_count` / `tokenlane_keyset_skipped_get`. A
/// broken key of a usable kind (bad base64, RSA under 2048 bits, a point off
/// the curve, a secret under 32 bytes) fails the whole load, and so does a
/// document with no usable key.
///
/// Errors: `NULL_PARAMETER`, `INVALID_KEY` (the detail says why).
/// `*out` is written only on success; free it with `tokenlane_keyset_free`.
#[no_mangle]
pub extern "C" fn tokenlane_keyset_from_jwks(
    jwks: *const c_char,
    jwks_len: usize,
    out: *mut *mut tokenlane_keyset,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `jwks_len` readable bytes at `jwks`.
        let doc = unsafe { ffi::try_slice(jwks, jwks_len, "jwks") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        give(out, KeySet::from_jwks(doc).map_err(Failure::key)?)
    }
}

/// Loads a single JWK object (RFC 7517 §4, e.g. `{"kty":"EC",...}`) of
/// `jwk_len` bytes (no NUL needed) into a new key set of one key in `*out`.
///
/// The JWK rules of `tokenlane_keyset_from_jwks` apply; a key a verifier
/// cannot use (an encryption key, an unknown `kty` or curve, a
/// non-signature `alg`) is not skipped here but refused with `INVALID_KEY`,
/// since the set would be empty. A JWKS document (`{"keys":[...]}`) is
/// refused too (it is not a JWK: it has no `kty`).
///
/// Errors: `NULL_PARAMETER`, `INVALID_KEY` (the detail says why).
/// `*out` is written only on success; free it with `tokenlane_keyset_free`.
#[no_mangle]
pub extern "C" fn tokenlane_keyset_from_jwk(
    jwk: *const c_char,
    jwk_len: usize,
    out: *mut *mut tokenlane_keyset,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `jwk_len` readable bytes at `jwk`.
        let doc = unsafe { ffi::try_slice(jwk, jwk_len, "jwk") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        give(out, KeySet::from_jwk(doc).map_err(Failure::key)?)
    }
}

/// Loads one SubjectPublicKeyInfo PEM public key (`-----BEGIN PUBLIC
/// KEY-----`, RSA or P-256) of `pem_len` bytes into a new key set in `*out`.
///
/// `kid` (optional, NULL for none) names the key; `alg` (optional, e.g.
/// `"RS256"`) pins it to one algorithm.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (non-UTF-8 text or an unknown
/// `alg` name), `INVALID_KEY`.
#[no_mangle]
pub extern "C" fn tokenlane_keyset_from_pem(
    pem: *const c_char,
    pem_len: usize,
    kid: *const c_char,
    kid_len: usize,
    alg: *const c_char,
    alg_len: usize,
    out: *mut *mut tokenlane_keyset,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `pem_len` readable bytes at `pem`.
        let pem = unsafe { ffi::try_str(pem, pem_len, "pem") }?;
        // SAFETY: the caller passes NULL or `kid_len` readable bytes.
        let kid = unsafe { ffi::try_opt_str(kid, kid_len, "kid") }?;
        // SAFETY: the caller passes NULL or `alg_len` readable bytes.
        let alg = unsafe { opt_alg(alg, alg_len) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        give(out, KeySet::from_spki_pem(pem, kid, alg).map_err(Failure::key)?)
    }
}

/// Loads one SubjectPublicKeyInfo DER public key of `der_len` bytes into a
/// new key set in `*out`; `kid` and `alg` as for `tokenlane_keyset_from_pem`.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT`, `INVALID_KEY`.
#[no_mangle]
pub extern "C" fn tokenlane_keyset_from_der(
    der: *const u8,
    der_len: usize,
    kid: *const c_char,
    kid_len: usize,
    alg: *const c_char,
    alg_len: usize,
    out: *mut *mut tokenlane_keyset,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `der_len` readable bytes at `der`.
        let der = unsafe { ffi::try_bytes(der, der_len, "der") }?;
        // SAFETY: the caller passes NULL or `kid_len` readable bytes.
        let kid = unsafe { ffi::try_opt_str(kid, kid_len, "kid") }?;
        // SAFETY: the caller passes NULL or `alg_len` readable bytes.
        let alg = unsafe { opt_alg(alg, alg_len) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        give(out, KeySet::from_spki_der(der, kid, alg).map_err(Failure::key)?)
    }
}

/// Loads one HMAC secret of `secret_len` bytes (at least 32; HS384 and HS512
/// need 48 and 64) into a new key set in `*out`; `kid` and `alg` as for
/// `tokenlane_keyset_from_pem`. The secret is copied; the caller may wipe
/// its copy afterwards.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT`, `INVALID_KEY` (too short).
#[no_mangle]
pub extern "C" fn tokenlane_keyset_from_secret(
    secret: *const u8,
    secret_len: usize,
    kid: *const c_char,
    kid_len: usize,
    alg: *const c_char,
    alg_len: usize,
    out: *mut *mut tokenlane_keyset,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `secret_len` readable bytes at `secret`.
        let secret = unsafe { ffi::try_bytes(secret, secret_len, "secret") }?;
        // SAFETY: the caller passes NULL or `kid_len` readable bytes.
        let kid = unsafe { ffi::try_opt_str(kid, kid_len, "kid") }?;
        // SAFETY: the caller passes NULL or `alg_len` readable bytes.
        let alg = unsafe { opt_alg(alg, alg_len) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        give(out, KeySet::from_secret(secret, kid, alg).map_err(Failure::key)?)
    }
}

/// Appends every key (and skip report) of `other` to `keyset`. `other` is
/// only read; it stays owned by the caller. Validators already given
/// `keyset` keep the keys they had (they hold their own reference).
///
/// Errors: `NULL_PARAMETER`, `INVALID_KEY` (more than 256 keys in all; then
/// `keyset` is unchanged).
#[no_mangle]
pub extern "C" fn tokenlane_keyset_extend(
    keyset: *mut tokenlane_keyset,
    other: *const tokenlane_keyset,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        if keyset.is_null() {
            return Err(Failure::null("keyset"));
        }
        // Copy `other` first and let that borrow end, so that `other ==
        // keyset` (doubling a set) never holds a shared and an exclusive
        // borrow of one object at once.
        // SAFETY: the caller passes NULL or a live key set.
        let addition = unsafe { ffi::try_ref(other) }.map(|o| KeySet::clone(o)).ok_or_else(|| Failure::null("other"))?;
        // SAFETY: the caller passes a key set it uses exclusively meanwhile.
        let set = unsafe { ffi::try_mut(keyset) }.ok_or_else(|| Failure::null("keyset"))?;
        let mut merged = KeySet::clone(set);
        merged.extend(addition).map_err(Failure::key)?;
        *set = Arc::new(merged);
        Ok(())
    }
}

/// The number of keys loaded (0 when `keyset` is NULL).
#[no_mangle]
pub extern "C" fn tokenlane_keyset_len(keyset: *const tokenlane_keyset) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live key set.
        unsafe { ffi::try_ref(keyset) }.map_or(0, |s| s.len())
    }
}

/// The number of JWKS entries that were skipped (0 when `keyset` is NULL).
#[no_mangle]
pub extern "C" fn tokenlane_keyset_skipped_count(keyset: *const tokenlane_keyset) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live key set.
        unsafe { ffi::try_ref(keyset) }.map_or(0, |s| s.skipped().len())
    }
}

/// The `index`-th skipped entry (0 <= index < skipped_count): its position
/// in the JWKS `keys` array in `*out_position` and why it was skipped in
/// `*out_reason`. With `tokenlane_keyset_extend`, positions refer to the
/// document each entry came from.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (index out of range).
#[no_mangle]
pub extern "C" fn tokenlane_keyset_skipped_get(
    keyset: *const tokenlane_keyset,
    index: usize,
    out_position: *mut usize,
    out_reason: *mut tokenlane_skip_reason,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live key set.
        let set = unsafe { ffi::try_ref(keyset) }.ok_or_else(|| Failure::null("keyset"))?;
        // SAFETY: the caller passes NULL or writable locations.
        let out_position = unsafe { OutPtr::new(out_position, "out_position") }?;
        // SAFETY: as above.
        let out_reason = unsafe { OutPtr::new(out_reason, "out_reason") }?;
        let skipped = set
            .skipped()
            .get(index)
            .ok_or_else(|| Failure::invalid(format!("index {index} is out of range")))?;
        out_position.write(skipped.index);
        out_reason.write(skipped.reason.into());
        Ok(())
    }
}

/// A static NUL-terminated phrase for a skip reason (a `uint32_t` so any
/// number is answered: unknown numbers give `"unknown"`). Never NULL.
#[no_mangle]
pub extern "C" fn tokenlane_skip_reason_str(reason: u32) -> *const c_char {
    static PHRASES: OnceLock<Vec<CString>> = OnceLock::new();
    const REASONS: [SkipReason; 4] = [
        SkipReason::NotForVerifying,
        SkipReason::UnsupportedKeyType,
        SkipReason::UnsupportedAlg,
        SkipReason::PrivateKey,
    ];
    ffi_boundary! {
        // The phrases come from the core's own table.
        let phrases = PHRASES
            .get_or_init(|| REASONS.iter().map(|r| CString::new(r.describe()).unwrap_or_default()).collect());
        REASONS
            .iter()
            .position(|r| tokenlane_skip_reason::from(*r).number() == reason)
            .and_then(|i| phrases.get(i))
            .map_or(c"unknown".as_ptr(), |p| p.as_ptr())
    }
}

/// Frees a key set. NULL is a no-op. Validators built from it keep working.
#[no_mangle]
pub extern "C" fn tokenlane_keyset_free(keyset: *mut tokenlane_keyset) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a key set it owns and stops using.
        unsafe { ffi::free_box(keyset) }
    }
}

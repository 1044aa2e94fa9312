//! The validator configuration: a mutable builder read by
//! `tokenlane_access_validator_new` and `tokenlane_id_validator_new`.

use core::ffi::c_char;

use tokenlane::{Algorithm, IntrospectionAudience, PolicyBuilder, TypMode};

use crate::error::{tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr};
use crate::panic::ffi_boundary;

/// Algorithm bits for `tokenlane_validator_config_set_algorithms`
/// (combine with `|`). No bit stands for `none`: no configuration can allow
/// unsigned tokens.
///
/// Each value is the Rust core's `Algorithm::bit()`: `1 <<` the algorithm's
/// row in the core's algorithm table. Values never change; new algorithms
/// take the next bit. A unit test checks this enum against the core table.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum_macros::FromRepr)]
pub enum tokenlane_alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256 = 1,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384 = 2,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512 = 4,
    /// RSASSA-PSS with SHA-256.
    Ps256 = 8,
    /// RSASSA-PSS with SHA-384.
    Ps384 = 16,
    /// RSASSA-PSS with SHA-512.
    Ps512 = 32,
    /// ECDSA on P-256 with SHA-256.
    Es256 = 64,
    /// HMAC with SHA-256.
    Hs256 = 128,
    /// HMAC with SHA-384.
    Hs384 = 256,
    /// HMAC with SHA-512.
    Hs512 = 512,
    /// ECDSA on P-384 with SHA-384.
    Es384 = 1024,
    /// ECDSA on P-521 with SHA-512.
    Es512 = 2048,
    /// EdDSA (RFC 8037) with an Ed25519 key (JOSE name `EdDSA`).
    Eddsa = 4096,
    /// Ed25519, RFC 9864's fully specified name for EdDSA with Ed25519.
    Ed25519 = 8192,
}

/// How an access validator treats the header `typ`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tokenlane_typ_mode {
    /// The default: `typ` must be `at+jwt` (RFC 9068), and iss, exp, aud,
    /// sub, client_id, iat, jti are required.
    Strict = 0,
    /// Also accepts no `typ` or `JWT`, for identity providers that sign
    /// access tokens without `at+jwt`; only iss, exp, aud are required.
    /// ID-token marks (nonce, at_hash, ...) are refused in both modes.
    Compat = 1,
}

/// A validator configuration under construction: issuer, audiences or
/// client_id, algorithms, leeway, required scopes, typ mode, size limit.
///
/// Create it with `tokenlane_validator_config_new`, set what the lane needs,
/// build validators from it (they copy everything, so the configuration may
/// be changed or freed afterwards), and free it with
/// `tokenlane_validator_config_free`.
///
/// The access lane needs an issuer, at least one audience and at least one
/// algorithm; it refuses a client_id. The ID lane needs an issuer, a
/// client_id and at least one algorithm; it refuses audiences, required
/// scopes and a typ mode. Those checks are the Rust core's (its
/// `PolicyBuilder`) and happen once, in `*_validator_new`.
///
/// Thread safety: a configuration is not synchronized; use it from one
/// thread at a time.
pub struct tokenlane_validator_config {
    _private: [u8; 0],
}

/// The Rust value behind a `tokenlane_validator_config`: the core's owned
/// builder, so the configuration rules are the core's.
pub(crate) type Config = PolicyBuilder;

impl Castable for tokenlane_validator_config {
    type RustType = Config;
}

/// Runs `f` on the configuration behind `config`.
fn with_config(
    config: *mut tokenlane_validator_config,
    f: impl FnOnce(&mut Config) -> Result<(), Failure>,
) -> Result<(), Failure> {
    // SAFETY: every setter documents that `config` is NULL or a live
    // configuration used by one thread at a time.
    let c = unsafe { ffi::try_mut(config) }.ok_or_else(|| Failure::null("config"))?;
    f(c)
}

/// Creates an empty configuration in `*out` (no issuer, no audience, no
/// algorithm, leeway 0, strict typ, 16 KiB size limit).
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_new(
    out: *mut *mut tokenlane_validator_config,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        out.write(ffi::box_into_ptr(Config::new()));
        Ok(())
    }
}

/// Frees a configuration. NULL is a no-op.
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_free(config: *mut tokenlane_validator_config) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a configuration it owns and stops
        // using.
        unsafe { ffi::free_box(config) }
    }
}

/// Sets the issuer `iss` must equal exactly (e.g.
/// `"https://issuer.example/"`, `issuer_len` bytes, UTF-8, no NUL needed).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (not UTF-8).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_issuer(
    config: *mut tokenlane_validator_config,
    issuer: *const c_char,
    issuer_len: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes `issuer_len` readable bytes at `issuer`.
        let issuer = unsafe { ffi::try_str(issuer, issuer_len, "issuer") }?;
        with_config(config, |c| {
            c.set_issuer(issuer);
            Ok(())
        })
    }
}

/// Adds an audience (access lane): a token is accepted when its `aud`
/// contains at least one of the configured audiences.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (not UTF-8).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_add_audience(
    config: *mut tokenlane_validator_config,
    audience: *const c_char,
    audience_len: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes `audience_len` readable bytes.
        let audience = unsafe { ffi::try_str(audience, audience_len, "audience") }?;
        with_config(config, |c| {
            c.add_audience(audience);
            Ok(())
        })
    }
}

/// Sets the client_id (ID lane): `aud` must contain it, and `azp`, when
/// present, must equal it.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (not UTF-8).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_client_id(
    config: *mut tokenlane_validator_config,
    client_id: *const c_char,
    client_id_len: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes `client_id_len` readable bytes.
        let client_id = unsafe { ffi::try_str(client_id, client_id_len, "client_id") }?;
        with_config(config, |c| {
            c.set_client_id(client_id);
            Ok(())
        })
    }
}

/// Allows one algorithm by its JOSE name (`"RS256"`, `"PS384"`, `"ES256"`,
/// `"HS512"`, ...; case-sensitive).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (not UTF-8, or not an
/// algorithm tokenlane implements: `"none"` is always refused).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_add_algorithm(
    config: *mut tokenlane_validator_config,
    name: *const c_char,
    name_len: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes `name_len` readable bytes at `name`.
        let name = unsafe { ffi::try_str(name, name_len, "name") }?;
        let alg = Algorithm::from_name(name)
            .ok_or_else(|| Failure::invalid(format!("`{name}` is not an algorithm tokenlane implements")))?;
        with_config(config, |c| {
            c.add_algorithm(alg);
            Ok(())
        })
    }
}

/// Replaces the allowed algorithms with the `tokenlane_alg` bits in `mask`
/// (e.g. `TOKENLANE_ALG_RS256 | TOKENLANE_ALG_ES256`).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (a bit that names no
/// algorithm; the configuration is then unchanged).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_algorithms(
    config: *mut tokenlane_validator_config,
    mask: u32,
) -> tokenlane_result {
    ffi_boundary! { result:
        // The bits are the core's: `Algorithm::bit()` of each table row.
        let known = Algorithm::ALL.iter().fold(0u32, |m, a| m | a.bit());
        if mask & !known != 0 {
            return Err(Failure::invalid(format!("bits {:#x} name no algorithm", mask & !known)));
        }
        with_config(config, |c| {
            c.set_algorithms(Algorithm::ALL.into_iter().filter(|a| mask & a.bit() != 0).collect());
            Ok(())
        })
    }
}

/// Sets the clock-skew leeway in seconds (default 0; at most 86400, checked
/// by `*_validator_new`).
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_leeway(
    config: *mut tokenlane_validator_config,
    seconds: u64,
) -> tokenlane_result {
    ffi_boundary! { result:
        with_config(config, |c| {
            c.set_leeway(seconds);
            Ok(())
        })
    }
}

/// Adds a scope every accepted access token must carry (whole-word match in
/// `scope`, or in `scp` when `scope` is absent). Access lane only.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (not UTF-8).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_add_required_scope(
    config: *mut tokenlane_validator_config,
    scope: *const c_char,
    scope_len: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes `scope_len` readable bytes at `scope`.
        let scope = unsafe { ffi::try_str(scope, scope_len, "scope") }?;
        with_config(config, |c| {
            c.add_required_scope(scope);
            Ok(())
        })
    }
}

/// Sets the typ mode (a `tokenlane_typ_mode` value; access lane only).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (not a `tokenlane_typ_mode`).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_typ_mode(
    config: *mut tokenlane_validator_config,
    mode: u32,
) -> tokenlane_result {
    ffi_boundary! { result:
        let typ = match mode {
            0 => TypMode::Strict,
            1 => TypMode::Compat,
            _ => return Err(Failure::invalid(format!("{mode} is not a tokenlane_typ_mode"))),
        };
        with_config(config, |c| {
            c.set_typ_mode(typ);
            Ok(())
        })
    }
}

/// Sets the largest token accepted, in bytes (default 16384; 1 to 1048576,
/// checked by `*_validator_new`). Larger tokens are refused with
/// `TOKEN_TOO_LARGE` before any decoding.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_max_token_bytes(
    config: *mut tokenlane_validator_config,
    max_bytes: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        with_config(config, |c| {
            c.set_max_token_bytes(max_bytes);
            Ok(())
        })
    }
}

/// `tokenlane_validator_config_set_introspection_audience`: an
/// introspection response must carry `aud`, and it must contain one of the
/// audiences (the default; this is what refuses node-oidc-provider's
/// refresh tokens, answered `active: true` without `aud`).
pub const TOKENLANE_INTROSPECTION_AUDIENCE_REQUIRED: u32 = 0;
/// `tokenlane_validator_config_set_introspection_audience`: the documented
/// opt-out for servers that never return `aud`: an absent `aud` passes, a
/// present one must still match. Refresh tokens are then refused only when
/// the server says `token_type`; use it only with such a server.
pub const TOKENLANE_INTROSPECTION_AUDIENCE_ALLOW_ABSENT: u32 = 1;

/// Sets whether an RFC 7662 introspection response must carry `aud`
/// (access lane only: a `TOKENLANE_INTROSPECTION_AUDIENCE_*` value; no
/// effect on JWTs, which always must). The ID lane refuses the setting when
/// a validator is built.
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (an unknown value).
#[no_mangle]
pub extern "C" fn tokenlane_validator_config_set_introspection_audience(
    config: *mut tokenlane_validator_config,
    rule: u32,
) -> tokenlane_result {
    ffi_boundary! { result:
        let rule = match rule {
            TOKENLANE_INTROSPECTION_AUDIENCE_REQUIRED => IntrospectionAudience::Required,
            TOKENLANE_INTROSPECTION_AUDIENCE_ALLOW_ABSENT => IntrospectionAudience::AllowAbsent,
            _ => return Err(Failure::invalid(format!("{rule} is not a TOKENLANE_INTROSPECTION_AUDIENCE_* value"))),
        };
        with_config(config, |c| {
            c.set_introspection_audience(rule);
            Ok(())
        })
    }
}

#[cfg(test)]
mod alg_tests {
    use super::*;

    /// `tokenlane_alg` (written out for cbindgen) is exactly the core's
    /// algorithm table: one variant per row, named after it (the JOSE name in
    /// capitals: `EdDSA` is `TOKENLANE_ALG_EDDSA`), valued
    /// `Algorithm::bit()`, and no other; the header says the same.
    #[test]
    fn c_algorithm_bits_are_the_core_table() {
        let header = include_str!("../../include/tokenlane.h");
        for alg in Algorithm::ALL {
            let c = tokenlane_alg::from_repr(alg.bit());
            let name = c.map(|c| format!("{c:?}").to_ascii_uppercase());
            let upper = alg.name().to_ascii_uppercase();
            assert_eq!(
                name.as_deref(),
                Some(upper.as_str()),
                "{alg}: add `{}{} = {},`",
                &alg.name()[..1],
                alg.name()[1..].to_ascii_lowercase(),
                alg.bit()
            );
            let line = format!("  TOKENLANE_ALG_{upper} = {},", alg.bit());
            assert!(header.contains(&line), "include/tokenlane.h lacks `{line}`");
        }
        for shift in 0..32 {
            let bit = 1u32 << shift;
            let in_core = Algorithm::ALL.iter().any(|a| a.bit() == bit);
            assert_eq!(
                tokenlane_alg::from_repr(bit).is_some(),
                in_core,
                "bit {bit:#x}"
            );
        }
    }
}

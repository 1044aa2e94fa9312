//! The request around the token: the `Authorization` header, parsed by the
//! core's `tokenlane::request::bearer_token` (one rule for every front end).

use core::ffi::c_char;

use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, OutPtr};
use crate::panic::ffi_boundary;

/// Finds the Bearer token in an `Authorization` header value (RFC 6750 §2.1):
/// `header` is the value (`header_len` bytes, no NUL needed), or NULL when
/// the request has no `Authorization` header (`header_len` is then ignored).
///
/// The rules (the Rust core's, the same in Python and the CLI): leading and
/// trailing spaces and tabs are ignored; the scheme `Bearer` matches in any
/// casing; one or more spaces; then exactly one `token68` credential.
///
/// On success `*out_token` points **into `header`** (no copy, nothing to
/// free; valid as long as `header` is) and `*out_token_len` receives its
/// length; pass them to `tokenlane_access_validator_validate`. On failure
/// the outputs are not written.
///
/// Errors:
/// - `MISSING_TOKEN`: no credentials (`header` NULL, empty, or another
///   scheme such as `Basic`). Answer 401 with the challenge
///   `tokenlane_error_www_authenticate(TOKENLANE_RESULT_MISSING_TOKEN, ...)`
///   writes: `Bearer realm="..."`, without an error (RFC 6750 §3.1).
/// - `INVALID_REQUEST`: not one well-formed Bearer credential (`Bearer`
///   alone, two credentials, a tab after the scheme, a character outside
///   `token68`, ...). Answer 400 with its challenge
///   (`error="invalid_request"`).
/// - `NULL_PARAMETER`: `out_token` or `out_token_len` is NULL.
///
/// `detail` (optional, NULL for none) receives the reason in one sentence.
/// Thread safety: no shared state; any thread may call it.
#[no_mangle]
pub extern "C" fn tokenlane_bearer_token(
    header: *const c_char,
    header_len: usize,
    out_token: *mut *const c_char,
    out_token_len: *mut usize,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or `header_len` readable bytes that
        // stay unchanged during the call.
        let header = unsafe { ffi::try_opt_slice(header, header_len, "header") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out_token = unsafe { OutPtr::new(out_token, "out_token") }?;
        // SAFETY: the caller passes NULL or a writable size_t.
        let out_token_len = unsafe { OutPtr::new(out_token_len, "out_token_len") }?;
        let token = tokenlane::request::bearer_token(header).map_err(|e| Failure::core(&e))?;
        out_token.write(token.as_ptr().cast::<c_char>());
        out_token_len.write(token.len());
        Ok(())
    }
}

/// One HTTP header value: `len` bytes at `value` (no NUL needed).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_header {
    /// The value's bytes (may be NULL only when `len` is 0).
    pub value: *const c_char,
    /// Its length in bytes.
    pub len: usize,
}

/// The facts of one HTTP request (the Rust core's
/// `tokenlane::request::RequestFacts`). Every pointer is borrowed for the
/// call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_request {
    /// The HTTP method (`GET`, ...), UTF-8, `method_len` bytes.
    pub method: *const c_char,
    /// Length of `method`.
    pub method_len: usize,
    /// The absolute target URI, UTF-8, `uri_len` bytes.
    pub uri: *const c_char,
    /// Length of `uri`.
    pub uri_len: usize,
    /// Every `Authorization` header value, `authorization_count` of them
    /// (NULL when the count is 0).
    pub authorization: *const tokenlane_header,
    /// Number of `Authorization` header values.
    pub authorization_count: usize,
    /// Every `DPoP` header value, `dpop_count` of them (NULL when 0).
    pub dpop: *const tokenlane_header,
    /// Number of `DPoP` header values.
    pub dpop_count: usize,
    /// NULL, or the 32-byte SHA-256 of the client certificate's DER from
    /// the TLS terminator (RFC 8705 §3.1).
    pub certificate_sha256: *const u8,
}

/// `tokenlane_dpop_options.mode`: whether and how DPoP is accepted.
pub const TOKENLANE_DPOP_BEARER_ONLY: u32 = 0;
/// Both `Bearer` and `DPoP` schemes.
pub const TOKENLANE_DPOP_ALLOWED: u32 = 1;
/// The `DPoP` scheme only.
pub const TOKENLANE_DPOP_REQUIRED: u32 = 2;

/// `check_replay` answers: first time seen (now recorded).
pub const TOKENLANE_REPLAY_FRESH: u32 = 0;
/// `check_replay` answers: seen before (`INVALID_DPOP_PROOF`).
pub const TOKENLANE_REPLAY_REPLAYED: u32 = 1;
/// `check_replay` answers: the store failed (`REPLAY_CHECK_FAILED`, HTTP
/// 500). Any other value means the same.
pub const TOKENLANE_REPLAY_STORE_FAILED: u32 = 2;

/// The caller's nonce and replay state (the core's `ProofHooks`). Both
/// callbacks see only a proof whose signature verified; `check_replay`
/// only one that passed every other check. They run on the calling thread,
/// during the call, and must not unwind (C++ exceptions included).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_dpop_hooks {
    /// Passed unchanged to both callbacks.
    pub ctx: *mut core::ffi::c_void,
    /// Whether proofs must carry a server nonce (RFC 9449 §8).
    pub nonce_required: bool,
    /// NULL (no nonce is accepted), or: is the `nonce_len` bytes at
    /// `nonce` a nonce this server issued and still accepts at `now`?
    pub nonce_ok:
        Option<unsafe extern "C" fn(*mut core::ffi::c_void, *const c_char, usize, u64) -> bool>,
    /// Records the proof's `jti` (`jti_len` bytes) for the proof key
    /// thumbprint `jkt` (`jkt_len` bytes) and answers a
    /// `TOKENLANE_REPLAY_*` value; keep it at least until
    /// `iat + iat_window`. NULL: every proof is fresh (no replay check).
    pub check_replay: Option<
        unsafe extern "C" fn(
            *mut core::ffi::c_void,
            *const c_char,
            usize,
            *const c_char,
            usize,
            u64,
            u64,
        ) -> u32,
    >,
}

/// How DPoP proofs are checked for one call. Initialize it with
/// `tokenlane_dpop_options_init(&options, sizeof options)`, which writes
/// the defaults (bearer-only, no algorithm, the core's `iat` window, no
/// hooks, store or issuer) and `struct_size`, then change what you need.
///
/// ABI evolution: as every options struct, by `struct_size` (fields are
/// only ever appended; a size this library does not know is
/// `INVALID_ARGUMENT`).
///
/// Nonces: with `nonce_issuer`, proofs must carry one of its nonces
/// (`hooks->nonce_required` and `hooks->nonce_ok` are then not consulted).
/// Replays: `replay_store`, or `hooks->check_replay`, or neither (no replay
/// check: say so in your threat model); both is `INVALID_ARGUMENT`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_dpop_options {
    /// `sizeof(tokenlane_dpop_options)` as the caller compiled it.
    pub struct_size: usize,
    /// `TOKENLANE_DPOP_BEARER_ONLY`, `_ALLOWED` or `_REQUIRED`.
    pub mode: u32,
    /// Allowed proof algorithms, `tokenlane_alg` bits (ES256, ES384, ES512,
    /// EdDSA, Ed25519, RS*, PS*). HMAC bits are dropped (a proof is never
    /// HMAC-signed); none left is `INVALID_ARGUMENT` unless the mode is
    /// bearer-only.
    pub proof_algorithms: u32,
    /// The proof `iat` window in seconds (0: the core's default, 60).
    pub iat_window: u64,
    /// NULL, or the caller's nonce and replay callbacks.
    pub hooks: *const tokenlane_dpop_hooks,
    /// NULL, or the built-in replay store (borrowed for the call; its
    /// window must be at least `iat_window`, else `INVALID_ARGUMENT`).
    pub replay_store: *const crate::dpop::tokenlane_replay_store,
    /// NULL, or the stateless nonce issuer that proofs' nonces must come
    /// from (borrowed for the call).
    pub nonce_issuer: *const crate::dpop::tokenlane_nonce_issuer,
}

impl tokenlane_dpop_options {
    fn defaults() -> Self {
        Self {
            struct_size: core::mem::size_of::<Self>(),
            mode: TOKENLANE_DPOP_BEARER_ONLY,
            proof_algorithms: 0,
            iat_window: 0,
            hooks: core::ptr::null(),
            replay_store: core::ptr::null(),
            nonce_issuer: core::ptr::null(),
        }
    }
}

fn check_dpop_size(o: &tokenlane_dpop_options) -> Result<(), Failure> {
    if o.struct_size == core::mem::size_of::<tokenlane_dpop_options>() {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "tokenlane_dpop_options.struct_size is {}, this library knows {} (initialize it with tokenlane_dpop_options_init)",
            o.struct_size,
            core::mem::size_of::<tokenlane_dpop_options>()
        )))
    }
}

/// Writes the default DPoP options into `*out` and sets `out->struct_size`
/// to `out_size`.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` when `out_size` is not
/// `sizeof(tokenlane_dpop_options)` of this library (nothing written).
#[no_mangle]
pub extern "C" fn tokenlane_dpop_options_init(
    out: *mut tokenlane_dpop_options,
    out_size: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a struct it may write.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let mut d = tokenlane_dpop_options::defaults();
        d.struct_size = out_size;
        check_dpop_size(&d)?;
        out.write(d);
        Ok(())
    }
}

/// How an accepted token was bound to its request.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_binding {
    /// 0: the `Bearer` scheme; 1: the `DPoP` scheme.
    pub scheme: u32,
    /// The proof key's RFC 7638 thumbprint (43 characters, NUL-terminated),
    /// which the token's `cnf.jkt` names; empty for `Bearer`.
    pub jkt: [c_char; 44],
    /// Whether the token is certificate-bound and the certificate matched.
    pub certificate: bool,
    /// The `DPoP-Nonce` to send with the response (43 characters,
    /// NUL-terminated), or empty: with a `nonce_issuer`, a fresh nonce when
    /// the proof carried the previous bucket's. (On a refusal, send
    /// `tokenlane_nonce_issuer_issue(issuer, now, ...)`: every refusal
    /// carries the current nonce.)
    pub dpop_nonce: [c_char; 44],
}

/// The caller's hooks and the built-in store, as the core's `ProofHooks`.
struct CHooks<'a> {
    user: Option<tokenlane_dpop_hooks>,
    store: Option<&'a tokenlane::dpop::MemoryReplayStore>,
}

impl tokenlane::dpop::ProofHooks for CHooks<'_> {
    fn nonce_required(&self) -> bool {
        self.user.is_some_and(|h| h.nonce_required)
    }
    fn nonce_ok(&self, nonce: &str, now: tokenlane::UnixTime) -> bool {
        match self.user.and_then(|h| h.nonce_ok.map(|f| (h.ctx, f))) {
            // SAFETY: the caller's callback, called with its own `ctx` and a
            // borrowed buffer valid for the call.
            Some((ctx, f)) => unsafe { f(ctx, nonce.as_ptr().cast(), nonce.len(), now.as_secs()) },
            None => false,
        }
    }
    fn check_replay(
        &self,
        jti: &str,
        jkt: &tokenlane::dpop::Thumbprint,
        iat: u64,
        now: tokenlane::UnixTime,
    ) -> tokenlane::dpop::Replay {
        use tokenlane::dpop::Replay;
        if let Some(store) = self.store {
            return store.check_replay(jti, jkt, iat, now);
        }
        let Some((ctx, f)) = self.user.and_then(|h| h.check_replay.map(|f| (h.ctx, f))) else {
            return Replay::Fresh;
        };
        let jkt = jkt.as_str();
        // SAFETY: the caller's callback, called with its own `ctx` and
        // borrowed buffers valid for the call.
        let r = unsafe {
            f(
                ctx,
                jti.as_ptr().cast(),
                jti.len(),
                jkt.as_ptr().cast(),
                jkt.len(),
                iat,
                now.as_secs(),
            )
        };
        match r {
            TOKENLANE_REPLAY_FRESH => Replay::Fresh,
            TOKENLANE_REPLAY_REPLAYED => Replay::Replayed,
            _ => Replay::StoreFailed,
        }
    }
}

/// 43 base64url characters (or none) and a NUL, for a binding field.
fn c_text(text: Option<&str>) -> [c_char; 44] {
    let mut out: [c_char; 44] = [0; 44];
    for (d, s) in out.iter_mut().take(43).zip(text.unwrap_or("").bytes()) {
        // base64url is ASCII: every byte fits a `c_char`.
        *d = c_char::try_from(s).unwrap_or(0);
    }
    out
}

/// # Safety
/// `list` is NULL with `count` 0, or `count` readable headers whose values
/// are readable for their lengths during the call.
unsafe fn headers<'a>(
    list: *const tokenlane_header,
    count: usize,
    name: &'static str,
) -> Result<Vec<&'a [u8]>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: forwarded contract: `count` readable headers at `list`.
    let list = unsafe { core::slice::from_raw_parts(list, count) };
    list.iter()
        // SAFETY: forwarded contract: each value is `len` readable bytes.
        .map(|h| unsafe { ffi::try_slice(h.value, h.len, name) })
        .collect()
}

fn proof_policy(o: &tokenlane_dpop_options) -> Result<tokenlane::dpop::ProofPolicy, Failure> {
    use tokenlane::Algorithm;
    let known = Algorithm::ALL.iter().fold(0u32, |m, a| m | a.bit());
    if o.proof_algorithms & !known != 0 {
        return Err(Failure::invalid(format!(
            "bits {:#x} name no algorithm",
            o.proof_algorithms & !known
        )));
    }
    let algs = Algorithm::ALL
        .into_iter()
        .filter(|a| o.proof_algorithms & a.bit() != 0)
        .collect();
    let bad = |e: tokenlane::PolicyError| Failure::invalid(format!("invalid DPoP options: {e}"));
    let p = tokenlane::dpop::ProofPolicy::new(algs).map_err(bad)?;
    if o.iat_window == 0 {
        Ok(p)
    } else {
        p.with_iat_window(o.iat_window).map_err(bad)
    }
}

/// Decides one HTTP request with an access validator (the Rust core's
/// `tokenlane::request::authorize`; its rules, in order, are in the crate
/// docs and `tests/conformance/README.md`): the credential of the one
/// `Authorization` header (`Bearer` or `DPoP` per `dpop->mode`), the DPoP
/// proof when the scheme is `DPoP`, the access token with the validator's
/// policy and current keys, then the token's `cnf` binding (`cnf.jkt`
/// against the proof key, `cnf.x5t#S256` against `certificate_sha256`).
///
/// `dpop` NULL means bearer-only with no proof policy. On success
/// `*out_token` receives a new token handle (free it with
/// `tokenlane_access_token_free`) and `*out_binding` is filled; on failure
/// neither is written.
///
/// With `dpop->nonce_issuer`, every answer carries a `DPoP-Nonce` header:
/// on success the binding's `dpop_nonce` when not empty; on any refusal
/// `tokenlane_nonce_issuer_issue(issuer, now, ...)` (the core's rule:
/// a refused client retries with the current nonce). With
/// `dpop->replay_store`, the proof's `jti` is recorded last, only for a
/// proof that passed every other check; a full store is
/// `REPLAY_CHECK_FAILED` (HTTP 500), never an accept.
///
/// Errors: `MISSING_TOKEN`, `INVALID_REQUEST`, `INVALID_DPOP_PROOF`,
/// `USE_DPOP_NONCE`, `TOKEN_BINDING_MISMATCH`, `REPLAY_CHECK_FAILED`, every
/// code of `tokenlane_access_validator_validate`; `NULL_PARAMETER` for a
/// NULL `validator`, `facts`, `out_token`, `out_binding`, method, URI, or a
/// header list with a count; `INVALID_ARGUMENT` for a method or URI that is
/// not UTF-8, an unknown mode or algorithm bit, a proof policy the core
/// refuses (no asymmetric algorithm, a window out of range), a
/// `struct_size` this library does not know, both a `replay_store` and a
/// `check_replay` callback, or a store whose window is shorter than
/// `iat_window`.
/// Write the `WWW-Authenticate` value with
/// `tokenlane_request_challenge`.
///
/// Thread safety: as `tokenlane_access_validator_validate`; the hooks are
/// called on this thread.
#[no_mangle]
pub extern "C" fn tokenlane_access_validator_authorize(
    validator: *const crate::validator::tokenlane_access_validator,
    facts: *const tokenlane_request,
    now: u64,
    dpop: *const tokenlane_dpop_options,
    out_token: *mut *mut crate::token::tokenlane_access_token,
    out_binding: *mut tokenlane_binding,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        use tokenlane::request::{authorize, DpopMode, RequestFacts, Scheme};
        // SAFETY: the caller passes NULL or a live validator.
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes NULL or an initialized struct.
        let f = unsafe { ffi::try_struct(facts) }.ok_or_else(|| Failure::null("facts"))?;
        // SAFETY: the struct's contract: `method_len` readable bytes.
        let method = unsafe { ffi::try_str(f.method, f.method_len, "method") }?;
        // SAFETY: the struct's contract: `uri_len` readable bytes.
        let uri = unsafe { ffi::try_str(f.uri, f.uri_len, "uri") }?;
        // SAFETY: the struct's contract for the header lists.
        let authorization = unsafe { headers(f.authorization, f.authorization_count, "authorization") }?;
        // SAFETY: the struct's contract for the header lists.
        let dpop_headers = unsafe { headers(f.dpop, f.dpop_count, "dpop") }?;
        let cert: Option<&[u8; 32]> = if f.certificate_sha256.is_null() {
            None
        } else {
            // SAFETY: the struct's contract: NULL or 32 readable bytes.
            Some(unsafe { &*f.certificate_sha256.cast::<[u8; 32]>() })
        };
        // SAFETY: the caller passes NULL or an initialized struct.
        let options = unsafe { ffi::try_struct(dpop) }.copied();
        if let Some(o) = &options {
            check_dpop_size(o)?;
        }
        // SAFETY: the options' contract: NULL or an initialized struct.
        let user = options.and_then(|o| unsafe { ffi::try_struct(o.hooks) }.copied());
        // SAFETY: the options' contract: NULL or a live store.
        let store = options.and_then(|o| unsafe { ffi::try_ref(o.replay_store) });
        // SAFETY: the options' contract: NULL or a live issuer.
        let issuer = options.and_then(|o| unsafe { ffi::try_ref(o.nonce_issuer) });
        if store.is_some() && user.is_some_and(|h| h.check_replay.is_some()) {
            return Err(Failure::invalid(String::from(
                "both a replay_store and a check_replay callback: choose one",
            )));
        }
        let hooks = CHooks { user, store };
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out_token = unsafe { OutPtr::new(out_token, "out_token") }?;
        // SAFETY: the caller passes NULL or a writable struct.
        let out_binding = unsafe { OutPtr::new(out_binding, "out_binding") }?;
        let mode_number = options.map_or(TOKENLANE_DPOP_BEARER_ONLY, |o| o.mode);
        let proofs = match options {
            Some(o) if mode_number != TOKENLANE_DPOP_BEARER_ONLY => Some(proof_policy(&o)?),
            _ => None,
        };
        let mode = match (mode_number, proofs.as_ref()) {
            (TOKENLANE_DPOP_ALLOWED, Some(p)) => DpopMode::Allowed(p),
            (TOKENLANE_DPOP_REQUIRED, Some(p)) => DpopMode::Required(p),
            (TOKENLANE_DPOP_BEARER_ONLY, _) => DpopMode::BearerOnly,
            (m, _) => return Err(Failure::invalid(format!("unknown DPoP mode {m}"))),
        };
        if let (Some(store), Some(p)) = (store, proofs.as_ref()) {
            store
                .covers(p)
                .map_err(|e| Failure::invalid(format!("invalid DPoP options: {e}")))?;
        }
        let request = RequestFacts {
            method,
            uri,
            authorization: &authorization,
            dpop: &dpop_headers,
            certificate_sha256: cert,
        };
        let now_secs = now;
        let (policy, keys) = v.parts(now_secs)?;
        let mut scratch = vec![
            0u8;
            tokenlane::request::authorize_scratch_len(&request, policy.max_token_bytes(), mode)
        ];
        let now = tokenlane::UnixTime::from_secs(now_secs);
        let issued = issuer.map(|i| tokenlane::nonce::IssuedNonces::new(i, &hooks));
        let core_hooks: &dyn tokenlane::dpop::ProofHooks = match &issued {
            Some(h) => h,
            None => &hooks,
        };
        let mut decide = |keys: &[tokenlane::Key]| {
            authorize(&request, &policy.policy(), keys, mode, core_hooks, now, &mut scratch)
                .map(|(t, b)| (crate::token::AccessData::new(&t), b))
        };
        // Through a key source, a `kid` its keys lack follows the source's
        // kid-miss rule (one fetch per cooldown), and the request is decided
        // once more with the keys it brings, as `validate` does. The core
        // consults the replay hook last, after the token, so the first
        // decision recorded no proof.
        let mut outcome = decide(&keys);
        if matches!(outcome, Err(tokenlane::Error::KeyNotFound { kid_given: true })) {
            if let Some(fresh) = v.keys_after_kid_miss(&keys, now_secs)? {
                outcome = decide(&fresh);
            }
        }
        let (t, b) = outcome.map_err(|e| Failure::core(&e))?;
        let nonce = issued.and_then(|h| h.response_nonce(true, now));
        out_token.write(ffi::box_into_ptr(t));
        out_binding.write(tokenlane_binding {
            scheme: u32::from(b.scheme != Scheme::Bearer),
            jkt: c_text(b.jkt.as_ref().map(|j| j.as_str())),
            certificate: b.certificate,
            dpop_nonce: c_text(nonce.as_ref().map(|n| n.as_str())),
        });
        Ok(())
    }
}

/// Writes the `WWW-Authenticate` value for a refusal `code` of
/// `tokenlane_access_validator_authorize` (the Rust core's
/// `tokenlane::request::write_challenge_for_code`; RFC 6750 §3, RFC 9449
/// §7.1) into `buf`, as `tokenlane_error_www_authenticate` does (same
/// buffer contract, NUL, `BUFFER_TOO_SMALL`, `realm`/`scope` optional).
///
/// The schemes offered follow `dpop` (the options of the call; NULL:
/// bearer-only): `Bearer`, `DPoP algs="…"`, or both. The error goes on the
/// scheme the client tried, which is read from `facts` (optional: the
/// request of the call, whose one `Authorization` header names it) or is
/// `DPoP` for a proof or nonce refusal; `MISSING_TOKEN` carries no error.
///
/// Errors: `NULL_PARAMETER` (`out_len` NULL, `buf` NULL with a non-zero
/// `buf_len`, a NULL header list with a count), `INVALID_ARGUMENT`
/// (`code` not a refusal code, `realm`/`scope` not UTF-8, invalid `dpop`
/// options), `BUFFER_TOO_SMALL`.
#[no_mangle]
pub extern "C" fn tokenlane_request_challenge(
    code: u32,
    dpop: *const tokenlane_dpop_options,
    facts: *const tokenlane_request,
    realm: *const c_char,
    realm_len: usize,
    scope: *const c_char,
    scope_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        use tokenlane::request::{tried_scheme, write_challenge_for_code, DpopMode};
        // SAFETY: the caller promises `buf_len` writable bytes at `buf` and a
        // writable `*out_len`.
        let out = unsafe { ffi::OutBuf::new(buf, buf_len, out_len) }?;
        // SAFETY: the caller passes NULL or `realm_len` readable bytes.
        let realm = unsafe { ffi::try_opt_str(realm, realm_len, "realm") }?;
        // SAFETY: the caller passes NULL or `scope_len` readable bytes.
        let scope = unsafe { ffi::try_opt_str(scope, scope_len, "scope") }?;
        let code = crate::error::core_code(code)
            .ok_or_else(|| Failure::invalid(format!("{code} is not a refusal code")))?;
        // SAFETY: the caller passes NULL or an initialized struct.
        let options = unsafe { ffi::try_struct(dpop) }.copied();
        if let Some(o) = &options {
            check_dpop_size(o)?;
        }
        let proofs = match options {
            Some(o) if o.mode != TOKENLANE_DPOP_BEARER_ONLY => Some(proof_policy(&o)?),
            _ => None,
        };
        let mode = match (options.map_or(TOKENLANE_DPOP_BEARER_ONLY, |o| o.mode), proofs.as_ref()) {
            (TOKENLANE_DPOP_ALLOWED, Some(p)) => DpopMode::Allowed(p),
            (TOKENLANE_DPOP_REQUIRED, Some(p)) => DpopMode::Required(p),
            (TOKENLANE_DPOP_BEARER_ONLY, _) => DpopMode::BearerOnly,
            (m, _) => return Err(Failure::invalid(format!("unknown DPoP mode {m}"))),
        };
        // SAFETY: the caller passes NULL or an initialized struct.
        let tried = match unsafe { ffi::try_struct(facts) } {
            None => None,
            Some(f) => {
                // SAFETY: the struct's contract for the header list.
                let headers = unsafe { headers(f.authorization, f.authorization_count, "authorization") }?;
                tried_scheme(&headers)
            }
        };
        let mut value = String::new();
        write_challenge_for_code(&mut value, code, mode, tried, realm, scope)
            .map_err(|_| Failure::invalid(String::from("formatting failed")))?;
        crate::error::fill(out, value.as_bytes())
    }
}

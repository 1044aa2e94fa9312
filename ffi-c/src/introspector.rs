//! The introspector: RFC 7662 token introspection for opaque access tokens
//! (`tokenlane-remote`'s client and cache), and the validate call that
//! routes a token (the core's `route_access_token`): a JWT to local keys,
//! an opaque token to the endpoint, decided by the core either way.

use core::ffi::c_char;

use tokenlane::{route_access_token, AccessPath, Route, UnixTime};
use tokenlane_remote::{
    discovery, ClientAuth, HttpTransport, IntrospectionError, IntrospectionOptions, Introspector,
    RemoteError,
};

use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr};
use crate::keysource::{check_struct_size, tokenlane_http_options};
use crate::panic::ffi_boundary;
use crate::token::{tokenlane_access_token, AccessData};
use crate::validator::tokenlane_access_validator;

/// `client_auth`: `client_secret_basic` (RFC 6749 §2.3.1: HTTP Basic with
/// the form-encoded id and secret). The default.
pub const TOKENLANE_CLIENT_SECRET_BASIC: u32 = 0;
/// `client_auth`: `client_secret_post` (`client_id` and `client_secret` in
/// the form body).
pub const TOKENLANE_CLIENT_SECRET_POST: u32 = 1;

/// `tokenlane_introspector_validate`'s path: every token is a JWT,
/// validated locally (an opaque token is `MALFORMED`; nothing is sent).
pub const TOKENLANE_ACCESS_PATH_JWT_ONLY: u32 = 0;
/// Every token, a JWT too, is sent to the introspection endpoint.
pub const TOKENLANE_ACCESS_PATH_INTROSPECTION_ONLY: u32 = 1;
/// A token that parses as a compact JWS is validated locally; anything else
/// is introspected. A JWT is never sent and an opaque token never decoded.
pub const TOKENLANE_ACCESS_PATH_BOTH: u32 = 2;

/// How an introspector authenticates and caches. Initialize it with
/// `tokenlane_introspector_options_init(&options, sizeof options)` (the
/// defaults: client_secret_basic, no credentials, the HTTP defaults,
/// positive TTL 60 s, negative TTL 10 s, 10000 entries), then set at
/// least the credentials. ABI evolution as `tokenlane_keysource_options`
/// (`struct_size`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_introspector_options {
    /// `sizeof(tokenlane_introspector_options)` as the caller compiled it.
    pub struct_size: usize,
    /// The HTTP client (`max_redirects` is ignored: introspection never
    /// follows a redirect, which would re-send the secret and the token).
    pub http: tokenlane_http_options,
    /// `TOKENLANE_CLIENT_SECRET_BASIC` or `TOKENLANE_CLIENT_SECRET_POST`.
    pub client_auth: u32,
    /// The resource server's client id (`client_id_len` bytes, UTF-8; required).
    pub client_id: *const c_char,
    /// Length of `client_id` in bytes.
    pub client_id_len: usize,
    /// Its secret (`client_secret_len` bytes, UTF-8; required). Copied;
    /// never logged or put in a message.
    pub client_secret: *const c_char,
    /// Length of `client_secret` in bytes.
    pub client_secret_len: usize,
    /// Upper bound of an accepted answer's cache life, seconds (it also
    /// ends at the token's `exp`): the revocation latency. 0: not cached.
    pub positive_ttl: u64,
    /// Cache life of a refused answer, seconds. 0: not cached.
    pub negative_ttl: u64,
    /// Most cached answers (keyed by the token's SHA-256; the token itself
    /// is never stored). 0 disables the cache.
    pub max_entries: usize,
}

impl tokenlane_introspector_options {
    fn defaults() -> Self {
        let d = IntrospectionOptions::new(ClientAuth::Basic {
            client_id: String::new(),
            client_secret: String::new(),
        });
        Self {
            struct_size: core::mem::size_of::<Self>(),
            http: tokenlane_http_options::defaults(),
            client_auth: TOKENLANE_CLIENT_SECRET_BASIC,
            client_id: core::ptr::null(),
            client_id_len: 0,
            client_secret: core::ptr::null(),
            client_secret_len: 0,
            positive_ttl: d.positive_ttl,
            negative_ttl: d.negative_ttl,
            max_entries: d.max_entries,
        }
    }
}

/// Writes the default options into `*out` and sets `out->struct_size` to
/// `out_size`.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` when `out_size` is not
/// `sizeof(tokenlane_introspector_options)` of this library.
#[no_mangle]
pub extern "C" fn tokenlane_introspector_options_init(
    out: *mut tokenlane_introspector_options,
    out_size: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a struct it may write.
        let out = unsafe { OutPtr::new(out, "out") }?;
        check_struct_size(
            "tokenlane_introspector_options",
            out_size,
            core::mem::size_of::<tokenlane_introspector_options>(),
        )?;
        out.write(tokenlane_introspector_options::defaults());
        Ok(())
    }
}

/// Reads and checks the options (required: they carry the credentials).
///
/// # Safety
/// `options` is NULL or an initialized struct whose pointers follow its
/// field docs.
unsafe fn rust_options(
    options: *const tokenlane_introspector_options,
) -> Result<IntrospectionOptions, Failure> {
    // SAFETY: forwarded contract.
    let o = unsafe { ffi::try_struct(options) }.ok_or_else(|| Failure::null("options"))?;
    check_struct_size(
        "tokenlane_introspector_options",
        o.struct_size,
        core::mem::size_of::<tokenlane_introspector_options>(),
    )?;
    // SAFETY: the struct's contract: `client_id_len` bytes at `client_id`.
    let client_id = unsafe { ffi::try_str(o.client_id, o.client_id_len, "client_id") }?.to_owned();
    // SAFETY: the struct's contract: `client_secret_len` bytes at `client_secret`.
    let client_secret =
        unsafe { ffi::try_str(o.client_secret, o.client_secret_len, "client_secret") }?.to_owned();
    if client_id.is_empty() {
        return Err(Failure::invalid(String::from("client_id is empty")));
    }
    let auth = match o.client_auth {
        TOKENLANE_CLIENT_SECRET_BASIC => ClientAuth::Basic {
            client_id,
            client_secret,
        },
        TOKENLANE_CLIENT_SECRET_POST => ClientAuth::Post {
            client_id,
            client_secret,
        },
        n => {
            return Err(Failure::invalid(format!(
                "client_auth {n} is not a TOKENLANE_CLIENT_SECRET_* value"
            )))
        }
    };
    let mut r = IntrospectionOptions::new(auth);
    // SAFETY: the struct's contract (the CA bundle path).
    r.http = unsafe { o.http.to_rust() }?;
    r.positive_ttl = o.positive_ttl;
    r.negative_ttl = o.negative_ttl;
    r.max_entries = o.max_entries;
    Ok(r)
}

/// An RFC 7662 client with a cache, made by `tokenlane_introspector_new` or
/// `_from_issuer`. Thread-safe: any number of threads may validate through
/// one introspector (concurrent lookups of one token make one request).
/// Free it with `tokenlane_introspector_free` after every thread is done.
pub struct tokenlane_introspector {
    _private: [u8; 0],
}

impl Castable for tokenlane_introspector {
    type RustType = Introspector;
}

/// The introspection endpoint could not judge the token: 500 when it
/// refused our credentials, else 503 (the remote crate's `fault`, the core's
/// `ServerFault` table).
pub(crate) fn endpoint_failure(e: &IntrospectionError) -> Failure {
    match e {
        IntrospectionError::Token(t) => Failure::core(t),
        IntrospectionError::Endpoint(_) => Failure {
            code: e.fault().map_or(
                tokenlane_result::IntrospectionUnavailable,
                tokenlane_result::from_fault,
            ),
            message: e.to_string(),
        },
    }
}

/// A URL or CA bundle the rules refuse is the caller's argument; any other
/// error met while discovering is the server's.
fn setup_failure(what: &str, e: &RemoteError) -> Failure {
    match e {
        RemoteError::InvalidUrl | RemoteError::InsecureUrl | RemoteError::CaBundle => {
            Failure::invalid(format!("{what}: {e}"))
        }
        _ => Failure {
            code: tokenlane_result::IntrospectionUnavailable,
            message: format!("{what}: {e}"),
        },
    }
}

/// Makes an introspector for `endpoint` (the authorization server's
/// introspection endpoint URL). `options` (required) carries the
/// credentials. URL rules as the key source's. No I/O here. Free it with
/// `tokenlane_introspector_free`.
///
/// Errors: `NULL_PARAMETER` (also a NULL `client_id` / `client_secret`);
/// `INVALID_ARGUMENT` (text not UTF-8, an empty client_id, an unknown
/// `client_auth`, a URL the rules refuse, a timeout out of bounds, a wrong
/// `struct_size`, an unreadable CA bundle).
#[no_mangle]
pub extern "C" fn tokenlane_introspector_new(
    endpoint: *const c_char,
    endpoint_len: usize,
    options: *const tokenlane_introspector_options,
    out: *mut *mut tokenlane_introspector,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `endpoint_len` readable bytes at `endpoint`.
        let endpoint = unsafe { ffi::try_str(endpoint, endpoint_len, "endpoint") }?;
        // SAFETY: the caller passes NULL or an initialized options struct.
        let opts = unsafe { rust_options(options) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let i = Introspector::new(endpoint, opts).map_err(|e| setup_failure("endpoint", &e))?;
        out.write(ffi::box_into_ptr(i));
        Ok(())
    }
}

/// Makes an introspector for the `introspection_endpoint` of `issuer`'s
/// metadata: discovers it now (OpenID Connect Discovery, then RFC 8414;
/// the metadata's `issuer` must equal `issuer` exactly). This call does
/// I/O and blocks for at most the timeouts.
///
/// Errors: as `tokenlane_introspector_new`; `INTROSPECTION_UNAVAILABLE`
/// when discovery fails (the server is down, the metadata names another
/// issuer, has no `introspection_endpoint`, ...: the detail says which).
#[no_mangle]
pub extern "C" fn tokenlane_introspector_from_issuer(
    issuer: *const c_char,
    issuer_len: usize,
    options: *const tokenlane_introspector_options,
    out: *mut *mut tokenlane_introspector,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes `issuer_len` readable bytes at `issuer`.
        let issuer = unsafe { ffi::try_str(issuer, issuer_len, "issuer") }?;
        // SAFETY: the caller passes NULL or an initialized options struct.
        let opts = unsafe { rust_options(options) }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let transport = HttpTransport::new(&opts.http).map_err(|e| setup_failure("issuer", &e))?;
        let metadata = discovery::discover(&transport, &opts.http, issuer)
            .map_err(|e| setup_failure("discovery", &e))?;
        let endpoint = metadata.introspection_endpoint.ok_or_else(|| Failure {
            code: tokenlane_result::IntrospectionUnavailable,
            message: String::from("the issuer's metadata has no introspection_endpoint"),
        })?;
        let i = Introspector::new(&endpoint, opts)
            .map_err(|e| setup_failure("introspection_endpoint", &e))?;
        out.write(ffi::box_into_ptr(i));
        Ok(())
    }
}

/// Validates an access token for `validator`'s API, choosing the path with
/// the core's `route_access_token` under `path` (a
/// `TOKENLANE_ACCESS_PATH_*` value): a JWT is validated with the
/// validator's keys (a key set or a key source), an opaque token is sent to
/// the introspection endpoint (or the cache) and the answer decided by the
/// core with the validator's issuer, audiences, scopes, leeway and
/// introspection audience rule. Either way `*out` receives the same
/// `tokenlane_access_token` (an introspected one has an empty `alg`). This
/// call may block on the endpoint, for at most the timeouts.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` (an unknown `path`);
/// `TOKEN_TOO_LARGE` on every path (an oversized token is neither decoded
/// nor sent); the refusal codes of the JWT path (`KEYS_UNAVAILABLE` too)
/// and of the core's introspection rules (`MALFORMED` also for an opaque
/// token that is not UTF-8, never sent); `INTROSPECTION_UNAVAILABLE` (HTTP
/// 503: the endpoint is down, slow, answered another status, HTML, invalid
/// JSON, an oversized body) and `INTROSPECTION_CREDENTIALS_REFUSED` (HTTP 500: the
/// endpoint answered 401/403 to our credentials): the token was not judged.
#[no_mangle]
pub extern "C" fn tokenlane_introspector_validate(
    introspector: *const tokenlane_introspector,
    validator: *const tokenlane_access_validator,
    path: u32,
    token: *const c_char,
    token_len: usize,
    now: u64,
    out: *mut *mut tokenlane_access_token,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a live introspector.
        let i = unsafe { ffi::try_ref(introspector) }.ok_or_else(|| Failure::null("introspector"))?;
        // SAFETY: the caller passes NULL or a live validator.
        let v = unsafe { ffi::try_ref(validator) }.ok_or_else(|| Failure::null("validator"))?;
        // SAFETY: the caller passes `token_len` readable bytes at `token`.
        let token = unsafe { ffi::try_slice(token, token_len, "token") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        let path = match path {
            TOKENLANE_ACCESS_PATH_JWT_ONLY => AccessPath::JwtOnly,
            TOKENLANE_ACCESS_PATH_INTROSPECTION_ONLY => AccessPath::IntrospectionOnly,
            TOKENLANE_ACCESS_PATH_BOTH => AccessPath::Both,
            n => return Err(Failure::invalid(format!("{n} is not a TOKENLANE_ACCESS_PATH_* value"))),
        };
        let max = v.policy().max_token_bytes();
        let mut scratch = vec![0u8; tokenlane::scratch_len(token.len().min(max))];
        let route = route_access_token(token, path, max, &mut scratch).map_err(|e| Failure::core(&e))?;
        let data = match route {
            Route::Local => v.validate_jwt(token, now)?,
            Route::Introspect => {
                let token = core::str::from_utf8(token).map_err(|_| Failure {
                    code: tokenlane_result::Malformed,
                    message: String::from("the opaque token is not UTF-8 (not sent to the endpoint)"),
                })?;
                let policy = v.policy().policy();
                let mut buf = Vec::new();
                let t = i
                    .validate(&policy, token, UnixTime::from_secs(now), &mut buf)
                    .map_err(|e| endpoint_failure(&e))?;
                AccessData::new(&t)
            }
        };
        out.write(ffi::box_into_ptr(data));
        Ok(())
    }
}

/// The number of cached answers (expired ones included until evicted). 0
/// for NULL.
#[no_mangle]
pub extern "C" fn tokenlane_introspector_cached_count(
    introspector: *const tokenlane_introspector,
) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live introspector.
        unsafe { ffi::try_ref(introspector) }.map_or(0, Introspector::cached_len)
    }
}

/// Frees an introspector. NULL is a no-op. No thread may use it afterwards;
/// tokens it returned stay valid.
#[no_mangle]
pub extern "C" fn tokenlane_introspector_free(introspector: *mut tokenlane_introspector) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or an introspector it owns and that
        // no thread uses any more.
        unsafe { ffi::free_box(introspector) }
    }
}

//! The access lane over an RFC 7662 token introspection response: an opaque
//! access token is vouched for by the authorization server instead of a
//! signature, and then held to the same rules as a JWT.
//!
//! The rules and decisions are on [`AccessPolicy::validate_introspection`].

use crate::claims::Raw;
use crate::error::{Claim, Error};
use crate::json::Value;
use crate::lane::access::{AccessPolicy, AccessToken, Carrier};
use crate::time::UnixTime;

/// Whether an introspection response must carry `aud` (an access-lane
/// policy setting; JWTs always must).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IntrospectionAudience {
    /// `aud` is required and must contain one of the policy's audiences
    /// (the default). This is the rule that refuses node-oidc-provider's
    /// refresh tokens, which it answers `active: true` without `aud`.
    #[default]
    Required,
    /// The explicit opt-out for servers that never return `aud`: an absent
    /// `aud` is accepted; a present one must still match. Refresh tokens
    /// are then refused only when the server says so in `token_type` (see
    /// [`AccessPolicy::validate_introspection`]).
    AllowAbsent,
}

impl<'a, S: AsRef<str>> AccessPolicy<'a, S> {
    /// Sets the introspection audience rule (default
    /// [`IntrospectionAudience::Required`]). No effect on JWTs.
    #[must_use]
    pub fn with_introspection_audience(mut self, rule: IntrospectionAudience) -> Self {
        self.set_introspection_aud(rule);
        self
    }

    /// Decides an RFC 7662 introspection response (the endpoint's JSON
    /// body) at time `now`, with this policy's issuer, audiences, scopes and
    /// leeway.
    ///
    /// Decides the response body (the
    /// JSON the introspection endpoint returned); it does no I/O, so the Rust
    /// client in `tokenlane-remote`, C, Python and the CLI all share it. The
    /// refusal order:
    ///
    /// 1. The body is one strict JSON object (the reader the claims use: UTF-8,
    ///    no duplicate members, bounded depth and member count): else
    ///    `malformed`.
    /// 2. `active` is the JSON boolean `true`. Absent: `missing_claim` (active).
    ///    `false`, or anything that is not exactly `true` (`"true"`, `1`,
    ///    `null`): `invalid_claim` (active). RFC 7662 §2.2 says an inactive
    ///    token is answered with RFC 6750 `invalid_token`; `invalid_claim` is
    ///    that (401), and its detail names `active`.
    /// 3. From here the access lane's own code path (the one
    ///    [`AccessPolicy::validate`] runs after the signature): claim types and
    ///    bounds (`invalid_claim`), lane marks (`wrong_token_type`: a
    ///    `token_type` other than `Bearer`, `DPoP` or `access_token` in any
    ///    ASCII case, so `refresh_token`; Keycloak's `typ: Refresh`; ID-token
    ///    claims), required claims (`exp`, and `aud` unless opted out:
    ///    `missing_claim`), `iss` when present (`issuer_mismatch`), `aud`
    ///    (`audience_mismatch`), `exp`/`nbf`/`iat` with the leeway (`expired`,
    ///    `not_yet_valid`), required scopes from `scope` (`insufficient_scope`).
    ///
    /// What differs from a JWT, and why:
    /// - `iss` may be absent (the server answers for its own tokens); the
    ///   resulting [`AccessToken::iss`] is then the configured issuer.
    /// - RFC 9068's strict profile (`sub`, `client_id`, `iat`, `jti` required)
    ///   does not apply: it describes a JWT. They are read when present.
    /// - `exp` is required although RFC 7662 makes it optional: the result
    ///   carries an expiry and a cache needs an upper bound. A server that
    ///   omits it is refused with `missing_claim` (exp).
    /// - [`AccessToken::alg`] is `None`.
    ///
    /// # Refresh tokens
    ///
    /// Most client code checks only `active`, and an authorization server
    /// answers `active: true` for its refresh tokens too. node-oidc-provider 9
    /// returns neither `token_type` nor `aud` for a refresh token (it does
    /// return `scope`, `client_id`, `sub`, `exp`): the rule that refuses it is
    /// **`aud` is required** (`missing_claim` (aud)), on by default. A server
    /// that says `token_type: refresh_token` is refused by the `token_type`
    /// mark (`wrong_token_type`) whatever the audience setting. The audience
    /// opt-out ([`IntrospectionAudience::AllowAbsent`]) gives up the first
    /// protection: with it, a node-oidc-provider refresh token with the
    /// required scopes is accepted. Use it only with a server that states
    /// `token_type` for every token.
    ///
    /// `scratch` must hold at least `response.len()` bytes (escaped strings
    /// are unescaped into it); the result borrows from `response` and
    /// `scratch`. No heap. Errors: `token_too_large` when `scratch` is
    /// shorter than `response` (a caller's mistake), then every code of the
    /// refusal order. The response's size is the fetcher's to bound.
    pub fn validate_introspection<'s>(
        &self,
        response: &'s [u8],
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, Error>
    where
        'a: 's,
    {
        if scratch.len() < response.len() {
            return Err(Error::TokenTooLarge {
                len: response.len(),
                max: scratch.len(),
            });
        }
        let (text, raw) = crate::claims::parse(response)?;
        check_active(&raw)?;
        self.decide(
            Carrier::Introspection(self.issuer()),
            text,
            &raw,
            scratch,
            now,
        )
    }
}

/// Step 2: `active` is exactly the JSON literal `true`.
fn check_active(raw: &Raw<'_>) -> Result<(), Error> {
    match raw.get(Claim::Active) {
        None => Err(Error::MissingClaim {
            claim: Claim::Active,
        }),
        Some(Value::Bool(true)) => Ok(()),
        Some(_) => Err(Error::InvalidClaim {
            claim: Claim::Active,
        }),
    }
}

/// Which validation an access token may take: local JWT validation, RFC
/// 7662 introspection, or either by the token's form. Configured once per
/// API; see [`route_access_token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccessPath {
    /// Every token is validated locally as a JWT (the default, and the only
    /// path before introspection existed): an opaque token is `malformed`.
    #[default]
    JwtOnly,
    /// Every token, a JWT too, is sent to the introspection endpoint (for a
    /// server whose JWTs must be checked for revocation).
    IntrospectionOnly,
    /// A token that parses as a compact JWS is validated locally; anything
    /// else is introspected. A JWT is never introspected and an opaque token
    /// is never decoded as a JWT.
    Both,
}

/// Where [`route_access_token`] sends a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// Validate locally ([`AccessPolicy::validate`]).
    Local,
    /// Ask the introspection endpoint, then
    /// [`AccessPolicy::validate_introspection`].
    Introspect,
}

/// Chooses the path for `token` under `path`.
///
/// "Parses as a compact JWS" means: exactly three `.`-separated segments of
/// base64url characters, a non-empty header that decodes (strict base64url)
/// to a JSON object the core's strict reader accepts (RFC 7515 §5.2 steps
/// 1–3). Only the
/// header is decoded: a token with that header is a JWS whatever its
/// payload, so a JWT with broken claims goes to local validation (and is
/// refused there, `malformed`) rather than to the endpoint. An opaque token
/// (node-oidc-provider's 43 base64url characters, Hydra's `ory_at_…`, any
/// string without a JSON header) is never decoded further.
///
/// `max_token_bytes` is the policy's [`AccessPolicy::max_token_bytes`];
/// `scratch` must hold [`crate::scratch_len`]`(token.len())` bytes (only
/// read under [`AccessPath::Both`]). Errors: `token_too_large` when `token`
/// is over `max_token_bytes`, on every path, so an oversized token is
/// neither decoded nor sent anywhere.
pub fn route_access_token(
    token: &[u8],
    path: AccessPath,
    max_token_bytes: usize,
    scratch: &mut [u8],
) -> Result<Route, Error> {
    if token.len() > max_token_bytes {
        return Err(Error::TokenTooLarge {
            len: token.len(),
            max: max_token_bytes,
        });
    }
    Ok(match path {
        AccessPath::JwtOnly => Route::Local,
        AccessPath::IntrospectionOnly => Route::Introspect,
        AccessPath::Both => {
            if parses_as_compact_jws(token, scratch) {
                Route::Local
            } else {
                Route::Introspect
            }
        }
    })
}

fn parses_as_compact_jws(token: &[u8], scratch: &mut [u8]) -> bool {
    let mut it = token.split(|&b| b == b'.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return false;
    };
    let b64url = |seg: &[u8]| {
        seg.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    };
    if h.is_empty() || !b64url(p) || !b64url(s) {
        return false;
    }
    let Some(out) = scratch.get_mut(..crate::b64::decoded_len(h.len())) else {
        return false;
    };
    crate::b64::decode_url(h, out).is_some_and(|header| crate::json::validate(header).is_ok())
}

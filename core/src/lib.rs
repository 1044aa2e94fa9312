//! # tokenlane
//!
//! A `no_std` JWT validator that keeps tokens in their lanes: an API accepts
//! only access tokens meant for it ([`AccessPolicy`]), a client app reads
//! only ID tokens meant for it ([`IdPolicy`]), and neither is ever mistaken
//! for the other.
//!
//! ```
//! use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, KeySet, UnixTime, scratch_len};
//!
//! // RFC 7515 Appendix A.1's HMAC key.
//! let jwks = br#"{"keys":[{"kty":"oct","kid":"k1",
//!   "k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]}"#;
//! let keys = KeySet::from_jwks(jwks)?;
//! let audiences = ["https://api.example"];
//! let policy = AccessPolicy::new(
//!     "https://issuer.example/",
//!     &audiences,
//!     AlgorithmSet::from_slice(&[Algorithm::ES256, Algorithm::HS256]),
//! )?
//! .with_leeway(60)?;
//!
//! let token = b"eyJhbGciOiJIUzI1NiJ9.e30.AAAA";
//! let mut scratch = vec![0u8; scratch_len(token.len())];
//! let err = policy.validate(token, &keys, UnixTime::from_secs(1_767_225_600), &mut scratch).unwrap_err();
//! assert_eq!(err.code(), "wrong_token_type"); // no typ: at+jwt, refused before any crypto
//! assert_eq!(err.http_status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To read a token *without* validating it (a tool showing it, routing it to
//! its issuer's keys), use [`untrusted`]: the same size limit, base64url and
//! JSON reader, claim table and lane-mark predicates, and nothing verified.
//!
//! To decide a whole HTTP request (a `Bearer` or `DPoP` credential, a DPoP
//! proof, a certificate-bound token), use [`request::authorize`]; the proof
//! rules are in [`dpop`].
//!
//! ## Features
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `alloc` | yes | [`KeySet`] (JWKS loading), PEM keys, owned policies ([`PolicyBuilder`]) |
//! | `std` | yes | [`UnixTime::now`], the system clock for wrappers (implies `alloc`); nothing else: [`Error`] and [`KeyError`] implement `core::error::Error`, the same trait as `std::error::Error`, in every build |
//! | `rsa` | yes | RS256/384/512, PS256/384/512 (implies `alloc`) |
//! | `ecdsa` | yes | ES256 with the pure-Rust `p256` crate (implies `es256`) |
//! | `p256-cm4` | no | ES256 with the P256-Cortex-M4 assembly (`p256-cm4` crate), `Backend::Cm4` as the default; Arm targets only (elsewhere it needs `ecdsa`); without `ecdsa` no `p256` crate is linked (see `EMBEDDED.md`) |
//! | `es256` | via `ecdsa` / `p256-cm4` | the ES256 algorithm and P-256 keys; not useful alone |
//! | `es384` | yes | ES384 (P-384, `p384`; `ring` on [`Backend::Ring`]) |
//! | `es512` | yes | ES512 (P-521, `p521`; AWS-LC on `Backend::AwsLc`; `ring` has no P-521) |
//! | `eddsa` | yes | `EdDSA` and `Ed25519` with Ed25519 keys (`ed25519-dalek`; `ring` on [`Backend::Ring`]); no heap, so a firmware can take it alone. Ed448 is not implemented |
//! | `hmac` | yes | HS256/384/512 (= `hs256` + `hs384` + `hs512`) |
//! | `hs256`, `hs384`, `hs512` | via `hmac` | one HMAC algorithm each; `hs256` alone keeps SHA-384/512 out of a firmware image |
//! | `ring` | no | the fast `Backend::Ring` for servers (implies `alloc`); the C library, Python wheel and CLI enable it |
//! | `aws-lc` | no | `Backend::AwsLc` (aws-lc-rs, keys parsed once; every algorithm, P-521 included), the default when on (implies `alloc`); the C library, Python wheel and CLI enable it. Its C code allocates with `malloc` inside an RSA/ECDSA/Ed25519 verification (not through Rust's allocator; counts in BENCHMARKS.md, "Backend choice") |
//!
//! With `--no-default-features --features ecdsa,hmac` (or `eddsa` alone) the
//! crate builds for `thumbv7em-none-eabihf` and validation uses no heap at
//! all: keys are built with [`Key::p256`] / [`Key::ed25519`] / [`Key::hmac`]
//! / [`Key::from_spki_der`] into a plain `[Key; N]`, and the caller lends
//! the scratch buffer.
//!
//! ## The token path, and the refusal order
//!
//! Checks run in this order; the first failure is the result, so a token
//! always gets the same code (`tests/conformance/README.md` pins every step):
//!
//! 1. size over `max_token_bytes` → `token_too_large` (before any decoding);
//! 2. not three segments, empty header, non-canonical base64url,
//!    bad JSON, duplicate members anywhere, nesting over
//!    [`limits::MAX_JSON_DEPTH`] → `malformed`;
//! 3. header: `alg` missing → `malformed`; `none` in any casing or not
//!    implemented → `unsupported_algorithm`; any `crit` →
//!    `unsupported_critical_header`; `alg` not in the policy →
//!    `algorithm_not_allowed`; `typ` wrong for the lane → `wrong_token_type`;
//! 4. key: by exact `kid`, else every key that fits the `alg`; none →
//!    `key_not_found`; the `kid`'s key does not fit → `algorithm_not_allowed`;
//! 5. signature (an empty one included) → `invalid_signature`; on the
//!    access lane's witnessed path
//!    ([`AccessPolicy::validate_witnessed`]), steps 4–5 are instead the
//!    token's SHA-256 against the [`SignatureWitness`] of an earlier full
//!    validation (constant-time) → `invalid_signature`; every other step
//!    runs as listed;
//! 6. claims JSON → `malformed`;
//! 7. claim types → `invalid_claim` (including more than
//!    [`limits::MAX_SCOPES`] scopes in any form: `scope` or `scp` string
//!    words after unescaping, `scp` array elements);
//! 8. lane marks (the one table of [`Mark`], in its order) →
//!    `wrong_token_type`;
//! 9. required claims → `missing_claim`;
//! 10. `iss` → `issuer_mismatch`; 11. `aud` → `audience_mismatch`;
//! 12. `exp` → `expired`; 13. `nbf`/`iat` → `not_yet_valid`;
//! 14. access lane: scopes → `insufficient_scope`;
//! 15. ID lane, in this order: `azp` (`missing_claim` / `azp_mismatch`),
//!     `nonce` (`missing_claim` / `nonce_mismatch`), with `max_age`:
//!     `auth_time` absent → `missing_claim`, in the future →
//!     `not_yet_valid`, too old → `auth_too_old`; `at_hash`
//!     (`missing_claim` / `at_hash_mismatch`, compared unescaped).
//!
//! ## Design choices
//!
//! - **The algorithm is never taken from the token alone.** It must be in the
//!   policy *and* fit the key (RSA → RS*/PS*, P-256 → ES256, P-384 → ES384,
//!   P-521 → ES512, Ed25519 → `EdDSA`/`Ed25519`, secret → HS* with a secret
//!   as long as the hash) *and* equal a JWK `alg` pin. `none` is not an
//!   [`Algorithm`], so no policy can allow it. `EdDSA` and `Ed25519` (RFC
//!   9864's fully specified name) are two rows of the table with the same
//!   verification: a policy allows each by name, and a JWK pinned to one
//!   refuses the other (a pin is exact).
//! - **Ed25519 keys and signatures.** A public key must be the canonical
//!   encoding of its point (y < p, no "negative zero" x) and not of small
//!   order (the identity and the other seven torsion points); otherwise it is
//!   `invalid_key` at load ([`KeyError::PointNotOnCurve`]). A small-order key
//!   admits signatures valid for nearly every message, and no honest signer
//!   has one; no Wycheproof case (`ed25519_test.json`) uses such a key, so
//!   this contradicts no verdict. Signatures are exactly 64 bytes, `s` must
//!   be below the group order, and the check is RFC 8032 §5.1.7's
//!   cofactorless equation with the encoded `R` compared byte for byte, the
//!   same on both backends (ed25519-dalek `verify`, ring `ED25519`); every
//!   Wycheproof Ed25519 case matches (`core/tests/wycheproof.rs`).
//! - **`at_hash` for the new algorithms** uses the hash of the algorithm's
//!   table row: SHA-384 for ES384, SHA-512 for ES512, and SHA-512 for
//!   `EdDSA`/`Ed25519` with an Ed25519 key. OpenID Connect Core §3.1.3.6
//!   names "the hash algorithm used in the alg Header Parameter", which
//!   `EdDSA` does not determine; the OpenID Connect working group settled it
//!   on its 25 Nov 2019 call (openid/connect issue 1125: Ed25519 uses
//!   SHA-512, the hash inside Ed25519), as the draft "OpenID Connect Token
//!   Hash Algorithms 1.0" guide records, and `oidc-token-hash`, the
//!   component node-oidc-provider and openid-client share, computes SHA-512
//!   for both `EdDSA` with Ed25519 and `Ed25519`. Ed448 would need SHAKE256
//!   and is not implemented, so no `EdDSA` token here is ever Ed448.
//! - **Keys never come from the token.** `jwk`, `jku`, `x5u`, `x5c` headers are
//!   ignored; keys are loaded once by the application.
//! - **Every `crit` is refused**: no JWS extension is implemented, so there is
//!   nothing a critical header could legitimately ask for.
//! - **ID-token marks are refused in the access lane in both typ modes**
//!   (`nonce`, `at_hash`, `c_hash`, payload `typ: ID`, `token_use: id`):
//!   an at+jwt carrying them contradicts itself.
//! - **Other token kinds are refused in both lanes** (RFC 8725 §3.11–3.12):
//!   a payload `typ` naming Keycloak's `Refresh`, `Offline`, `Logout` or
//!   `Serialized-ID` tokens, a payload `typ` that is not a string (`["ID"]`:
//!   a kind written in a form no lane reads is refused, not ignored, and as
//!   `wrong_token_type` rather than `invalid_claim` because payload `typ` is
//!   a provider's marker, not a registered claim), and an `events` claim
//!   (RFC 8417 security event tokens, e.g. back-channel logout tokens). The
//!   access lane lets other payload `typ` strings through (Keycloak's
//!   `Bearer`, and `DPoP` for its sender-constrained access tokens); the ID
//!   lane accepts a payload `typ` only when it is `ID`.
//! - **`scope` and `scp` mark an access token, so the ID lane refuses them**
//!   (`wrong_token_type`, naming the claim): otherwise a token with `typ:
//!   JWT`, `aud` = the client and RFC 9068's `client_id` + `scope`, or
//!   Entra ID's `scp` + `ver`, passes as an ID token. Evidence that no major
//!   provider's ID tokens carry them, from their published token formats:
//!   Keycloak's `IDToken` representation has no `scope` (its `AccessToken`
//!   adds it); Microsoft Entra ID's ID-token claims reference lists no
//!   `scp` (it is an access-token claim); Amazon Cognito's ID-token payload
//!   has no `scope` while its access token has `scope` and
//!   `token_use: access`; Okta puts `scp` in access tokens only. For
//!   Google, Auth0 and node-oidc-provider no published ID-token format
//!   with `scope` was found: there a scope selects which OpenID Connect
//!   claims go in, it is not itself a claim. `client_id` alone is not a
//!   mark (it is harmless in an ID token). A provider that adds `scope` to
//!   ID tokens by a custom mapper must remove it for this lane.
//! - **A future `auth_time` does not satisfy `max_age`**: with `max_age`
//!   given, `auth_time - leeway > now` is `not_yet_valid` (naming
//!   `auth_time`, like a future `nbf`/`iat`); otherwise such a token would
//!   pass `max_age` for its whole life. Without `max_age` the lane does not
//!   read `auth_time` beyond its type.
//! - **Required scopes are checked when the policy is built**: an empty
//!   scope, or one outside RFC 6749's `scope-token` characters (a space, a
//!   quote, a backslash, non-ASCII), is `PolicyError::InvalidScope`.
//! - **Missing versus different**: a per-login check that was asked for
//!   (nonce, `max_age`, `at_hash`) with its claim absent is `missing_claim`;
//!   present but different is the `*_mismatch` code.
//! - **Claim types are `invalid_claim`**: `exp: "123"` or `aud: 7` name the
//!   claim; `malformed` is kept for structure (segments, base64, JSON).
//!   An empty `sub`, `client_id` or `jti` is `invalid_claim` too: an
//!   identifier that names nobody would match every empty-string lookup.
//! - **NumericDates are bounded** to year 9999 ([`time::MAX_NUMERIC_DATE`]);
//!   fractions are floored; all time arithmetic saturates.
//! - **JSON is read by a small strict reader** ([`json`](crate) module docs):
//!   duplicate detection and the depth bound must cover members nobody
//!   reads, which a derive-based deserializer cannot see. `serde` and
//!   `serde-json-core` are therefore not used.
//! - **Validation is deterministic**: the caller passes `now`; no clock,
//!   randomness, I/O or global state.
//! - **A token without `kid` is tried against at most
//!   [`limits::MAX_KIDLESS_CANDIDATES`] (3) keys.** When more keys fit its
//!   `alg`, it is `key_not_found` before any signature is computed, whichever
//!   key signed it: the answer does not depend on key order, and a forged
//!   kid-less token costs at most three verifications instead of one per key
//!   (82 ms against 256 RSA-8192 keys before). An issuer without `kid` has
//!   one key, or previous/current/next during a rotation; larger sets need
//!   tokens with `kid`, which every major issuer sends.
//! - **RSA public exponents are bounded to 3..=65537**
//!   ([`limits::RSA_MAX_EXPONENT`]): every issuer publishes 65537, Wycheproof
//!   also uses 3, and a larger exponent only makes each verification dearer
//!   (2^32 − 1 costs about three times 65537). Refused as `invalid_key`.
//! - **A JWK with private members is skipped, never used**
//!   ([`SkipReason::PrivateKey`]): `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`,
//!   or a `k` on a public-key type. A private key in a key document means
//!   whoever read the document can sign; such a key must not verify. It is
//!   skipped (and reported by [`KeySet::skipped`], counted in
//!   [`KeyError::NoUsableKey`]) rather than failing the whole set, so the
//!   issuer's other keys keep working; a document holding nothing else is
//!   `invalid_key`. (An `oct` key's `k` is its secret by definition.)
//! - **JWK member names compare by their unescaped value** (`"\u0061lg"` is
//!   `alg`), like every other JSON name: an escaped `use`, `key_ops` or `alg`
//!   cannot slip past the key's restrictions.
//! - **RSA `n` and `e` in a JWK must be minimal** (RFC 7518 §6.3.1.1): a
//!   leading zero byte is `invalid_key` ([`KeyError::NonMinimalInteger`]).
//!   DER integers keep their sign byte and are read as DER requires.
//! - **An HMAC secret that is a public key is refused** at load
//!   ([`KeyError::SecretIsPublicKey`]): PEM text, a JWK/JWKS document, SPKI or
//!   PKCS#1 DER, or a bare base64 SPKI body, whether it comes as a raw secret
//!   (the CLI's `--secret-file`, C, Python) or as a JWK `oct` `k`. That is
//!   the setup of the RS256-to-HS256 key confusion.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(
    feature = "rsa",
    feature = "es256",
    feature = "es384",
    feature = "es512",
    feature = "eddsa",
    feature = "hs256"
)))]
compile_error!(
    "tokenlane needs at least one algorithm family: enable `rsa`, `ecdsa`, `es384`, `es512`, `eddsa` or `hmac`"
);
#[cfg(all(
    feature = "es256",
    not(feature = "ecdsa"),
    not(all(feature = "p256-cm4", target_arch = "arm"))
))]
compile_error!(
    "ES256 needs an implementation: `ecdsa` (any target) or `p256-cm4` (Arm targets only)"
);

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod alg;
mod b64;
mod backend;
mod claims;
pub mod dpop;
mod error;
mod json;
mod jwk;
#[cfg(feature = "alloc")]
mod jwks;
mod jws;
mod keys;
mod lane;
pub mod limits;
pub mod nonce;
pub mod request;
#[cfg(feature = "std")]
pub mod scratch;
pub mod time;
pub mod untrusted;

pub use alg::{Algorithm, AlgorithmSet, KeyFamily};
pub use backend::Backend;
pub use claims::{StrList, StrListIter};
pub use error::{
    Absent, AlgorithmRefusal, BindingFault, Claim, Error, ErrorCode, HeaderFault, KeyError,
    Malformed, Mark, Part, ProofFault, ServerFault, SkipReason,
};
#[cfg(feature = "alloc")]
pub use jwks::{KeySet, Skipped};
pub use jws::{verify_compact, verify_compact_with};
pub use keys::{sort_by_kid, Key, Kid};
pub use lane::access::{AccessPolicy, AccessToken, TypMode};
pub use lane::id::{IdChecks, IdPolicy, IdToken};
pub use lane::introspection::{route_access_token, AccessPath, IntrospectionAudience, Route};
pub use lane::marks::{Lane, TokenKind};
#[cfg(feature = "alloc")]
pub use lane::owned::{OwnedAccessPolicy, OwnedIdPolicy, PolicyBuilder};
pub use lane::witness::{token_sha256, SignatureWitness};
pub use lane::{LaneSetting, PolicyError};
pub use limits::scratch_len;
#[cfg(feature = "std")]
pub use scratch::with_scratch;
pub use time::UnixTime;

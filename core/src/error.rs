//! One error vocabulary: every refusal has one code, the same string in Rust,
//! C and Python, mapped to its RFC 6750 error and HTTP status.
//!
//! The code table ([`ErrorCode`]) is the single source of codes, numbers,
//! RFC 6750 errors, HTTP statuses and one-line descriptions; the C and Python
//! front ends, the CLI's exit statuses and the README tables are derived from
//! it or checked against it by tests.
//!
//! # Adding a code
//!
//! Add one row to the `error_table!` invocation below (the next unused
//! number; a retired number is never reused), a variant of the same name to
//! [`Error`] with its `Display` sentence, the C variant in
//! `ffi-c/src/error.rs` and the Python class in
//! `ffi-python/python/tokenlane/exceptions.py`. Tests in those crates and in
//! the README check fail, naming what is missing, until they agree.

use core::fmt;

use crate::alg::Algorithm;
pub use crate::lane::marks::Mark;
use crate::limits;

/// Generates [`ErrorCode`] (the enum, [`ErrorCode::ALL`] and the accessors)
/// and [`Error::kind`] from one list of rows, in the spirit of
/// pydantic-core's `error_types!`.
///
/// Each row is: the doc line, `Variant = number`, then the code string, its
/// RFC 6750 error, its HTTP status and the fixed description sent to
/// clients. [`Error`] must have a variant of the same name for every row
/// (and no other), so `kind` is generated too.
macro_rules! error_table {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $number:literal: $code:literal, $rfc6750:literal, $status:literal, $description:literal;
    )*) => {
        /// Stable error codes. The numbers are part of the C ABI and never change
        /// meaning; a retired number stays reserved. Refusal codes stay below
        /// 100 (the C ABI's own codes start there).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                $(#[doc = $doc])*
                $variant = $number,
            )*
        }

        impl ErrorCode {
            /// Every code, in number order.
            pub const ALL: [ErrorCode; [$($number),*].len()] = [$(ErrorCode::$variant),*];

            /// The code string, e.g. `"expired"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The RFC 6750 §3.1 error code a resource server sends for it;
            /// empty for `missing_token`, whose challenge carries no error
            /// (RFC 6750 §3.1).
            pub const fn rfc6750_error(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $rfc6750,)*
                }
            }

            /// The HTTP status a resource server answers with (401, 403 or 400;
            /// `invalid_key` is a server-side configuration fault, 500).
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// A short fixed description of the code, safe to send to a client
            /// (the `error_description` of the `WWW-Authenticate` header).
            pub const fn description(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $description,)*
                }
            }
        }

        impl Error {
            /// The stable code.
            pub const fn kind(&self) -> ErrorCode {
                match self {
                    $(Error::$variant { .. } => ErrorCode::$variant,)*
                }
            }
        }
    };
}

error_table! {
    /// Not three base64url parts, bad base64, bad JSON, duplicate members, too deep.
    Malformed = 1: "malformed", "invalid_token", 401, "the token is malformed";
    /// Over the configured size limit.
    TokenTooLarge = 2: "token_too_large", "invalid_request", 400, "the token is too large";
    /// `none`, unknown or unimplemented `alg`.
    UnsupportedAlgorithm = 3: "unsupported_algorithm", "invalid_token", 401,
        "the token's algorithm is not supported";
    /// Not in the policy's list, or does not fit the key.
    AlgorithmNotAllowed = 4: "algorithm_not_allowed", "invalid_token", 401,
        "the token's algorithm is not allowed";
    /// `crit` is present (no extension is implemented).
    UnsupportedCriticalHeader = 5: "unsupported_critical_header", "invalid_token", 401,
        "the token has an unsupported critical header";
    /// No key for the `kid`, or no fitting key when `kid` is absent.
    KeyNotFound = 6: "key_not_found", "invalid_token", 401, "no key matches the token";
    /// The signature does not verify.
    InvalidSignature = 7: "invalid_signature", "invalid_token", 401,
        "the token's signature is invalid";
    /// `exp` + leeway <= now.
    Expired = 8: "expired", "invalid_token", 401, "the token has expired";
    /// `nbf` (or `iat`) - leeway > now.
    NotYetValid = 9: "not_yet_valid", "invalid_token", 401, "the token is not yet valid";
    /// `iss` is not the configured issuer.
    IssuerMismatch = 10: "issuer_mismatch", "invalid_token", 401,
        "the token's issuer is not trusted";
    /// `aud` lacks the expected audience.
    AudienceMismatch = 11: "audience_mismatch", "invalid_token", 401,
        "the token is not meant for this audience";
    /// A token of the other lane, or another JWT kind.
    WrongTokenType = 12: "wrong_token_type", "invalid_token", 401,
        "the token is not an access token for this API";
    /// A claim the lane requires is absent.
    MissingClaim = 13: "missing_claim", "invalid_token", 401, "the token lacks a required claim";
    /// A claim of the wrong type or out of range.
    InvalidClaim = 14: "invalid_claim", "invalid_token", 401, "the token has an invalid claim";
    /// A required scope is missing.
    InsufficientScope = 15: "insufficient_scope", "insufficient_scope", 403,
        "the token lacks a required scope";
    /// ID token `nonce` differs from the expected one.
    NonceMismatch = 16: "nonce_mismatch", "invalid_token", 401,
        "the ID token's nonce does not match";
    /// ID token `at_hash` does not match the access token.
    AtHashMismatch = 17: "at_hash_mismatch", "invalid_token", 401,
        "the ID token's at_hash does not match";
    /// ID token `auth_time` is older than `max_age` allows.
    AuthTooOld = 18: "auth_too_old", "invalid_token", 401, "the authentication is too old";
    /// ID token `azp` is not the client_id.
    AzpMismatch = 19: "azp_mismatch", "invalid_token", 401,
        "the ID token's azp is not this client";
    /// A key could not be loaded.
    InvalidKey = 20: "invalid_key", "invalid_request", 500,
        "the server's key configuration is invalid";
    /// The `Authorization` header is not one well-formed Bearer credential.
    InvalidRequest = 21: "invalid_request", "invalid_request", 400,
        "the Authorization header is not a valid Bearer credential";
    /// The request carries no Bearer credential (RFC 6750 §3.1: no error
    /// code, so the RFC 6750 error is empty and the challenge has none).
    MissingToken = 22: "missing_token", "", 401, "the request carries no Bearer token";
    /// The DPoP proof is refused (RFC 9449 §4.3; the error is RFC 9449's
    /// `invalid_dpop_proof`, sent with the `DPoP` scheme).
    InvalidDpopProof = 23: "invalid_dpop_proof", "invalid_dpop_proof", 401,
        "the DPoP proof is invalid";
    /// The server requires a DPoP nonce and the proof lacks it or carries
    /// another (RFC 9449 §8: `use_dpop_nonce`, with a `DPoP-Nonce` header).
    UseDpopNonce = 24: "use_dpop_nonce", "use_dpop_nonce", 401,
        "the DPoP proof must carry the server's nonce";
    /// The access token is bound (`cnf`) to a key or certificate this
    /// request does not prove (RFC 9449 §6, §7.2; RFC 8705 §3).
    TokenBindingMismatch = 25: "token_binding_mismatch", "invalid_token", 401,
        "the token is bound to another key or certificate";
    /// The caller's replay store failed: a server fault, never an accept.
    ReplayCheckFailed = 26: "replay_check_failed", "invalid_request", 500,
        "the server could not check the DPoP proof for replay";
}

impl ErrorCode {
    /// Writes a `WWW-Authenticate` value for this code, as
    /// [`Error::write_www_authenticate`] does (for wrappers that hold only
    /// the code).
    pub fn write_www_authenticate<W: fmt::Write>(
        self,
        out: &mut W,
        realm: Option<&str>,
        scope: Option<&str>,
    ) -> fmt::Result {
        write_challenge(out, self, self.description(), realm, scope, None)
    }

    /// The stable number (the C enum value).
    #[allow(clippy::as_conversions)] // a fieldless #[repr(u32)] enum's own discriminant
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// The code with this stable number, if any.
    pub fn from_number(n: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.number() == n)
    }

    /// The code with this string, if any.
    pub fn from_str_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of the token a structural fault is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The whole compact serialization.
    Token,
    /// The JOSE header.
    Header,
    /// The claims (payload).
    Claims,
    /// The signature segment.
    Signature,
}

impl Part {
    const fn name(self) -> &'static str {
        match self {
            Part::Token => "token",
            Part::Header => "header",
            Part::Claims => "claims",
            Part::Signature => "signature",
        }
    }
}

/// What is structurally wrong (the detail of [`Error::Malformed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Not exactly three `.`-separated segments (JWS JSON serialization and
    /// JWE are refused here too).
    SegmentCount,
    /// A segment is empty where content is required.
    EmptySegment(Part),
    /// Not strict base64url: padding, `+`, `/`, whitespace, or non-canonical
    /// trailing bits.
    Base64(Part),
    /// Not valid JSON (or not UTF-8).
    Json(Part),
    /// The JSON is not an object.
    NotAnObject(Part),
    /// An object has the same member twice (compared after unescaping).
    DuplicateMember(Part),
    /// Nesting deeper than [`crate::limits::MAX_JSON_DEPTH`].
    TooDeep(Part),
    /// An object has more than [`crate::limits::MAX_OBJECT_MEMBERS`] members.
    TooManyMembers(Part),
    /// The header has no `alg`.
    MissingAlg,
    /// A header member (`alg`, `typ`, `kid`) is not a string.
    HeaderMemberType(&'static str),
}

/// Why an algorithm was refused (the detail of [`Error::AlgorithmNotAllowed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmRefusal {
    /// The policy does not list it.
    NotInPolicy,
    /// The key selected by `kid` is of another family (e.g. HS256 with an
    /// RSA key: the HMAC/RSA key-confusion attack).
    WrongKeyFamily,
    /// The key's JWK `alg` pins another algorithm.
    PinnedToOther(Algorithm),
    /// The HMAC secret is shorter than the hash (a 32-byte secret never
    /// verifies HS384 or HS512).
    SecretTooShort,
}

/// The one claim table: each claim the core reads is named here once, and
/// the [`Claim`] enum, its names, its name lookup and the claim slots of the
/// payload reader are all generated from this list.
macro_rules! claim_table {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// A claim the core reads: named in errors, looked up by name when
        /// the payload is read, reported by [`crate::untrusted`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Claim {
            $( $(#[$doc])* $variant, )*
        }

        impl Claim {
            /// Every claim of the table, in table order.
            pub const ALL: &'static [Claim] = &[$(Claim::$variant,)*];

            /// The claim's JSON member name.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Claim::$variant => $name, )*
                }
            }

            /// The claim with this (unescaped) member name, if the core reads it.
            pub fn from_name(name: &str) -> Option<Claim> {
                match name {
                    $( $name => Some(Claim::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

claim_table! {
    /// `iss`, the issuer.
    Iss = "iss",
    /// `sub`, the subject.
    Sub = "sub",
    /// `aud`, the audience (string or array).
    Aud = "aud",
    /// `exp`, the expiry (NumericDate).
    Exp = "exp",
    /// `nbf`, not before (NumericDate).
    Nbf = "nbf",
    /// `iat`, issued at (NumericDate).
    Iat = "iat",
    /// `jti`, the token's id.
    Jti = "jti",
    /// `client_id` (RFC 9068).
    ClientId = "client_id",
    /// `scope`, space-delimited (RFC 9068, RFC 8693).
    Scope = "scope",
    /// `scp`, a string or array of scopes (Microsoft Entra ID, Okta).
    Scp = "scp",
    /// `nonce` (OpenID Connect).
    Nonce = "nonce",
    /// `azp`, the authorized party (OpenID Connect).
    Azp = "azp",
    /// `at_hash`, the access-token hash (OpenID Connect).
    AtHash = "at_hash",
    /// `c_hash`, the authorization-code hash (OpenID Connect).
    CHash = "c_hash",
    /// `auth_time` (NumericDate, OpenID Connect).
    AuthTime = "auth_time",
    /// Payload `typ` (Keycloak's token kind).
    Typ = "typ",
    /// `token_use` (Amazon Cognito's token kind).
    TokenUse = "token_use",
    /// `name` (OpenID Connect standard claim).
    Name = "name",
    /// `email` (OpenID Connect standard claim).
    Email = "email",
    /// `events` (RFC 8417 Security Event Tokens, e.g. logout tokens).
    Events = "events",
    /// `active` (RFC 7662 introspection response: the JSON boolean `true`
    /// for a token the authorization server considers valid).
    Active = "active",
    /// `token_type` (RFC 7662 introspection response, RFC 6749 §5.1: the
    /// kind of token, e.g. `Bearer`, or `refresh_token`).
    TokenType = "token_type",
}

impl Claim {
    /// The number of claims in the table.
    pub const COUNT: usize = Self::ALL.len();

    /// The claim's position in [`Claim::ALL`].
    #[allow(clippy::as_conversions)] // a fieldless enum's own discriminant, < COUNT
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// Why a key could not be loaded (the detail of [`Error::InvalidKey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The RSA modulus is under [`crate::limits::RSA_MIN_BITS`] bits.
    RsaTooSmall {
        /// Modulus size in bits.
        bits: usize,
    },
    /// The RSA modulus is over [`crate::limits::RSA_MAX_BITS`] bits.
    RsaTooLarge {
        /// Modulus size in bits.
        bits: usize,
    },
    /// The RSA modulus is even, or the exponent is even, under 3 or over
    /// [`crate::limits::RSA_MAX_EXPONENT`] (65537).
    RsaBadNumbers,
    /// The EC point is not on P-256 (or is the identity).
    PointNotOnCurve,
    /// The key is on a curve other than P-256.
    UnsupportedCurve,
    /// The HMAC secret is shorter than [`crate::limits::HMAC_MIN_SECRET`] bytes.
    SecretTooShort {
        /// Secret length in bytes.
        len: usize,
    },
    /// A member is not valid base64url / base64.
    Base64,
    /// The document is not valid JSON, PEM or DER.
    Encoding,
    /// A JWK lacks a member its `kty` needs, or has one of the wrong type.
    MissingMember(&'static str),
    /// The key's `kty` is not implemented, or its family's feature is off.
    UnsupportedKeyType,
    /// The JWK `alg` is not an implemented signature algorithm, or does not
    /// fit the key.
    UnsupportedAlg,
    /// The JWK is not for verifying (`use` other than `sig`, or `key_ops`
    /// without `verify`).
    NotForVerifying,
    /// `kid` longer than [`crate::limits::MAX_KID_LEN`] bytes.
    KidTooLong,
    /// More keys than [`crate::limits::MAX_KEYS`].
    TooManyKeys,
    /// A JWKS held no usable key; the counts say why each key was skipped.
    NoUsableKey {
        /// Number of keys in the document.
        keys: usize,
        /// Keys skipped as not for verification (`use`/`key_ops`).
        not_for_verifying: usize,
        /// Keys skipped for an unknown `kty` or a curve other than P-256.
        unsupported_key_type: usize,
        /// Keys skipped for an `alg` that is not a supported signature algorithm.
        unsupported_alg: usize,
        /// Keys skipped for carrying private members ([`SkipReason::PrivateKey`]).
        private_key: usize,
    },
    /// The key document is larger than [`crate::limits::MAX_KEY_DOCUMENT_BYTES`].
    DocumentTooLarge,
    /// A JWK RSA integer (`n` or `e`, named) has a leading zero byte; RFC 7518
    /// §6.3.1.1 requires the minimal encoding.
    NonMinimalInteger(&'static str),
    /// The HMAC secret is a public key in disguise (PEM text, a JWK or JWKS
    /// JSON document, SPKI or PKCS#1 DER): the setup of the classic
    /// RS256-to-HS256 key confusion.
    SecretIsPublicKey,
}

/// Why a JWKS entry was skipped (not an error by itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// `use` is not `sig`, or `key_ops` lacks `verify`.
    NotForVerifying,
    /// Unknown or disabled `kty`, or a curve other than P-256.
    UnsupportedKeyType,
    /// `alg` names an algorithm tokenlane does not verify with.
    UnsupportedAlg,
    /// The JWK carries private members (`d`, `p`, `q`, `dp`, `dq`, `qi`,
    /// `oth`, or `k` on a public-key type): a leaked private key, never used
    /// to verify (anyone who read the document can sign with it).
    PrivateKey,
}

impl SkipReason {
    /// One phrase saying why.
    pub const fn describe(self) -> &'static str {
        match self {
            SkipReason::NotForVerifying => "not a signature-verification key (use/key_ops)",
            SkipReason::UnsupportedKeyType => "key type or curve not supported",
            SkipReason::UnsupportedAlg => "alg is not a supported signature algorithm",
            SkipReason::PrivateKey => "carries private key members (a leaked private key)",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::RsaTooSmall { bits } => {
                write!(
                    f,
                    "RSA modulus of {bits} bits is under the {}-bit minimum",
                    limits::RSA_MIN_BITS
                )
            }
            KeyError::RsaTooLarge { bits } => {
                write!(
                    f,
                    "RSA modulus of {bits} bits is over the {}-bit maximum",
                    limits::RSA_MAX_BITS
                )
            }
            KeyError::RsaBadNumbers => write!(
                f,
                "RSA modulus or exponent is invalid (even, or exponent under 3 or over {})",
                limits::RSA_MAX_EXPONENT
            ),
            KeyError::PointNotOnCurve => f.write_str("EC point is not on P-256"),
            KeyError::UnsupportedCurve => f.write_str("EC curve is not P-256"),
            KeyError::SecretTooShort { len } => {
                write!(
                    f,
                    "HMAC secret of {len} bytes is under the {}-byte minimum",
                    limits::HMAC_MIN_SECRET
                )
            }
            KeyError::Base64 => f.write_str("key member is not valid base64"),
            KeyError::Encoding => f.write_str("key document is not valid JSON, PEM or DER"),
            KeyError::MissingMember(m) => write!(f, "key lacks a valid `{m}` member"),
            KeyError::UnsupportedKeyType => f.write_str("key type is not supported"),
            KeyError::UnsupportedAlg => {
                f.write_str("key alg is not a supported signature algorithm for this key")
            }
            KeyError::NotForVerifying => f.write_str("key is not for signature verification"),
            KeyError::KidTooLong => {
                write!(f, "kid is longer than {} bytes", limits::MAX_KID_LEN)
            }
            KeyError::TooManyKeys => {
                write!(f, "key set has more than {} keys", limits::MAX_KEYS)
            }
            KeyError::NoUsableKey {
                keys,
                not_for_verifying,
                unsupported_key_type,
                unsupported_alg,
                private_key,
            } => {
                write!(f, "no usable signature key among {keys} key(s)")?;
                for (n, r) in [
                    (not_for_verifying, SkipReason::NotForVerifying),
                    (unsupported_key_type, SkipReason::UnsupportedKeyType),
                    (unsupported_alg, SkipReason::UnsupportedAlg),
                    (private_key, SkipReason::PrivateKey),
                ] {
                    if *n > 0 {
                        write!(f, "; {n} skipped: {}", r.describe())?;
                    }
                }
                Ok(())
            }
            KeyError::DocumentTooLarge => write!(
                f,
                "key document is larger than {} MiB",
                limits::MAX_KEY_DOCUMENT_BYTES / (1024 * 1024)
            ),
            KeyError::NonMinimalInteger(m) => write!(
                f,
                "RSA `{m}` has a leading zero byte (RFC 7518 §6.3.1.1 requires the minimal encoding)"
            ),
            KeyError::SecretIsPublicKey => f.write_str(
                "HMAC secret is a public key (PEM, JWK or DER): refused, the key-confusion setup",
            ),
        }
    }
}

/// Why a request carries no Bearer credential (the detail of
/// [`Error::MissingToken`]; rules in [`crate::request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Absent {
    /// The request has no `Authorization` header.
    NoHeader,
    /// The header is empty (or only spaces and tabs).
    Empty,
    /// The header carries another scheme (`Basic`, `Digest`, ...).
    OtherScheme,
}

/// What is wrong with an `Authorization` header (the detail of
/// [`Error::InvalidRequest`]; rules in [`crate::request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderFault {
    /// The scheme is not an RFC 9110 token (a tab instead of the space, a
    /// control character, a quote, non-ASCII).
    BadScheme,
    /// `Bearer` with no credential after it.
    NoCredential,
    /// More than one credential: a space or comma after the first
    /// (`Bearer a b`, or two headers joined as `Bearer a, Bearer b`).
    SeveralCredentials,
    /// The credential is not `token68` (`"`, `%`, `=` before the end, CR/LF,
    /// non-ASCII).
    NotToken68,
    /// A `DPoP` header came with a `Bearer` credential
    /// ([`crate::request::authorize`]: a DPoP signal makes DPoP rules apply).
    DpopWithBearer,
}

/// Why a DPoP proof is refused (the detail of [`Error::InvalidDpopProof`];
/// the order of the checks is in [`crate::dpop`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofFault {
    /// Over the proof size limit.
    TooLarge,
    /// Not a compact JWS with JSON object header and claims.
    Malformed,
    /// The header `typ` is not exactly `dpop+jwt`.
    Typ,
    /// `alg` is absent, `none`, symmetric, unknown or not allowed for proofs.
    Alg,
    /// The header has `crit`.
    Crit,
    /// The header `jwk` is absent, not a supported public key, or does not
    /// fit `alg`.
    Jwk,
    /// The header `jwk` holds private key members (`d`, `p`, `q`, `k`, ...).
    PrivateJwk,
    /// The signature does not verify with the header `jwk`.
    Signature,
    /// `htm` is absent or not the request's method.
    Htm,
    /// `htu` is absent or not the request's URI (after normalisation).
    Htu,
    /// `iat` is absent or not a NumericDate.
    Iat,
    /// `iat` is older than the window allows.
    IatTooOld,
    /// `iat` is further in the future than the window allows.
    IatInFuture,
    /// `jti` is absent, empty, not a string or too long.
    Jti,
    /// `ath` is absent (an access token was presented) or not its hash.
    Ath,
    /// The caller's replay store has seen this `jti`.
    Replayed,
    /// The request carries more than one `DPoP` header, or an empty one.
    HeaderCount,
}

/// Why a bound token does not fit the request (the detail of
/// [`Error::TokenBindingMismatch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingFault {
    /// `cnf.jkt` is not the thumbprint of the proof's key.
    JktMismatch,
    /// A token with `cnf.jkt` came with the `Bearer` scheme or no proof
    /// (RFC 9449 §7.2).
    BoundTokenWithoutProof,
    /// `cnf.x5t#S256` is not the client certificate's thumbprint.
    CertificateMismatch,
    /// A token with `cnf.x5t#S256` came without a client certificate.
    NoCertificate,
    /// `cnf` or its member is not of the expected JSON type.
    BadCnf,
    /// The `DPoP` scheme and a valid proof came with a token that has no
    /// `cnf.jkt` (refused rather than read as a Bearer token).
    UnboundTokenWithProof,
}

/// Every refusal. Each variant has one [`ErrorCode`] and carries the values
/// that decided it (never more than a few bytes of the input).
///
/// When several checks would fail, the first in the documented order wins
/// (see the crate docs, "Refusal order").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The token is structurally broken.
    Malformed(Malformed),
    /// The token is longer than the policy's `max_token_bytes` (or the
    /// caller's scratch buffer is shorter than [`crate::scratch_len`]).
    TokenTooLarge {
        /// The token's length in bytes.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// `alg` is `none` in any casing, or a name not implemented.
    UnsupportedAlgorithm,
    /// `alg` is implemented but refused for this policy or key.
    AlgorithmNotAllowed {
        /// The token's algorithm.
        alg: Algorithm,
        /// Why.
        reason: AlgorithmRefusal,
    },
    /// The header has `crit`; no extension is implemented, so every `crit`
    /// is refused.
    UnsupportedCriticalHeader,
    /// No key has the token's `kid`, or (no `kid`) no key fits its `alg`.
    KeyNotFound {
        /// Whether the token named a `kid`.
        kid_given: bool,
    },
    /// The signature does not verify with the selected key(s).
    InvalidSignature,
    /// `exp` + leeway <= now.
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The caller's `now`.
        now: u64,
        /// The policy's leeway.
        leeway: u64,
    },
    /// `nbf` or `iat` minus leeway is after now.
    NotYetValid {
        /// `nbf` or `iat`.
        claim: Claim,
        /// Its value.
        value: u64,
        /// The caller's `now`.
        now: u64,
        /// The policy's leeway.
        leeway: u64,
    },
    /// `iss` is not the configured issuer.
    IssuerMismatch,
    /// `aud` holds none of the expected audiences.
    AudienceMismatch,
    /// The token belongs to the other lane, or is another kind of JWT.
    WrongTokenType {
        /// What gave it away.
        mark: Mark,
    },
    /// A claim the lane requires is absent.
    MissingClaim {
        /// Which.
        claim: Claim,
    },
    /// A claim has the wrong JSON type or is out of range.
    InvalidClaim {
        /// Which.
        claim: Claim,
    },
    /// A required scope is missing.
    InsufficientScope {
        /// Index, in the policy's required scopes, of the first one missing.
        missing: usize,
    },
    /// The ID token's `nonce` is not the expected one.
    NonceMismatch,
    /// The ID token's `at_hash` does not match the given access token.
    AtHashMismatch,
    /// The ID token's `auth_time` + `max_age` (+ leeway) is before now.
    AuthTooOld {
        /// The token's `auth_time`.
        auth_time: u64,
        /// The requested `max_age`.
        max_age: u64,
        /// The caller's `now`.
        now: u64,
    },
    /// The ID token's `azp` is not the client_id.
    AzpMismatch,
    /// A key could not be loaded.
    InvalidKey(KeyError),
    /// The `Authorization` header is not one well-formed Bearer credential
    /// ([`crate::request::bearer_token`]).
    InvalidRequest(HeaderFault),
    /// The request carries no Bearer credential
    /// ([`crate::request::bearer_token`]); its challenge holds no error code.
    MissingToken(Absent),
    /// The DPoP proof is refused ([`crate::dpop`]).
    InvalidDpopProof(ProofFault),
    /// The server requires a DPoP nonce and the proof lacks it or carries
    /// another.
    UseDpopNonce,
    /// The token's `cnf` binding does not fit the request.
    TokenBindingMismatch(BindingFault),
    /// The caller's replay store reported a failure.
    ReplayCheckFailed,
}

impl Error {
    /// The code string, e.g. `"wrong_token_type"`.
    pub const fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The RFC 6750 error (`invalid_token`, `insufficient_scope`, `invalid_request`).
    pub const fn rfc6750_error(&self) -> &'static str {
        self.kind().rfc6750_error()
    }

    /// The HTTP status to answer with.
    pub const fn http_status(&self) -> u16 {
        self.kind().http_status()
    }

    /// Writes the value of a `WWW-Authenticate` header (RFC 6750 §3) for this
    /// refusal, with no heap: `Bearer realm="api", error="invalid_token",
    /// error_description="token expired"`.
    ///
    /// `realm` and `scope` are optional; characters outside printable ASCII,
    /// `"` and `\` are dropped from them (RFC 6750 §3 forbids them in
    /// quoted values). For `insufficient_scope`, pass the space-separated
    /// scopes the resource needs as `scope`. The description is a fixed
    /// string per code and never echoes the token. For `missing_token` (no
    /// credentials sent) the value is only `Bearer realm="api"` (or
    /// `Bearer`): RFC 6750 §3.1 gives such a request no error information.
    pub fn write_www_authenticate<W: fmt::Write>(
        &self,
        out: &mut W,
        realm: Option<&str>,
        scope: Option<&str>,
    ) -> fmt::Result {
        write_challenge(out, self.kind(), self.description(), realm, scope, None)
    }

    /// A short fixed description of the code, safe to send to a client.
    pub const fn description(&self) -> &'static str {
        if let Error::WrongTokenType { mark } = self {
            if mark.refused_only_by_id_lane() {
                return "the token is not an ID token for this client";
            }
        }
        self.kind().description()
    }
}

/// The RFC 6750 §3 challenge: `Bearer realm="…", resource_metadata="…",
/// error="…", error_description="…"[, scope="…"]`; for `missing_token` only
/// `Bearer[ realm="…"][, resource_metadata="…"]` (§3.1: a request without
/// credentials gets no error information; RFC 9728 §5.1 for the metadata URL).
pub(crate) fn write_challenge<W: fmt::Write>(
    out: &mut W,
    code: ErrorCode,
    description: &str,
    realm: Option<&str>,
    scope: Option<&str>,
    resource_metadata: Option<&str>,
) -> fmt::Result {
    out.write_str("Bearer")?;
    let mut sep = " ";
    if let Some(realm) = realm {
        out.write_str(" realm=\"")?;
        write_quoted_safe(out, realm)?;
        out.write_str("\"")?;
        sep = ", ";
    }
    if let Some(url) = resource_metadata {
        out.write_str(sep)?;
        out.write_str("resource_metadata=\"")?;
        write_quoted_safe(out, url)?;
        out.write_str("\"")?;
        sep = ", ";
    }
    if code == ErrorCode::MissingToken {
        return Ok(());
    }
    write_error_params(out, sep, code, description, scope)
}

/// The error part of a challenge, after `sep`: `error="…",
/// error_description="…"`, and `scope="…"` for `insufficient_scope`. One
/// writer for every scheme's challenge (Bearer here, DPoP in
/// [`crate::request`]).
pub(crate) fn write_error_params<W: fmt::Write>(
    out: &mut W,
    sep: &str,
    code: ErrorCode,
    description: &str,
    scope: Option<&str>,
) -> fmt::Result {
    write!(out, "{sep}error=\"{}\"", code.rfc6750_error())?;
    write!(out, ", error_description=\"{description}\"")?;
    if code == ErrorCode::InsufficientScope {
        if let Some(scope) = scope {
            out.write_str(", scope=\"")?;
            write_quoted_safe(out, scope)?;
            out.write_str("\"")?;
        }
    }
    Ok(())
}

pub(crate) fn write_quoted_safe<W: fmt::Write>(out: &mut W, s: &str) -> fmt::Result {
    for c in s.chars() {
        if (c == ' ' || c.is_ascii_graphic()) && c != '"' && c != '\\' {
            out.write_char(c)?;
        }
    }
    Ok(())
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::InvalidKey(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(m) => match m {
                Malformed::SegmentCount => {
                    f.write_str("malformed: not exactly three base64url segments")
                }
                Malformed::EmptySegment(p) => {
                    write!(f, "malformed: the {} segment is empty", p.name())
                }
                Malformed::Base64(p) => {
                    write!(f, "malformed: the {} is not strict base64url", p.name())
                }
                Malformed::Json(p) => write!(f, "malformed: the {} is not valid JSON", p.name()),
                Malformed::NotAnObject(p) => {
                    write!(f, "malformed: the {} is not a JSON object", p.name())
                }
                Malformed::DuplicateMember(p) => {
                    write!(f, "malformed: the {} has a duplicate member", p.name())
                }
                Malformed::TooDeep(p) => {
                    write!(f, "malformed: the {} is nested too deeply", p.name())
                }
                Malformed::TooManyMembers(p) => {
                    write!(
                        f,
                        "malformed: an object in the {} has too many members",
                        p.name()
                    )
                }
                Malformed::MissingAlg => f.write_str("malformed: the header has no alg"),
                Malformed::HeaderMemberType(m) => {
                    write!(f, "malformed: header member `{m}` is not a string")
                }
            },
            Error::TokenTooLarge { len, max } => {
                write!(f, "token_too_large: {len} bytes, the limit is {max}")
            }
            Error::UnsupportedAlgorithm => {
                f.write_str("unsupported_algorithm: alg is none or not an implemented algorithm")
            }
            Error::AlgorithmNotAllowed { alg, reason } => match reason {
                AlgorithmRefusal::NotInPolicy => {
                    write!(
                        f,
                        "algorithm_not_allowed: {alg} is not in the policy's algorithms"
                    )
                }
                AlgorithmRefusal::WrongKeyFamily => {
                    write!(f, "algorithm_not_allowed: {alg} does not fit the type of the key named by kid")
                }
                AlgorithmRefusal::PinnedToOther(p) => {
                    write!(
                        f,
                        "algorithm_not_allowed: {alg} does not match the key's alg {p}"
                    )
                }
                AlgorithmRefusal::SecretTooShort => {
                    write!(
                        f,
                        "algorithm_not_allowed: the HMAC secret is shorter than {alg}'s hash"
                    )
                }
            },
            Error::UnsupportedCriticalHeader => f.write_str(
                "unsupported_critical_header: the header has crit, and no extension is implemented",
            ),
            Error::KeyNotFound { kid_given: true } => {
                f.write_str("key_not_found: no key has the token's kid")
            }
            Error::KeyNotFound { kid_given: false } => {
                f.write_str("key_not_found: the token has no kid and no key fits its alg")
            }
            Error::InvalidSignature => {
                f.write_str("invalid_signature: the signature does not verify")
            }
            Error::Expired { exp, now, leeway } => {
                write!(f, "expired: exp {exp} + leeway {leeway} <= now {now}")
            }
            Error::NotYetValid {
                claim,
                value,
                now,
                leeway,
            } => write!(
                f,
                "not_yet_valid: {} {value} - leeway {leeway} > now {now}",
                claim.name()
            ),
            Error::IssuerMismatch => {
                f.write_str("issuer_mismatch: iss is not the configured issuer")
            }
            Error::AudienceMismatch => {
                f.write_str("audience_mismatch: aud does not contain the expected audience")
            }
            Error::WrongTokenType { mark } => write!(f, "wrong_token_type: {}", mark.description()),
            Error::MissingClaim { claim } => {
                write!(f, "missing_claim: the token lacks `{}`", claim.name())
            }
            Error::InvalidClaim { claim } => write!(
                f,
                "invalid_claim: `{}` has the wrong type or is out of range",
                claim.name()
            ),
            Error::InsufficientScope { missing } => write!(
                f,
                "insufficient_scope: required scope #{missing} is not granted"
            ),
            Error::NonceMismatch => f.write_str("nonce_mismatch: nonce is not the expected one"),
            Error::AtHashMismatch => {
                f.write_str("at_hash_mismatch: at_hash does not match the access token")
            }
            Error::AuthTooOld {
                auth_time,
                max_age,
                now,
            } => write!(
                f,
                "auth_too_old: auth_time {auth_time} + max_age {max_age} < now {now}"
            ),
            Error::AzpMismatch => f.write_str("azp_mismatch: azp is not the client_id"),
            Error::InvalidKey(k) => write!(f, "invalid_key: {k}"),
            Error::InvalidRequest(fault) => write!(
                f,
                "invalid_request: the Authorization header {}",
                match fault {
                    HeaderFault::BadScheme => "has a scheme that is not a token",
                    HeaderFault::NoCredential => "has the Bearer scheme and no credential",
                    HeaderFault::SeveralCredentials => "carries more than one credential",
                    HeaderFault::NotToken68 => "carries a credential that is not token68",
                    HeaderFault::DpopWithBearer =>
                        "carries a Bearer credential and the request a DPoP header",
                }
            ),
            Error::MissingToken(absent) => write!(
                f,
                "missing_token: {}",
                match absent {
                    Absent::NoHeader => "the request has no Authorization header",
                    Absent::Empty => "the Authorization header is empty",
                    Absent::OtherScheme =>
                        "the Authorization header carries another scheme, not Bearer",
                }
            ),
            Error::InvalidDpopProof(fault) => write!(
                f,
                "invalid_dpop_proof: {}",
                match fault {
                    ProofFault::TooLarge => "the proof is larger than the limit",
                    ProofFault::Malformed => "the proof is not a well-formed JWS",
                    ProofFault::Typ => "the proof's typ is not dpop+jwt",
                    ProofFault::Alg => "the proof's alg is not an allowed asymmetric algorithm",
                    ProofFault::Crit => "the proof's header has crit",
                    ProofFault::Jwk =>
                        "the proof's jwk is absent or not a supported public key for its alg",
                    ProofFault::PrivateJwk => "the proof's jwk holds private key members",
                    ProofFault::Signature => "the proof's signature does not verify with its jwk",
                    ProofFault::Htm => "htm is not the request's method",
                    ProofFault::Htu => "htu is not the request's URI",
                    ProofFault::Iat => "iat is absent or not a NumericDate",
                    ProofFault::IatTooOld => "iat is older than the window",
                    ProofFault::IatInFuture => "iat is further in the future than the window",
                    ProofFault::Jti => "jti is absent, empty or too long",
                    ProofFault::Ath => "ath is absent or not the hash of the access token",
                    ProofFault::Replayed => "the proof's jti was seen before",
                    ProofFault::HeaderCount => "the request does not carry exactly one DPoP header",
                }
            ),
            Error::UseDpopNonce => {
                f.write_str("use_dpop_nonce: the proof lacks the server's current nonce")
            }
            Error::TokenBindingMismatch(fault) => write!(
                f,
                "token_binding_mismatch: {}",
                match fault {
                    BindingFault::JktMismatch => "cnf.jkt is not the thumbprint of the proof's key",
                    BindingFault::BoundTokenWithoutProof =>
                        "a DPoP-bound token came without the DPoP scheme and a proof",
                    BindingFault::CertificateMismatch =>
                        "cnf.x5t#S256 is not the client certificate's thumbprint",
                    BindingFault::NoCertificate =>
                        "a certificate-bound token came without a client certificate",
                    BindingFault::BadCnf => "cnf is not an object of strings",
                    BindingFault::UnboundTokenWithProof =>
                        "a DPoP proof came with a token that is not DPoP-bound",
                }
            ),
            Error::ReplayCheckFailed => {
                f.write_str("replay_check_failed: the replay store reported a failure")
            }
        }
    }
}

/// Generates [`ServerFault`] and its accessors from one list of rows: the
/// doc line, the variant, then its code string, the HTTP status a server
/// answers with and a fixed description.
macro_rules! server_fault_table {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident: $code:literal, $status:literal, $description:literal;
    )*) => {
        /// Why a token was **not judged**: a server-side fault of the
        /// network front ends (the key source, the introspection client),
        /// never a refusal of the token. The core never returns one (it does
        /// no I/O); it holds their vocabulary so that every front end (the
        /// remote crate's callers, C, Python, the CLI, a gateway) names and
        /// answers them the same way. Each is a 5xx: 503 when a server this
        /// one depends on failed, 500 for this server's own configuration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ServerFault {
            $(
                $(#[doc = $doc])*
                $variant,
            )*
        }

        impl ServerFault {
            /// Every fault, in table order.
            pub const ALL: [ServerFault; [$($status),*].len()] = [$(ServerFault::$variant),*];

            /// The code string, e.g. `"keys_unavailable"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ServerFault::$variant => $code,)*
                }
            }

            /// The HTTP status a server answers with (500 or 503).
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ServerFault::$variant => $status,)*
                }
            }

            /// A short fixed description, safe to log or send.
            pub const fn description(self) -> &'static str {
                match self {
                    $(ServerFault::$variant => $description,)*
                }
            }
        }
    };
}

server_fault_table! {
    /// No verification keys could be had from a key source (the first load
    /// failed, or the last good keys are past their stale limit and
    /// refreshing fails).
    KeysUnavailable: "keys_unavailable", 503, "no verification keys could be had from the key source";
    /// The introspection endpoint could not judge the token: down, slow, an
    /// HTTP status other than 200 (except 401/403), HTML or invalid JSON, a
    /// body over the cap.
    IntrospectionUnavailable: "introspection_unavailable", 503, "the introspection endpoint could not judge the token";
    /// The introspection endpoint refused this resource server's own
    /// credentials (HTTP 401/403 from it): a configuration fault.
    IntrospectionCredentialsRefused: "introspection_credentials_refused", 500, "the introspection endpoint refused this resource server's credentials";
}

impl ServerFault {
    /// The fault named `s`, if any.
    pub fn from_str_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for ServerFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for Error {}

impl core::error::Error for KeyError {}

#[cfg(test)]
mod server_fault_tests {
    use super::{ErrorCode, ServerFault};

    /// A server fault is never mistaken for a refusal: its name is no
    /// refusal code's, and its status is a server error.
    #[test]
    fn server_faults_are_distinct_5xx() {
        for f in ServerFault::ALL {
            assert!(ErrorCode::from_str_code(f.as_str()).is_none(), "{f}");
            assert!(matches!(f.http_status(), 500 | 503), "{f}");
            assert_eq!(ServerFault::from_str_code(f.as_str()), Some(f));
            assert!(!f.description().is_empty());
        }
        assert_eq!(ServerFault::from_str_code("expired"), None);
    }
}

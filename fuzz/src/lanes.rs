//! The validators a token goes through, each run as an application would
//! run it, and what an accepted token must satisfy.

use core::fmt::Write as _;

use tokenlane::{
    limits::DEFAULT_MAX_TOKEN_BYTES, scratch_len, verify_compact, AccessPolicy, AccessToken, Error,
    ErrorCode, IdChecks, IdPolicy, IdToken, Key, TypMode, UnixTime,
};

use crate::fixtures::{
    all_algorithms, ACCESS_TOKEN, API, CLIENT, ISSUER, LEEWAY, MAX_AGE, NONCE, NOW, SCOPE,
};

/// One configured validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// [`verify_compact`] with every algorithm: the JWS layer alone.
    Jws,
    /// Access lane, strict typ, audiences `[API, CLIENT]`.
    AccessStrict,
    /// Access lane, compat typ, audiences `[API, CLIENT]`.
    AccessCompat,
    /// Access lane, strict typ, requiring [`SCOPE`].
    AccessScoped,
    /// ID lane for [`CLIENT`], no per-login checks.
    IdClient,
    /// ID lane for [`CLIENT`] with nonce, `max_age` and `at_hash` checks.
    IdChecked,
    /// ID lane whose `client_id` is the API's audience, so an access token's
    /// `aud` passes and only the lane marks can keep it out.
    IdAsApi,
}

impl Lane {
    /// Every lane, [`Lane::Jws`] first.
    pub const ALL: [Lane; 7] = [
        Lane::Jws,
        Lane::AccessStrict,
        Lane::AccessCompat,
        Lane::AccessScoped,
        Lane::IdClient,
        Lane::IdChecked,
        Lane::IdAsApi,
    ];

    /// Whether this is an access-lane validator.
    pub fn is_access(self) -> bool {
        matches!(
            self,
            Lane::AccessStrict | Lane::AccessCompat | Lane::AccessScoped
        )
    }

    /// Whether this is an ID-lane validator.
    pub fn is_id(self) -> bool {
        matches!(self, Lane::IdClient | Lane::IdChecked | Lane::IdAsApi)
    }

    /// Validates `token` with a fresh scratch buffer filled with `fill` (two
    /// different fills prove the result never depends on stale scratch).
    /// An accepted token is checked against the policy here.
    pub fn run(self, token: &[u8], keys: &[Key], fill: u8) -> Outcome {
        let now = UnixTime::from_secs(NOW);
        let mut scratch = vec![fill; scratch_len(token.len())];
        let audiences = [API, CLIENT];
        let scopes = [SCOPE];
        let access = |mode: TypMode| {
            AccessPolicy::new(ISSUER, &audiences, all_algorithms())
                .and_then(|p| p.with_leeway(LEEWAY))
                .expect("access policy")
                .with_typ_mode(mode)
        };
        let id = |client: &'static str| {
            IdPolicy::new(ISSUER, client, all_algorithms())
                .and_then(|p| p.with_leeway(LEEWAY))
                .expect("id policy")
        };
        let none = IdChecks {
            nonce: None,
            max_age: None,
            access_token: None,
        };
        match self {
            Lane::Jws => verify_compact(
                token,
                keys,
                all_algorithms(),
                DEFAULT_MAX_TOKEN_BYTES,
                &mut scratch,
            )
            .map(|payload| Accepted {
                payload: payload.to_vec(),
                summary: String::new(),
            }),
            Lane::AccessStrict => access(TypMode::Strict)
                .validate(token, keys, now, &mut scratch)
                .map(|t| access_ok(self, &t)),
            Lane::AccessCompat => access(TypMode::Compat)
                .validate(token, keys, now, &mut scratch)
                .map(|t| access_ok(self, &t)),
            Lane::AccessScoped => access(TypMode::Strict)
                .with_required_scopes(&scopes)
                .expect("the fixed scopes are scope-tokens")
                .validate(token, keys, now, &mut scratch)
                .map(|t| access_ok(self, &t)),
            Lane::IdClient => id(CLIENT)
                .validate(token, keys, now, &none, &mut scratch)
                .map(|t| id_ok(self, CLIENT, &t)),
            Lane::IdAsApi => id(API)
                .validate(token, keys, now, &none, &mut scratch)
                .map(|t| id_ok(self, API, &t)),
            Lane::IdChecked => {
                let checks = IdChecks {
                    nonce: Some(NONCE),
                    max_age: Some(MAX_AGE),
                    access_token: Some(ACCESS_TOKEN),
                };
                id(CLIENT)
                    .validate(token, keys, now, &checks, &mut scratch)
                    .map(|t| id_ok(self, CLIENT, &t))
            }
        }
    }
}

/// What a validator said: the accepted token's payload and a rendering of
/// every accessor, or the error.
pub type Outcome = Result<Accepted, Error>;

/// An accepted token, reduced to comparable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The verified payload (`claims_json()` for the lanes).
    pub payload: Vec<u8>,
    /// Every accessor's value, rendered.
    pub summary: String,
}

fn list(l: tokenlane::StrList<'_>) -> Vec<String> {
    let v: Vec<String> = l.iter().map(str::to_owned).collect();
    assert_eq!(v.len(), l.len(), "StrList len disagrees with its iterator");
    assert_eq!(
        v.is_empty(),
        l.is_empty(),
        "StrList is_empty disagrees with len"
    );
    for s in &v {
        assert!(l.contains(s), "StrList does not contain its own item {s:?}");
    }
    v
}

fn time_ok(exp: u64, nbf: Option<u64>, iat: Option<u64>) -> bool {
    let not_before_ok = |t: Option<u64>| t.is_none_or(|t| t.saturating_sub(LEEWAY) <= NOW);
    exp.saturating_add(LEEWAY) > NOW && not_before_ok(nbf) && not_before_ok(iat)
}

fn access_ok(lane: Lane, t: &AccessToken<'_>) -> Accepted {
    let aud = list(t.aud());
    let scopes = list(t.scopes());
    // Soundness: what the policy demanded holds for what it accepted.
    assert_eq!(t.iss(), ISSUER, "{lane:?} accepted another issuer");
    assert!(
        aud.iter().any(|a| a == API || a == CLIENT),
        "{lane:?} accepted aud {aud:?}"
    );
    assert!(
        time_ok(t.exp(), t.nbf(), t.iat()),
        "{lane:?} accepted exp/nbf/iat outside now±leeway"
    );
    if lane != Lane::AccessCompat {
        assert!(
            t.sub().is_some() && t.client_id().is_some() && t.jti().is_some() && t.iat().is_some()
        );
    }
    if lane == Lane::AccessScoped {
        assert!(
            t.has_scope(SCOPE),
            "{lane:?} accepted a token without {SCOPE}"
        );
        assert!(scopes.iter().any(|s| s == SCOPE));
    }
    let mut summary = String::new();
    write!(
        summary,
        "alg={} iss={} sub={:?} client_id={:?} jti={:?} aud={aud:?} scopes={scopes:?} exp={} iat={:?} nbf={:?}",
        t.alg().map_or("", |a| a.name()),
        t.iss(),
        t.sub(),
        t.client_id(),
        t.jti(),
        t.exp(),
        t.iat(),
        t.nbf()
    )
    .expect("write to String");
    Accepted {
        payload: t.claims_json().as_bytes().to_vec(),
        summary,
    }
}

fn id_ok(lane: Lane, client: &str, t: &IdToken<'_>) -> Accepted {
    let aud = list(t.aud());
    assert_eq!(t.iss(), ISSUER, "{lane:?} accepted another issuer");
    assert!(
        aud.iter().any(|a| a == client),
        "{lane:?} accepted aud {aud:?} for {client}"
    );
    assert!(
        time_ok(t.exp(), None, Some(t.iat())),
        "{lane:?} accepted exp/iat outside now±leeway"
    );
    if let Some(azp) = t.azp() {
        assert_eq!(azp, client, "{lane:?} accepted azp {azp:?}");
    }
    if lane == Lane::IdChecked {
        assert_eq!(t.nonce(), Some(NONCE), "{lane:?} accepted another nonce");
        let auth = t.auth_time().expect("max_age given: auth_time required");
        assert!(
            auth.saturating_add(MAX_AGE).saturating_add(LEEWAY) >= NOW,
            "{lane:?} accepted an old login"
        );
    }
    let mut summary = String::new();
    write!(
        summary,
        "iss={} sub={} aud={aud:?} exp={} iat={} auth_time={:?} nonce={:?} azp={:?} name={:?} email={:?}",
        t.iss(),
        t.sub(),
        t.exp(),
        t.iat(),
        t.auth_time(),
        t.nonce(),
        t.azp(),
        t.name(),
        t.email()
    )
    .expect("write to String");
    Accepted {
        payload: t.claims_json().as_bytes().to_vec(),
        summary,
    }
}

/// Every error, whatever produced it: its code is one of
/// [`ErrorCode::ALL`], the table agrees with itself both ways, and its
/// messages are one printable line (safe to log, no input echoed raw).
pub fn check_error(e: &Error) {
    let code = e.code();
    let kind = e.kind();
    assert!(
        ErrorCode::ALL.iter().any(|c| c.as_str() == code),
        "code {code:?} is not in ErrorCode::ALL"
    );
    assert_eq!(kind.as_str(), code);
    assert_eq!(ErrorCode::from_str_code(code), Some(kind));
    assert_eq!(ErrorCode::from_number(kind.number()), Some(kind));
    assert_eq!(e.rfc6750_error(), kind.rfc6750_error());
    assert_eq!(e.http_status(), kind.http_status());
    // 400/401/403 for a token; 500 only for invalid_key (a server-side
    // configuration fault, never a token's fault).
    let status_ok = match e.http_status() {
        400 | 401 | 403 => code != "invalid_key",
        500 => code == "invalid_key",
        _ => false,
    };
    assert!(status_ok, "{code}: status {}", e.http_status());
    // missing_token (no credentials sent) has no RFC 6750 error (§3.1).
    assert!(matches!(
        (code, e.rfc6750_error()),
        (
            _,
            "invalid_request" | "invalid_token" | "insufficient_scope"
        ) | ("missing_token", "")
    ));
    let message = e.to_string();
    assert!(!message.is_empty(), "{code}: empty Display");
    assert!(
        !message.chars().any(char::is_control),
        "{code}: Display has a control character: {message:?}"
    );
    assert!(!e.description().is_empty(), "{code}: empty description");
    let mut header = String::new();
    e.write_www_authenticate(&mut header, Some("api"), Some(SCOPE))
        .expect("WWW-Authenticate into a String");
    assert!(
        header.starts_with("Bearer"),
        "{code}: WWW-Authenticate {header:?}"
    );
    assert!(
        !header.chars().any(char::is_control),
        "{code}: WWW-Authenticate has a control character"
    );
}

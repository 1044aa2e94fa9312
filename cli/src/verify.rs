//! `tokenlane verify`: run the core's access-token or ID-token lane on one
//! token and answer with the verdict, an exit status per error code, and the
//! HTTP status and `WWW-Authenticate` header an API would send.
//!
//! The CLI decides nothing itself: it loads keys and builds a policy with
//! the core's API, and prints what the core returns. It never prints key
//! material or secrets (key errors name the file and the core's reason).

use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use tokenlane::{limits, untrusted};
use tokenlane::{
    route_access_token, AccessPath, AccessPolicy, AccessToken, Algorithm, AlgorithmSet, Error,
    ErrorCode, IdChecks, IdPolicy, IdToken, Key, KeySet, Route, TypMode, UnixTime,
};
use tokenlane_remote::{
    IntrospectionError, IntrospectionOptions, Introspector, KeySource, KeySourceOptions,
    ValidationError,
};

use crate::remote::{self, AuthMethod};

use crate::escape::quoted;
use crate::input::{read_file, read_text, read_token, token_from_stdin, Failure};
use crate::json::Object;
use crate::style::Style;
use crate::timefmt::{relative, rfc3339};
use crate::{escape, exit, timefmt};

/// Arguments of `tokenlane verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The token; `-` or absent reads it from standard input.
    pub(crate) token: Option<String>,

    /// A JWKS file (`-` for standard input). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) jwks: Vec<String>,

    /// A public key as SPKI PEM ("BEGIN PUBLIC KEY"): RSA, EC (P-256,
    /// P-384, P-521) or Ed25519. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) pem: Vec<String>,

    /// A public key as SPKI DER. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) der: Vec<String>,

    /// An HMAC secret: the file's bytes exactly (a trailing newline is part
    /// of the secret). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Vec<String>,

    /// The kid given to keys from --pem, --der and --secret-file (a token that names
    /// a kid only matches keys with that kid).
    #[arg(long, value_name = "KID")]
    pub(crate) kid: Option<String>,

    /// The expected issuer (exact match). Default with --issuer-url: that URL.
    #[arg(long, value_name = "ISS", required_unless_present = "issuer_url")]
    pub(crate) issuer: Option<String>,

    /// Discover the issuer's metadata (OpenID Connect, then RFC 8414; its
    /// `issuer` must equal this URL exactly) and fetch its keys from
    /// `jwks_uri`. https only; plain http only to a loopback IP literal.
    #[arg(long, value_name = "URL", conflicts_with_all = ["jwks", "pem", "der", "secret_file"])]
    pub(crate) issuer_url: Option<String>,

    /// Extra trusted CA certificates (PEM) for --issuer-url and --introspect.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_bundle: Option<String>,

    /// Validate opaque access tokens by RFC 7662 introspection. `--introspect`
    /// alone takes the endpoint from --issuer-url's metadata;
    /// `--introspect=URL` names it. The default --access-path is then
    /// `both`: a JWT is validated locally, anything else introspected.
    #[arg(long, value_name = "URL", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub(crate) introspect: Option<String>,

    /// Which path an access token takes: jwt-only (the default without
    /// --introspect), introspection-only, or both (the default with it).
    #[arg(long, value_enum, value_name = "PATH")]
    pub(crate) access_path: Option<PathArg>,

    /// How --introspect authenticates as the resource server.
    #[arg(
        long,
        value_enum,
        value_name = "METHOD",
        default_value = "client_secret_basic"
    )]
    pub(crate) client_auth: AuthMethod,

    /// The resource server's secret for --introspect: the file's text (one
    /// trailing newline removed). Without it: --client-secret-env, else the
    /// TOKENLANE_CLIENT_SECRET variable. Never taken on the command line.
    #[arg(long, value_name = "FILE")]
    pub(crate) client_secret_file: Option<String>,

    /// The environment variable holding the resource server's secret.
    #[arg(long, value_name = "VAR")]
    pub(crate) client_secret_env: Option<String>,

    /// A DPoP proof (RFC 9449) for this request: the token is then sent
    /// with the DPoP scheme and the request is decided by the core's
    /// request::authorize (needs --method and --url).
    #[arg(long, value_name = "PROOF", requires_all = ["method", "url"])]
    pub(crate) dpop: Option<String>,

    /// The request's HTTP method (request mode: compared with a proof's htm).
    #[arg(long, value_name = "M", requires = "url")]
    pub(crate) method: Option<String>,

    /// The request's absolute URL (request mode: compared with a proof's htu).
    #[arg(long, value_name = "U", requires = "method")]
    pub(crate) url: Option<String>,

    /// The client certificate's SHA-256 (RFC 8705), base64url (43
    /// characters) or hex (64): checked against the token's cnf.x5t#S256.
    #[arg(long, value_name = "SHA256", requires = "method")]
    pub(crate) cert_thumbprint: Option<String>,

    /// A file of DPoP proofs already seen (request mode): a proof whose
    /// jti is in it is a replay; an accepted proof's jti is added. Entries
    /// older than the proof window are dropped.
    #[arg(long, value_name = "FILE", requires = "dpop")]
    pub(crate) dpop_replay_file: Option<String>,

    /// An audience this API accepts (access lane). Repeatable.
    #[arg(long, value_name = "AUD")]
    pub(crate) audience: Vec<String>,

    /// A scope the token must grant (access lane). Repeatable.
    #[arg(long, value_name = "SCOPE")]
    pub(crate) scope: Vec<String>,

    /// An allowed algorithm. Repeatable. Default: every algorithm that fits
    /// the loaded keys (never none). The names come from the core's table.
    #[arg(long, value_name = "ALG", help = alg_help())]
    pub(crate) alg: Vec<String>,

    /// Clock-skew leeway in seconds (at most the core's
    /// `tokenlane::time::MAX_LEEWAY_SECS`, shown in the help text).
    #[arg(long, value_name = "SECS", default_value_t = 0, help = leeway_help())]
    pub(crate) leeway: u64,

    /// Access lane: also accept a header typ that is absent or JWT (for
    /// identity providers that do not send at+jwt). ID-token marks are still
    /// refused.
    #[arg(long)]
    pub(crate) compat: bool,

    /// Validate an ID token (the client app's lane) instead of an access token.
    #[arg(long, requires = "client_id")]
    pub(crate) id_token: bool,

    /// The client's client_id (ID-token lane), or the resource server's
    /// client_id for --introspect.
    #[arg(long, value_name = "C")]
    pub(crate) client_id: Option<String>,

    /// The nonce the client sent with the login (ID-token lane).
    #[arg(long, value_name = "N", requires = "id_token")]
    pub(crate) nonce: Option<String>,

    /// The max_age the client asked for, in seconds (ID-token lane).
    #[arg(long, value_name = "SECS", requires = "id_token")]
    pub(crate) max_age: Option<u64>,

    /// The access token issued with the ID token, to check at_hash.
    #[arg(long, value_name = "TOKEN", requires = "id_token")]
    pub(crate) access_token: Option<String>,

    /// The token size limit in bytes (the core's default and maximum, from
    /// `tokenlane::limits`, are in the help text).
    #[arg(long, value_name = "BYTES", help = max_token_bytes_help())]
    pub(crate) max_token_bytes: Option<usize>,

    /// The time to validate at: Unix seconds or 2026-01-01T00:00:00Z.
    /// Default: the system clock.
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_now)]
    pub(crate) now: Option<u64>,

    /// The realm to put in the WWW-Authenticate header.
    #[arg(long, value_name = "REALM")]
    pub(crate) realm: Option<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `--max-token-bytes`'s help, from the core's named limits.
fn max_token_bytes_help() -> String {
    format!(
        "The token size limit in bytes (default {}, at most {})",
        limits::DEFAULT_MAX_TOKEN_BYTES,
        limits::MAX_TOKEN_BYTES_LIMIT
    )
}

/// `--leeway`'s help, from the core's named limit.
fn leeway_help() -> String {
    format!(
        "Clock-skew leeway in seconds (at most {})",
        tokenlane::time::MAX_LEEWAY_SECS
    )
}

/// Loads every key source the flags name.
pub(crate) fn load_keys(a: &VerifyArgs) -> Result<KeySet, Failure> {
    if a.jwks.is_empty() && a.pem.is_empty() && a.der.is_empty() && a.secret_file.is_empty() {
        return Err(Failure::Usage(
            "no keys: give --jwks, --pem, --der or --secret-file".to_owned(),
        ));
    }
    let stdin_uses = a.jwks.iter().filter(|p| *p == "-").count()
        + usize::from(token_from_stdin(a.token.as_deref()));
    if stdin_uses > 1 {
        return Err(Failure::Usage(
            "standard input can feed only one of --jwks - and the token".to_owned(),
        ));
    }
    let kid = a.kid.as_deref();
    let mut keys = KeySet::new();
    let config =
        |what: &str, e: tokenlane::KeyError| Failure::Config(format!("{what}: invalid_key: {e}"));
    for path in &a.jwks {
        let doc = read_file(path)?;
        let set = KeySet::from_jwks(&doc).map_err(|e| config(path, e))?;
        for s in set.skipped() {
            eprintln!(
                "tokenlane: note: {path}: key #{} skipped: {}",
                s.index,
                s.reason.describe()
            );
        }
        keys.extend(set).map_err(|e| config(path, e))?;
    }
    for path in &a.pem {
        let pem = read_text(path)?;
        let set = KeySet::from_spki_pem(&pem, kid, None).map_err(|e| config(path, e))?;
        keys.extend(set).map_err(|e| config(path, e))?;
    }
    for path in &a.der {
        let der = read_file(path)?;
        let set = KeySet::from_spki_der(&der, kid, None).map_err(|e| config(path, e))?;
        keys.extend(set).map_err(|e| config(path, e))?;
    }
    for path in &a.secret_file {
        let secret = read_file(path)?;
        if secret.last() == Some(&b'\n') {
            eprintln!("tokenlane: note: {path} ends with a newline, which is part of the secret");
        }
        let set = KeySet::from_secret(&secret, kid, None).map_err(|e| config(path, e))?;
        keys.extend(set).map_err(|e| config(path, e))?;
    }
    Ok(keys)
}

/// `--alg`'s help: the JWA names of the core's algorithm table, so a new
/// row (ES384, ES512, EdDSA, Ed25519 in issue 20) is listed without an edit here.
fn alg_help() -> String {
    let names: Vec<&str> = Algorithm::ALL
        .iter()
        .filter(|a| a.is_implemented())
        .map(|a| a.name())
        .collect();
    format!(
        "An allowed algorithm ({}; case-sensitive). Repeatable. Default: every algorithm that fits the loaded keys (never none)",
        names.join(", ")
    )
}

/// The algorithms: the `--alg` flags, or every algorithm that fits a key.
pub(crate) fn algorithms(names: &[String], keys: &[Key]) -> Result<AlgorithmSet, Failure> {
    if names.is_empty() {
        let set: AlgorithmSet = Algorithm::ALL
            .into_iter()
            .filter(|alg| keys.iter().any(|k| k.fits(*alg).is_ok()))
            .collect();
        return Ok(set);
    }
    let mut set = AlgorithmSet::from_slice(&[]);
    for name in names {
        if name.eq_ignore_ascii_case("none") {
            return Err(Failure::Usage(
                "--alg none: unsigned tokens are never accepted".to_owned(),
            ));
        }
        let alg = Algorithm::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
            Failure::Usage(format!(
                "--alg {name}: not an algorithm tokenlane implements ({})",
                known.join(", ")
            ))
        })?;
        set = set.with(alg);
    }
    Ok(set)
}

/// The value of the `WWW-Authenticate` header an API would send.
pub(crate) fn www_authenticate(e: &Error, realm: Option<&str>, scopes: &[String]) -> String {
    let mut s = String::new();
    let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
    // Writing to a String cannot fail.
    let _ = e.write_www_authenticate(&mut s, realm, scope.as_deref());
    s
}

/// The core's message, plus the scope's name for `insufficient_scope`.
pub(crate) fn message(e: &Error, scopes: &[String]) -> String {
    match e {
        Error::InsufficientScope { missing } => match scopes.get(*missing) {
            Some(s) => format!("{e} ({})", quoted(s)),
            None => e.to_string(),
        },
        Error::Expired { exp, now, .. } => {
            format!("{e} (exp {}, {})", rfc3339(*exp), relative(*exp, *now))
        }
        Error::NotYetValid {
            claim, value, now, ..
        } => {
            format!(
                "{e} ({} {}, {})",
                claim.name(),
                rfc3339(*value),
                relative(*value, *now)
            )
        }
        Error::AuthTooOld { auth_time, now, .. } => {
            format!(
                "{e} (logged in {}, {})",
                rfc3339(*auth_time),
                relative(*auth_time, *now)
            )
        }
        _ => e.to_string(),
    }
}

/// The refusal as the `--json` error object.
pub(crate) fn error_json(e: &Error, realm: Option<&str>, scopes: &[String]) -> Value {
    json!({
        "code": e.code(),
        "number": e.kind().number(),
        "message": message(e, scopes),
        "rfc6750_error": e.rfc6750_error(),
        "http_status": e.http_status(),
        "www_authenticate": www_authenticate(e, realm, scopes),
    })
}

fn list(l: tokenlane::StrList<'_>) -> Vec<String> {
    l.iter().map(str::to_owned).collect()
}

fn claims_value(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}

/// An accepted access token as JSON.
pub(crate) fn access_json(t: &AccessToken<'_>) -> Object {
    Object::of(vec![
        ("valid", json!(true)),
        ("lane", json!("access")),
        ("sub", json!(t.sub())),
        ("client_id", json!(t.client_id())),
        ("scopes", json!(list(t.scopes()))),
        ("aud", json!(list(t.aud()))),
        ("exp", json!(t.exp())),
        ("iat", json!(t.iat())),
        ("nbf", json!(t.nbf())),
        ("iss", json!(t.iss())),
        ("jti", json!(t.jti())),
        ("alg", json!(t.alg().map(|a| a.name()))),
        ("claims", claims_value(t.claims_json())),
    ])
}

/// An accepted ID token as JSON (no scopes: the ID lane has no scope API).
pub(crate) fn id_json(t: &IdToken<'_>) -> Object {
    Object::of(vec![
        ("valid", json!(true)),
        ("lane", json!("id")),
        ("sub", json!(t.sub())),
        ("aud", json!(list(t.aud()))),
        ("azp", json!(t.azp())),
        ("exp", json!(t.exp())),
        ("iat", json!(t.iat())),
        ("auth_time", json!(t.auth_time())),
        ("nonce", json!(t.nonce())),
        ("iss", json!(t.iss())),
        ("name", json!(t.name())),
        ("email", json!(t.email())),
        ("claims", claims_value(t.claims_json())),
    ])
}

/// A refusal as JSON.
pub(crate) fn refused_json(
    lane: &str,
    e: &Error,
    realm: Option<&str>,
    scopes: &[String],
) -> Object {
    Object::of(vec![
        ("valid", json!(false)),
        ("lane", json!(lane)),
        ("error", error_json(e, realm, scopes)),
    ])
}

/// A hint for `key_not_found` when the token names a kid that no loaded key has.
fn kid_hint(token: &str, keys: &[Key]) -> Option<String> {
    let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
    let view = untrusted::decode(
        token.as_bytes(),
        limits::MAX_TOKEN_BYTES_LIMIT,
        &mut scratch,
    )
    .ok()?;
    let kid = view.kid()?;
    let kids: Vec<String> = keys.iter().filter_map(|k| k.kid()).map(quoted).collect();
    let have = if kids.is_empty() {
        "none of the loaded keys has a kid".to_owned()
    } else {
        format!("the loaded keys have kid {}", kids.join(", "))
    };
    Some(format!(
        "the token names kid {}; {have} (keys from --pem/--der/--secret-file get one with --kid)",
        quoted(kid)
    ))
}

/// Which validation path an access token may take (`--access-path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PathArg {
    /// Local JWT validation only.
    JwtOnly,
    /// Introspection only (a JWT too).
    IntrospectionOnly,
    /// A JWT locally, anything else introspected (the core's routing).
    Both,
}

/// Where the verification keys come from.
enum KeysFrom {
    /// `--jwks`, `--pem`, `--der`, `--secret-file`.
    Local(KeySet),
    /// `--issuer-url`: discovered and fetched.
    Remote(KeySource),
}

fn checks(a: &VerifyArgs) -> Result<(), Failure> {
    let usage = |m: &str| Err(Failure::Usage(m.to_owned()));
    let request_mode = a.method.is_some();
    if a.id_token {
        if !a.audience.is_empty() {
            return usage(
                "--audience is for access tokens; an ID token's aud is checked against --client-id",
            );
        }
        if !a.scope.is_empty() {
            return usage("--scope is for access tokens; ID tokens grant no scopes");
        }
        if a.compat {
            return usage("--compat is for access tokens");
        }
        if a.introspect.is_some() || a.access_path.is_some() {
            return usage("--introspect and --access-path are for access tokens");
        }
        if request_mode {
            return usage("--dpop, --method and --url are for access tokens");
        }
    } else if a.audience.is_empty() {
        return usage(
            "--audience is required for an access token (or pass --id-token --client-id C)",
        );
    }
    if a.client_id.is_some() && !a.id_token && a.introspect.is_none() {
        return usage(
            "--client-id needs --id-token (the client app) or --introspect (the resource server)",
        );
    }
    if a.introspect.is_some() && a.client_id.is_none() {
        return usage("--introspect needs --client-id (the resource server's client_id)");
    }
    if request_mode && (a.introspect.is_some() || a.access_path.is_some()) {
        return usage(
            "--dpop/--method/--url decide a request with a JWT access token; they do not combine with --introspect",
        );
    }
    if a.access_path.is_some_and(|p| p != PathArg::JwtOnly) && a.introspect.is_none() {
        return usage("--access-path introspection-only/both needs --introspect");
    }
    Ok(())
}

fn keys_from(a: &VerifyArgs) -> Result<KeysFrom, Failure> {
    match &a.issuer_url {
        Some(url) => {
            let options = KeySourceOptions {
                http: remote::http_options(a.ca_bundle.as_deref())?,
                inline_refresh: true,
                ..KeySourceOptions::default()
            };
            KeySource::from_issuer(url, options)
                .map(KeysFrom::Remote)
                .map_err(|e| Failure::Usage(format!("--issuer-url {}: {e}", escape::text(url))))
        }
        None => load_keys(a).map(KeysFrom::Local),
    }
}

/// The refusal or the failure of a key source's validation.
fn remote_validation(e: ValidationError) -> Result<Error, Failure> {
    match e {
        ValidationError::Token(e) => Ok(e),
        ValidationError::KeysUnavailable(e) => Err(remote::unavailable("keys", &e)),
    }
}

/// Runs `verify`; returns the exit status.
pub(crate) fn run(a: &VerifyArgs, style: Style) -> Result<u8, Failure> {
    checks(a)?;
    let issuer = a
        .issuer
        .as_deref()
        .or(a.issuer_url.as_deref())
        .unwrap_or_default();
    let token = read_token(a.token.as_deref())?;
    let now = a.now.unwrap_or_else(|| UnixTime::now().as_secs());
    let policy_err = |e: tokenlane::PolicyError| Failure::Config(format!("policy: {e}"));
    let realm = a.realm.as_deref();
    let lane = if a.id_token { "id" } else { "access" };

    let path = match (a.access_path, a.introspect.is_some()) {
        (Some(PathArg::JwtOnly), _) | (None, false) => AccessPath::JwtOnly,
        (Some(PathArg::IntrospectionOnly), _) => AccessPath::IntrospectionOnly,
        (Some(PathArg::Both), _) | (None, true) => AccessPath::Both,
    };
    let typ = if a.compat {
        TypMode::Compat
    } else {
        TypMode::Strict
    };
    let access_policy = |algs: AlgorithmSet| -> Result<AccessPolicy<'_, String>, Failure> {
        let mut policy = AccessPolicy::new(issuer, &a.audience, algs)
            .map_err(policy_err)?
            .with_required_scopes(&a.scope)
            .map_err(policy_err)?
            .with_typ_mode(typ)
            .with_leeway(a.leeway)
            .map_err(policy_err)?;
        if let Some(n) = a.max_token_bytes {
            policy = policy.with_max_token_bytes(n).map_err(policy_err)?;
        }
        Ok(policy)
    };

    // The path (access lane): introspection never needs keys.
    let route = if a.id_token {
        Route::Local
    } else {
        let max = access_policy(AlgorithmSet::from_slice(&[Algorithm::ES256]))?.max_token_bytes();
        let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
        match route_access_token(token.as_bytes(), path, max, &mut scratch) {
            Ok(r) => r,
            Err(e) => return Ok(refused(a, lane, realm, &e, None, None, style)),
        }
    };

    let mut binding = None;
    let mut hint = None;
    let mut challenge = None;
    let result: Result<Object, Error> = if route == Route::Introspect {
        let http = remote::http_options(a.ca_bundle.as_deref())?;
        let endpoint = remote::introspection_endpoint(
            a.introspect.as_deref().filter(|u| !u.is_empty()),
            a.issuer_url.as_deref(),
            &http,
        )?;
        let secret = remote::client_secret(
            a.client_secret_file.as_deref(),
            a.client_secret_env.as_deref(),
        )?;
        let client_id = a.client_id.clone().unwrap_or_default();
        let mut options =
            IntrospectionOptions::new(remote::client_auth(a.client_auth, client_id, secret));
        options.http = http;
        let introspector = Introspector::new(&endpoint, options).map_err(|e| {
            Failure::Usage(format!("--introspect {}: {e}", escape::text(&endpoint)))
        })?;
        // Introspection has no signature: the algorithm set is not read.
        let policy = access_policy(AlgorithmSet::from_slice(&[Algorithm::ES256]))?;
        let mut buf = Vec::new();
        match introspector.validate(&policy, &token, UnixTime::from_secs(now), &mut buf) {
            Ok(t) => Ok(with_path(access_json(&t), "introspection")),
            Err(IntrospectionError::Token(e)) => Err(e),
            Err(IntrospectionError::Endpoint(e)) => {
                return Err(remote::unavailable("introspection endpoint", &e))
            }
        }
    } else {
        let keys = keys_from(a)?;
        let current = match &keys {
            KeysFrom::Local(_) => None,
            KeysFrom::Remote(source) => Some(
                source
                    .keys(UnixTime::from_secs(now))
                    .map_err(|e| remote::unavailable("keys", &e))?,
            ),
        };
        let key_slice: &[Key] = match (&keys, &current) {
            (KeysFrom::Local(set), _) => set,
            (KeysFrom::Remote(_), Some(k)) => k,
            (KeysFrom::Remote(_), None) => &[],
        };
        let algs = algorithms(&a.alg, key_slice)?;
        let at = UnixTime::from_secs(now);
        let r = if a.id_token {
            let client = a.client_id.as_deref().unwrap_or_default();
            let mut policy = IdPolicy::new(issuer, client, algs)
                .map_err(policy_err)?
                .with_leeway(a.leeway)
                .map_err(policy_err)?;
            if let Some(n) = a.max_token_bytes {
                policy = policy.with_max_token_bytes(n).map_err(policy_err)?;
            }
            let checks = IdChecks {
                nonce: a.nonce.as_deref(),
                max_age: a.max_age,
                access_token: a.access_token.as_deref().map(str::as_bytes),
            };
            match &keys {
                KeysFrom::Local(set) => {
                    let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
                    policy
                        .validate(token.as_bytes(), set, at, &checks, &mut scratch)
                        .map(|t| id_json(&t))
                }
                KeysFrom::Remote(source) => {
                    let mut scratch = vec![0u8; tokenlane_remote::scratch_len(token.len())];
                    match source.validate_id(&policy, token.as_bytes(), at, &checks, &mut scratch) {
                        Ok(t) => Ok(id_json(&t)),
                        Err(e) => Err(remote_validation(e)?),
                    }
                }
            }
        } else {
            let policy = access_policy(algs)?;
            if a.method.is_some() {
                match crate::request::decide(a, &policy, key_slice, &token, at)? {
                    Ok((json, b)) => {
                        binding = Some(b);
                        Ok(json)
                    }
                    Err((e, c)) => {
                        challenge = Some(c);
                        Err(e)
                    }
                }
            } else {
                match &keys {
                    KeysFrom::Local(set) => {
                        let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
                        policy
                            .validate(token.as_bytes(), set, at, &mut scratch)
                            .map(|t| with_path(access_json(&t), "local"))
                    }
                    KeysFrom::Remote(source) => {
                        let mut scratch = vec![0u8; tokenlane_remote::scratch_len(token.len())];
                        match source.validate_access(&policy, token.as_bytes(), at, &mut scratch) {
                            Ok(t) => Ok(with_path(access_json(&t), "local")),
                            Err(e) => Err(remote_validation(e)?),
                        }
                    }
                }
            }
        };
        if let Err(e) = &r {
            if e.kind() == ErrorCode::KeyNotFound {
                hint = kid_hint(&token, key_slice);
            }
        }
        r
    };
    match result {
        Ok(v) => {
            if a.json {
                println!("{}", escape::json(&v.to_json()));
            } else {
                print!("{}", accepted_text(&v, now, style));
                if let Some(b) = binding {
                    print!("{}", crate::request::binding_text(&b));
                }
            }
            Ok(exit::OK)
        }
        Err(e) => Ok(refused(
            a,
            lane,
            realm,
            &e,
            hint.as_deref(),
            challenge,
            style,
        )),
    }
}

/// Adds how the token was validated (`local` or `introspection`) to its JSON.
fn with_path(mut o: Object, path: &str) -> Object {
    o.members.insert(2, ("path".to_owned(), json!(path)));
    o
}

/// Prints a refusal; returns its exit status.
fn refused(
    a: &VerifyArgs,
    lane: &str,
    realm: Option<&str>,
    e: &Error,
    hint: Option<&str>,
    challenge: Option<String>,
    style: Style,
) -> u8 {
    let challenge = challenge.unwrap_or_else(|| www_authenticate(e, realm, &a.scope));
    if a.json {
        let mut v = refused_json(lane, e, realm, &a.scope);
        if let Some(Value::Object(err)) = v
            .members
            .iter_mut()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v)
        {
            err.insert("www_authenticate".to_owned(), json!(challenge));
        }
        println!("{}", escape::json(&v.to_json()));
    } else {
        println!(
            "{} {}",
            style.bad(&format!("refused ({lane} lane):")),
            message(e, &a.scope)
        );
        if let Some(h) = hint {
            println!("  hint: {h}");
        }
        println!("  an API answers: HTTP {}", e.http_status());
        println!("  WWW-Authenticate: {challenge}");
    }
    exit::for_error(e)
}
/// The text for an accepted token (from its JSON form).
fn accepted_text(v: &Object, now: u64, style: Style) -> String {
    let lane = v.get("lane").and_then(Value::as_str).unwrap_or_default();
    let title = if lane == "id" {
        "valid ID token"
    } else {
        "valid access token"
    };
    let mut o = format!("{}\n", style.good(title));
    let show = |v: &Value| -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(escape::text(s).into_owned()),
            Value::Array(a) => Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(escape::text)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            other => Some(escape::json(&other.to_string()).into_owned()),
        }
    };
    let fields: &[&str] = if lane == "id" {
        &[
            "sub",
            "name",
            "email",
            "iss",
            "aud",
            "azp",
            "nonce",
            "auth_time",
            "iat",
            "exp",
        ]
    } else {
        &[
            "sub",
            "client_id",
            "scopes",
            "iss",
            "aud",
            "jti",
            "iat",
            "exp",
        ]
    };
    for f in fields {
        if let Some(text) = v.get(f).and_then(show) {
            let text = match v.get(f).and_then(Value::as_u64) {
                Some(t) if matches!(*f, "exp" | "iat" | "auth_time") => {
                    format!("{t} = {} ({})", rfc3339(t), relative(t, now))
                }
                _ => text,
            };
            o.push_str(&format!("  {f:<10} {text}\n"));
        }
    }
    o
}

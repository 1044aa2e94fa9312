//! The network front ends: keys from an issuer or a `jwks_uri` through
//! [`tokenlane_remote::KeySource`] (`verify --issuer-url`, `keys`), and
//! RFC 7662 introspection through [`tokenlane_remote::Introspector`]
//! (`verify --introspect`). The remote crate fetches and the core decides;
//! this module only builds them from flags and prints what they report.

use std::sync::{Arc, Mutex};

use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use tokenlane::{Key, KeyFamily, UnixTime};
use tokenlane_remote::{
    discovery, ClientAuth, Event, HttpOptions, HttpPost, HttpRequest, HttpResponse, HttpTransport,
    KeySource, KeySourceOptions, Metadata, RemoteError, Transport, TransportError, WellKnown,
};

use crate::escape;
use crate::input::{read_file, Failure};
use crate::json::Object;
use crate::{exit, timefmt};

/// The environment variable read for the resource server's client secret
/// when neither `--client-secret-file` nor `--client-secret-env` is given.
pub(crate) const DEFAULT_SECRET_ENV: &str = "TOKENLANE_CLIENT_SECRET";

/// The HTTP options the flags choose: the remote crate's defaults (https;
/// plain http only to loopback IP literals), plus a CA bundle.
pub(crate) fn http_options(ca_bundle: Option<&str>) -> Result<HttpOptions, Failure> {
    let mut http = HttpOptions::default();
    if let Some(path) = ca_bundle {
        http.ca_bundle_pem = Some(read_file(path)?);
    }
    Ok(http)
}

/// A remote failure as the CLI's message: the token was not judged.
pub(crate) fn unavailable(what: &str, e: &RemoteError) -> Failure {
    Failure::Remote(format!("{what}: {}", escape::text(&e.to_string())))
}

/// A transport that records the last GET's response headers and body for
/// display (`keys`), passing every request to the production transport.
/// The rules (URLs, redirects, statuses, size) stay the remote crate's.
struct Recording {
    inner: HttpTransport,
    last: Mutex<Option<(String, HttpResponse)>>,
}

impl Transport for Recording {
    fn get(&self, request: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        let response = self.inner.get(request)?;
        if let Ok(mut last) = self.last.lock() {
            *last = Some((request.url.to_owned(), response.clone()));
        }
        Ok(response)
    }

    fn post(&self, request: &HttpPost<'_>) -> Result<HttpResponse, TransportError> {
        self.inner.post(request)
    }
}

/// Arguments of `tokenlane keys`.
#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    /// The issuer URL (discovered: OpenID Connect, then RFC 8414), or with
    /// --jwks-uri the key set's URL itself.
    url: String,
    /// URL is a jwks_uri, not an issuer.
    #[arg(long)]
    jwks_uri: bool,
    /// Extra trusted CA certificates (PEM) for https.
    #[arg(long, value_name = "FILE")]
    ca_bundle: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `kty` and `crv` of a loaded key, from its family.
fn kty_crv(family: KeyFamily) -> (&'static str, Option<&'static str>) {
    match family {
        KeyFamily::Rsa => ("RSA", None),
        KeyFamily::P256 => ("EC", Some("P-256")),
        KeyFamily::P384 => ("EC", Some("P-384")),
        KeyFamily::P521 => ("EC", Some("P-521")),
        KeyFamily::Ed25519 => ("OKP", Some("Ed25519")),
        KeyFamily::Hmac => ("oct", None),
    }
}

/// One loaded key as JSON: kid, kty, crv, the JWK's `alg` pin (if any) and
/// the algorithms it verifies.
pub(crate) fn key_json(k: &Key) -> Value {
    let (kty, crv) = kty_crv(k.family());
    let algs: Vec<&str> = tokenlane::Algorithm::ALL
        .into_iter()
        .filter(|a| k.fits(*a).is_ok())
        .map(|a| a.name())
        .collect();
    json!({"kid": k.kid(), "kty": kty, "crv": crv, "alg": k.alg().map(|a| a.name()), "verifies": algs})
}

/// A member of a skipped JWKS entry, for display only (the raw document
/// read with serde_json; the core already decided the entry is skipped).
fn raw_member(doc: &Value, index: usize, name: &str) -> Value {
    doc.get("keys")
        .and_then(|k| k.get(index))
        .and_then(|k| k.get(name))
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or(Value::Null)
}

fn well_known_name(w: WellKnown) -> &'static str {
    match w {
        WellKnown::OpenIdConfiguration => "openid-configuration",
        WellKnown::OAuthAuthorizationServer => "oauth-authorization-server",
    }
}

/// Runs `keys`; returns the exit status.
pub(crate) fn run_keys(a: &KeysArgs) -> Result<u8, Failure> {
    let http = http_options(a.ca_bundle.as_deref())?;
    let transport = Arc::new(Recording {
        inner: HttpTransport::new(&http).map_err(|e| unavailable("--ca-bundle", &e))?,
        last: Mutex::new(None),
    });
    let ttl = Arc::new(Mutex::new(None));
    let ttl_seen = Arc::clone(&ttl);
    let options = KeySourceOptions {
        http,
        inline_refresh: true,
        on_event: Some(Arc::new(move |e: &Event| {
            if let (Event::Fetched { ttl, .. }, Ok(mut seen)) = (e, ttl_seen.lock()) {
                *seen = Some(*ttl);
            }
        })),
        ..KeySourceOptions::default()
    };
    let dyn_transport: Arc<dyn Transport> = transport.clone();
    let source = if a.jwks_uri {
        KeySource::with_transport_jwks_uri(&a.url, options, dyn_transport)
    } else {
        KeySource::with_transport_issuer(&a.url, options, dyn_transport)
    }
    .map_err(|e| Failure::Usage(format!("{}: {}", escape::text(&a.url), e)))?;
    let keys = source
        .keys(UnixTime::now())
        .map_err(|e| unavailable("keys", &e))?;
    let metadata: Option<Metadata> = source.metadata();
    let (jwks_url, response) = transport
        .last
        .lock()
        .ok()
        .and_then(|l| l.clone())
        .unwrap_or_default();
    let doc: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let loaded: Vec<Value> = keys
        .key_set()
        .map(|s| s.in_load_order().map(key_json).collect())
        .unwrap_or_default();
    let skipped: Vec<Value> = keys
        .key_set()
        .map(|s| s.skipped())
        .unwrap_or_default()
        .iter()
        .map(|s| {
            json!({
                "index": s.index,
                "kid": raw_member(&doc, s.index, "kid"),
                "kty": raw_member(&doc, s.index, "kty"),
                "crv": raw_member(&doc, s.index, "crv"),
                "alg": raw_member(&doc, s.index, "alg"),
                "reason": s.reason.describe(),
            })
        })
        .collect();
    let ttl = ttl.lock().ok().and_then(|t| *t);
    let out = Object::of(vec![
        ("issuer", json!(metadata.as_ref().map(|m| m.issuer.clone()))),
        (
            "metadata",
            json!(metadata.as_ref().map(|m| well_known_name(m.source))),
        ),
        ("jwks_uri", json!(jwks_url)),
        (
            "introspection_endpoint",
            json!(metadata
                .as_ref()
                .and_then(|m| m.introspection_endpoint.clone())),
        ),
        ("keys", json!(loaded)),
        ("skipped", json!(skipped)),
        (
            "cache",
            json!({
                "cache_control": response.cache_control,
                "etag": response.etag,
                "last_modified": response.last_modified,
                "ttl": ttl,
            }),
        ),
    ]);
    if a.json {
        println!("{}", escape::json(&out.to_json()));
    } else {
        print!("{}", keys_text(&out));
    }
    Ok(exit::OK)
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) => escape::text(s).into_owned(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(escape::text)
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => escape::json(&other.to_string()).into_owned(),
    }
}

fn keys_text(out: &Object) -> String {
    let mut s = String::new();
    if let Some(Value::String(iss)) = out.get("issuer") {
        s.push_str(&format!(
            "issuer      {} (metadata: {})\n",
            escape::text(iss),
            show(out.get("metadata"))
        ));
    }
    s.push_str(&format!("jwks_uri    {}\n", show(out.get("jwks_uri"))));
    if let Some(Value::String(ep)) = out.get("introspection_endpoint") {
        s.push_str(&format!("introspect  {}\n", escape::text(ep)));
    }
    let keys = out.get("keys").and_then(Value::as_array);
    s.push_str(&format!("keys loaded {}\n", keys.map_or(0, Vec::len)));
    for k in keys.into_iter().flatten() {
        let kind = match k.get("crv").and_then(Value::as_str) {
            Some(crv) => format!("{} {crv}", show(k.get("kty"))),
            None => show(k.get("kty")),
        };
        s.push_str(&format!(
            "  kid {}  {kind}  alg {}  verifies {}\n",
            show(k.get("kid")),
            show(k.get("alg")),
            show(k.get("verifies"))
        ));
    }
    let skipped = out.get("skipped").and_then(Value::as_array);
    s.push_str(&format!("skipped     {}\n", skipped.map_or(0, Vec::len)));
    for k in skipped.into_iter().flatten() {
        s.push_str(&format!(
            "  #{} kid {}  kty {}: {}\n",
            show(k.get("index")),
            show(k.get("kid")),
            show(k.get("kty")),
            show(k.get("reason"))
        ));
    }
    let cache = out.get("cache");
    let field = |name: &str| show(cache.and_then(|c| c.get(name)));
    s.push_str(&format!(
        "cache       Cache-Control: {}\n",
        field("cache_control")
    ));
    s.push_str(&format!("            ETag: {}\n", field("etag")));
    s.push_str(&format!(
        "            Last-Modified: {}\n",
        field("last_modified")
    ));
    if let Some(ttl) = cache.and_then(|c| c.get("ttl")).and_then(Value::as_u64) {
        s.push_str(&format!(
            "            kept for {ttl} s (the refresh policy's TTL, from max-age within its bounds), until {}\n",
            timefmt::rfc3339(UnixTime::now().as_secs().saturating_add(ttl))
        ));
    }
    s
}

/// How `verify --introspect` authenticates as the resource server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthMethod {
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1).
    #[value(name = "client_secret_basic")]
    Basic,
    /// `client_id` and `client_secret` in the request body.
    #[value(name = "client_secret_post")]
    Post,
}

/// Reads the resource server's secret: `--client-secret-file` (its text,
/// one trailing newline removed), else `--client-secret-env VAR`, else the
/// `TOKENLANE_CLIENT_SECRET` variable. Never from argv, where `ps` shows it.
pub(crate) fn client_secret(file: Option<&str>, env: Option<&str>) -> Result<String, Failure> {
    if let Some(path) = file {
        let bytes = read_file(path)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Failure::Usage(format!("{}: the secret is not UTF-8", escape::text(path)))
        })?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        return Ok(text.to_owned());
    }
    let var = env.unwrap_or(DEFAULT_SECRET_ENV);
    std::env::var(var).map_err(|_| {
        Failure::Usage(format!(
            "--introspect needs the resource server's secret: --client-secret-file FILE, --client-secret-env VAR, or the {DEFAULT_SECRET_ENV} variable ({} is not set)",
            escape::text(var)
        ))
    })
}

/// The client authentication from the method and credentials.
pub(crate) fn client_auth(
    method: AuthMethod,
    client_id: String,
    client_secret: String,
) -> ClientAuth {
    match method {
        AuthMethod::Basic => ClientAuth::Basic {
            client_id,
            client_secret,
        },
        AuthMethod::Post => ClientAuth::Post {
            client_id,
            client_secret,
        },
    }
}

/// The introspection endpoint: the URL given, or discovered from
/// `issuer_url`'s metadata.
pub(crate) fn introspection_endpoint(
    given: Option<&str>,
    issuer_url: Option<&str>,
    http: &HttpOptions,
) -> Result<String, Failure> {
    if let Some(url) = given {
        return Ok(url.to_owned());
    }
    let Some(issuer) = issuer_url else {
        return Err(Failure::Usage(
            "--introspect without =URL discovers the endpoint: give --issuer-url too".to_owned(),
        ));
    };
    let transport = HttpTransport::new(http).map_err(|e| unavailable("--ca-bundle", &e))?;
    let m =
        discovery::discover(&transport, http, issuer).map_err(|e| unavailable("discovery", &e))?;
    m.introspection_endpoint.ok_or_else(|| {
        Failure::Remote(format!(
            "discovery: {} names no introspection_endpoint: give --introspect=URL",
            escape::text(issuer)
        ))
    })
}

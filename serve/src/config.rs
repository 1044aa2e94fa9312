//! The configuration file (TOML), checked completely before anything is
//! served. Every error names the line it is about (`config.toml:12: ...`).
//!
//! See the README's gateway section and `deploy/serve.toml` for a complete
//! example. Unknown keys are errors (a typo never silently turns a check
//! off), and so is anything that would start a service that can never allow
//! a request or that trusts more than it says.

use core::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde::Deserialize;
use tokenlane::{Algorithm, AlgorithmSet, KeySet, OwnedAccessPolicy, PolicyBuilder, TypMode};
use tokenlane_remote::RefreshPolicy;
use toml::Spanned;

/// Largest configuration file read, in bytes: a service's routes and
/// issuers fit easily; a bigger file is a mistake (or not a config file).
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// Longest forwarded identity value, in bytes after encoding. nginx reads
/// the decision's headers into `proxy_buffer_size` (4 or 8 KiB by default),
/// so a longer value would turn an allow into nginx's 502/500; serve
/// refuses the request instead (403, logged as `identity_too_long`).
pub const MAX_FORWARDED_VALUE_BYTES: usize = 1024;

/// A configuration error: the file, the 1-based line (0: not tied to a
/// line) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as given.
    pub file: String,
    /// The 1-based line; 0 when the error is about the whole file.
    pub line: usize,
    /// What is wrong, and what would be accepted.
    pub message: String,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl core::error::Error for ConfigError {}

// ---------------------------------------------------------------- raw file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: Option<Spanned<RawServer>>,
    #[serde(default)]
    issuer: Vec<Spanned<RawIssuer>>,
    #[serde(default)]
    route: Vec<Spanned<RawRoute>>,
    dpop: Option<Spanned<RawDpop>>,
    forward: Option<Spanned<RawForward>>,
    #[serde(default)]
    resource: Vec<Spanned<RawResource>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    grpc_listen: Option<Spanned<String>>,
    realm: Option<Spanned<String>>,
    external_origin: Option<Spanned<String>>,
    trusted_proxies: Option<Spanned<Vec<Spanned<String>>>>,
    max_concurrency: Option<Spanned<u64>>,
    max_connections: Option<Spanned<u64>>,
    max_header_bytes: Option<Spanned<u64>>,
    header_read_timeout_ms: Option<Spanned<u64>>,
    log_decisions: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    issuer: Spanned<String>,
    audiences: Spanned<Vec<Spanned<String>>>,
    algorithms: Spanned<Vec<Spanned<String>>>,
    typ: Option<Spanned<String>>,
    leeway: Option<Spanned<u64>>,
    jwks_uri: Option<Spanned<String>>,
    jwks_file: Option<Spanned<String>>,
    discovery: Option<Spanned<bool>>,
    max_stale: Option<Spanned<u64>>,
    refresh: Option<Spanned<std::collections::BTreeMap<String, Spanned<u64>>>>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    method: Option<Spanned<String>>,
    path_prefix: Spanned<String>,
    scopes: Option<Spanned<Vec<Spanned<String>>>>,
    public: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDpop {
    mode: Option<Spanned<String>>,
    algorithms: Option<Spanned<Vec<Spanned<String>>>>,
    iat_window: Option<Spanned<u64>>,
    replay: Option<Spanned<String>>,
    redis_address: Option<Spanned<String>>,
    redis_prefix: Option<Spanned<String>>,
    redis_timeout_ms: Option<Spanned<u64>>,
    nonce_key_file: Option<Spanned<String>>,
    nonce_bucket_secs: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForward {
    sub: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    issuer: Option<Spanned<String>>,
    jkt: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    resource: Spanned<String>,
    authorization_servers: Spanned<Vec<Spanned<String>>>,
    scopes_supported: Option<Spanned<Vec<Spanned<String>>>>,
    resource_name: Option<Spanned<String>>,
    resource_documentation: Option<Spanned<String>>,
}

// ------------------------------------------------------------ checked config

/// Which decisions are logged (one JSON line each on stderr; never a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDecisions {
    /// No decision lines (operations events are still logged).
    None,
    /// Refusals only (the default).
    Denied,
    /// Every decision.
    All,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub struct Server {
    /// Where to listen (default `127.0.0.1:9100`). Changing it needs a restart.
    pub listen: SocketAddr,
    /// Where Envoy's gRPC `ext_authz` is answered (HTTP/2, no TLS), when
    /// set; not the same address as `listen`. Changing it needs a restart.
    pub grpc_listen: Option<SocketAddr>,
    /// The `realm` of every challenge (default none).
    pub realm: Option<String>,
    /// The origin (`https://api.example`) the clients use, for DPoP `htu`.
    /// When unset, the origin comes from the trusted proxy's
    /// `X-Forwarded-Proto` and `X-Forwarded-Host` (Envoy: `:authority`).
    pub external_origin: Option<String>,
    /// The peers whose `X-Original-*`/`X-Forwarded-*` headers are read;
    /// decision requests from any other peer are refused (403).
    pub trusted_proxies: Vec<Cidr>,
    /// Decisions in flight at once; more are answered 503 at once
    /// (default 256, 1..=65536).
    pub max_concurrency: usize,
    /// Open connections at once; more wait in the kernel's backlog
    /// (default 1024, 1..=65536).
    pub max_connections: usize,
    /// The request line and headers of a decision request, bytes
    /// (default 32768, 8192..=1048576). Longer: the connection is closed.
    pub max_header_bytes: usize,
    /// Time to receive a request's headers, ms (default 10000).
    pub header_read_timeout_ms: u64,
    /// Which decisions are logged.
    pub log_decisions: LogDecisions,
}

/// An address range (`127.0.0.1`, `10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Self> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max)?,
            None => max,
        };
        Some(Self { addr, prefix })
    }

    /// Whether `ip` is in the range (an IPv4-mapped IPv6 peer counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Where an issuer's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// A JWKS document fetched and kept fresh by the key source.
    JwksUri(String),
    /// OpenID Connect / RFC 8414 discovery from the issuer, then its `jwks_uri`.
    Discovery,
    /// A JWKS file read at start-up and on every reload (no refresh).
    File(String),
}

/// One `[[issuer]]`.
#[derive(Debug)]
pub struct Issuer {
    /// The exact `iss`.
    pub issuer: String,
    /// Where its keys come from.
    pub keys: KeyLocation,
    /// The keys of a `jwks_file`, loaded.
    pub static_keys: Option<KeySet>,
    /// `max_stale` for the key source (seconds).
    pub max_stale: Option<u64>,
    /// The key source's refresh policy: the defaults of
    /// [`RefreshPolicy::TABLE`], with `max_stale` and the `[issuer.refresh]`
    /// settings applied (each checked against that table's bounds).
    pub refresh: RefreshPolicy,
    /// An extra CA bundle (PEM) for the key endpoint.
    pub ca_file: Option<String>,
    /// One access policy per route (same order as [`Config::routes`]):
    /// this issuer's audiences, algorithms, typ and leeway, with the
    /// route's scopes. Public routes get the issuer's policy without scopes.
    pub policies: Vec<OwnedAccessPolicy>,
}

/// One `[[route]]`.
#[derive(Debug, Clone)]
pub struct Route {
    /// `GET`, `POST`, ... or `None` for every method.
    pub method: Option<String>,
    /// The path prefix (starts with `/`).
    pub path_prefix: String,
    /// Required scopes (all of them).
    pub scopes: Vec<String>,
    /// No token needed (and none checked).
    pub public: bool,
    /// The line it was written on (for logs).
    pub line: usize,
}

/// `[dpop] mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpopSetting {
    /// Bearer tokens only (DPoP-bound tokens and `DPoP` headers refused).
    Off,
    /// Bearer and DPoP.
    Allowed,
    /// DPoP only.
    Required,
}

/// Where DPoP `jti`s are remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayStore {
    /// In this process (one instance only).
    Memory,
    /// A Redis shared by the fleet.
    Redis {
        /// `host:port`.
        address: String,
        /// Key prefix.
        prefix: String,
        /// Connect, read and write timeout, ms.
        timeout_ms: u64,
    },
}

/// `[dpop]`.
#[derive(Debug, Clone)]
pub struct Dpop {
    /// The mode.
    pub mode: DpopSetting,
    /// Proof algorithms.
    pub algorithms: AlgorithmSet,
    /// The proof `iat` window, seconds; also the replay entries' lifetime.
    pub iat_window: u64,
    /// The replay store.
    pub replay: ReplayStore,
    /// Stateless server nonces (RFC 9449 §8) from the core's
    /// [`tokenlane::nonce::NonceIssuer`]: required in every proof when set.
    /// Every instance of a fleet holds the same key, so any instance checks
    /// any instance's nonces.
    pub nonce: Option<tokenlane::nonce::NonceIssuer>,
}

/// `[forward]`: header names for identity values (`None`: not forwarded).
#[derive(Debug, Clone)]
pub struct Forward {
    /// `sub`.
    pub sub: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: Option<String>,
    /// `iss`.
    pub issuer: Option<String>,
    /// The DPoP key thumbprint of a DPoP-bound request.
    pub jkt: Option<String>,
}

impl Forward {
    /// The configured header names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [
            &self.sub,
            &self.client_id,
            &self.scope,
            &self.issuer,
            &self.jkt,
        ]
        .into_iter()
        .filter_map(|h| h.as_deref())
    }
}

/// One `[[resource]]` (RFC 9728 protected resource metadata).
#[derive(Debug, Clone)]
pub struct Resource {
    /// Where it is served: `/.well-known/oauth-protected-resource` + the
    /// resource's path (RFC 9728 §3.1).
    pub well_known_path: String,
    /// The metadata document.
    pub document: String,
    /// The resource's path (no trailing `/`; empty for the origin): requests
    /// at or under it are this resource's.
    pub path: String,
    /// The metadata document's absolute URL, sent as `resource_metadata` in
    /// this resource's challenges (RFC 9728 §5.1).
    pub metadata_url: String,
}

/// The whole configuration, checked.
#[derive(Debug)]
pub struct Config {
    /// `[server]`.
    pub server: Server,
    /// `[[issuer]]`, at least one.
    pub issuers: Vec<Issuer>,
    /// `[[route]]`, at least one.
    pub routes: Vec<Route>,
    /// `[dpop]`.
    pub dpop: Dpop,
    /// `[forward]`.
    pub forward: Forward,
    /// `[[resource]]`.
    pub resources: Vec<Resource>,
}

// ------------------------------------------------------------------ checking

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text
            .as_bytes()
            .get(..end)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
            .saturating_add(1)
    }

    fn err<T>(
        &self,
        span: core::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T, ConfigError> {
        Err(ConfigError {
            file: self.file.to_owned(),
            line: self.line_of(span.start),
            message: message.into(),
        })
    }
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Headers a forwarded identity must never be named: the request's own
/// credentials and hop-by-hop or framing headers.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "dpop",
    "cookie",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "www-authenticate",
    "dpop-nonce",
    "set-cookie",
];

fn algorithms(
    cx: &Ctx<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    what: &str,
) -> Result<AlgorithmSet, ConfigError> {
    let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
    let mut set = AlgorithmSet::EMPTY;
    for a in list.get_ref() {
        match Algorithm::from_name(a.get_ref()) {
            Some(alg) => set = set.with(alg),
            None => {
                return cx.err(
                    a.span(),
                    format!(
                        "{what}: unknown algorithm {:?}; supported: {}",
                        a.get_ref(),
                        names.join(", ")
                    ),
                )
            }
        }
    }
    if set.is_empty() {
        return cx.err(list.span(), format!("{what}: give at least one algorithm"));
    }
    Ok(set)
}

fn loopback_or_https(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Reads and checks `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let whole = |message: String| ConfigError {
        file: file.clone(),
        line: 0,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    if meta.len() > u64::try_from(MAX_CONFIG_BYTES).unwrap_or(u64::MAX) {
        return Err(whole(format!("larger than {MAX_CONFIG_BYTES} bytes")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&file, &text, base)
}

/// Checks the text of a configuration file; relative `jwks_file` and
/// `ca_file` paths are taken from `base`.
pub fn parse(file: &str, text: &str, base: &Path) -> Result<Config, ConfigError> {
    let cx = Ctx { file, text };
    let raw: RawConfig = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(0, |s| cx.line_of(s.start));
            return Err(ConfigError {
                file: file.to_owned(),
                line,
                message: e.message().to_owned(),
            });
        }
    };

    // [server]
    let s = raw.server.map(Spanned::into_inner).unwrap_or_default();
    let listen = match &s.listen {
        Some(l) => match l.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                return cx.err(
                    l.span(),
                    format!(
                        "listen: {:?} is not an IP:port (for example 127.0.0.1:9100)",
                        l.get_ref()
                    ),
                )
            }
        },
        None => SocketAddr::from(([127, 0, 0, 1], 9100)),
    };
    let grpc_listen = match &s.grpc_listen {
        None => None,
        Some(l) => match l.get_ref().parse::<SocketAddr>() {
            Ok(a) if a == listen && a.port() != 0 => {
                let m = format!("grpc_listen: {a} is also `listen`; give it its own port");
                return cx.err(l.span(), m);
            }
            Ok(a) => Some(a),
            Err(_) => {
                let m = format!(
                    "grpc_listen: {:?} is not an IP:port (for example 127.0.0.1:9191)",
                    l.get_ref()
                );
                return cx.err(l.span(), m);
            }
        },
    };
    let realm = match &s.realm {
        Some(r)
            if r.get_ref()
                .bytes()
                .any(|b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\') =>
        {
            return cx.err(
                r.span(),
                "realm: printable ASCII without '\"' or '\\\\' only",
            )
        }
        Some(r) => Some(r.get_ref().clone()),
        None => None,
    };
    let external_origin = match &s.external_origin {
        Some(o) => {
            let v = o.get_ref();
            let ok = (v.starts_with("https://") || v.starts_with("http://"))
                && !v
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .contains(['/', '?', '#', ' '])
                && v.len() > "http://".len();
            if !ok {
                return cx.err(
                    o.span(),
                    format!(
                        "external_origin: {v:?} is not an origin (scheme://host[:port], no path)"
                    ),
                );
            }
            Some(v.clone())
        }
        None => None,
    };
    let trusted_proxies = match &s.trusted_proxies {
        Some(list) => {
            let mut out = Vec::new();
            for p in list.get_ref() {
                match Cidr::parse(p.get_ref()) {
                    Some(c) => out.push(c),
                    None => {
                        return cx.err(
                            p.span(),
                            format!(
                                "trusted_proxies: {:?} is not an address or address/prefix",
                                p.get_ref()
                            ),
                        )
                    }
                }
            }
            if out.is_empty() {
                return cx.err(
                    list.span(),
                    "trusted_proxies: empty: no edge could ask for a decision",
                );
            }
            out
        }
        None => vec![
            Cidr::parse("127.0.0.1").unwrap_or(Cidr {
                addr: IpAddr::from([127, 0, 0, 1]),
                prefix: 32,
            }),
            Cidr {
                addr: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                prefix: 128,
            },
        ],
    };
    let ranged = |v: &Option<Spanned<u64>>,
                  name: &str,
                  default: u64,
                  min: u64,
                  max: u64|
     -> Result<u64, ConfigError> {
        match v {
            None => Ok(default),
            Some(x) if (min..=max).contains(x.get_ref()) => Ok(*x.get_ref()),
            Some(x) => cx.err(
                x.span(),
                format!("{name}: {} is out of range {min}..={max}", x.get_ref()),
            ),
        }
    };
    let to_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let max_concurrency = to_usize(ranged(
        &s.max_concurrency,
        "max_concurrency",
        256,
        1,
        65_536,
    )?);
    let max_connections = to_usize(ranged(
        &s.max_connections,
        "max_connections",
        1024,
        1,
        65_536,
    )?);
    let max_header_bytes = to_usize(ranged(
        &s.max_header_bytes,
        "max_header_bytes",
        32_768,
        8_192,
        1_048_576,
    )?);
    let header_read_timeout_ms = ranged(
        &s.header_read_timeout_ms,
        "header_read_timeout_ms",
        10_000,
        100,
        600_000,
    )?;
    let log_decisions = match &s.log_decisions {
        None => LogDecisions::Denied,
        Some(v) => match v.get_ref().as_str() {
            "none" => LogDecisions::None,
            "denied" => LogDecisions::Denied,
            "all" => LogDecisions::All,
            other => {
                return cx.err(
                    v.span(),
                    format!("log_decisions: {other:?}; one of none, denied, all"),
                )
            }
        },
    };
    let server = Server {
        listen,
        grpc_listen,
        realm,
        external_origin,
        trusted_proxies,
        max_concurrency,
        max_connections,
        max_header_bytes,
        header_read_timeout_ms,
        log_decisions,
    };

    // [[route]]
    if raw.route.is_empty() {
        return cx.err(
            0..0,
            "no [[route]]: every request would be refused; add at least one",
        );
    }
    let mut routes = Vec::new();
    for r in &raw.route {
        let line = cx.line_of(r.span().start);
        let r = r.get_ref();
        let method = match &r.method {
            None => None,
            Some(m) if m.get_ref() == "*" => None,
            Some(m)
                if is_header_name(m.get_ref())
                    && m.get_ref().bytes().all(|b| b.is_ascii_uppercase()) =>
            {
                Some(m.get_ref().clone())
            }
            Some(m) => {
                return cx.err(
                    m.span(),
                    format!(
                        "method: {:?}; an upper-case HTTP method or \"*\"",
                        m.get_ref()
                    ),
                )
            }
        };
        let p = &r.path_prefix;
        if !p.get_ref().starts_with('/')
            || p.get_ref().contains(['?', '#', ' '])
            || p.get_ref().contains("/../")
            || p.get_ref().contains("/./")
        {
            return cx.err(p.span(), format!("path_prefix: {:?} must start with '/' and hold no '?', '#', space or dot segment", p.get_ref()));
        }
        let public = r.public.as_ref().is_some_and(|p| *p.get_ref());
        let mut scopes = Vec::new();
        if let Some(list) = &r.scopes {
            if public {
                return cx.err(
                    list.span(),
                    "scopes: a public route checks no token, so it cannot require scopes",
                );
            }
            for sc in list.get_ref() {
                let v = sc.get_ref();
                if v.is_empty()
                    || v.bytes()
                        .any(|b| !(0x21..0x7f).contains(&b) || b == b'"' || b == b'\\')
                {
                    return cx.err(
                        sc.span(),
                        format!("scopes: {v:?} is not an RFC 6749 scope token"),
                    );
                }
                scopes.push(v.clone());
            }
        }
        if let Some(prev) = routes
            .iter()
            .find(|x: &&Route| x.method == method && x.path_prefix == *p.get_ref())
        {
            return cx.err(
                p.span(),
                format!(
                    "path_prefix: the same method and prefix as the route on line {}",
                    prev.line
                ),
            );
        }
        routes.push(Route {
            method,
            path_prefix: p.get_ref().clone(),
            scopes,
            public,
            line,
        });
    }

    // [[issuer]]
    if raw.issuer.is_empty() {
        return cx.err(
            0..0,
            "no [[issuer]]: no token could ever be accepted; add at least one",
        );
    }
    let mut issuers: Vec<Issuer> = Vec::new();
    for i in &raw.issuer {
        let whole_span = i.span();
        let i = i.get_ref();
        let iss = i.issuer.get_ref();
        if iss.is_empty() {
            return cx.err(i.issuer.span(), "issuer: empty");
        }
        if issuers.iter().any(|x| x.issuer == *iss) {
            return cx.err(
                i.issuer.span(),
                format!("issuer: {iss:?} is configured twice"),
            );
        }
        let algs = algorithms(&cx, &i.algorithms, "algorithms")?;
        let typ = match &i.typ {
            None => TypMode::Strict,
            Some(t) => match t.get_ref().as_str() {
                "strict" => TypMode::Strict,
                "compat" => TypMode::Compat,
                other => return cx.err(t.span(), format!("typ: {other:?}; one of strict, compat")),
            },
        };
        if i.audiences.get_ref().is_empty() {
            return cx.err(
                i.audiences.span(),
                "audiences: give at least one (a token for another API must not pass)",
            );
        }
        let keys = match (
            &i.jwks_uri,
            &i.jwks_file,
            i.discovery.as_ref().map(|d| *d.get_ref()),
        ) {
            (Some(u), None, None | Some(false)) => {
                if !loopback_or_https(u.get_ref()) {
                    return cx.err(
                        u.span(),
                        "jwks_uri: https only (plain http only to a loopback IP address)",
                    );
                }
                KeyLocation::JwksUri(u.get_ref().clone())
            }
            (None, Some(f), None | Some(false)) => KeyLocation::File(f.get_ref().clone()),
            (None, None, Some(true)) => {
                if !loopback_or_https(iss) {
                    return cx.err(i.issuer.span(), "discovery: the issuer must be https (plain http only to a loopback IP address)");
                }
                KeyLocation::Discovery
            }
            _ => {
                return cx.err(
                    whole_span,
                    "issuer: give exactly one of jwks_uri, jwks_file, discovery = true",
                )
            }
        };
        let static_keys = match &keys {
            KeyLocation::File(f) => {
                let p = base.join(f);
                let span = i
                    .jwks_file
                    .as_ref()
                    .map_or(whole_span.clone(), Spanned::span);
                let bytes = match std::fs::read(&p) {
                    Ok(b) => b,
                    Err(e) => return cx.err(span, format!("jwks_file: {}: {e}", p.display())),
                };
                match KeySet::from_jwks(&bytes) {
                    Ok(k) => Some(k),
                    Err(e) => return cx.err(span, format!("jwks_file: {}: {e}", p.display())),
                }
            }
            _ => None,
        };
        let max_stale = match &i.max_stale {
            Some(m) if *m.get_ref() > 604_800 => {
                return cx.err(m.span(), "max_stale: at most 604800 (a week)")
            }
            Some(m) => Some(*m.get_ref()),
            None => None,
        };
        let mut refresh = RefreshPolicy::default();
        if let Some(m) = max_stale {
            refresh = refresh.with_max_stale(m).unwrap_or(refresh);
        }
        if let Some(table) = &i.refresh {
            for (name, v) in table.get_ref() {
                let secs = *v.get_ref();
                let set = match name.as_str() {
                    "default_ttl" => refresh.with_default_ttl(secs),
                    "min_ttl" => refresh.with_min_ttl(secs),
                    "max_ttl" => refresh.with_max_ttl(secs),
                    "refresh_ahead" => refresh.with_refresh_ahead(secs),
                    "kid_miss_cooldown" => refresh.with_kid_miss_cooldown(secs),
                    "retry_interval" => refresh.with_retry_interval(secs),
                    _ => {
                        let names: Vec<&str> = RefreshPolicy::TABLE
                            .iter()
                            .map(|r| r.0)
                            .filter(|n| *n != "max_stale")
                            .collect();
                        return cx.err(v.span(), format!("refresh: unknown setting {name:?} (max_stale is set on the issuer); one of {}", names.join(", ")));
                    }
                };
                match set {
                    Ok(p) => refresh = p,
                    Err(e) => return cx.err(v.span(), format!("refresh.{name}: {e}")),
                }
            }
        }
        let ca_file = i
            .ca_file
            .as_ref()
            .map(|c| base.join(c.get_ref()).display().to_string());
        let mut policies = Vec::new();
        for route in &routes {
            let mut b = PolicyBuilder::new();
            b.set_issuer(iss).set_algorithms(algs).set_typ_mode(typ);
            for a in i.audiences.get_ref() {
                b.add_audience(a.get_ref());
            }
            for sc in &route.scopes {
                b.add_required_scope(sc);
            }
            if let Some(l) = &i.leeway {
                b.set_leeway(*l.get_ref());
            }
            match b.build_access() {
                Ok(p) => policies.push(p),
                Err(e) => {
                    let span = match e {
                        tokenlane::PolicyError::LeewayTooLarge => {
                            i.leeway.as_ref().map_or(whole_span.clone(), Spanned::span)
                        }
                        tokenlane::PolicyError::NoAudience => i.audiences.span(),
                        _ => whole_span.clone(),
                    };
                    return cx.err(span, format!("issuer {iss:?}: {e}"));
                }
            }
        }
        issuers.push(Issuer {
            issuer: iss.clone(),
            keys,
            static_keys,
            max_stale,
            refresh,
            ca_file,
            policies,
        });
    }

    // [dpop]
    let dpop = match &raw.dpop {
        None => Dpop {
            mode: DpopSetting::Off,
            algorithms: AlgorithmSet::EMPTY.with(Algorithm::ES256),
            iat_window: tokenlane::dpop::DEFAULT_IAT_WINDOW_SECS,
            replay: ReplayStore::Memory,
            nonce: None,
        },
        Some(d) => {
            let d = d.get_ref();
            let mode = match &d.mode {
                None => DpopSetting::Off,
                Some(m) => match m.get_ref().as_str() {
                    "off" => DpopSetting::Off,
                    "allowed" => DpopSetting::Allowed,
                    "required" => DpopSetting::Required,
                    other => {
                        return cx.err(
                            m.span(),
                            format!("mode: {other:?}; one of off, allowed, required"),
                        )
                    }
                },
            };
            let algorithms = match &d.algorithms {
                Some(a) => {
                    let set = algorithms(&cx, a, "dpop algorithms")?;
                    if let Some(bad) = set.iter().find(|a| a.name().starts_with("HS")) {
                        return cx.err(a.span(), format!("dpop algorithms: {} is symmetric; a proof is signed with the client's private key", bad.name()));
                    }
                    set
                }
                None => AlgorithmSet::EMPTY.with(Algorithm::ES256),
            };
            let iat_window = ranged(
                &d.iat_window,
                "iat_window",
                tokenlane::dpop::DEFAULT_IAT_WINDOW_SECS,
                1,
                600,
            )?;
            let replay = match d.replay.as_ref().map(|r| (r.span(), r.get_ref().as_str())) {
                None | Some((_, "memory")) => {
                    if let Some(a) = &d.redis_address {
                        return cx.err(a.span(), "redis_address: set replay = \"redis\" to use it");
                    }
                    ReplayStore::Memory
                }
                Some((span, "redis")) => {
                    let Some(address) = &d.redis_address else {
                        return cx.err(span, "replay = \"redis\" needs redis_address (host:port)");
                    };
                    if !address.get_ref().contains(':') {
                        return cx.err(address.span(), "redis_address: host:port");
                    }
                    let prefix = d
                        .redis_prefix
                        .as_ref()
                        .map_or_else(|| "tokenlane:dpop:".to_owned(), |p| p.get_ref().clone());
                    if prefix.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
                        return cx.err(
                            d.redis_prefix.as_ref().map_or(span.clone(), Spanned::span),
                            "redis_prefix: visible ASCII only",
                        );
                    }
                    ReplayStore::Redis {
                        address: address.get_ref().clone(),
                        prefix,
                        timeout_ms: ranged(
                            &d.redis_timeout_ms,
                            "redis_timeout_ms",
                            250,
                            10,
                            10_000,
                        )?,
                    }
                }
                Some((span, other)) => {
                    return cx.err(span, format!("replay: {other:?}; one of memory, redis"))
                }
            };
            let nonce = match &d.nonce_key_file {
                None => {
                    if let Some(b) = &d.nonce_bucket_secs {
                        return cx.err(
                            b.span(),
                            "nonce_bucket_secs: set nonce_key_file to use nonces",
                        );
                    }
                    None
                }
                Some(f) => {
                    if mode == DpopSetting::Off {
                        return cx.err(f.span(), "nonce_key_file: DPoP is off");
                    }
                    let p = base.join(f.get_ref());
                    let key = match std::fs::read(&p) {
                        Ok(k) => k,
                        Err(e) => {
                            return cx
                                .err(f.span(), format!("nonce_key_file: {}: {e}", p.display()))
                        }
                    };
                    // The file's bytes are the key; a trailing newline (an
                    // editor's, or `base64`'s) is not part of it.
                    let key = key.strip_suffix(b"\n").unwrap_or(&key);
                    let bucket = ranged(
                        &d.nonce_bucket_secs,
                        "nonce_bucket_secs",
                        tokenlane::nonce::DEFAULT_NONCE_BUCKET_SECS,
                        1,
                        tokenlane::nonce::MAX_NONCE_BUCKET_SECS,
                    )?;
                    match tokenlane::nonce::NonceIssuer::new(key, bucket) {
                        Ok(n) => Some(n),
                        Err(e) => {
                            return cx.err(
                                f.span(),
                                format!(
                                    "nonce_key_file: {e} (e.g. head -c 32 /dev/urandom > FILE)"
                                ),
                            )
                        }
                    }
                }
            };
            Dpop {
                mode,
                algorithms,
                iat_window,
                replay,
                nonce,
            }
        }
    };

    // [forward]
    let forward = match &raw.forward {
        None => Forward {
            sub: Some("X-Auth-Subject".into()),
            client_id: Some("X-Auth-Client-Id".into()),
            scope: Some("X-Auth-Scope".into()),
            issuer: None,
            jkt: None,
        },
        Some(f) => {
            let f = f.get_ref();
            let mut seen: Vec<String> = Vec::new();
            let mut name = |v: &Option<Spanned<String>>| -> Result<Option<String>, ConfigError> {
                let Some(v) = v else { return Ok(None) };
                let n = v.get_ref();
                if !is_header_name(n) {
                    return cx.err(v.span(), format!("{n:?} is not a header name"));
                }
                let lower = n.to_ascii_lowercase();
                if RESERVED_HEADERS.contains(&lower.as_str())
                    || lower.starts_with("x-original-")
                    || lower.starts_with("x-forwarded-")
                {
                    return cx.err(v.span(), format!("{n:?} is a request or protocol header; pick a name of your own (X-Auth-...)"));
                }
                if seen.contains(&lower) {
                    return cx.err(v.span(), format!("{n:?} is used twice"));
                }
                seen.push(lower);
                Ok(Some(n.clone()))
            };
            Forward {
                sub: name(&f.sub)?,
                client_id: name(&f.client_id)?,
                scope: name(&f.scope)?,
                issuer: name(&f.issuer)?,
                jkt: name(&f.jkt)?,
            }
        }
    };

    // [[resource]]
    let mut resources: Vec<Resource> = Vec::new();
    for r in &raw.resource {
        let r = r.get_ref();
        let url = r.resource.get_ref();
        if !loopback_or_https(url) || url.contains(['?', '#']) {
            return cx.err(
                r.resource.span(),
                "resource: an https URL without query or fragment (RFC 9728 §2)",
            );
        }
        let after = url.split_once("://").map_or("", |(_, rest)| rest);
        let path = after.find('/').map_or("", |i| after.get(i..).unwrap_or(""));
        let path = path.trim_end_matches('/');
        let well_known_path = format!("/.well-known/oauth-protected-resource{path}");
        if resources
            .iter()
            .any(|x| x.well_known_path == well_known_path)
        {
            return cx.err(
                r.resource.span(),
                format!("resource: another resource is served at {well_known_path}"),
            );
        }
        for a in r.authorization_servers.get_ref() {
            if !issuers.iter().any(|i| i.issuer == *a.get_ref()) {
                return cx.err(
                    a.span(),
                    format!(
                        "authorization_servers: {:?} is not a configured [[issuer]]",
                        a.get_ref()
                    ),
                );
            }
        }
        let list = |v: &Option<Spanned<Vec<Spanned<String>>>>| -> Option<Vec<String>> {
            v.as_ref()
                .map(|l| l.get_ref().iter().map(|s| s.get_ref().clone()).collect())
        };
        let mut doc = serde_json::Map::new();
        doc.insert("resource".into(), url.clone().into());
        doc.insert(
            "authorization_servers".into(),
            r.authorization_servers
                .get_ref()
                .iter()
                .map(|s| s.get_ref().clone())
                .collect::<Vec<_>>()
                .into(),
        );
        if let Some(s) = list(&r.scopes_supported) {
            doc.insert("scopes_supported".into(), s.into());
        }
        doc.insert("bearer_methods_supported".into(), vec!["header"].into());
        if dpop.mode != DpopSetting::Off {
            doc.insert(
                "dpop_signing_alg_values_supported".into(),
                dpop.algorithms
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        if dpop.mode == DpopSetting::Required {
            doc.insert("dpop_bound_access_tokens_required".into(), true.into());
        }
        if let Some(n) = &r.resource_name {
            doc.insert("resource_name".into(), n.get_ref().clone().into());
        }
        if let Some(d) = &r.resource_documentation {
            doc.insert("resource_documentation".into(), d.get_ref().clone().into());
        }
        let origin = url.get(..url.len() - after.len()).unwrap_or("").to_owned()
            + after.split('/').next().unwrap_or("");
        resources.push(Resource {
            metadata_url: format!("{origin}{well_known_path}"),
            path: path.to_owned(),
            well_known_path,
            document: serde_json::Value::Object(doc).to_string(),
        });
    }

    Ok(Config {
        server,
        issuers,
        routes,
        dpop,
        forward,
        resources,
    })
}

impl Config {
    /// The `[[resource]]` a request path belongs to: the longest resource
    /// path equal to it or a parent of it.
    pub fn resource_for(&self, path: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .filter(|r| {
                r.path.is_empty()
                    || path == r.path
                    || path
                        .strip_prefix(&r.path)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|r| r.path.len())
    }

    /// The route for `method` and `path`: the longest matching
    /// `path_prefix`; at equal length a route naming the method wins over
    /// one for every method. `None`: no route (the request is refused).
    pub fn route(&self, method: &str, path: &str) -> Option<usize> {
        let mut best: Option<(usize, usize, bool)> = None;
        for (i, r) in self.routes.iter().enumerate() {
            let method_ok = r.method.as_deref().is_none_or(|m| m == method);
            if !method_ok || !path.starts_with(&r.path_prefix) {
                continue;
            }
            let key = (r.path_prefix.len(), r.method.is_some());
            if best.is_none_or(|(_, l, m)| key > (l, m)) {
                best = Some((i, key.0, key.1));
            }
        }
        best.map(|(i, _, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[server]
listen = "127.0.0.1:0"

[[issuer]]
issuer = "https://op.example/"
audiences = ["https://api.example"]
algorithms = ["ES256"]
jwks_uri = "https://op.example/jwks"

[[route]]
path_prefix = "/api/"
scopes = ["read"]

[[route]]
method = "POST"
path_prefix = "/api/"
scopes = ["write"]

[[route]]
path_prefix = "/public/"
public = true
"#;

    fn err(text: &str) -> ConfigError {
        parse("t.toml", text, Path::new(".")).unwrap_err()
    }

    #[test]
    fn a_good_file_loads_and_routes_by_longest_prefix_then_method() {
        let c = parse("t.toml", GOOD, Path::new(".")).unwrap();
        assert_eq!(c.route("GET", "/api/x"), Some(0));
        assert_eq!(c.route("POST", "/api/x"), Some(1));
        assert_eq!(c.route("GET", "/public/a"), Some(2));
        assert_eq!(c.route("GET", "/other"), None);
        assert_eq!(c.issuers[0].policies.len(), 3);
    }

    #[test]
    fn grpc_listen_is_optional_an_ip_port_and_not_the_http_address() {
        let c = parse("t.toml", GOOD, Path::new(".")).unwrap();
        assert_eq!(c.server.grpc_listen, None);
        let with = |v: &str| {
            GOOD.replace(
                "listen = \"127.0.0.1:0\"",
                &format!("listen = \"127.0.0.1:9100\"\ngrpc_listen = \"{v}\""),
            )
        };
        let c = parse("t.toml", &with("127.0.0.1:9191"), Path::new(".")).unwrap();
        assert_eq!(
            c.server.grpc_listen,
            Some("127.0.0.1:9191".parse().unwrap())
        );
        let e = err(&with("localhost:9191"));
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message.contains("grpc_listen") && e.message.contains("IP:port"),
            "{e}"
        );
        let e = err(&with("127.0.0.1:9100"));
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("own port"), "{e}");
    }

    #[test]
    fn an_unknown_algorithm_is_refused_naming_its_line_and_the_valid_ones() {
        let e = err(&GOOD.replace("[\"ES256\"]", "[\"ES256\", \"none\"]"));
        assert_eq!(e.line, 8);
        assert!(
            e.message.contains("\"none\"") && e.message.contains("RS256"),
            "{e}"
        );
    }

    #[test]
    fn a_typo_in_a_key_is_refused_with_its_line() {
        let e = err(&GOOD.replace("scopes = [\"write\"]", "scope = [\"write\"]"));
        assert_eq!(e.line, 18, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn an_issuer_needs_exactly_one_key_location_and_an_audience() {
        let e = err(&GOOD.replace(
            "jwks_uri = \"https://op.example/jwks\"",
            "discovery = true\njwks_uri = \"https://x/\"",
        ));
        assert!(e.message.contains("exactly one"), "{e}");
        let e = err(&GOOD.replace("[\"https://api.example\"]", "[]"));
        assert_eq!(e.line, 7);
        let e = err(&GOOD.replace("https://op.example/jwks", "http://op.example/jwks"));
        assert!(e.message.contains("https only"), "{e}");
    }

    #[test]
    fn a_public_route_with_scopes_and_a_reserved_forward_header_are_refused() {
        let e = err(&GOOD.replace("public = true", "public = true\nscopes = [\"x\"]"));
        assert!(e.message.contains("public route"), "{e}");
        let e = err(&format!("{GOOD}\n[forward]\nsub = \"Authorization\"\n"));
        assert!(e.message.contains("request or protocol header"), "{e}");
        let e = err(&format!("{GOOD}\n[forward]\nsub = \"X-A\\r\\nB\"\n"));
        assert!(e.message.contains("not a header name"), "{e}");
    }

    #[test]
    fn redis_replay_needs_an_address_and_resources_name_configured_issuers() {
        let e = err(&format!(
            "{GOOD}\n[dpop]\nmode = \"allowed\"\nreplay = \"redis\"\n"
        ));
        assert!(e.message.contains("redis_address"), "{e}");
        let e = err(&format!(
            "{GOOD}\n[[resource]]\nresource = \"https://api.example/api\"\nauthorization_servers = [\"https://evil.example/\"]\n"
        ));
        assert!(e.message.contains("not a configured"), "{e}");
        let c = parse(
            "t.toml",
            &format!("{GOOD}\n[[resource]]\nresource = \"https://api.example/api\"\nauthorization_servers = [\"https://op.example/\"]\n"),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(
            c.resources[0].well_known_path,
            "/.well-known/oauth-protected-resource/api"
        );
    }

    #[test]
    fn trusted_proxy_ranges_match_v4_and_mapped_addresses() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.2.3.4".parse().unwrap()));
        assert!(c.contains("::ffff:10.2.3.4".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
    }

    #[test]
    fn the_shipped_example_configuration_is_valid() {
        let text = include_str!("../../deploy/serve.toml");
        let c = parse("deploy/serve.toml", text, Path::new(".")).unwrap();
        assert_eq!(c.issuers.len(), 1);
        assert_eq!(c.route("GET", "/api/health"), Some(2));
        assert_eq!(c.route("DELETE", "/api/x"), Some(1));
    }

    #[test]
    fn refresh_settings_are_checked_against_the_key_source_table() {
        let with = |r: &str| {
            GOOD.replace(
                "jwks_uri = \"https://op.example/jwks\"",
                &format!("jwks_uri = \"https://op.example/jwks\"\nrefresh = {r}"),
            )
        };
        let c = parse(
            "t.toml",
            &with("{ min_ttl = 1, kid_miss_cooldown = 5 }"),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(c.issuers[0].refresh.min_ttl(), 1);
        assert_eq!(c.issuers[0].refresh.kid_miss_cooldown(), 5);
        let e = err(&with("{ min_ttl = 0 }"));
        assert_eq!(e.line, 10, "{e}");
        assert!(e.message.starts_with("refresh.min_ttl"), "{e}");
        let e = err(&with("{ ttl = 5 }"));
        assert!(
            e.message.contains("unknown setting") && e.message.contains("kid_miss_cooldown"),
            "{e}"
        );
    }

    #[test]
    fn a_nonce_key_shorter_than_32_bytes_is_refused_with_its_line() {
        let dir =
            std::env::temp_dir().join(format!("tokenlane-serve-nonce-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("short.key"), b"0123456789abcdef\n").unwrap();
        std::fs::write(dir.join("good.key"), [7u8; 32]).unwrap();
        let with =
            |f: &str| format!("{GOOD}\n[dpop]\nmode = \"allowed\"\nnonce_key_file = \"{f}\"\n");
        let e = parse("t.toml", &with("short.key"), &dir).unwrap_err();
        assert!(
            e.message.contains("nonce_key_file") && e.message.contains("32 bytes"),
            "{e}"
        );
        assert_eq!(e.line, GOOD.lines().count() + 4, "{e}");
        let c = parse("t.toml", &with("good.key"), &dir).unwrap();
        assert!(c.dpop.nonce.is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

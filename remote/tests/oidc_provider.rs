//! The key source against a real OpenID Provider (node-oidc-provider,
//! `tests/oidc-provider/server.mjs`), across a key rotation: the provider
//! restarts on the same issuer with a new key added and the old one
//! removed; a token signed with the new key validates after exactly one
//! fetch, and a token signed with the old key is then refused with
//! `key_not_found` without another fetch.
//!
//! Ignored by default: it needs node and `bash scripts/setup-oidc.sh`.
//! `scripts/test-oidc.sh` runs it:
//! `cargo test --release -p tokenlane-remote --test oidc_provider -- --ignored`.
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64ct::{Base64, Encoding};
use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, Error, UnixTime};
use tokenlane_remote::{
    scratch_len, HttpOptions, HttpPost, HttpTransport, KeySource, KeySourceOptions, Transport,
    ValidationError,
};

const API: &str = "https://api.example/jwt";

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oidc-provider")
}

/// A private JWKS from node's crypto (`genkeys.mjs`), written to a file.
fn jwks_file(dir: &Path, kid: &str) -> PathBuf {
    let out = Command::new("node")
        .arg("genkeys.mjs")
        .args(["ES256", kid])
        .current_dir(provider_dir())
        .output()
        .expect("node runs");
    assert!(out.status.success(), "genkeys.mjs failed");
    let path = dir.join(format!("{kid}.json"));
    std::fs::write(&path, out.stdout).expect("jwks file written");
    path
}

/// The provider process; killed on drop.
struct Provider(Child);

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts server.mjs with `jwks` on `port` (0: any); returns it and its issuer.
fn start(jwks: &Path, port: u16) -> (Provider, String) {
    let mut child = Command::new("node")
        .arg("server.mjs")
        .arg("--jwks")
        .arg(jwks)
        .args(["--alg", "ES256", "--port", &port.to_string()])
        .current_dir(provider_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node server.mjs starts (run scripts/setup-oidc.sh first)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the provider prints its URL");
    let issuer = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (Provider(child), issuer)
}

/// An RFC 9068 access token from the provider's client-credentials grant.
fn access_token(issuer: &str) -> String {
    let transport = HttpTransport::new(&HttpOptions::default()).expect("transport");
    let basic = format!("Basic {}", Base64::encode_string(b"cc-client:cc-secret"));
    let form = format!(
        "grant_type=client_credentials&scope=read&resource={}",
        "https%3A%2F%2Fapi.example%2Fjwt"
    );
    let url = format!("{issuer}/token");
    let r = transport
        .post(&HttpPost {
            url: &url,
            authorization: Some(&basic),
            form: form.as_bytes(),
            max_body: 64 * 1024,
        })
        .expect("token endpoint answers");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    v["access_token"].as_str().expect("access_token").to_owned()
}

#[test]
#[ignore = "needs node and scripts/setup-oidc.sh; run by scripts/test-oidc.sh"]
fn rotation_new_key_after_exactly_one_fetch_old_key_then_key_not_found() {
    let dir = std::env::temp_dir().join(format!("tokenlane-oidc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (provider, issuer) = start(&jwks_file(&dir, "old"), 0);
    let port: u16 = issuer.rsplit(':').next().unwrap().parse().unwrap();
    let old = access_token(&issuer);

    let source = KeySource::from_issuer(
        &issuer,
        KeySourceOptions {
            inline_refresh: true,
            ..KeySourceOptions::default()
        },
    )
    .expect("source");
    let audiences = [API];
    let policy = AccessPolicy::new(
        &issuer,
        &audiences,
        AlgorithmSet::from_slice(&[Algorithm::ES256]),
    )
    .expect("policy");
    let t0 = UnixTime::now().as_secs();
    let validate = |token: &str, t: u64| {
        let mut scratch = vec![0u8; scratch_len(token.len())];
        source
            .validate_access(
                &policy,
                token.as_bytes(),
                UnixTime::from_secs(t),
                &mut scratch,
            )
            .map(|at| at.jti().map(str::to_owned))
    };

    assert!(validate(&old, t0).is_ok());
    assert_eq!(source.counts().fetched, 1);

    // Rotate: the same issuer, the new key added, the old one removed.
    drop(provider);
    let new_jwks = jwks_file(&dir, "new");
    let (_provider, again) = start(&new_jwks, port);
    assert_eq!(again, issuer);
    let new = access_token(&issuer);

    // Past the kid-miss cooldown (30 s by default; time is the caller's):
    // the unknown kid fetches once, and the new token validates.
    let t1 = t0 + 31;
    assert!(validate(&new, t1).is_ok());
    assert_eq!(
        source.counts().fetched,
        2,
        "exactly one fetch for the new key"
    );

    // The old token: its kid is gone; within the cooldown, no fetch.
    assert_eq!(
        validate(&old, t1 + 1),
        Err(ValidationError::Token(Error::KeyNotFound {
            kid_given: true
        }))
    );
    let counts = source.counts();
    assert_eq!((counts.fetched, counts.failed), (2, 0));
    assert_eq!(counts.cooldown, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

//! `tokenlane keys`, `verify --issuer-url` and `verify --introspect` against
//! a loopback server these tests start (127.0.0.1, an OS-chosen port,
//! stopped when the test ends). The keys and tokens are the bundled
//! samples (minted by `cli/samples/generate.py` with Python
//! `cryptography`); the introspection answers are hand-written JSON. The
//! same commands against a real OpenID Provider: `tests/oidc/`
//! (`scripts/test-oidc.sh`).

#![allow(missing_docs)]

use core::sync::atomic::{AtomicBool, Ordering};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_tokenlane");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
/// The samples' fixed clock (settings.json) and their issuer and API.
const NOW: &str = "1767225600";
const ISSUER: &str = "https://issuer.example/";
const API: &str = "https://api.example";
/// `Basic base64("rs:rs-secret")`, the resource server's credentials.
const RS_BASIC: &str = "Basic cnM6cnMtc2VjcmV0";

/// What the server answers; `other_issuer` makes the metadata lie.
struct Server {
    base: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}/{name}")).expect("sample")
}

/// The samples' JWKS plus an encryption key, which `keys` lists as skipped.
fn jwks() -> String {
    let mut doc: Value = serde_json::from_str(&sample("jwks.json")).expect("jwks");
    let mut enc = doc["keys"][0].clone();
    // A kid with a terminal escape: printed escaped, never raw.
    enc["kid"] = json!("enc\u{1b}[2J");
    enc["use"] = json!("enc");
    enc.as_object_mut().expect("object").remove("alg");
    doc["keys"].as_array_mut().expect("keys").push(enc);
    doc.to_string()
}

/// The introspection answer for a token (the samples' clock + 1 h as exp).
fn introspection(token: &str) -> Value {
    match token {
        "opaque-ok" => json!({"active": true, "client_id": "cc", "sub": "svc",
            "aud": API, "iss": ISSUER, "scope": "read:appointments write:appointments",
            "exp": 1767229200, "iat": 1767225000, "token_type": "Bearer"}),
        // node-oidc-provider's answer for a refresh token: no aud, no token_type.
        "refresh" => json!({"active": true, "client_id": "app", "sub": "alice",
            "iss": ISSUER, "scope": "openid offline_access read:appointments",
            "exp": 1767229200, "iat": 1767225000}),
        "other-api" => json!({"active": true, "client_id": "cc", "aud": "https://other.example",
            "iss": ISSUER, "scope": "read:appointments", "exp": 1767229200}),
        _ => json!({"active": false}),
    }
}

fn respond(mut s: TcpStream, base: &str, other_issuer: bool) {
    let mut reader = BufReader::new(s.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        headers.push(h.trim().to_owned());
    }
    let header = |name: &str| {
        headers.iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len.min(65536)];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let path = line.split(' ').nth(1).unwrap_or("/");
    let (status, extra, text) = match path {
        "/.well-known/openid-configuration" => {
            let issuer = if other_issuer {
                "https://evil.example"
            } else {
                base
            };
            let m = json!({"issuer": issuer, "jwks_uri": format!("{base}/jwks"),
                "introspection_endpoint": format!("{base}/introspect")});
            (200, String::new(), m.to_string())
        }
        "/jwks" => (
            200,
            "Cache-Control: public, max-age=120\r\nETag: \"v1\"\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
                .to_owned(),
            jwks(),
        ),
        "/introspect" => {
            let form: Vec<(&str, &str)> = body
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
            let basic_ok = header("authorization").as_deref() == Some(RS_BASIC);
            let post_ok = get("client_id") == Some("rs") && get("client_secret") == Some("rs-secret");
            if basic_ok || post_ok {
                let token = get("token").unwrap_or_default();
                (200, String::new(), introspection(token).to_string())
            } else {
                (401, String::new(), r#"{"error":"invalid_client"}"#.to_owned())
            }
        }
        _ => (404, String::new(), String::new()),
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

fn serve(other_issuer: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = Arc::new(AtomicBool::new(false));
    let (b, st) = (base.clone(), Arc::clone(&stop));
    std::thread::spawn(move || {
        for s in listener.incoming() {
            if st.load(Ordering::SeqCst) {
                break;
            }
            if let Ok(s) = s {
                respond(s, &b, other_issuer);
            }
        }
    });
    Server { base, stop }
}

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run tokenlane");
    Out {
        status: out.status.code().expect("exit status"),
        stdout: String::from_utf8(out.stdout).expect("utf8"),
        stderr: String::from_utf8(out.stderr).expect("utf8"),
    }
}

fn json_of(o: &Out) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", o.stdout))
}

#[test]
fn keys_shows_loaded_and_skipped_keys_and_the_cache_headers() {
    let srv = serve(false);
    let out = run(&["keys", "--json", &srv.base], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v = json_of(&out);
    assert_eq!(v["issuer"], json!(srv.base));
    assert_eq!(v["metadata"], "openid-configuration");
    assert_eq!(v["jwks_uri"], json!(format!("{}/jwks", srv.base)));
    assert_eq!(
        v["keys"],
        json!([{"kid": "demo-ec-1", "kty": "EC", "crv": "P-256", "alg": "ES256", "verifies": ["ES256"]}])
    );
    assert_eq!(
        v["skipped"],
        json!([{"index": 1, "kid": "enc\u{1b}[2J", "kty": "EC", "crv": "P-256", "alg": null,
            "reason": "not a signature-verification key (use/key_ops)"}])
    );
    assert_eq!(
        v["cache"],
        json!({"cache_control": "public, max-age=120", "etag": "\"v1\"",
            "last_modified": "Thu, 01 Jan 2026 00:00:00 GMT", "ttl": 120})
    );

    assert!(
        !out.stdout.contains('\u{1b}'),
        "raw escape in --json output"
    );

    let out = run(&["keys", &srv.base], &[]);
    assert_eq!(out.status, 0);
    assert!(!out.stdout.contains('\u{1b}'), "raw escape in text output");
    for line in [
        format!(
            "issuer      {} (metadata: openid-configuration)\n",
            srv.base
        ),
        "keys loaded 1\n  kid demo-ec-1  EC P-256  alg ES256  verifies ES256\n".to_owned(),
        "skipped     1\n  #1 kid enc\\u001b[2J  kty EC: not a signature-verification key (use/key_ops)\n"
            .to_owned(),
        "cache       Cache-Control: public, max-age=120\n            ETag: \"v1\"\n".to_owned(),
    ] {
        assert!(
            out.stdout.contains(&line),
            "{line:?} not in:\n{}",
            out.stdout
        );
    }
}

#[test]
fn keys_from_a_jwks_uri() {
    let srv = serve(false);
    let out = run(
        &[
            "keys",
            "--json",
            "--jwks-uri",
            &format!("{}/jwks", srv.base),
        ],
        &[],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v = json_of(&out);
    assert_eq!(v["issuer"], Value::Null);
    assert_eq!(v["keys"][0]["kid"], "demo-ec-1");
}

#[test]
fn metadata_naming_another_issuer_is_refused_and_nothing_is_judged() {
    let srv = serve(true);
    let out = run(&["keys", &srv.base], &[]);
    assert_eq!(out.status, 4);
    assert!(
        out.stderr.starts_with("tokenlane: error: keys: ") && out.stderr.contains("issuer"),
        "{}",
        out.stderr
    );
    let token = sample("access.jwt");
    let out = run(
        &[
            "verify",
            "--issuer-url",
            &srv.base,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            NOW,
            token.trim(),
        ],
        &[],
    );
    assert_eq!(out.status, 4);
    assert_eq!(out.stdout, "");
}

#[test]
fn verify_with_issuer_url_accepts_the_access_token_and_refuses_the_id_token() {
    let srv = serve(false);
    let base = [
        "verify",
        "--json",
        "--issuer-url",
        &srv.base,
        "--issuer",
        ISSUER,
        "--audience",
        API,
        "--now",
        NOW,
    ];
    let token = sample("access.jwt");
    let out = run(&[&base[..], &[token.trim()]].concat(), &[]);
    assert_eq!(out.status, 0, "{}", out.stdout);
    let v = json_of(&out);
    assert_eq!(
        (v["valid"].clone(), v["path"].clone(), v["sub"].clone()),
        (json!(true), json!("local"), json!("alice"))
    );
    let id = sample("id.jwt");
    let out = run(&[&base[..], &[id.trim()]].concat(), &[]);
    assert_eq!(out.status, 22);
    assert_eq!(json_of(&out)["error"]["code"], "wrong_token_type");
    // --issuer-url does not combine with local keys.
    let out = run(&[&base[..], &["--jwks", "x", "tok"]].concat(), &[]);
    assert_eq!(out.status, 2);
}

fn introspect(srv: &Server, token: &str, extra: &[&str], env: &[(&str, &str)]) -> Out {
    let args = [
        &[
            "verify",
            "--json",
            "--issuer-url",
            &srv.base,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            NOW,
            "--introspect",
            "--client-id",
            "rs",
        ][..],
        extra,
        &["--", token],
    ]
    .concat();
    run(&args, env)
}

const SECRET: &[(&str, &str)] = &[("TOKENLANE_CLIENT_SECRET", "rs-secret")];

#[test]
fn introspection_accepts_an_active_access_token_with_its_scopes() {
    let srv = serve(false);
    let out = introspect(
        &srv,
        "opaque-ok",
        &["--scope", "write:appointments"],
        SECRET,
    );
    assert_eq!(out.status, 0, "{} {}", out.stdout, out.stderr);
    let v = json_of(&out);
    assert_eq!(v["path"], "introspection");
    assert_eq!(
        v["scopes"],
        json!(["read:appointments", "write:appointments"])
    );
    assert_eq!(v["client_id"], "cc");
}

#[test]
fn introspection_refusals_have_their_exact_codes() {
    let srv = serve(false);
    for (token, status, code) in [
        ("refresh", 23, "missing_claim"),
        ("revoked", 24, "invalid_claim"),
        ("other-api", 21, "audience_mismatch"),
    ] {
        let out = introspect(&srv, token, &[], SECRET);
        assert_eq!(out.status, status, "{token}: {}", out.stdout);
        assert_eq!(json_of(&out)["error"]["code"], code, "{token}");
    }
}

#[test]
fn introspection_client_auth_methods_and_secret_sources() {
    let srv = serve(false);
    let dir = std::env::temp_dir().join(format!("tokenlane-cli-remote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("secret");
    std::fs::write(&file, "rs-secret\n").expect("write");
    let f = file.to_str().expect("utf8 path");
    let out = introspect(
        &srv,
        "opaque-ok",
        &[
            "--client-secret-file",
            f,
            "--client-auth",
            "client_secret_post",
        ],
        &[],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = introspect(
        &srv,
        "opaque-ok",
        &["--client-secret-env", "RS"],
        &[("RS", "rs-secret")],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    // Wrong credentials: the endpoint's 401 is a server fault (exit 4), not invalid_token.
    let out = introspect(
        &srv,
        "opaque-ok",
        &[],
        &[("TOKENLANE_CLIENT_SECRET", "wrong")],
    );
    assert_eq!(out.status, 4);
    assert_eq!(
        out.stderr,
        "tokenlane: error: introspection endpoint: the server answered HTTP 401\n"
    );
    // No secret at all; and the secret is never an argument.
    let out = introspect(&srv, "opaque-ok", &[], &[]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("TOKENLANE_CLIENT_SECRET"),
        "{}",
        out.stderr
    );
    let out = introspect(&srv, "opaque-ok", &["--client-secret", "rs-secret"], &[]);
    assert_eq!(out.status, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jwt_is_validated_locally_even_with_introspect() {
    let srv = serve(false);
    let token = sample("access.jwt");
    let out = introspect(&srv, token.trim(), &[], SECRET);
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert_eq!(json_of(&out)["path"], "local");
}

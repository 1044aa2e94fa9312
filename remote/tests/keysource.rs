//! The key source against loopback servers the tests start (127.0.0.1
//! only): rotation, the kid flood, discovery, revalidation, and every fault
//! of the crate docs' table. Accepted tokens and keys are the conformance
//! suite's, minted by Python `cryptography`.

mod common;

use core::time::Duration;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::*;
use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, KeyError, UnixTime};
use tokenlane_remote::{
    scratch_len, Event, HttpOptions, HttpRequest, HttpResponse, KeySource, KeySourceOptions,
    RefreshPolicy, RemoteError, Transport, TransportError, ValidationError,
};

const AUD: [&str; 1] = [AUDIENCE];
const SCOPES: [&str; 1] = ["read:appointments"];

fn policy() -> AccessPolicy<'static> {
    AccessPolicy::new(
        ISSUER,
        &AUD,
        AlgorithmSet::from_slice(&[Algorithm::ES256, Algorithm::RS256]),
    )
    .unwrap()
    .with_required_scopes(&SCOPES)
    .unwrap()
    .with_leeway(60)
    .unwrap()
}

fn options() -> (KeySourceOptions, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    let opts = KeySourceOptions {
        http: HttpOptions {
            connect_timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(1),
            ..HttpOptions::default()
        },
        inline_refresh: true,
        on_event: Some(Arc::new(move |e: &Event| {
            // The log line never carries key material.
            let line = e.to_string();
            assert!(!line.contains("\"n\"") && !line.contains("\"x\""), "{line}");
            e2.lock().unwrap().push(e.clone());
        })),
        ..KeySourceOptions::default()
    };
    (opts, events)
}

fn validate(src: &KeySource, token: &str, now: u64) -> Result<(), ValidationError> {
    let mut scratch = vec![0u8; scratch_len(token.len())];
    src.validate_access(
        &policy(),
        token.as_bytes(),
        UnixTime::from_secs(now),
        &mut scratch,
    )
    .map(|t| assert_eq!(t.sub(), Some("user-123")))
}

fn key_not_found() -> ValidationError {
    ValidationError::Token(tokenlane::Error::KeyNotFound { kid_given: true })
}

/// A copy of `token` whose header names another kid (its signature no
/// longer matters: the kid is looked up first).
fn with_kid(token: &str, kid: &str) -> String {
    let header = format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#);
    let rest = token.split_once('.').unwrap().1;
    format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        rest
    )
}

fn jwks_server(jwks: Arc<Mutex<String>>) -> Server {
    serve(move |path, _| match path {
        "/jwks" => ok(&jwks.lock().unwrap()),
        _ => status(404),
    })
}

#[test]
fn rotation_new_kid_after_exactly_one_fetch_old_kid_refused() {
    let (rs, now) = case(RS256);
    let (es, _) = case(ES256);
    let jwks = Arc::new(Mutex::new(jwks_with(&["rsa-1"])));
    let server = jwks_server(jwks.clone());
    let (opts, events) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();

    validate(&src, &rs, now).unwrap();
    assert_eq!(server.hits(), 1);
    // Rotation: rsa-1 removed, ec-1 added. rsa-1 keeps verifying until a
    // fetch succeeds.
    *jwks.lock().unwrap() = jwks_with(&["ec-1"]);
    validate(&src, &rs, now + 31).unwrap();
    assert_eq!(server.hits(), 1);
    // The new kid: one fetch (outside the cooldown), then accepted.
    validate(&src, &es, now + 31).unwrap();
    assert_eq!(server.hits(), 2);
    // The old kid: refused now, and within the cooldown no fetch.
    assert_eq!(validate(&src, &rs, now + 32), Err(key_not_found()));
    assert_eq!(server.hits(), 2);
    let counts = src.counts();
    assert_eq!((counts.fetched, counts.cooldown, counts.failed), (2, 1, 0));
    assert!(matches!(
        events.lock().unwrap().last(),
        Some(Event::Cooldown { remaining: 29 })
    ));
}

#[test]
fn fresh_keys_never_fetches_and_answers_only_while_fresh() {
    let (es, now) = case(ES256);
    let jwks = Arc::new(Mutex::new(jwks_with(&["ec-1"])));
    let server = jwks_server(jwks);
    let (opts, _) = options();
    let ttl = opts.policy.default_ttl();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    // No keys yet: None, and no fetch.
    assert!(src.fresh_keys(UnixTime::from_secs(now)).is_none());
    assert_eq!(server.hits(), 0);
    validate(&src, &es, now).unwrap();
    assert_eq!(server.hits(), 1);
    let fresh = src
        .fresh_keys(UnixTime::from_secs(now + 1))
        .expect("fresh keys");
    assert_eq!(fresh.len(), 1);
    // Past the TTL: None again, still no fetch.
    assert!(src.fresh_keys(UnixTime::from_secs(now + ttl)).is_none());
    assert_eq!(server.hits(), 1);
}

#[test]
fn kid_flood_costs_one_fetch_per_cooldown() {
    let (es, now) = case(ES256);
    let server = jwks_server(Arc::new(Mutex::new(jwks_with(&["rsa-1", "ec-1"]))));
    let (opts, _) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    validate(&src, &es, now).unwrap();
    // 1,300 random kids over 65 s: fetches at +30 and +60 only.
    for i in 0..1300u64 {
        let t = now + 1 + i / 20;
        assert_eq!(
            validate(&src, &with_kid(&es, &format!("random-{i}")), t),
            Err(key_not_found())
        );
    }
    assert_eq!(server.hits(), 3);
    assert_eq!(src.counts().cooldown, 1298);
}

#[test]
fn single_flight_first_load() {
    let (es, now) = case(ES256);
    let jwks = jwks_with(&["ec-1"]);
    let server = serve(move |_, _| {
        std::thread::sleep(Duration::from_millis(300));
        ok(&jwks)
    });
    let (opts, _) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (src, es) = (src.clone(), es.clone());
            std::thread::spawn(move || validate(&src, &es, now))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    assert_eq!(server.hits(), 1);
}

#[test]
fn etag_and_last_modified_revalidate_with_304() {
    let (es, now) = case(ES256);
    let jwks = jwks_with(&["ec-1"]);
    let server = serve(move |_, head| {
        let h = head.to_ascii_lowercase();
        if h.contains("if-none-match: \"v1\"") && h.contains("if-modified-since: tue, 01 dec 2026")
        {
            return Reply::Http {
                status: 304,
                headers: vec![("Cache-Control".into(), "max-age=120".into())],
                body: vec![],
            };
        }
        Reply::Http {
            status: 200,
            headers: vec![
                ("ETag".into(), "\"v1\"".into()),
                (
                    "Last-Modified".into(),
                    "Tue, 01 Dec 2026 00:00:00 GMT".into(),
                ),
                ("Cache-Control".into(), "public, max-age=100".into()),
            ],
            body: jwks.as_bytes().to_vec(),
        }
    });
    let (opts, events) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    validate(&src, &es, now).unwrap();
    // max-age=100, refresh ahead 30: nothing before +70.
    validate(&src, &es, now + 69).unwrap();
    assert_eq!(server.hits(), 1);
    validate(&src, &es, now + 70).unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(src.counts().not_modified, 1);
    assert_eq!(
        events.lock().unwrap().last(),
        Some(&Event::NotModified { ttl: 120 })
    );
    // The TTL is renewed from the 304: nothing until +70+90.
    validate(&src, &es, now + 159).unwrap();
    assert_eq!(server.hits(), 2);
}

#[test]
fn background_refresh_does_not_make_requests_wait() {
    let (es, now) = case(ES256);
    let jwks = jwks_with(&["ec-1"]);
    let first = Arc::new(Mutex::new(true));
    let server = serve(move |_, _| {
        let mut f = first.lock().unwrap();
        if !*f {
            std::thread::sleep(Duration::from_millis(800));
        }
        *f = false;
        ok(&jwks)
    });
    let (mut opts, _) = options();
    opts.inline_refresh = false;
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    validate(&src, &es, now).unwrap();
    // In the refresh-ahead window (default TTL 600, ahead 30): served at once.
    let t0 = Instant::now();
    validate(&src, &es, now + 575).unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while src.counts().fetched < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(src.counts().fetched, 2);
    assert_eq!(server.hits(), 2);
}

#[test]
fn discovery_oidc_then_rfc8414_and_issuer_mismatch() {
    // A server whose issuer has a path; only RFC 8414's path-inserted URL exists.
    let jwks = jwks_with(&["ec-1"]);
    let base = Arc::new(Mutex::new(String::new()));
    let b2 = base.clone();
    let server = serve(move |path, _| {
        let base = b2.lock().unwrap().clone();
        match path {
            "/.well-known/oauth-authorization-server/tenant" => ok(&format!(
                r#"{{"issuer":"{base}/tenant","jwks_uri":"{base}/keys","introspection_endpoint":"{base}/introspect"}}"#
            )),
            "/keys" => ok(&jwks),
            _ => status(404),
        }
    });
    *base.lock().unwrap() = server.base.clone();
    let (opts, _) = options();
    let issuer = format!("{}/tenant", server.base);
    let src = KeySource::from_issuer(&issuer, opts.clone()).unwrap();
    let keys = src.keys(UnixTime::from_secs(1_000)).unwrap();
    assert_eq!(keys.len(), 1);
    let m = src.metadata().unwrap();
    assert_eq!(
        m.source,
        tokenlane_remote::WellKnown::OAuthAuthorizationServer
    );
    assert_eq!(
        m.introspection_endpoint,
        Some(format!("{}/introspect", server.base))
    );
    assert_eq!(server.hits(), 3, "oidc 404, rfc 8414, jwks");

    // The same metadata (RFC 8414 drops the trailing slash to find it)
    // under the issuer with a trailing slash: not equal, refused.
    let other = format!("{}/tenant/", server.base);
    let (opts2, events) = options();
    let src = KeySource::from_issuer(&other, opts2).unwrap();
    let err = src.keys(UnixTime::from_secs(1_000)).unwrap_err();
    assert_eq!(
        err,
        RemoteError::IssuerMismatch {
            expected: other.clone(),
            found: issuer.clone()
        }
    );
    let mism = serve(|path, _| match path {
        "/.well-known/openid-configuration" => {
            ok(r#"{"issuer":"https://evil.example/","jwks_uri":"https://evil.example/jwks"}"#)
        }
        _ => status(404),
    });
    let (opts3, events3) = options();
    let src = KeySource::from_issuer(&mism.base, opts3).unwrap();
    match src.keys(UnixTime::from_secs(1_000)) {
        Err(RemoteError::IssuerMismatch { found, .. }) => {
            assert_eq!(found, "https://evil.example/")
        }
        other => panic!("{:?}", other.map(|k| k.len())),
    }
    assert_eq!(mism.hits(), 1, "nothing fetched from the other issuer");
    assert!(matches!(
        &events3.lock().unwrap()[0],
        Event::Failed {
            error: RemoteError::IssuerMismatch { .. }
        }
    ));
    assert!(matches!(&events.lock().unwrap()[0], Event::Failed { .. }));
}

/// First-load outcome of a server answering `reply` for every request.
fn first_load(reply: impl Fn() -> Reply + Send + Sync + 'static) -> (RemoteError, Duration, usize) {
    let server = serve(move |_, _| reply());
    let (opts, events) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    let t0 = Instant::now();
    let err = match src.keys(UnixTime::from_secs(1_000)) {
        Err(e) => e,
        Ok(k) => panic!("loaded {} keys", k.len()),
    };
    let took = t0.elapsed();
    assert_eq!(src.counts().failed, 1);
    assert_eq!(
        events.lock().unwrap().as_slice(),
        &[Event::Failed { error: err.clone() }]
    );
    // Within the retry interval: refused without another request.
    let hits = server.hits();
    assert!(matches!(
        src.keys(UnixTime::from_secs(1_005)),
        Err(RemoteError::RetryLater(_))
    ));
    assert_eq!(server.hits(), hits);
    (err, took, hits)
}

#[test]
fn faults_each_have_a_defined_outcome() {
    assert_eq!(first_load(|| status(500)).0, RemoteError::HttpStatus(500));
    assert_eq!(first_load(|| status(404)).0, RemoteError::HttpStatus(404));
    assert_eq!(
        first_load(|| ok("{not json")).0,
        RemoteError::Keys(KeyError::Encoding)
    );
    assert_eq!(
        first_load(|| Reply::Http {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html><body>502 Bad Gateway</body></html>".to_vec()
        })
        .0,
        RemoteError::Keys(KeyError::Encoding)
    );
    assert_eq!(
        first_load(|| ok(r#"{"keys":[]}"#)).0,
        RemoteError::Keys(KeyError::NoUsableKey {
            keys: 0,
            not_for_verifying: 0,
            unsupported_key_type: 0,
            unsupported_alg: 0,
            private_key: 0
        })
    );
    let enc_only =
        r#"{"keys":[{"kty":"oct","use":"enc","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#;
    assert!(matches!(
        first_load(move || ok(enc_only)).0,
        RemoteError::Keys(KeyError::NoUsableKey { keys: 1, .. })
    ));
    let big = vec![b' '; 10 * 1024 * 1024];
    assert_eq!(
        first_load(move || Reply::Http {
            status: 200,
            headers: vec![],
            body: big.clone()
        })
        .0,
        RemoteError::Transport(TransportError::BodyTooLarge)
    );
    let (err, took, _) = first_load(|| Reply::Hang);
    assert_eq!(err, RemoteError::Transport(TransportError::Timeout));
    assert!(took < Duration::from_secs(3), "{took:?}");
    let (err, took, _) = first_load(|| Reply::Trickle);
    assert_eq!(err, RemoteError::Transport(TransportError::Timeout));
    assert!(took < Duration::from_secs(3), "{took:?}");
    // A redirect loop: the first request and three redirects, then refused.
    let (err, _, hits) = first_load(|| redirect("/jwks"));
    assert_eq!((err, hits), (RemoteError::TooManyRedirects, 4));
    assert_eq!(
        first_load(|| redirect("elsewhere")).0,
        RemoteError::InvalidRedirect
    );
}

#[test]
fn stale_if_error_then_stale_too_long() {
    let (es, now) = case(ES256);
    let up = Arc::new(Mutex::new(true));
    let jwks = jwks_with(&["ec-1"]);
    let u2 = up.clone();
    let server = serve(move |_, _| {
        if *u2.lock().unwrap() {
            ok(&jwks)
        } else {
            status(503)
        }
    });
    let (mut opts, events) = options();
    opts.policy = RefreshPolicy::default()
        .with_default_ttl(60)
        .unwrap()
        .with_max_stale(600)
        .unwrap();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    validate(&src, &es, now).unwrap();
    *up.lock().unwrap() = false;
    // Past expiry (60 s): the refresh fails, the last good keys serve.
    validate(&src, &es, now + 100).unwrap();
    assert_eq!(
        events.lock().unwrap()[1..],
        [
            Event::Failed {
                error: RemoteError::HttpStatus(503)
            },
            Event::ServedStale { past_expiry: 40 }
        ]
    );
    // Within the retry interval: no request.
    let hits = server.hits();
    validate(&src, &es, now + 105).unwrap();
    assert_eq!(server.hits(), hits);
    // Past expiry + max_stale: refused, and the token is not judged.
    assert!(matches!(
        validate(&src, &es, now + 700),
        Err(ValidationError::KeysUnavailable(RemoteError::StaleTooLong(
            _
        )))
    ));
    // The endpoint back: keys again.
    *up.lock().unwrap() = true;
    validate(&src, &es, now + 711).unwrap();
    assert_eq!(src.counts().served_stale, 1);
}

#[test]
fn garbage_or_no_usable_key_keeps_the_last_good_keys() {
    let (es, now) = case(ES256);
    let body = Arc::new(Mutex::new(jwks_with(&["ec-1"])));
    let server = jwks_server(body.clone());
    let (opts, _) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    validate(&src, &es, now).unwrap();
    for bad in ["<html>oops</html>", r#"{"keys":[]}"#] {
        *body.lock().unwrap() = bad.to_owned();
        // A kid miss outside the cooldown fetches the garbage: refused as
        // key_not_found, and ec-1 still verifies.
        let t = now + 100 * (1 + u64::from(bad.starts_with('{')));
        assert_eq!(
            validate(&src, &with_kid(&es, "new"), t),
            Err(key_not_found())
        );
        validate(&src, &es, t).unwrap();
    }
    assert_eq!(src.counts().failed, 2);
}

/// A stub transport: the redirect rules without a network (https URLs).
struct Stub(fn(&str) -> HttpResponse);

impl Transport for Stub {
    fn get(&self, r: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        Ok((self.0)(r.url))
    }
}

#[test]
fn never_https_to_http_and_plain_http_only_on_loopback() {
    let stub = Arc::new(Stub(|url| match url {
        "https://as.example/jwks" => HttpResponse {
            status: 301,
            location: Some("http://as.example/jwks".into()),
            ..HttpResponse::default()
        },
        _ => HttpResponse {
            status: 200,
            body: br#"{"keys":[]}"#.to_vec(),
            ..HttpResponse::default()
        },
    }));
    let (opts, _) = options();
    let src =
        KeySource::with_transport_jwks_uri("https://as.example/jwks", opts.clone(), stub.clone())
            .unwrap();
    assert_eq!(
        src.keys(UnixTime::from_secs(0)).err(),
        Some(RemoteError::RedirectToHttp)
    );
    // Even with the plain-http opt-in, https never downgrades.
    let mut loud = opts.clone();
    loud.http.dangerously_allow_plain_http = true;
    let src =
        KeySource::with_transport_jwks_uri("https://as.example/jwks", loud, stub.clone()).unwrap();
    assert_eq!(
        src.keys(UnixTime::from_secs(0)).err(),
        Some(RemoteError::RedirectToHttp)
    );
    assert_eq!(
        KeySource::with_transport_jwks_uri("http://as.example/jwks", opts.clone(), stub.clone())
            .err(),
        Some(RemoteError::InsecureUrl)
    );
    assert_eq!(
        KeySource::with_transport_issuer("http://localhost/", opts, stub).err(),
        Some(RemoteError::InsecureUrl)
    );
}

#[test]
fn id_token_lane_follows_the_source_through_a_kid_miss() {
    let name = "id_token_rs256_with_all_checks_is_accepted";
    let (token, now) = case(name);
    let c = cases();
    let p = &c["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["policy"];
    let jwks = Arc::new(Mutex::new(jwks_with(&["ec-1"])));
    let server = jwks_server(jwks.clone());
    let (opts, _) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    let policy = tokenlane::IdPolicy::new(
        ISSUER,
        "client-app",
        AlgorithmSet::from_slice(&[Algorithm::RS256]),
    )
    .unwrap()
    .with_leeway(60)
    .unwrap();
    let checks = tokenlane::IdChecks {
        nonce: p["nonce"].as_str(),
        max_age: p["max_age"].as_u64(),
        access_token: p["access_token"].as_str().map(str::as_bytes),
    };
    let run = |t: u64| {
        let mut scratch = vec![0u8; scratch_len(token.len())];
        src.validate_id(
            &policy,
            token.as_bytes(),
            UnixTime::from_secs(t),
            &checks,
            &mut scratch,
        )
        .map(|id| id.sub().to_owned())
    };
    // First load has ec-1 only; rsa-1 is unknown and the cooldown holds.
    assert_eq!(run(now), Err(key_not_found()));
    assert_eq!(server.hits(), 1);
    *jwks.lock().unwrap() = jwks_with(&["rsa-1", "ec-1"]);
    assert_eq!(run(now + 30).as_deref(), Ok("user-123"));
    assert_eq!(server.hits(), 2);
}

#[test]
fn threads_validate_without_a_miss_during_rotations() {
    let (es, now) = case(ES256);
    let (rs, _) = case(RS256);
    let jwks = Arc::new(Mutex::new(jwks_with(&["ec-1"])));
    let server = jwks_server(jwks.clone());
    let (opts, _) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    validate(&src, &es, now).unwrap();
    let stop = Arc::new(core::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (src, es, stop) = (src.clone(), es.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u32;
                while !stop.load(core::sync::atomic::Ordering::Relaxed) {
                    validate(&src, &es, now + 1).unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    // Ten rotations: rsa-1 comes and goes; ec-1 stays in every set.
    for i in 1..=10u64 {
        let with_rsa = i % 2 == 1;
        *jwks.lock().unwrap() = if with_rsa {
            jwks_with(&["rsa-1", "ec-1"])
        } else {
            jwks_with(&["ec-1"])
        };
        if with_rsa {
            // Added: the kid miss fetches it.
            validate(&src, &rs, now + 31 * i).unwrap();
        } else {
            // Removed: it verifies until a fetch succeeds, then not.
            validate(&src, &rs, now + 31 * i).unwrap();
            src.refresh(UnixTime::from_secs(now + 31 * i)).unwrap();
            assert_eq!(validate(&src, &rs, now + 31 * i), Err(key_not_found()));
        }
    }
    stop.store(true, core::sync::atomic::Ordering::Relaxed);
    let total: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(total > 0);
    assert_eq!(server.hits(), 11);
}

/// A stub that serves `sets[i]` on its i-th fetch (the last one after) and
/// counts the fetches.
struct Rotating {
    sets: Vec<String>,
    fetches: core::sync::atomic::AtomicUsize,
}

impl Transport for Rotating {
    fn get(&self, _: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        let i = self
            .fetches
            .fetch_add(1, core::sync::atomic::Ordering::SeqCst);
        Ok(HttpResponse {
            status: 200,
            body: self.sets[i.min(self.sets.len() - 1)].clone().into_bytes(),
            ..HttpResponse::default()
        })
    }
}

/// The race: a request reads the keys, another thread's fetch replaces
/// them, then the request's kid miss lands in the cooldown. Answering
/// "no new keys" there would refuse a token the new keys verify; the miss
/// is judged against the keys the request saw, with no extra fetch.
#[test]
fn a_kid_miss_on_keys_replaced_meanwhile_retries_within_the_cooldown() {
    let stub = Arc::new(Rotating {
        sets: vec![jwks_with(&["ec-1"]), jwks_with(&["ec-1", "rsa-1"])],
        fetches: Default::default(),
    });
    let (opts, _) = options();
    let src =
        KeySource::with_transport_jwks_uri("https://as.example/jwks", opts, stub.clone()).unwrap();
    let now = UnixTime::from_secs(1_000);
    let seen = src.keys(now).unwrap();
    assert_eq!(seen.len(), 1);
    // Another thread's refresh brings the new set.
    assert_eq!(src.refresh(now).unwrap().len(), 2);
    // The plain cooldown answer says nothing was fetched for this miss...
    assert!(!src.kid_miss(now));
    // ...but the keys this request saw are gone: retry, without a fetch.
    assert!(src.kid_miss_since(&seen, now));
    assert_eq!(stub.fetches.load(core::sync::atomic::Ordering::SeqCst), 2);
    // A miss on the current keys stays a miss within the cooldown.
    let current = src.keys(now).unwrap();
    assert!(!src.kid_miss_since(&current, now));
    assert_eq!(stub.fetches.load(core::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn a_refetch_of_the_same_document_keeps_the_same_key_set() {
    let (_, now) = case(RS256);
    let jwks = Arc::new(Mutex::new(jwks_with(&["rsa-1"])));
    let server = jwks_server(jwks.clone());
    let (opts, _) = options();
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), opts).unwrap();
    let first = src
        .keys(UnixTime::from_secs(now))
        .unwrap()
        .shared()
        .unwrap();
    // A kid miss outside the cooldown fetches again: the same bytes keep
    // the same set (so per-key-set state such as serve's token cache stays).
    assert!(src.kid_miss(UnixTime::from_secs(now + 31)));
    assert_eq!(server.hits(), 2);
    let same = src
        .keys(UnixTime::from_secs(now + 31))
        .unwrap()
        .shared()
        .unwrap();
    assert!(Arc::ptr_eq(&first, &same));
    // Another document: a new set.
    *jwks.lock().unwrap() = jwks_with(&["rsa-1", "ec-1"]);
    assert!(src.kid_miss(UnixTime::from_secs(now + 62)));
    assert_eq!(server.hits(), 3);
    let next = src
        .keys(UnixTime::from_secs(now + 62))
        .unwrap()
        .shared()
        .unwrap();
    assert!(!Arc::ptr_eq(&first, &next));
    assert_eq!(next.len(), 2);
}

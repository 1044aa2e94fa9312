//! The introspection client against loopback servers started here: the
//! request (POST, form body, client_secret_basic / client_secret_post), the
//! core's decision, the cache (positive, negative, bounded, single flight)
//! and the fault table of `tokenlane_remote::introspection`.

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, Claim, Error, UnixTime};
use tokenlane_remote::{
    ClientAuth, HttpOptions, IntrospectionError, IntrospectionOptions, Introspector, RemoteError,
    TransportError,
};

const ISSUER: &str = "https://op.example/";
const AUD: [&str; 1] = ["https://api.example/"];
const SCOPES: [&str; 1] = ["read"];
const NOW: u64 = 1_767_225_600;
const TOKEN: &str = "Yt1pKkXH0GvZbq2lQm0YgW0xYx5Lr3dQ6b2hVnTzq8E";

fn policy() -> AccessPolicy<'static> {
    AccessPolicy::new(ISSUER, &AUD, AlgorithmSet::from_slice(&[Algorithm::ES256]))
        .unwrap()
        .with_required_scopes(&SCOPES)
        .unwrap()
}

/// node-oidc-provider's answer for an opaque access token with a resource
/// indicator (hand-written, as in tests/conformance/introspection.json).
fn access_answer(exp: u64) -> String {
    format!(
        r#"{{"active":true,"client_id":"app","exp":{exp},"iat":{NOW},"iss":"{ISSUER}","scope":"openid read","sub":"user-1","token_type":"Bearer","aud":"{}"}}"#,
        AUD[0]
    )
}

/// node-oidc-provider 9's answer for a refresh token: no token_type, no aud.
fn refresh_answer() -> String {
    format!(
        r#"{{"active":true,"client_id":"app","exp":{},"iat":{NOW},"iss":"{ISSUER}","scope":"openid offline_access read","sub":"user-1"}}"#,
        NOW + 86_400
    )
}

enum Reply {
    Http(u16, Vec<(&'static str, String)>, Vec<u8>),
    Sleep(Duration, Box<Reply>),
}

fn json(body: String) -> Reply {
    Reply::Http(
        200,
        vec![("Content-Type", "application/json".into())],
        body.into_bytes(),
    )
}

struct Server {
    url: String,
    hits: Arc<AtomicUsize>,
    /// (head, body) of every request.
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

fn serve(handler: impl Fn() -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/token/introspection",
        listener.local_addr().unwrap()
    );
    let hits = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler = Arc::new(handler);
    let (h2, r2) = (hits.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (handler, hits, requests) = (handler.clone(), h2.clone(), r2.clone());
            std::thread::spawn(move || answer(stream, &*handler, &hits, &requests));
        }
    });
    Server {
        url,
        hits,
        requests,
    }
}

fn answer(
    mut s: TcpStream,
    handler: &(dyn Fn() -> Reply + Send + Sync),
    hits: &AtomicUsize,
    requests: &Mutex<Vec<(String, String)>>,
) {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while data.len() < end + len {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let body = String::from_utf8_lossy(&data[end..]).into_owned();
    hits.fetch_add(1, Ordering::SeqCst);
    requests.lock().unwrap().push((head, body));
    let mut reply = handler();
    while let Reply::Sleep(d, next) = reply {
        std::thread::sleep(d);
        reply = *next;
    }
    if let Reply::Http(status, headers, body) = reply {
        let mut out = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let _ = s.write_all(out.as_bytes());
        let _ = s.write_all(&body);
    }
}

fn basic() -> ClientAuth {
    ClientAuth::Basic {
        client_id: "rs:api".into(),
        client_secret: "p@ss w/rd+".into(),
    }
}

fn client(url: &str, auth: ClientAuth) -> Introspector {
    let mut o = IntrospectionOptions::new(auth);
    o.http = HttpOptions {
        connect_timeout: Duration::from_millis(500),
        total_timeout: Duration::from_millis(700),
        system_roots: false,
        ..HttpOptions::default()
    };
    Introspector::new(url, o).unwrap()
}

fn check(i: &Introspector, token: &str, now: u64) -> Result<Vec<String>, IntrospectionError> {
    let mut buf = Vec::new();
    i.validate(&policy(), token, UnixTime::from_secs(now), &mut buf)
        .map(|t| t.scopes().iter().map(str::to_owned).collect())
}

#[test]
fn an_opaque_access_token_is_accepted_with_its_scopes_and_the_request_is_rfc7662() {
    let srv = serve(|| json(access_answer(NOW + 300)));
    let i = client(&srv.url, basic());
    let mut buf = Vec::new();
    let t = i
        .validate(&policy(), TOKEN, UnixTime::from_secs(NOW), &mut buf)
        .unwrap();
    assert_eq!(t.sub(), Some("user-1"));
    assert_eq!(t.client_id(), Some("app"));
    assert!(t.has_scope("read"));
    assert_eq!(t.alg(), None);
    let reqs = srv.requests.lock().unwrap();
    let (head, body) = &reqs[0];
    assert!(
        head.starts_with("POST /token/introspection HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: application/x-www-form-urlencoded"));
    // RFC 6749 §2.3.1: base64(form-encode(id) ":" form-encode(secret)),
    // computed independently: base64("rs%3Aapi:p%40ss+w%2Frd%2B").
    assert!(
        head.contains("Authorization: Basic cnMlM0FhcGk6cCU0MHNzK3clMkZyZCUyQg==")
            || head.contains("authorization: Basic cnMlM0FhcGk6cCU0MHNzK3clMkZyZCUyQg=="),
        "{head}"
    );
    assert_eq!(body, &format!("token={TOKEN}&token_type_hint=access_token"));
}

#[test]
fn client_secret_post_puts_the_credentials_in_the_body() {
    let srv = serve(|| json(access_answer(NOW + 300)));
    let auth = ClientAuth::Post {
        client_id: "rs".into(),
        client_secret: "s&cret".into(),
    };
    let i = client(&srv.url, auth);
    assert!(check(&i, TOKEN, NOW).is_ok());
    let reqs = srv.requests.lock().unwrap();
    let (head, body) = &reqs[0];
    assert!(
        !head.to_ascii_lowercase().contains("authorization:"),
        "{head}"
    );
    assert_eq!(
        body,
        &format!("token={TOKEN}&token_type_hint=access_token&client_id=rs&client_secret=s%26cret")
    );
}

#[test]
fn a_refresh_token_answered_active_is_refused_by_the_audience_rule() {
    let srv = serve(|| json(refresh_answer()));
    let i = client(&srv.url, basic());
    let e = check(&i, "refresh-token-value", NOW).unwrap_err();
    assert_eq!(
        e,
        IntrospectionError::Token(Error::MissingClaim { claim: Claim::Aud })
    );
    assert_eq!(e.http_status(), 401);
}

#[test]
fn an_inactive_answer_is_refused_and_cached_for_the_negative_ttl() {
    let srv = serve(|| json(r#"{"active":false}"#.into()));
    let i = client(&srv.url, basic());
    for now in [NOW, NOW + 5, NOW + 9] {
        let e = check(&i, TOKEN, now).unwrap_err();
        assert_eq!(e.http_status(), 401);
        assert!(
            matches!(
                e,
                IntrospectionError::Token(Error::InvalidClaim {
                    claim: Claim::Active
                })
            ),
            "{e}"
        );
    }
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    check(&i, TOKEN, NOW + 10).unwrap_err();
    assert_eq!(srv.hits.load(Ordering::SeqCst), 2);
}

#[test]
fn an_accepted_answer_is_cached_until_the_earlier_of_exp_and_the_ttl() {
    // exp in 30 s (before the 60 s TTL): reused until then, then asked again.
    let srv = serve(|| json(access_answer(NOW + 30)));
    let i = client(&srv.url, basic());
    assert!(check(&i, TOKEN, NOW).is_ok());
    assert!(check(&i, TOKEN, NOW + 29).is_ok());
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    assert!(matches!(
        check(&i, TOKEN, NOW + 30),
        Err(IntrospectionError::Token(Error::Expired { .. }))
    ));
    assert_eq!(srv.hits.load(Ordering::SeqCst), 2);

    // exp far away: the 60 s TTL bounds it (revocation is seen within it).
    let srv = serve(|| json(access_answer(NOW + 3600)));
    let i = client(&srv.url, basic());
    assert!(check(&i, TOKEN, NOW).is_ok());
    assert!(check(&i, TOKEN, NOW + 59).is_ok());
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    assert!(check(&i, TOKEN, NOW + 60).is_ok());
    assert_eq!(srv.hits.load(Ordering::SeqCst), 2);
}

#[test]
fn the_cache_is_bounded_and_never_holds_or_prints_the_token() {
    let srv = serve(|| json(access_answer(NOW + 300)));
    let mut o = IntrospectionOptions::new(basic());
    o.max_entries = 2;
    o.http.system_roots = false;
    let i = Introspector::new(&srv.url, o).unwrap();
    for t in ["token-one", "token-two", "token-three"] {
        assert!(check(&i, t, NOW).is_ok());
    }
    assert_eq!(i.cached_len(), 2);
    let dbg = format!("{i:?}");
    assert!(!dbg.contains("token-") && !dbg.contains("p@ss"), "{dbg}");
}

#[test]
fn concurrent_lookups_of_one_token_make_one_request() {
    let srv = serve(|| {
        Reply::Sleep(
            Duration::from_millis(200),
            Box::new(json(access_answer(NOW + 300))),
        )
    });
    let i = Arc::new(client(&srv.url, basic()));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let i = Arc::clone(&i);
            std::thread::spawn(move || check(&i, TOKEN, NOW).is_ok())
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap());
    }
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
}

#[test]
fn threads_waiting_on_a_failing_request_share_its_fault() {
    let srv = serve(|| {
        Reply::Sleep(
            Duration::from_millis(200),
            Box::new(Reply::Http(503, vec![], b"down".to_vec())),
        )
    });
    let i = Arc::new(client(&srv.url, basic()));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let i = Arc::clone(&i);
            std::thread::spawn(move || check(&i, TOKEN, NOW).unwrap_err())
        })
        .collect();
    for t in threads {
        let e = t.join().unwrap();
        assert_eq!(
            e,
            IntrospectionError::Endpoint(RemoteError::HttpStatus(503))
        );
    }
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
}

fn endpoint_fault(reply: impl Fn() -> Reply + Send + Sync + 'static) -> IntrospectionError {
    let srv = serve(reply);
    let i = client(&srv.url, basic());
    let e = check(&i, TOKEN, NOW).unwrap_err();
    // A fault is not cached: the next lookup asks again.
    let _ = check(&i, TOKEN, NOW);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 2, "{e}");
    e
}

#[test]
fn endpoint_down_is_a_503() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let i = client(&format!("http://{port}/introspect"), basic());
    let e = check(&i, TOKEN, NOW).unwrap_err();
    assert_eq!(
        e,
        IntrospectionError::Endpoint(RemoteError::Transport(TransportError::Connect))
    );
    assert_eq!(e.http_status(), 503);
}

#[test]
fn endpoint_slow_is_a_timeout_503() {
    let e = endpoint_fault(|| {
        Reply::Sleep(
            Duration::from_secs(2),
            Box::new(json(access_answer(NOW + 300))),
        )
    });
    assert_eq!(
        e,
        IntrospectionError::Endpoint(RemoteError::Transport(TransportError::Timeout))
    );
    assert_eq!(e.http_status(), 503);
}

#[test]
fn endpoint_401_is_our_misconfiguration_500_not_the_users_invalid_token() {
    let e = endpoint_fault(|| {
        Reply::Http(
            401,
            vec![("WWW-Authenticate", "Basic".into())],
            b"{\"error\":\"invalid_client\"}".to_vec(),
        )
    });
    assert_eq!(
        e,
        IntrospectionError::Endpoint(RemoteError::HttpStatus(401))
    );
    assert_eq!(e.http_status(), 500);
}

#[test]
fn endpoint_5xx_is_a_503() {
    let e = endpoint_fault(|| Reply::Http(502, vec![], b"bad gateway".to_vec()));
    assert_eq!(
        e,
        IntrospectionError::Endpoint(RemoteError::HttpStatus(502))
    );
    assert_eq!(e.http_status(), 503);
}

#[test]
fn html_or_invalid_json_is_an_invalid_response_503() {
    for body in [
        "<html><body>Sign in</body></html>",
        "{\"active\":true,",
        "",
        "[true]",
    ] {
        let b = body.to_owned();
        let e = endpoint_fault(move || Reply::Http(200, vec![], b.clone().into_bytes()));
        assert_eq!(
            e,
            IntrospectionError::Endpoint(RemoteError::InvalidResponse),
            "{body}"
        );
        assert_eq!(e.http_status(), 503);
    }
}

#[test]
fn an_oversized_body_is_refused_503() {
    let big = format!(r#"{{"active":true,"pad":"{}"}}"#, "a".repeat(70 * 1024));
    let e = endpoint_fault(move || json(big.clone()));
    assert_eq!(
        e,
        IntrospectionError::Endpoint(RemoteError::Transport(TransportError::BodyTooLarge))
    );
    assert_eq!(e.http_status(), 503);
}

#[test]
fn a_redirect_is_never_followed() {
    let e = endpoint_fault(|| {
        Reply::Http(
            307,
            vec![("Location", "http://127.0.0.1:9/elsewhere".into())],
            vec![],
        )
    });
    assert_eq!(
        e,
        IntrospectionError::Endpoint(RemoteError::HttpStatus(307))
    );
}

#[test]
fn plain_http_to_a_non_loopback_endpoint_is_refused() {
    let o = IntrospectionOptions::new(basic());
    assert_eq!(
        Introspector::new("http://as.example/introspect", o).unwrap_err(),
        RemoteError::InsecureUrl
    );
}

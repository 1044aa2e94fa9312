//! The README's example, run: its lines verbatim except the three marked
//! ones, over a stub transport serving `issuer.example` (metadata and the
//! conformance JWKS), with a conformance token (Python `cryptography`).

mod common;

use std::sync::Arc;

use tokenlane_remote::{HttpRequest, HttpResponse, Transport, TransportError};

struct IssuerExample(String);

impl Transport for IssuerExample {
    fn get(&self, r: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        let body = match r.url {
            "https://issuer.example/.well-known/openid-configuration" => {
                r#"{"issuer":"https://issuer.example/","jwks_uri":"https://issuer.example/jwks"}"#
                    .to_owned()
            }
            "https://issuer.example/jwks" => self.0.clone(),
            _ => {
                return Ok(HttpResponse {
                    status: 404,
                    ..HttpResponse::default()
                })
            }
        };
        Ok(HttpResponse {
            status: 200,
            body: body.into_bytes(),
            ..HttpResponse::default()
        })
    }
}

#[test]
fn readme_example_runs() -> Result<(), Box<dyn core::error::Error>> {
    let (conformance_token, conformance_now) = common::case(common::ES256);
    let transport = Arc::new(IssuerExample(common::jwks_with(&["rsa-1", "ec-1"])));
    let mut printed = Vec::new();
    let mut println = |s: String| printed.push(s);
    macro_rules! println {
        ($($t:tt)*) => { println(format!($($t)*)) };
    }
    // ---- README lines ----
    use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, UnixTime};
    use tokenlane_remote::{scratch_len, KeySource, KeySourceOptions, ValidationError};

    let issuer = "https://issuer.example/";
    let token = conformance_token.as_str(); // example value
    let now = UnixTime::from_secs(conformance_now); // example value

    // One key source per issuer, built once and shared (clone it freely):
    // discovery (OpenID Connect, then RFC 8414) happens on the first load.
    let keys = KeySource::with_transport_issuer(issuer, KeySourceOptions::default(), transport)?; // network
    let audiences = ["https://api.example"];
    let algorithms = AlgorithmSet::from_slice(&[Algorithm::ES256, Algorithm::RS256]);
    let policy = AccessPolicy::new(issuer, &audiences, algorithms)?;

    // Per request: no network while the keys are fresh; an unknown kid fetches
    // at most once per cooldown.
    let mut scratch = vec![0u8; scratch_len(token.len())];
    match keys.validate_access(&policy, token.as_bytes(), now, &mut scratch) {
        Ok(t) => println!("access for {:?}", t.sub()),
        Err(ValidationError::Token(e)) => println!("401 or 403: {e}"),
        Err(ValidationError::KeysUnavailable(e)) => println!("503: {e}"),
    }
    // ---- end ----
    assert_eq!(printed, ["access for Some(\"user-123\")"]);
    Ok(())
}

/// Every README line but the marked ones is in the test above, verbatim.
#[test]
fn readme_lines_are_the_tested_lines() {
    let readme = include_str!("../README.md");
    let block = readme
        .split("```rust,no_run\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let test = include_str!("readme.rs");
    for line in block.lines() {
        if line.ends_with("// example value")
            || line.ends_with("// network")
            || line.starts_with('#')
        {
            continue;
        }
        assert!(
            test.contains(line),
            "README line not in tests/readme.rs: {line}"
        );
    }
}

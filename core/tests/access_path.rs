//! Choosing the path for an access token (issue 18 item 3):
//! [`route_access_token`] sends a compact JWS to local validation and
//! anything else to introspection under [`AccessPath::Both`], and obeys the
//! single-path settings. The JWTs are the conformance file's (minted by
//! Python's `cryptography`).

use serde_json::Value;
use tokenlane::limits::DEFAULT_MAX_TOKEN_BYTES;
use tokenlane::{route_access_token, scratch_len, AccessPath, ErrorCode, Route};

const CASES: &str = include_str!("../../tests/conformance/cases.json");

fn route(token: &[u8], path: AccessPath) -> Result<Route, ErrorCode> {
    let mut scratch = vec![0u8; scratch_len(token.len())];
    route_access_token(token, path, DEFAULT_MAX_TOKEN_BYTES, &mut scratch).map_err(|e| e.kind())
}

fn accepted_access_jwts() -> Vec<String> {
    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["lane"] == "access" && c["expect"]["ok"] == true)
        .map(|c| c["token"].as_str().expect("token").to_owned())
        .collect()
}

/// Opaque access tokens as servers issue them: node-oidc-provider's 43
/// base64url characters, Ory Hydra's `ory_at_<key>.<signature>`, a UUID, a
/// three-segment string whose first segment is not a JSON header, a JWE
/// (five segments: not a JWS, so not validated locally), and a token whose
/// "header" decodes to a JSON array.
const OPAQUE: &[&str] = &[
    "Yt1pKkXH0GvZbq2lQm0YgW0xYx5Lr3dQ6b2hVnTzq8E",
    "ory_at_5QJ8sR2bJc3D1tS0bNnqQe0cOQ9Ew3B1P0x3lK9dJ2E.Qm4vR8xW0nP2cT6yU1iO3aS5dF7gH9jK",
    "0f8b1f7e-8a1c-4c1e-9a57-3c2b7e6d4f21",
    "abc.def.ghi",
    "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ",
    "W10.e30.c2ln",
];

#[test]
fn under_both_every_conformance_access_jwt_is_validated_locally() {
    let jwts = accepted_access_jwts();
    assert!(
        jwts.len() > 20,
        "too few accepted access tokens: {}",
        jwts.len()
    );
    for t in &jwts {
        assert_eq!(
            route(t.as_bytes(), AccessPath::Both),
            Ok(Route::Local),
            "{t}"
        );
    }
}

#[test]
fn under_both_opaque_tokens_are_introspected() {
    for t in OPAQUE {
        assert_eq!(
            route(t.as_bytes(), AccessPath::Both),
            Ok(Route::Introspect),
            "{t}"
        );
    }
}

#[test]
fn a_jws_header_with_broken_claims_is_still_local_and_never_introspected() {
    // {"alg":"ES256"} . not base64url JSON . signature: a JWT, refused locally.
    for t in [
        "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln",
        "eyJhbGciOiJFUzI1NiJ9..c2ln",
    ] {
        assert_eq!(
            route(t.as_bytes(), AccessPath::Both),
            Ok(Route::Local),
            "{t}"
        );
    }
}

#[test]
fn single_path_settings_are_obeyed() {
    let jwt = accepted_access_jwts().remove(0);
    for t in OPAQUE.iter().copied().chain([jwt.as_str()]) {
        assert_eq!(route(t.as_bytes(), AccessPath::JwtOnly), Ok(Route::Local));
        assert_eq!(
            route(t.as_bytes(), AccessPath::IntrospectionOnly),
            Ok(Route::Introspect)
        );
    }
    assert_eq!(AccessPath::default(), AccessPath::JwtOnly);
}

#[test]
fn an_oversized_token_goes_nowhere_on_every_path() {
    let big = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1);
    for path in [
        AccessPath::JwtOnly,
        AccessPath::IntrospectionOnly,
        AccessPath::Both,
    ] {
        assert_eq!(route(big.as_bytes(), path), Err(ErrorCode::TokenTooLarge));
    }
}

//! The untrusted view (`tokenlane::untrusted`) against the conformance
//! cases (tokens minted by Python `cryptography`, never by tokenlane) and
//! hand-made structural inputs.
//!
//! The property that matters: the view reports lane marks with the very
//! predicates the lanes use, so for every case validation accepts, the
//! view finds no mark the lane refuses, and for every case validation
//! refuses as `wrong_token_type`, the view names a mark that lane refuses.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use tokenlane::untrusted::{self, JsonValue, LooksLike};
use tokenlane::{scratch_len, Claim, Lane, Mark, TypMode};

const CASES: &str = include_str!("../../tests/conformance/cases.json");

/// Codes of the refusal order's steps 1–7, which come before the marks.
const BEFORE_MARKS: &[&str] = &[
    "token_too_large",
    "malformed",
    "unsupported_algorithm",
    "unsupported_critical_header",
    "algorithm_not_allowed",
    "key_not_found",
    "invalid_signature",
    "invalid_claim",
];

fn lane_of(case: &Value) -> Lane {
    match case["lane"].as_str().expect("lane") {
        "id" => Lane::Id,
        _ => match case["policy"].get("typ").and_then(Value::as_str) {
            Some("compat") => Lane::Access(TypMode::Compat),
            _ => Lane::Access(TypMode::Strict),
        },
    }
}

#[test]
fn untrusted_marks_agree_with_every_conformance_case() {
    let doc: Value = serde_json::from_str(CASES).expect("cases.json parses");
    let mut checked = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let token = case["token"].as_str().expect("token").as_bytes();
        let max = case["policy"]
            .get("max_token_bytes")
            .and_then(Value::as_u64)
            .map_or(16 * 1024, |m| usize::try_from(m).expect("size"));
        let expect = case["expect"].get("error").and_then(Value::as_str);
        let lane = lane_of(case);
        let mut scratch = vec![0u8; scratch_len(token.len())];
        let t = match untrusted::decode(token, max, &mut scratch) {
            Ok(t) => t,
            Err(e) => {
                // Only the structural steps the view shares may refuse.
                assert!(
                    matches!(e.code(), "token_too_large" | "malformed"),
                    "{name}: decode refused with {e}"
                );
                // Validation refuses it too, at this step or one before the
                // claims are read (the claims JSON is step 6, after the
                // signature).
                let want = expect.unwrap_or_else(|| panic!("{name}: accepted, decode says {e}"));
                assert!(
                    want == e.code() || (BEFORE_MARKS.contains(&want) && want != "invalid_claim"),
                    "{name}: validation says {want}, decode says {e}"
                );
                continue;
            }
        };
        let refusal = t.refusal(lane);
        match expect {
            None => {
                assert_eq!(
                    refusal, None,
                    "{name}: accepted, yet the view says {refusal:?}"
                );
                assert!(
                    !matches!(t.looks_like(), LooksLike::Other | LooksLike::Conflicting),
                    "{name}"
                );
                let want_sub = case["expect"]["sub"].as_str();
                assert_eq!(t.string(Claim::Sub), want_sub, "{name}");
                if let Some(scopes) = case["expect"].get("scopes") {
                    let got: Vec<&str> = t.scopes().iter().collect();
                    let want: Vec<&str> = scopes
                        .as_array()
                        .expect("scopes")
                        .iter()
                        .map(|s| s.as_str().expect("scope"))
                        .collect();
                    assert_eq!(got, want, "{name}");
                }
                assert!(t.claim_types().is_ok(), "{name}");
            }
            Some("wrong_token_type") => {
                let mark = refusal.unwrap_or_else(|| panic!("{name}: no mark found"));
                assert!(mark.refused_by(lane), "{name}");
                assert!(t.marks().any(|m| m == mark), "{name}");
            }
            Some(code) => {
                if refusal.is_some() {
                    assert!(
                        BEFORE_MARKS.contains(&code),
                        "{name}: the view finds {refusal:?}, but validation says {code}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} cases decoded");
}

fn b64(s: &str) -> String {
    Base64UrlUnpadded::encode_string(s.as_bytes())
}

fn token(header: &str, claims: &str) -> String {
    format!("{}.{}.{}", b64(header), b64(claims), b64("sig"))
}

fn with<R>(tok: &str, f: impl FnOnce(untrusted::UntrustedToken<'_>) -> R) -> R {
    let mut scratch = vec![0u8; scratch_len(tok.len())];
    f(untrusted::decode(tok.as_bytes(), 16 * 1024, &mut scratch).expect("decodes"))
}

#[test]
fn escaped_header_and_claims_read_by_their_unescaped_values() {
    let tok = token(
        r#"{"\u0061lg":"ES\u003256","typ":"at\u002bjwt","kid":"k\"1","x5u":"https://x"}"#,
        r#"{"iss":"https:\/\/issuer.example\/","\u0073ub":"caf\u00e9","exp":1.7672256e9,"scope":"a\u0020b  c","custom":{"n":[1,true,null]}}"#,
    );
    with(&tok, |t| {
        assert_eq!(t.alg(), Some("ES256"));
        assert_eq!(t.algorithm(), Some(tokenlane::Algorithm::ES256));
        assert_eq!(t.typ(), Some("at+jwt"));
        assert_eq!(t.kid(), Some("k\"1"));
        assert!(
            matches!(t.header_member("x5u"), Some(JsonValue::String(s)) if s.eq_str("https://x"))
        );
        assert_eq!(t.string(Claim::Iss), Some("https://issuer.example/"));
        assert_eq!(t.string(Claim::Sub), Some("café"));
        assert_eq!(t.date(Claim::Exp), Some(1_767_225_600));
        assert_eq!(t.scopes().iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        let Some(JsonValue::Object(o)) = t.claim_member("custom") else {
            panic!("custom is an object")
        };
        let (k, v) = untrusted::members(o).next().expect("one member");
        assert!(k.eq_str("n"));
        let JsonValue::Array(a) = v else { panic!() };
        let e: Vec<_> = untrusted::elements(a).collect();
        assert!(matches!(
            e[..],
            [
                JsonValue::Number("1"),
                JsonValue::Bool(true),
                JsonValue::Null
            ]
        ));
        assert_eq!(t.refusal(Lane::Access(TypMode::Strict)), None);
        assert_eq!(t.refusal(Lane::Id), Some(Mark::TypAccessToken));
        assert_eq!(t.looks_like(), LooksLike::Access);
        assert_eq!(t.signature(), b"sig");
    });
}

#[test]
fn unusual_headers_are_reported_not_refused() {
    // No alg, an unimplemented alg, crit: validation refuses them after
    // decoding; the view shows them.
    with(&token(r#"{"typ":"JWT"}"#, "{}"), |t| {
        assert_eq!(t.alg(), None);
        assert_eq!(t.looks_like(), LooksLike::Undecided);
        assert_eq!(t.refusal(Lane::Access(TypMode::Strict)), Some(Mark::TypJwt));
    });
    with(&token(r#"{"alg":"none","crit":["b64"]}"#, "{}"), |t| {
        assert_eq!(t.alg(), Some("none"));
        assert_eq!(t.algorithm(), None);
        assert!(matches!(t.header_member("crit"), Some(JsonValue::Array(_))));
    });
    // typ not a string: no header mark, the claim marks still count.
    with(
        &token(r#"{"alg":"RS256","typ":7}"#, r#"{"nonce":"n"}"#),
        |t| {
            assert_eq!(t.typ(), None);
            assert_eq!(t.marks().collect::<Vec<_>>(), [Mark::Nonce]);
            assert_eq!(t.refusal(Lane::Access(TypMode::Strict)), Some(Mark::Nonce));
        },
    );
}

#[test]
fn wrong_claim_types_are_reported_with_the_lanes_code() {
    with(
        &token(r#"{"alg":"ES256"}"#, r#"{"exp":"soon","aud":7,"sub":1}"#),
        |t| {
            assert_eq!(t.date(Claim::Exp), None);
            assert_eq!(t.string(Claim::Sub), None);
            assert!(t.aud().is_empty());
            let e = t.claim_types().expect_err("exp is a string");
            assert_eq!(e.code(), "invalid_claim");
        },
    );
}

#[test]
fn marks_of_both_lanes_conflict() {
    with(
        &token(r#"{"alg":"ES256","typ":"at+jwt"}"#, r#"{"nonce":"n"}"#),
        |t| {
            assert_eq!(t.looks_like(), LooksLike::Conflicting);
            assert_eq!(t.refusal(Lane::Access(TypMode::Strict)), Some(Mark::Nonce));
            assert_eq!(t.refusal(Lane::Id), Some(Mark::TypAccessToken));
        },
    );
    with(&token(r#"{"alg":"ES256","typ":"logout+jwt"}"#, "{}"), |t| {
        assert_eq!(t.looks_like(), LooksLike::Other);
        for lane in Lane::ALL {
            assert_eq!(t.refusal(lane), Some(Mark::TypOther), "{lane:?}");
        }
    });
}

#[test]
fn structure_is_refused_as_validation_refuses_it() {
    let decode = |tok: &str, max: usize| {
        let mut scratch = vec![0u8; scratch_len(tok.len())];
        untrusted::decode(tok.as_bytes(), max, &mut scratch)
            .map(|_| ())
            .map_err(|e| e.code())
    };
    let good = token(r#"{"alg":"ES256"}"#, "{}");
    assert_eq!(decode(&good, 16 * 1024), Ok(()));
    assert_eq!(decode(&good, good.len() - 1), Err("token_too_large"));
    assert_eq!(decode("a.b", 1024), Err("malformed"));
    assert_eq!(decode(&format!("{good}="), 1024), Err("malformed"));
    let dup = token(r#"{"alg":"ES256"}"#, r#"{"sub":"a","s\u0075b":"b"}"#);
    assert_eq!(decode(&dup, 1024), Err("malformed"));
    let not_object = token(r#"{"alg":"ES256"}"#, "[1]");
    assert_eq!(decode(&not_object, 1024), Err("malformed"));
}

#[test]
fn decode_segment_is_the_strict_decoder() {
    let mut out = [0u8; 8];
    assert_eq!(
        untrusted::decode_segment(b"AQID", &mut out),
        Some(&[1u8, 2, 3][..])
    );
    assert_eq!(
        untrusted::decode_segment(b"AQI", &mut out),
        Some(&[1u8, 2][..])
    );
    // Non-canonical trailing bits, padding, the standard alphabet.
    assert_eq!(untrusted::decode_segment(b"AQJ", &mut out), None);
    assert_eq!(untrusted::decode_segment(b"AQI=", &mut out), None);
    assert_eq!(untrusted::decode_segment(b"+/8", &mut out), None);
    assert_eq!(untrusted::decoded_len(4), 3);
    assert_eq!(
        untrusted::decode_segment_vec(b"_-8"),
        Some(vec![0xFF, 0xEF])
    );
}

#[test]
fn other_token_kinds_and_scopes_are_reported_as_the_lanes_refuse_them() {
    with(
        &token(r#"{"alg":"RS256"}"#, r#"{"typ":"Refresh","nonce":"n"}"#),
        |t| {
            assert_eq!(t.looks_like(), LooksLike::Other);
            assert_eq!(t.refusal(Lane::Id), Some(Mark::PayloadTypOther));
            assert_eq!(
                t.refusal(Lane::Access(TypMode::Compat)),
                Some(Mark::PayloadTypOther)
            );
        },
    );
    with(&token(r#"{"alg":"RS256"}"#, r#"{"typ":["ID"]}"#), |t| {
        assert_eq!(
            t.marks().collect::<Vec<_>>(),
            [Mark::TypAbsent, Mark::PayloadTypNotString]
        );
    });
    with(&token(r#"{"alg":"RS256"}"#, r#"{"events":{}}"#), |t| {
        assert_eq!(t.refusal(Lane::Id), Some(Mark::Events));
    });
    with(
        &token(
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"aud":"c","client_id":"c","scp":"User.Read","ver":"2.0"}"#,
        ),
        |t| {
            assert_eq!(t.looks_like(), LooksLike::Access);
            assert_eq!(t.refusal(Lane::Id), Some(Mark::Scp));
            assert_eq!(t.refusal(Lane::Access(TypMode::Compat)), None);
        },
    );
    with(
        &token(r#"{"alg":"RS256"}"#, r#"{"typ":"id","scope":"openid"}"#),
        |t| {
            assert_eq!(t.looks_like(), LooksLike::Conflicting);
        },
    );
}

//! The fuzz targets' invariants (`fuzz/README.md`) as property tests on
//! stable Rust, over random mutations of the conformance tokens
//! (`tests/conformance/cases.json`, minted by Python's `cryptography`):
//!
//! - the same token twice (scratch filled differently) gives the same
//!   result;
//! - a token an access-lane validator accepts is refused by the ID lane with
//!   the same keys, and the other way round (compat mode's plain JWTs, with
//!   no `at+jwt` header and no ID-token marks, are the documented exception);
//! - any one byte of an accepted token's signing input or signature changed
//!   makes the case's own validator refuse it;
//! - every error code is one of `ErrorCode::ALL` and the table agrees with
//!   itself.
//!
//! 256 cases per property by default (`PROPTEST_CASES` overrides it;
//! `PROPTEST_RNG_SEED` replays a run).

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;
use tokenlane::{
    scratch_len, AccessPolicy, Algorithm, AlgorithmSet, Error, ErrorCode, IdChecks, IdPolicy,
    KeySet, Mark, TypMode, UnixTime,
};

const CASES: &str = include_str!("../../tests/conformance/cases.json");
const ISSUER: &str = "https://issuer.example/";
const API: &str = "https://api.example";
const CLIENT: &str = "client-app";

/// One conformance case, ready to run: its key set, token, time and policy.
struct Case {
    name: String,
    keys: KeySet,
    token: Vec<u8>,
    now: UnixTime,
    policy: Value,
    lane: String,
    accepted: bool,
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// The conformance cases whose key set loads.
fn cases() -> &'static [Case] {
    static CELL: OnceLock<Vec<Case>> = OnceLock::new();
    CELL.get_or_init(|| {
        let doc: Value = serde_json::from_str(CASES).expect("cases.json parses");
        let keysets = &doc["keysets"];
        let mut out = Vec::new();
        for case in doc["cases"].as_array().expect("cases") {
            let Ok(keys) = common::load_keyset(&keysets[case["keyset"].as_str().expect("keyset")])
            else {
                continue;
            };
            out.push(Case {
                name: case["name"].as_str().expect("name").to_owned(),
                keys,
                token: case["token"].as_str().expect("token").as_bytes().to_vec(),
                now: UnixTime::from_secs(case["now"].as_u64().expect("now")),
                policy: case["policy"].clone(),
                lane: case["lane"].as_str().expect("lane").to_owned(),
                accepted: case["expect"].get("ok").and_then(Value::as_bool) == Some(true),
            });
        }
        assert!(
            out.iter().filter(|c| c.accepted).count() >= 10,
            "too few accepted conformance cases"
        );
        out
    })
}

fn accepted_cases() -> Vec<usize> {
    cases()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.accepted)
        .map(|(i, _)| i)
        .collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs `token` through the case's own validator; `Ok` holds the claims
/// JSON, so two runs can be compared.
fn run_own(case: &Case, token: &[u8], fill: u8) -> Result<String, Error> {
    let p = &case.policy;
    let algs: AlgorithmSet = p["algorithms"]
        .as_array()
        .expect("algorithms")
        .iter()
        .filter_map(|a| a.as_str().and_then(Algorithm::from_name))
        .collect();
    let leeway = p.get("leeway").and_then(Value::as_u64).unwrap_or(0);
    let max = p
        .get("max_token_bytes")
        .and_then(Value::as_u64)
        .map(|m| usize::try_from(m).expect("size"));
    let issuer = p["issuer"].as_str().expect("issuer");
    let mut scratch = vec![fill; scratch_len(token.len())];
    if case.lane == "access" {
        let aud = strings(p.get("audience"));
        let scopes = strings(p.get("required_scopes"));
        let typ = if p.get("typ").and_then(s) == Some("compat") {
            TypMode::Compat
        } else {
            TypMode::Strict
        };
        let mut policy = AccessPolicy::new(issuer, &aud, algs)
            .expect("policy")
            .with_required_scopes(&scopes)
            .expect("scopes")
            .with_typ_mode(typ)
            .with_leeway(leeway)
            .expect("leeway");
        if let Some(m) = max {
            policy = policy.with_max_token_bytes(m).expect("max");
        }
        policy
            .validate(token, &case.keys, case.now, &mut scratch)
            .map(|t| t.claims_json().to_owned())
    } else {
        let client = p["client_id"].as_str().expect("client_id");
        let mut policy = IdPolicy::new(issuer, client, algs)
            .expect("policy")
            .with_leeway(leeway)
            .expect("leeway");
        if let Some(m) = max {
            policy = policy.with_max_token_bytes(m).expect("max");
        }
        let checks = IdChecks {
            nonce: p.get("nonce").and_then(s),
            max_age: p.get("max_age").and_then(Value::as_u64),
            access_token: p.get("access_token").and_then(s).map(str::as_bytes),
        };
        policy
            .validate(token, &case.keys, case.now, &checks, &mut scratch)
            .map(|t| t.claims_json().to_owned())
    }
}

/// The lanes every token meets for the exclusivity check: access strict and
/// compat for audiences `[API, CLIENT]`, and the ID lane for `CLIENT` and for
/// `API` (so an access token's audience passes and only the lane marks can
/// keep it out). Every algorithm is allowed: the key binding decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cross {
    AccessStrict,
    AccessCompat,
    IdClient,
    IdApi,
}

const CROSS: [Cross; 4] = [
    Cross::AccessStrict,
    Cross::AccessCompat,
    Cross::IdClient,
    Cross::IdApi,
];

fn run_cross(lane: Cross, case: &Case, token: &[u8], fill: u8) -> Result<String, Error> {
    let algs = AlgorithmSet::from_slice(&Algorithm::ALL);
    let aud = [API, CLIENT];
    let mut scratch = vec![fill; scratch_len(token.len())];
    let none = IdChecks {
        nonce: None,
        max_age: None,
        access_token: None,
    };
    let access = |mode| {
        AccessPolicy::new(ISSUER, &aud, algs)
            .expect("policy")
            .with_leeway(60)
            .expect("leeway")
            .with_typ_mode(mode)
    };
    let id = |client| {
        IdPolicy::new(ISSUER, client, algs)
            .expect("policy")
            .with_leeway(60)
            .expect("leeway")
    };
    match lane {
        Cross::AccessStrict => access(TypMode::Strict)
            .validate(token, &case.keys, case.now, &mut scratch)
            .map(|t| t.claims_json().to_owned()),
        Cross::AccessCompat => access(TypMode::Compat)
            .validate(token, &case.keys, case.now, &mut scratch)
            .map(|t| t.claims_json().to_owned()),
        Cross::IdClient => id(CLIENT)
            .validate(token, &case.keys, case.now, &none, &mut scratch)
            .map(|t| t.claims_json().to_owned()),
        Cross::IdApi => id(API)
            .validate(token, &case.keys, case.now, &none, &mut scratch)
            .map(|t| t.claims_json().to_owned()),
    }
}

/// Every error: its code is in the table, and the table agrees with itself.
fn assert_code_in_table(e: &Error) {
    let code = e.code();
    assert!(
        ErrorCode::ALL.iter().any(|c| c.as_str() == code),
        "code {code:?} is not in ErrorCode::ALL"
    );
    assert_eq!(e.kind().as_str(), code);
    assert_eq!(ErrorCode::from_str_code(code), Some(e.kind()));
    assert_eq!(ErrorCode::from_number(e.kind().number()), Some(e.kind()));
    assert!(
        !e.to_string().chars().any(char::is_control),
        "{code}: Display has a control character"
    );
}

/// Determinism, codes and lane exclusivity for one token. `twice` also
/// runs the cross-lane validators twice (debug-build crypto is slow, so the
/// all-cases test runs them once and relies on the own-lane double run).
fn assert_invariants(case: &Case, token: &[u8], twice: bool) {
    let own = run_own(case, token, 0);
    assert_eq!(
        own,
        run_own(case, token, 0xA5),
        "{}: same token, different results",
        case.name
    );
    if let Err(e) = &own {
        assert_code_in_table(e);
    }
    let cross: Vec<_> = CROSS
        .iter()
        .map(|&lane| {
            let r = run_cross(lane, case, token, 0);
            if twice {
                assert_eq!(
                    r,
                    run_cross(lane, case, token, 0x5A),
                    "{}: {lane:?} not deterministic",
                    case.name
                );
            }
            if let Err(e) = &r {
                assert_code_in_table(e);
            }
            r
        })
        .collect();
    let plain_jwt = matches!(
        &cross[0],
        Err(Error::WrongTokenType {
            mark: Mark::TypAbsent | Mark::TypJwt
        })
    );
    for (a, ra) in CROSS
        .iter()
        .zip(&cross)
        .filter(|(l, _)| matches!(l, Cross::AccessStrict | Cross::AccessCompat))
    {
        for (i, ri) in CROSS
            .iter()
            .zip(&cross)
            .filter(|(l, _)| matches!(l, Cross::IdClient | Cross::IdApi))
        {
            if ra.is_ok() && ri.is_ok() {
                assert!(
                    *a == Cross::AccessCompat && plain_jwt,
                    "{}: accepted by {a:?} and {i:?}: {}",
                    case.name,
                    String::from_utf8_lossy(token)
                );
            }
        }
    }
}

#[test]
fn every_conformance_token_keeps_determinism_codes_and_lanes() {
    for case in cases() {
        assert_invariants(case, &case.token, false);
    }
}

/// A mutation of a token.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte (position taken modulo the length) with a non-zero mask.
    Xor(usize, u8),
    /// Set one byte.
    Set(usize, u8),
    /// Insert a byte.
    Insert(usize, u8),
    /// Delete up to `n` bytes.
    Delete(usize, usize),
    /// Cut the token there.
    Truncate(usize),
    /// Swap two of the three segments.
    SwapSegments(usize, usize),
    /// Replace a segment by the same segment of another case's token.
    Splice(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 1u8..).prop_map(|(i, m)| Mutation::Xor(i, m)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (any::<usize>(), prop_oneof![Just(b'.'), Just(b'='), Just(b'A'), any::<u8>()])
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<usize>(), 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
        1 => (any::<usize>(), 0usize..3).prop_map(|(c, seg)| Mutation::Splice(c, seg)),
    ]
}

fn segments(t: &[u8]) -> Vec<Vec<u8>> {
    t.split(|&b| b == b'.').map(<[u8]>::to_vec).collect()
}

fn apply(token: &[u8], m: &Mutation) -> Vec<u8> {
    let mut t = token.to_vec();
    if t.is_empty() {
        return t;
    }
    let at = |i: usize, len: usize| i % len.max(1);
    match *m {
        Mutation::Xor(i, mask) => {
            let i = at(i, t.len());
            t[i] ^= mask;
        }
        Mutation::Set(i, b) => {
            let i = at(i, t.len());
            t[i] = b;
        }
        Mutation::Insert(i, b) => t.insert(at(i, t.len() + 1), b),
        Mutation::Delete(i, n) => {
            let i = at(i, t.len());
            t.drain(i..(i + n).min(t.len()));
        }
        Mutation::Truncate(i) => t.truncate(at(i, t.len())),
        Mutation::SwapSegments(a, b) => {
            let mut segs = segments(&t);
            if a < segs.len() && b < segs.len() {
                segs.swap(a, b);
            }
            t = segs.join(&b'.');
        }
        Mutation::Splice(c, seg) => {
            let all = cases();
            let other = segments(&all[c % all.len()].token);
            let mut segs = segments(&t);
            if let (Some(dst), Some(src)) = (segs.get_mut(seg), other.get(seg)) {
                dst.clone_from(src);
            }
            t = segs.join(&b'.');
        }
    }
    t
}

/// The positions a signature covers: all but the last dot.
fn covered(token: &[u8]) -> Vec<usize> {
    let last_dot = token
        .iter()
        .rposition(|&b| b == b'.')
        .expect("three segments");
    (0..token.len()).filter(|&i| i != last_dot).collect()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// RFC 7515 §5.2: the signature covers the whole signing input, and
    /// strict base64url leaves no unused bits to play with, so no single
    /// changed byte of an accepted token may pass.
    #[test]
    fn one_changed_byte_of_an_accepted_token_is_refused(
        pick in any::<prop::sample::Index>(),
        pos in any::<prop::sample::Index>(),
        mask in 1u8..,
    ) {
        let accepted = accepted_cases();
        let case = &cases()[accepted[pick.index(accepted.len())]];
        prop_assert!(
            run_own(case, &case.token, 0).is_ok(),
            "{}: the unmutated token is refused",
            case.name
        );
        let positions = covered(&case.token);
        let i = positions[pos.index(positions.len())];
        let mut token = case.token.clone();
        token[i] ^= mask;
        match run_own(case, &token, 0) {
            Ok(_) => prop_assert!(false, "{}: byte {i} xor {mask:#04x} accepted", case.name),
            Err(e) => assert_code_in_table(&e),
        }
        assert_invariants(case, &token, true);
    }

    /// Determinism, the code table and lane exclusivity hold for any
    /// mutation of any conformance token, accepted or not.
    #[test]
    fn mutated_tokens_keep_determinism_codes_and_lanes(
        pick in any::<prop::sample::Index>(),
        ms in prop::collection::vec(mutation(), 1..4),
    ) {
        let case = &cases()[pick.index(cases().len())];
        let token = ms.iter().fold(case.token.clone(), |t, m| apply(&t, m));
        assert_invariants(case, &token, true);
    }
}

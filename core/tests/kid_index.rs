//! The `kid` lookup's index (issue 24, item 4): a `KeySet` keeps its keys
//! sorted by `kid` (binary search), reports them in load order on request,
//! and validation gives the same verdict whether the key slice is sorted or
//! not. Tokens come from the conformance cases (minted by Python
//! `cryptography`); the conformance harness also runs every case with the
//! keys in load and in reversed order.

mod common;

use common::load_keyset;
use serde_json::Value;
use tokenlane::{
    scratch_len, sort_by_kid, AccessPolicy, Algorithm, AlgorithmSet, Error, Key, KeySet, TypMode,
    UnixTime,
};

const CASES: &str = include_str!("../../tests/conformance/cases.json");

fn oct_jwk(kid: Option<&str>, fill: u8) -> String {
    // A 32-byte secret, base64url: 42 characters, then "A" (zero trailing
    // bits).
    let mut k = core::iter::repeat_n(char::from(b'A' + fill % 26), 42).collect::<String>();
    k.push('A');
    match kid {
        Some(kid) => format!(r#"{{"kty":"oct","kid":"{kid}","k":"{k}"}}"#),
        None => format!(r#"{{"kty":"oct","k":"{k}"}}"#),
    }
}

fn kids<'a>(keys: impl Iterator<Item = &'a Key>) -> Vec<Option<String>> {
    keys.map(|k| k.kid().map(str::to_owned)).collect()
}

#[test]
fn key_set_is_sorted_by_kid_and_remembers_load_order() {
    let doc = format!(
        r#"{{"keys":[{},{},{},{},{}]}}"#,
        oct_jwk(Some("c"), 1),
        oct_jwk(Some("a"), 2),
        oct_jwk(None, 3),
        oct_jwk(Some("b"), 4),
        oct_jwk(Some("a"), 5),
    );
    let mut set = KeySet::from_jwks(doc.as_bytes()).expect("jwks");
    let s = |v: &[Option<&str>]| -> Vec<Option<String>> {
        v.iter().map(|k| k.map(str::to_owned)).collect()
    };
    assert_eq!(
        kids(set.iter()),
        s(&[None, Some("a"), Some("a"), Some("b"), Some("c")])
    );
    assert_eq!(
        kids(set.in_load_order()),
        s(&[Some("c"), Some("a"), None, Some("b"), Some("a")])
    );
    // Keys sharing a kid keep their load order (the second "a" is fill 5:
    // told apart by the HS256 signature check below being the same key).
    set.push(
        Key::hmac(&[7u8; 32])
            .expect("hmac")
            .with_kid("aa")
            .expect("kid"),
    )
    .expect("push");
    let other = KeySet::from_jwks(format!(r#"{{"keys":[{}]}}"#, oct_jwk(Some("0"), 6)).as_bytes())
        .expect("jwks");
    set.extend(other).expect("extend");
    assert_eq!(
        kids(set.iter()),
        s(&[
            None,
            Some("0"),
            Some("a"),
            Some("a"),
            Some("aa"),
            Some("b"),
            Some("c")
        ])
    );
    assert_eq!(
        kids(set.in_load_order()),
        s(&[
            Some("c"),
            Some("a"),
            None,
            Some("b"),
            Some("a"),
            Some("aa"),
            Some("0")
        ])
    );
}

#[test]
fn sort_by_kid_sorts_an_array_without_a_heap_keeping_equal_kids_in_order() {
    let k = |kid: Option<&str>, b: u8| {
        let key = Key::hmac(&[b; 32]).expect("hmac");
        match kid {
            Some(kid) => key.with_kid(kid).expect("kid"),
            None => key,
        }
    };
    let mut keys = [
        k(Some("z"), 1),
        k(Some("m"), 2).with_alg(Algorithm::HS256).expect("pin"),
        k(None, 3),
        k(Some("m"), 4),
        k(Some("\u{e9}"), 5),
    ];
    sort_by_kid(&mut keys);
    let got: Vec<(Option<&str>, Option<Algorithm>)> =
        keys.iter().map(|k| (k.kid(), k.alg())).collect();
    assert_eq!(
        got,
        [
            (None, None),
            (Some("m"), Some(Algorithm::HS256)),
            (Some("m"), None),
            (Some("z"), None),
            (Some("\u{e9}"), None),
        ]
    );
}

/// The accepted strict ES256 case and a 256-key set: the case's own keys
/// plus decoy HMAC keys (which never fit ES256, so the kid-less rule is
/// not involved) whose kids sort before and after the token's.
#[test]
fn a_token_is_found_among_256_keys_in_sorted_and_unsorted_slices() {
    let doc: Value = serde_json::from_str(CASES).expect("cases");
    let case = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == "access_es256_strict_at_jwt_is_accepted")
        .expect("case");
    let mut set =
        load_keyset(&doc["keysets"][case["keyset"].as_str().expect("keyset")]).expect("keyset");
    let mut i = 0u8;
    while set.len() < tokenlane::limits::MAX_KEYS {
        let kid = format!("{}-{i:03}", if i % 2 == 0 { "a" } else { "zz" });
        let one =
            KeySet::from_jwks(format!(r#"{{"keys":[{}]}}"#, oct_jwk(Some(&kid), i)).as_bytes())
                .expect("decoy");
        set.extend(one).expect("extend");
        i = i.wrapping_add(1);
    }
    assert_eq!(set.len(), tokenlane::limits::MAX_KEYS);
    let policy = &case["policy"];
    let aud = [policy["audience"][0].as_str().expect("aud")];
    let scopes = [policy["required_scopes"][0].as_str().expect("scope")];
    let p = AccessPolicy::new(
        policy["issuer"].as_str().expect("iss"),
        &aud,
        AlgorithmSet::from_slice(&[Algorithm::ES256]),
    )
    .expect("policy")
    .with_required_scopes(&scopes)
    .expect("scopes")
    .with_typ_mode(TypMode::Strict)
    .with_leeway(60)
    .expect("leeway");
    let token = case["token"].as_str().expect("token").as_bytes();
    let now = UnixTime::from_secs(case["now"].as_u64().expect("now"));
    let mut scratch = vec![0u8; scratch_len(token.len())];
    let sorted: Vec<Key> = set.to_vec();
    let reversed: Vec<Key> = set.iter().rev().cloned().collect();
    let loaded: Vec<Key> = set.in_load_order().cloned().collect();
    for keys in [&sorted, &reversed, &loaded] {
        let sub = p
            .validate(token, keys, now, &mut scratch)
            .map(|t| t.sub().map(str::to_owned));
        let sub = sub.expect("accepted").expect("sub");
        assert_eq!(Some(sub.as_str()), case["expect"]["sub"].as_str());
    }
    // Without the signing key, every order refuses it alike.
    let without: Vec<Key> = set
        .iter()
        .filter(|k| k.kid() != Some("ec-1"))
        .cloned()
        .collect();
    let mut rev = without.clone();
    rev.reverse();
    for keys in [&without, &rev] {
        assert_eq!(
            p.validate(token, keys, now, &mut scratch).err(),
            Some(Error::KeyNotFound { kid_given: true })
        );
    }
}

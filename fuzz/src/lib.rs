//! The shared harness of tokenlane's fuzz targets (`fuzz/README.md`).
//!
//! Each target body is one call into this crate: [`token`], [`claims`],
//! [`jwks`], [`cli_inspect`] (the `tokenlane` command's inspect output),
//! and with the `ffi` feature `ffi::ffi` (the C ABI, compared with the
//! core). Besides "no panic, no hang, no leak", every input is held to
//! these invariants:
//!
//! - **determinism**: the same input twice (with scratch buffers filled
//!   differently) gives the same result, error for error, claim for claim;
//! - **lanes are exclusive**: a token an access-lane validator accepts is
//!   refused by every ID-lane validator with the same keys, and the other
//!   way round (compat mode's documented exception: a token without an
//!   `at+jwt` header and without ID-token marks is a plain JWT, readable by
//!   both; the check is skipped only for that case);
//! - **a signature covers every byte**: changing one byte of an accepted
//!   token's signing input or signature (each segment's edges and
//!   [`FLIPS`] more positions) makes the JWS layer and the lane that
//!   accepted it refuse it;
//! - **one vocabulary**: every error's code is one of `ErrorCode::ALL`, the
//!   table agrees with itself, and messages are one printable line;
//! - **acceptance is sound**: an accepted token's issuer, audience, times,
//!   nonce and scopes are the ones the policy asked for, and the lanes'
//!   verified payload is the JWS layer's payload.

pub mod cli;
#[cfg(feature = "ffi")]
pub mod ffi;
pub mod fixtures;
pub mod lanes;

pub use cli::cli_inspect;
#[cfg(feature = "ffi")]
pub use ffi::ffi;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokenlane::{
    limits::{DEFAULT_MAX_TOKEN_BYTES, MAX_KEYS, MAX_KID_LEN},
    Algorithm, Error, Key, KeySet, Mark,
};

use base64ct::{Base64UrlUnpadded, Encoding};
use fixtures::keys;
use lanes::{check_error, Lane, Outcome};

/// How many one-byte changes an accepted token gets: the segment edges
/// (first and last character of each segment, both dots' neighbours) and
/// this many more positions spread evenly over the covered bytes.
/// (Every position of every accepted conformance token is the job of
/// `core/tests/proptest_invariants.rs`; here each flip costs a signature
/// verification in a sanitizer build.)
pub const FLIPS: usize = 16;

/// Fuzz target `token`: arbitrary bytes as a compact token, through the JWS
/// layer and both lanes (both typ modes, ID lane with and without per-login
/// checks) against the fixed key set.
pub fn token(data: &[u8]) {
    check_token(data);
}

/// The header templates of the [`claims`] target, picked by the first
/// input byte; a fourth choice takes the header from the input.
pub const HEADERS: [&[u8]; 3] = [
    br#"{"alg":"HS256","typ":"at+jwt","kid":"hs-32"}"#,
    br#"{"alg":"HS256","typ":"JWT","kid":"hs-32"}"#,
    br#"{"alg":"HS256"}"#,
];

/// Fuzz target `claims`: the first byte picks a header (`HEADERS[b % 4]`,
/// or for `b % 4 == 3` the header is the input up to the first NUL and the
/// claims the rest); the harness signs header and claims with HS256 and the
/// `hs-32` secret (with the `hmac` crate, not tokenlane) and runs the token
/// through everything [`token`] does. With a template header the signature
/// is good, so the JWS layer must return the claims bytes unchanged.
pub fn claims(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (header, claims, template) = match HEADERS.get(usize::from(mode % 4)) {
        Some(h) => (*h, rest, true),
        None => match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], &rest[i + 1..], false),
            None => (rest, &[][..], false),
        },
    };
    let token = sign_hs256(header, claims);
    if template && token.len() <= DEFAULT_MAX_TOKEN_BYTES {
        let keys = keys();
        match Lane::Jws.run(&token, keys, 0) {
            Ok(a) => assert_eq!(a.payload, claims, "the JWS layer changed the payload"),
            Err(e) => panic!("a good HS256 signature was refused: {e} ({})", e.code()),
        }
    }
    check_token(&token);
}

/// Compact-serializes `header` and `claims` and signs them with HS256 and
/// the `hs-32` secret.
pub fn sign_hs256(header: &[u8], claims: &[u8]) -> Vec<u8> {
    let mut token = Base64UrlUnpadded::encode_string(header);
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(fixtures::hs32_secret()).expect("any key length");
    mac.update(token.as_bytes());
    let tag = mac.finalize().into_bytes();
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(&tag));
    token.into_bytes()
}

/// Runs every [`Lane`] on `token` and asserts the crate-level invariants.
pub fn check_token(token: &[u8]) {
    let keys = keys();
    let outcomes: Vec<Outcome> = Lane::ALL
        .iter()
        .map(|&lane| {
            let first = lane.run(token, keys, 0x00);
            let second = lane.run(token, keys, 0xA5);
            assert_eq!(first, second, "{lane:?}: same token, different results");
            if let Err(e) = &first {
                check_error(e);
            }
            first
        })
        .collect();
    let by_lane = |lane: Lane| {
        &outcomes[Lane::ALL
            .iter()
            .position(|&l| l == lane)
            .expect("lane listed")]
    };

    // Every lane builds on the JWS layer: an accepted token verifies there,
    // with the same payload.
    for (&lane, outcome) in Lane::ALL.iter().zip(&outcomes) {
        if let Ok(a) = outcome {
            match by_lane(Lane::Jws) {
                Ok(jws) => assert_eq!(
                    jws.payload, a.payload,
                    "{lane:?} payload differs from the JWS layer's"
                ),
                Err(e) => panic!(
                    "{lane:?} accepted what the JWS layer refused ({})",
                    e.code()
                ),
            }
        }
    }

    // Lane exclusivity.
    let plain_jwt = matches!(
        by_lane(Lane::AccessStrict),
        Err(Error::WrongTokenType {
            mark: Mark::TypAbsent | Mark::TypJwt
        })
    );
    for (&access, a) in Lane::ALL
        .iter()
        .zip(&outcomes)
        .filter(|(l, _)| l.is_access())
    {
        for (&id, i) in Lane::ALL.iter().zip(&outcomes).filter(|(l, _)| l.is_id()) {
            if a.is_ok() && i.is_ok() {
                assert!(
                    access == Lane::AccessCompat && plain_jwt,
                    "one token accepted by {access:?} and {id:?}: {:?}",
                    String::from_utf8_lossy(token)
                );
            }
        }
    }

    // Flips: each changed token goes through the JWS layer and through the
    // first lane that accepted the original (lanes build on the JWS layer,
    // and that implication is checked above on every input).
    let first_lane = Lane::ALL
        .iter()
        .zip(&outcomes)
        .skip(1)
        .find(|(_, o)| o.is_ok())
        .map(|(&l, _)| l);
    if by_lane(Lane::Jws).is_ok() {
        check_flips(token, first_lane);
    }
}

/// The positions to change in an accepted `token`: the edges of its
/// segments and [`FLIPS`] more spread over the bytes its signature covers
/// (all but the last dot).
pub fn flip_positions(token: &[u8]) -> Vec<usize> {
    let dots: Vec<usize> = token
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'.')
        .map(|(i, _)| i)
        .collect();
    let [d1, d2] = dots[..] else {
        return Vec::new();
    };
    let len = token.len();
    let mut out: Vec<usize> = vec![
        0,
        d1.saturating_sub(1),
        d1,
        d1 + 1,
        d2.saturating_sub(1),
        d2 + 1,
        len - 1,
    ];
    out.extend((0..FLIPS).map(|k| k * (len - 1) / (FLIPS - 1)));
    out.retain(|&i| i < len && i != d2);
    out.sort_unstable();
    out.dedup();
    out
}

fn check_flips(token: &[u8], lane: Option<Lane>) {
    let keys = keys();
    let mut flipped = token.to_vec();
    for (k, i) in flip_positions(token).into_iter().enumerate() {
        // Alternate the low bit (leaves the base64url alphabet, or changes
        // a last character's unused bits) and the case bit (another valid
        // base64url character).
        let mask = if k % 2 == 0 { 0x01 } else { 0x20 };
        flipped[i] ^= mask;
        for lane in [Some(Lane::Jws), lane].into_iter().flatten() {
            match lane.run(&flipped, keys, 0) {
                Ok(_) => panic!(
                    "{lane:?} accepted the token with byte {i} xor {mask:#04x}: {:?}",
                    String::from_utf8_lossy(&flipped)
                ),
                Err(e) => check_error(&e),
            }
        }
        flipped[i] ^= mask;
    }
}

/// Fuzz target `jwks`: the bytes as a JWKS document
/// ([`KeySet::from_jwks`]), as one JWK ([`KeySet::from_jwk`]), as SPKI PEM when they are UTF-8
/// ([`KeySet::from_spki_pem`]) and as SPKI DER ([`KeySet::from_spki_der`]).
pub fn jwks(data: &[u8]) {
    check_load(|| KeySet::from_jwks(data), true);
    check_load(|| KeySet::from_jwk(data), false);
    if let Ok(text) = core::str::from_utf8(data) {
        check_load(|| KeySet::from_spki_pem(text, None, None), false);
        check_load(
            || KeySet::from_spki_pem(text, Some("k"), Some(Algorithm::ES256)),
            false,
        );
    }
    check_load(|| KeySet::from_spki_der(data, None, None), false);
    check_load(
        || KeySet::from_spki_der(data, Some("k"), Some(Algorithm::RS256)),
        false,
    );
}

fn check_load(load: impl Fn() -> Result<KeySet, tokenlane::KeyError>, jwks: bool) {
    let first = load();
    let second = load();
    assert_eq!(
        format!("{first:?}"),
        format!("{second:?}"),
        "same document, different key sets"
    );
    let set = match first {
        Err(e) => {
            let e = Error::from(e);
            assert_eq!(e.code(), "invalid_key");
            check_error(&e);
            return;
        }
        Ok(set) => set,
    };
    assert!(!set.is_empty(), "a key set loaded with no key");
    assert!(set.len() <= MAX_KEYS);
    if !jwks {
        assert_eq!(set.len(), 1, "one JWK or SPKI document, one key");
        assert!(set.skipped().is_empty());
    }
    let indices: Vec<usize> = set.skipped().iter().map(|s| s.index).collect();
    assert!(
        indices.windows(2).all(|w| w[0] < w[1]),
        "skipped indices not increasing: {indices:?}"
    );
    for key in set.iter() {
        check_key(key);
    }
}

fn check_key(key: &Key) {
    if let Some(kid) = key.kid() {
        assert!(kid.len() <= MAX_KID_LEN, "kid of {} bytes", kid.len());
    }
    let mut fits_any = false;
    for alg in Algorithm::ALL {
        let fits = key.fits(alg).is_ok();
        fits_any |= fits;
        if fits {
            assert_eq!(
                alg.family(),
                key.family(),
                "{alg} fits a {:?} key",
                key.family()
            );
            assert!(
                key.alg().is_none_or(|pin| pin == alg),
                "{alg} fits a key pinned to {:?}",
                key.alg()
            );
        }
        // No signature verifies over a fixed message with an all-zero
        // signature of any length the algorithms use.
        for len in [32, 64, 256] {
            match key.verify_signature(alg, b"tokenlane fuzz", &[0u8; 512][..len]) {
                Ok(()) => panic!("an all-zero {len}-byte signature verified with {alg}"),
                Err(e) => {
                    check_error(&e);
                    let expected = if fits {
                        "invalid_signature"
                    } else {
                        "algorithm_not_allowed"
                    };
                    assert_eq!(e.code(), expected, "{alg} with a {:?} key", key.family());
                }
            }
        }
    }
    assert!(fits_any, "a loaded key fits no algorithm");
}

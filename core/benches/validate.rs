//! How much does tokenlane cost on top of the signature it must check?
//!
//! For every algorithm and every compiled-in [`Backend`], this bench times, in
//! the same process and interleaved round by round:
//!
//! - `validate`: the whole access-token lane, [`AccessPolicy::validate`]
//!   with a scratch buffer allocated once (split, base64url, header, key
//!   pick by `kid` from a three-key JWKS, signature, claims, lane rules);
//! - `jws`: [`tokenlane::verify_compact_with`], the JWS layer alone;
//! - `raw`: the bare signature check with the same crate and key, called
//!   directly (RustCrypto: `rsa`/`p256`/`hmac`; ring: `ring::signature` /
//!   `ring::hmac`; aws-lc: aws-lc-rs `ParsedPublicKey::verify_sig` /
//!   `hmac::verify`) on the already decoded signing input and signature, the
//!   key prepared (parsed) once: the floor no validator can go under;
//! - `jsonwebtoken[aws-lc]` and `jsonwebtoken[rust_crypto]`: Keats'
//!   `jsonwebtoken::decode` (claims into a `serde_json::Value`) on the same
//!   token and key, 11 on its default `aws_lc_rs` provider and 10 on
//!   `rust_crypto` (two copies: the provider is per process).
//!
//! Times are this thread's CPU time (not wall time, which on a loaded
//! machine also counts other processes' turns), the median of several
//! rounds; each ratio is the median over rounds of the per-round ratio, so
//! what load remains (caches, a busy sibling hyperthread) cancels out as
//! far as it can. Allocations are counted
//! per call with `allocation-counter` (its counting allocator is the global
//! allocator of this binary, for every contender alike).
//!
//! ```text
//! cargo bench -p tokenlane --features ring,aws-lc --bench validate            # full
//! cargo bench -p tokenlane --features ring,aws-lc --bench validate -- --quick # smoke
//! # one loop, for callgrind instruction counts (see scripts/bench.sh):
//! target/release/deps/validate-* --instr ES256 ring validate 100
//! ```
//!
//! Tokens and keys come from `bench/tokens.json`, minted by
//! `bench/gen_tokens.py` with Python's `cryptography` (never by tokenlane).

use core::hint::black_box;
use core::time::Duration;
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use tokenlane::{scratch_len, AccessPolicy, Algorithm, AlgorithmSet, Backend, KeySet, UnixTime};

mod common;
use common::cpu_now;

const TOKENS: &str = include_str!("../../bench/tokens.json");

/// The aim for validate ÷ raw: 5 % over the signature for public-key
/// algorithms; HMAC is so cheap that parsing is a real share.
fn aim(alg: Algorithm) -> f64 {
    if alg.name().starts_with("HS") {
        2.0
    } else {
        1.05
    }
}

/// What the bench file says, decoded once.
struct Fixture {
    doc: Value,
    keys: KeySet,
    now: UnixTime,
    issuer: String,
    audiences: [String; 1],
    scopes: [String; 1],
}

impl Fixture {
    fn load() -> Self {
        let doc: Value = serde_json::from_str(TOKENS).expect("bench/tokens.json");
        let keys = KeySet::from_jwks(s(&doc["jwks"]).as_bytes()).expect("jwks");
        assert!(keys.skipped().is_empty(), "a bench key was skipped");
        Self {
            now: UnixTime::from_secs(doc["now"].as_u64().expect("now")),
            issuer: s(&doc["issuer"]).to_owned(),
            audiences: [s(&doc["audience"]).to_owned()],
            scopes: [s(&doc["scope"]).to_owned()],
            keys,
            doc,
        }
    }

    fn token(&self, alg: Algorithm) -> &str {
        s(&self.doc["tokens"][alg.name()])
    }
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string in bench/tokens.json")
}

fn b64(v: &Value) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(s(v)).expect("base64url")
}

/// One contender: a name and a call that returns whether it accepted.
struct Contender<'a> {
    what: String,
    f: Box<dyn FnMut() -> bool + 'a>,
}

/// The bare signature check, key prepared once, input decoded once.
fn raw_verifier<'a>(
    fx: &Fixture,
    backend: Backend,
    alg: Algorithm,
    msg: &'a [u8],
    sig: &'a [u8],
) -> Box<dyn FnMut() -> bool + 'a> {
    #[cfg(feature = "aws-lc")]
    if backend == Backend::AwsLc {
        return raw_verifier_awslc(fx, alg, msg, sig);
    }
    let family = match alg {
        Algorithm::ES384 | Algorithm::ES512 | Algorithm::EdDSA | Algorithm::Ed25519 => {
            return raw_verifier_issue20(fx, backend, alg, msg, sig);
        }
        _ => &alg.name()[..2],
    };
    match backend {
        Backend::RustCrypto => match family {
            "RS" | "PS" => {
                use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
                use sha2::{Digest, Sha256, Sha384, Sha512};
                let n = BigUint::from_bytes_be(&b64(&fx.doc["rsa"]["n"]));
                let e = BigUint::from_bytes_be(&b64(&fx.doc["rsa"]["e"]));
                let k = RsaPublicKey::new(n, e).expect("rsa key");
                Box::new(move || {
                    let r = match alg {
                        Algorithm::RS256 => {
                            k.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg), sig)
                        }
                        Algorithm::RS384 => {
                            k.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg), sig)
                        }
                        Algorithm::RS512 => {
                            k.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg), sig)
                        }
                        Algorithm::PS256 => {
                            k.verify(Pss::new_with_salt::<Sha256>(32), &Sha256::digest(msg), sig)
                        }
                        Algorithm::PS384 => {
                            k.verify(Pss::new_with_salt::<Sha384>(48), &Sha384::digest(msg), sig)
                        }
                        _ => k.verify(Pss::new_with_salt::<Sha512>(64), &Sha512::digest(msg), sig),
                    };
                    r.is_ok()
                })
            }
            "ES" => {
                use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
                let mut point = vec![4u8];
                point.extend(b64(&fx.doc["ec"]["x"]));
                point.extend(b64(&fx.doc["ec"]["y"]));
                let vk = VerifyingKey::from_sec1_bytes(&point).expect("p256 key");
                Box::new(move || {
                    Signature::from_slice(sig).is_ok_and(|sg| vk.verify(msg, &sg).is_ok())
                })
            }
            _ => {
                use hmac::{Hmac, Mac};
                let secret = b64(&fx.doc["hmac"]["secret"]);
                match alg {
                    Algorithm::HS256 => {
                        let m = Hmac::<sha2::Sha256>::new_from_slice(&secret).expect("hmac");
                        Box::new(move || m.clone().chain_update(msg).verify_slice(sig).is_ok())
                    }
                    Algorithm::HS384 => {
                        let m = Hmac::<sha2::Sha384>::new_from_slice(&secret).expect("hmac");
                        Box::new(move || m.clone().chain_update(msg).verify_slice(sig).is_ok())
                    }
                    _ => {
                        let m = Hmac::<sha2::Sha512>::new_from_slice(&secret).expect("hmac");
                        Box::new(move || m.clone().chain_update(msg).verify_slice(sig).is_ok())
                    }
                }
            }
        },
        #[cfg(feature = "ring")]
        Backend::Ring => match family {
            "RS" | "PS" => {
                use ring::signature as rs;
                let params: &'static rs::RsaParameters = match alg {
                    Algorithm::RS256 => &rs::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &rs::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &rs::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &rs::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &rs::RSA_PSS_2048_8192_SHA384,
                    _ => &rs::RSA_PSS_2048_8192_SHA512,
                };
                let n = b64(&fx.doc["rsa"]["n"]);
                let e = b64(&fx.doc["rsa"]["e"]);
                Box::new(move || {
                    rs::RsaPublicKeyComponents { n: &n, e: &e }
                        .verify(params, msg, sig)
                        .is_ok()
                })
            }
            "ES" => {
                use ring::signature as rs;
                let mut point = vec![4u8];
                point.extend(b64(&fx.doc["ec"]["x"]));
                point.extend(b64(&fx.doc["ec"]["y"]));
                Box::new(move || {
                    rs::UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_FIXED, &point)
                        .verify(msg, sig)
                        .is_ok()
                })
            }
            _ => {
                use ring::hmac;
                let which = match alg {
                    Algorithm::HS256 => hmac::HMAC_SHA256,
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                let k = hmac::Key::new(which, &b64(&fx.doc["hmac"]["secret"]));
                Box::new(move || hmac::verify(&k, msg, sig).is_ok())
            }
        },
        other => panic!("no raw floor for backend {}", other.name()),
    }
}

/// The aws-lc-rs floor (issue 24): every key parsed once into a
/// `ParsedPublicKey` for its algorithm (RSA through
/// `RsaPublicKeyComponents::to_parsed_public_key`), HMAC as a prepared
/// `hmac::Key`: the fastest signature check known for each algorithm.
#[cfg(feature = "aws-lc")]
fn raw_verifier_awslc<'a>(
    fx: &Fixture,
    alg: Algorithm,
    msg: &'a [u8],
    sig: &'a [u8],
) -> Box<dyn FnMut() -> bool + 'a> {
    use aws_lc_rs::{hmac, signature as a};
    let point = |name: &str| {
        let mut p = vec![4u8];
        p.extend(b64(&fx.doc[name]["x"]));
        p.extend(b64(&fx.doc[name]["y"]));
        p
    };
    let rsa = |params: &'static a::RsaParameters| {
        let (n, e) = (b64(&fx.doc["rsa"]["n"]), b64(&fx.doc["rsa"]["e"]));
        a::RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(params)
            .expect("aws-lc rsa key")
    };
    let key = match alg {
        Algorithm::RS256 => rsa(&a::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => rsa(&a::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => rsa(&a::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => rsa(&a::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => rsa(&a::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => rsa(&a::RSA_PSS_2048_8192_SHA512),
        Algorithm::ES256 => {
            a::ParsedPublicKey::new(&a::ECDSA_P256_SHA256_FIXED, point("ec")).expect("p256")
        }
        Algorithm::ES384 => {
            a::ParsedPublicKey::new(&a::ECDSA_P384_SHA384_FIXED, point("ec384")).expect("p384")
        }
        Algorithm::ES512 => {
            a::ParsedPublicKey::new(&a::ECDSA_P521_SHA512_FIXED, point("ec521")).expect("p521")
        }
        Algorithm::EdDSA | Algorithm::Ed25519 => {
            a::ParsedPublicKey::new(&a::ED25519, b64(&fx.doc["ed25519"]["x"])).expect("ed25519")
        }
        _ => {
            let which = match alg {
                Algorithm::HS256 => hmac::HMAC_SHA256,
                Algorithm::HS384 => hmac::HMAC_SHA384,
                _ => hmac::HMAC_SHA512,
            };
            let k = hmac::Key::new(which, &b64(&fx.doc["hmac"]["secret"]));
            return Box::new(move || hmac::verify(&k, msg, sig).is_ok());
        }
    };
    Box::new(move || key.verify_sig(msg, sig).is_ok())
}

/// The raw floors of ES384, ES512 and EdDSA/Ed25519 (issue 20): the same
/// crates the backends call (ring has no P-521: its floor is p521 too).
fn raw_verifier_issue20<'a>(
    fx: &Fixture,
    backend: Backend,
    alg: Algorithm,
    msg: &'a [u8],
    sig: &'a [u8],
) -> Box<dyn FnMut() -> bool + 'a> {
    let point = |name: &str| {
        let mut p = vec![4u8];
        p.extend(b64(&fx.doc[name]["x"]));
        p.extend(b64(&fx.doc[name]["y"]));
        p
    };
    let ed: [u8; 32] = b64(&fx.doc["ed25519"]["x"])
        .try_into()
        .expect("32-byte Ed25519 key");
    #[cfg(feature = "ring")]
    if backend == Backend::Ring && alg != Algorithm::ES512 {
        use ring::signature as rs;
        let (which, key): (&'static dyn rs::VerificationAlgorithm, Vec<u8>) = match alg {
            Algorithm::ES384 => (&rs::ECDSA_P384_SHA384_FIXED, point("ec384")),
            _ => (&rs::ED25519, ed.to_vec()),
        };
        return Box::new(move || {
            rs::UnparsedPublicKey::new(which, &key)
                .verify(msg, sig)
                .is_ok()
        });
    }
    let _ = backend;
    match alg {
        Algorithm::ES384 => {
            use p384::ecdsa::{signature::Verifier, Signature, VerifyingKey};
            let vk = VerifyingKey::from_sec1_bytes(&point("ec384")).expect("p384 key");
            Box::new(move || Signature::from_slice(sig).is_ok_and(|sg| vk.verify(msg, &sg).is_ok()))
        }
        Algorithm::ES512 => {
            use p521::ecdsa::{signature::Verifier, Signature, VerifyingKey};
            let vk = VerifyingKey::from_sec1_bytes(&point("ec521")).expect("p521 key");
            Box::new(move || Signature::from_slice(sig).is_ok_and(|sg| vk.verify(msg, &sg).is_ok()))
        }
        _ => {
            use ed25519_dalek::{Signature, Verifier, VerifyingKey};
            let vk = VerifyingKey::from_bytes(&ed).expect("ed25519 key");
            Box::new(move || {
                <[u8; 64]>::try_from(sig)
                    .is_ok_and(|b| vk.verify(msg, &Signature::from_bytes(&b)).is_ok())
            })
        }
    }
}

/// Keats' `jsonwebtoken::decode`, configured like the tokenlane policy as
/// far as it goes (alg, issuer, audience, exp with 60 s leeway; it has no
/// notion of `typ: at+jwt` or scopes, and reads the wall clock), from the
/// copy `$jwt` (`jsonwebtoken` 11 on aws-lc-rs, `jsonwebtoken_rc` 10 on
/// RustCrypto). `None` for an algorithm jsonwebtoken lacks (ES512, the RFC
/// 9864 name Ed25519).
macro_rules! jsonwebtoken_decoder {
    ($name:ident, $jwt:ident) => {
        fn $name<'a>(
            fx: &Fixture,
            alg: Algorithm,
            token: &'a str,
        ) -> Option<Box<dyn FnMut() -> bool + 'a>> {
            use $jwt::{decode, Algorithm as J, DecodingKey, Validation};
            // jsonwebtoken spells the JWA names it has the same way.
            let jalg: J = alg.name().parse().ok()?;
            let key = match alg {
                Algorithm::ES384 => DecodingKey::from_ec_components(
                    s(&fx.doc["ec384"]["x"]),
                    s(&fx.doc["ec384"]["y"]),
                )
                .ok()?,
                Algorithm::ES512 => return None,
                Algorithm::EdDSA | Algorithm::Ed25519 => {
                    DecodingKey::from_ed_components(s(&fx.doc["ed25519"]["x"])).ok()?
                }
                _ => match &alg.name()[..2] {
                    "HS" => DecodingKey::from_secret(&b64(&fx.doc["hmac"]["secret"])),
                    "ES" => DecodingKey::from_ec_components(
                        s(&fx.doc["ec"]["x"]),
                        s(&fx.doc["ec"]["y"]),
                    )
                    .expect("ec key"),
                    _ => DecodingKey::from_rsa_components(
                        s(&fx.doc["rsa"]["n"]),
                        s(&fx.doc["rsa"]["e"]),
                    )
                    .expect("rsa key"),
                },
            };
            let mut v = Validation::new(jalg);
            v.set_issuer(&[fx.issuer.as_str()]);
            v.set_audience(&[fx.audiences[0].as_str()]);
            v.leeway = 60;
            Some(Box::new(move || {
                decode::<Value>(token, &key, &v).is_ok_and(|t| t.claims["sub"].is_string())
            }))
        }
    };
}
jsonwebtoken_decoder!(jsonwebtoken_awslc, jsonwebtoken);
jsonwebtoken_decoder!(jsonwebtoken_rc, jsonwebtoken_rc);

/// The two jsonwebtoken contenders: (name in the group, decoder).
type Decoder = for<'a> fn(&Fixture, Algorithm, &'a str) -> Option<Box<dyn FnMut() -> bool + 'a>>;
const JWT: [(&str, Decoder); 2] = [
    ("jsonwebtoken[rust_crypto]", jsonwebtoken_rc),
    ("jsonwebtoken[aws-lc]", jsonwebtoken_awslc),
];

/// One row of the result: an algorithm on one backend.
struct Row {
    alg: Algorithm,
    backend: Backend,
    validate_ns: f64,
    jws_ns: f64,
    raw_ns: f64,
    /// Per [`JWT`] contender; `None` (here and below) when jsonwebtoken
    /// lacks the algorithm.
    jwt_ns: [Option<f64>; 2],
    ratio_raw: f64,
    /// validate ÷ the aws-lc-rs parsed-key floor (`aws-lc/raw`), per round.
    ratio_floor: Option<f64>,
    ratio_jwt: [Option<f64>; 2],
    allocs_validate: u64,
    allocs_raw: u64,
    allocs_jwt: [Option<u64>; 2],
}

/// Times `f` on `n` calls (thread CPU time); panics if any call refused (a
/// refusing contender would be measuring an error path).
#[inline(never)]
fn measured_loop(f: &mut dyn FnMut() -> bool, n: u64) -> Duration {
    let start = cpu_now();
    let mut ok = true;
    for _ in 0..n {
        ok &= black_box(f());
    }
    let t = cpu_now().saturating_sub(start);
    assert!(ok, "a contender refused the bench token");
    t
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

fn allocations(f: &mut dyn FnMut() -> bool) -> u64 {
    let mut ok = false;
    let info = allocation_counter::measure(|| ok = black_box(f()));
    assert!(ok, "a contender refused the bench token");
    info.count_total
}

struct Settings {
    rounds: usize,
    round: Duration,
}

/// Runs every contender in `group` for `rounds` interleaved rounds; returns
/// per contender the per-round nanoseconds per call.
fn run_group(group: &mut [Contender<'_>], st: &Settings) -> Vec<Vec<f64>> {
    // Calibrate: how many calls fill one round.
    let mut iters = Vec::with_capacity(group.len());
    for c in group.iter_mut() {
        let _ = measured_loop(&mut c.f, 2); // warm caches and lazy init
        let mut n = 1u64;
        loop {
            let t = measured_loop(&mut c.f, n);
            if t >= st.round / 8 || n >= 1 << 30 {
                let per = (nanos(t) / f64::from(u32::try_from(n).unwrap_or(u32::MAX))).max(1.0);
                let want = nanos(st.round) / per;
                iters.push(float_to_u64(want).max(1));
                break;
            }
            n *= 2;
        }
    }
    let mut out = vec![Vec::with_capacity(st.rounds); group.len()];
    for _ in 0..st.rounds {
        for ((c, &n), o) in group.iter_mut().zip(&iters).zip(out.iter_mut()) {
            let t = measured_loop(&mut c.f, n);
            o.push(nanos(t) / u64_to_f64(n));
        }
    }
    out
}

fn u64_to_f64(n: u64) -> f64 {
    // Exact below 2^53, far above any iteration count here.
    f64::from(u32::try_from(n >> 32).unwrap_or(u32::MAX)) * 4_294_967_296.0
        + f64::from(u32::try_from(n & 0xFFFF_FFFF).unwrap_or(0))
}

fn float_to_u64(x: f64) -> u64 {
    // Iteration counts: small, positive; clamp instead of casting.
    let mut n = 0u64;
    let mut step = 1u64 << 40;
    while step > 0 {
        if u64_to_f64(n + step) <= x {
            n += step;
        }
        step >>= 1;
    }
    n
}

/// Every contender for one algorithm: per backend validate, jws and raw,
/// then jsonwebtoken once.
fn contenders<'a>(
    fx: &'a Fixture,
    alg: Algorithm,
    inputs: &'a (Vec<u8>, Vec<u8>),
    policies: &'a [(Backend, AccessPolicy<'a, String>)],
    scratch: &'a mut [Vec<u8>],
) -> Vec<Contender<'a>> {
    let token = fx.token(alg);
    let (msg, sig) = inputs;
    let mut out = Vec::new();
    let mut scratch = scratch.iter_mut();
    for (backend, policy) in policies {
        let backend = *backend;
        let buf = scratch.next().expect("scratch");
        out.push(Contender {
            what: format!("{}/validate", backend.name()),
            f: Box::new(move || {
                policy
                    .validate(token.as_bytes(), &fx.keys, fx.now, buf)
                    .is_ok_and(|t| t.sub().is_some() && t.has_scope("read:appointments"))
            }),
        });
        let buf = scratch.next().expect("scratch");
        let algs = AlgorithmSet::from_slice(&[alg]);
        out.push(Contender {
            what: format!("{}/jws", backend.name()),
            f: Box::new(move || {
                tokenlane::verify_compact_with(
                    backend,
                    token.as_bytes(),
                    &fx.keys,
                    algs,
                    16_384,
                    buf,
                )
                .is_ok()
            }),
        });
        out.push(Contender {
            what: format!("{}/raw", backend.name()),
            f: raw_verifier(fx, backend, alg, msg, sig),
        });
    }
    for (what, decoder) in JWT {
        if let Some(f) = decoder(fx, alg, token) {
            out.push(Contender {
                what: what.to_owned(),
                f,
            });
        }
    }
    out
}

/// Signing input and decoded signature of a token.
fn split(token: &str) -> (Vec<u8>, Vec<u8>) {
    let dot = token.rfind('.').expect("three segments");
    let sig = Base64UrlUnpadded::decode_vec(&token[dot + 1..]).expect("signature b64");
    (token.as_bytes()[..dot].to_vec(), sig)
}

fn policies<'a>(fx: &'a Fixture, alg: Algorithm) -> Vec<(Backend, AccessPolicy<'a, String>)> {
    Backend::AVAILABLE
        .iter()
        .map(|&b| {
            let p = AccessPolicy::new(&fx.issuer, &fx.audiences, AlgorithmSet::from_slice(&[alg]))
                .expect("policy")
                .with_required_scopes(&fx.scopes)
                .expect("scopes")
                .with_leeway(60)
                .expect("leeway")
                .with_backend(b);
            (b, p)
        })
        .collect()
}

fn scratch_for(fx: &Fixture, alg: Algorithm) -> Vec<Vec<u8>> {
    let n = scratch_len(fx.token(alg).len());
    vec![vec![0u8; n]; 2 * Backend::AVAILABLE.len()]
}

fn find<'c, 'a>(group: &'c mut [Contender<'a>], what: &str) -> (usize, &'c mut Contender<'a>) {
    group
        .iter_mut()
        .enumerate()
        .find(|(_, c)| c.what == what)
        .unwrap_or_else(|| panic!("no contender {what}"))
}

/// A jsonwebtoken column: "n/a" where it lacks the algorithm (ES512, Ed25519).
fn opt_us(ns: Option<f64>) -> String {
    ns.map_or_else(|| "n/a".to_owned(), us)
}

fn opt_ratio(r: Option<f64>, places: usize) -> String {
    r.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.places$}"))
}

fn opt_count(n: Option<u64>) -> String {
    n.map_or_else(|| "n/a".to_owned(), |n| n.to_string())
}

fn us(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1}", ns / 1000.0)
    } else {
        format!("{:.2}", ns / 1000.0)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fx = Fixture::load();
    if let Some(i) = args.iter().position(|a| a == "--instr") {
        instr_mode(&fx, &args[i + 1..]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var_os("TOKENLANE_BENCH_QUICK").is_some_and(|v| v == "1");
    let st = if quick {
        Settings {
            rounds: 3,
            round: Duration::from_millis(4),
        }
    } else {
        Settings {
            rounds: 11,
            round: Duration::from_millis(40),
        }
    };
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();

    println!(
        "tokenlane validate bench: backends {:?}, {} rounds of ~{} ms thread CPU time per contender{}",
        Backend::AVAILABLE
            .iter()
            .map(|b| b.name())
            .collect::<Vec<_>>(),
        st.rounds,
        st.round.as_millis(),
        if quick { " (--quick smoke)" } else { "" }
    );
    let mut rows = Vec::new();
    // Every algorithm of the core's table: bench/gen_tokens.py mints a token
    // for each row, and raw_verifier has a floor for each.
    for alg in Algorithm::ALL {
        if !filter.is_empty() && !filter.iter().any(|f| f.as_str() == alg.name()) {
            continue;
        }
        let inputs = split(fx.token(alg));
        let pols = policies(&fx, alg);
        let mut scratch = scratch_for(&fx, alg);
        let mut group = contenders(&fx, alg, &inputs, &pols, &mut scratch);
        let times = run_group(&mut group, &st);
        let jwt_i = JWT.map(|(what, _)| group.iter().position(|c| c.what == what));
        let floor_i = group.iter().position(|c| c.what == "aws-lc/raw");
        let allocs_jwt = jwt_i.map(|i| i.map(|i| allocations(&mut group[i].f)));
        for &backend in Backend::AVAILABLE {
            let b = backend.name();
            let (vi, v) = find(&mut group, &format!("{b}/validate"));
            let allocs_validate = allocations(&mut v.f);
            let (ji, _) = find(&mut group, &format!("{b}/jws"));
            let (ri, r) = find(&mut group, &format!("{b}/raw"));
            let allocs_raw = allocations(&mut r.f);
            let per_round = |num: usize, den: usize| {
                let mut q: Vec<f64> = times[num]
                    .iter()
                    .zip(&times[den])
                    .map(|(a, b)| a / b)
                    .collect();
                median(&mut q)
            };
            let ratio_raw = per_round(vi, ri);
            let ratio_jwt = jwt_i.map(|j| j.map(|j| per_round(vi, j)));
            let ratio_floor = floor_i.map(|f| per_round(vi, f));
            let row = Row {
                alg,
                backend,
                validate_ns: median(&mut times[vi].clone()),
                jws_ns: median(&mut times[ji].clone()),
                raw_ns: median(&mut times[ri].clone()),
                jwt_ns: jwt_i.map(|j| j.map(|j| median(&mut times[j].clone()))),
                ratio_raw,
                ratio_floor,
                ratio_jwt,
                allocs_validate,
                allocs_raw,
                allocs_jwt,
            };
            println!(
                "{:<7} {:<10} validate {:>8} µs  jws {:>8} µs  raw {:>8} µs  ratio {:.3} (aim ≤ {:.2}{})  jsonwebtoken[rust_crypto] {:>8} µs ({})  jsonwebtoken[aws-lc] {:>8} µs ({})  allocs {}/{}/{}/{}",
                alg.name(),
                b,
                us(row.validate_ns),
                us(row.jws_ns),
                us(row.raw_ns),
                row.ratio_raw,
                aim(alg),
                if row.ratio_raw <= aim(alg) { " met" } else { " NOT MET" },
                opt_us(row.jwt_ns[0]),
                opt_ratio(row.ratio_jwt[0], 3),
                opt_us(row.jwt_ns[1]),
                opt_ratio(row.ratio_jwt[1], 3),
                row.allocs_validate,
                row.allocs_raw,
                opt_count(row.allocs_jwt[0]),
                opt_count(row.allocs_jwt[1]),
            );
            rows.push(row);
        }
    }
    print_tables(&rows);
}

fn print_tables(rows: &[Row]) {
    println!();
    println!("=== BEGIN RUST TABLE ===");
    println!(
        "| alg | backend | validate µs | JWS layer µs | raw verify µs | validate ÷ raw | aim | jsonwebtoken [rust_crypto] µs | ÷ it | jsonwebtoken [aws-lc] µs | ÷ it | allocs: validate / raw / jwt [rc] / jwt [aws-lc] |"
    );
    println!("|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|");
    for r in rows {
        let aim = aim(r.alg);
        println!(
            "| {} | {} | {} | {} | {} | {:.3} | ≤ {:.2} {} | {} | {} | {} | {} | {} / {} / {} / {} |",
            r.alg.name(),
            r.backend.name(),
            us(r.validate_ns),
            us(r.jws_ns),
            us(r.raw_ns),
            r.ratio_raw,
            aim,
            if r.ratio_raw <= aim {
                "met"
            } else {
                "**not met**"
            },
            opt_us(r.jwt_ns[0]),
            opt_ratio(r.ratio_jwt[0], 2),
            opt_us(r.jwt_ns[1]),
            opt_ratio(r.ratio_jwt[1], 2),
            r.allocs_validate,
            r.allocs_raw,
            opt_count(r.allocs_jwt[0]),
            opt_count(r.allocs_jwt[1]),
        );
    }
    println!("=== END RUST TABLE ===");
    let missed: Vec<String> = rows
        .iter()
        .filter(|r| r.ratio_raw > aim(r.alg))
        .map(|r| format!("{}/{}", r.alg.name(), r.backend.name()))
        .collect();
    // Issue 24: the fastest backend (lowest median validate) per algorithm
    // against jsonwebtoken[aws-lc] and the aws-lc-rs parsed-key floor.
    println!("=== BEGIN RUST AIMS ===");
    println!("| alg | fastest backend | validate µs | ÷ jsonwebtoken [aws-lc] (aim ≤ 0.90 on RS256/PS256/HS256) | ÷ aws-lc-rs parsed-key verify (aim ≤ 1.03, asymmetric) |");
    println!("|---|---|---:|---|---|");
    for alg in Algorithm::ALL {
        let Some(best) = rows
            .iter()
            .filter(|r| r.alg == alg)
            .min_by(|a, b| a.validate_ns.total_cmp(&b.validate_ns))
        else {
            continue;
        };
        let jwt_aim = matches!(alg, Algorithm::RS256 | Algorithm::PS256 | Algorithm::HS256);
        let floor_aim = !alg.name().starts_with("HS");
        let verdict = |r: Option<f64>, aim: f64, applies: bool| match (r, applies) {
            (None, _) => "n/a".to_owned(),
            (Some(r), false) => format!("{r:.3}"),
            (Some(r), true) if r <= aim => format!("{r:.3} met"),
            (Some(r), true) => format!("{r:.3} **not met**"),
        };
        println!(
            "| {} | {} | {} | {} | {} |",
            alg.name(),
            best.backend.name(),
            us(best.validate_ns),
            verdict(best.ratio_jwt[1], 0.90, jwt_aim),
            verdict(best.ratio_floor, 1.03, floor_aim),
        );
    }
    println!("=== END RUST AIMS ===");
    println!(
        "aims (validate ÷ raw ≤ 1.05 for RS/PS/ES/EdDSA, ≤ 2.0 for HS): {} of {} met{}",
        rows.len() - missed.len(),
        rows.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!("; not met: {}", missed.join(", "))
        }
    );
}

/// `--instr ALG WHO ITERS`: run one contender's loop `ITERS` times and
/// nothing else timed, for `valgrind --tool=callgrind
/// --collect-atstart=no --toggle-collect='*measured_loop*'`. `WHO` is
/// `ring/validate`, `aws-lc/raw`, `jsonwebtoken[aws-lc]`, ... Prints the
/// contender and the count, so the instruction total divides cleanly.
fn instr_mode(fx: &Fixture, args: &[String]) {
    let alg = args
        .first()
        .and_then(|a| Algorithm::from_name(a))
        .expect("--instr ALG WHO ITERS");
    let who = args.get(1).expect("--instr ALG WHO ITERS");
    let iters: u64 = args
        .get(2)
        .and_then(|n| n.parse().ok())
        .expect("--instr ALG WHO ITERS");
    let inputs = split(fx.token(alg));
    let pols = policies(fx, alg);
    let mut scratch = scratch_for(fx, alg);
    let mut group = contenders(fx, alg, &inputs, &pols, &mut scratch);
    let (_, c) = find(&mut group, who);
    // Warm up outside the measured function (lazy CPU-feature detection,
    // jsonwebtoken's provider), then the measured loop alone.
    assert!(black_box((c.f)()), "refused");
    let _ = measured_loop(&mut c.f, iters);
    println!("instr {} {} {}", alg.name(), who, iters);
}

//! Pre-signature parse cost on hostile JSON (issue 16, item 2).
//!
//! A token whose header nests objects, each with a large first member and
//! then many short names (`{"alg":..,"x":{"a":{"a":…"xxxx…",k0..kK},k0..kK}}`),
//! with a bogus signature, against a flat header of the same size (one long
//! string member), at 16 KiB, 256 KiB and 1 MiB, through
//! [`AccessPolicy::validate`] on every compiled-in backend; and the same
//! shapes as an extra member of a JWK in a JWKS of the same sizes, through
//! [`KeySet::from_jwks`]. Both inputs are refused after the whole parse
//! (`invalid_signature`; the JWKS loads), so the ratio is what the JSON
//! shape costs. Aim: hostile ÷ flat ≤ 2.
//!
//! ```text
//! cargo bench -p tokenlane --features ring --bench parse_cost            # full
//! cargo bench -p tokenlane --features ring --bench parse_cost -- --quick # smoke
//! ```
//!
//! Times are this thread's CPU time (as in `validate.rs`: on a loaded
//! machine the wall clock also counts other processes' turns), medians of
//! interleaved rounds (each round times the hostile and the flat input back
//! to back).

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use tokenlane::{scratch_len, AccessPolicy, AlgorithmSet, Backend, KeySet, UnixTime};

mod common;
use common::cpu_now;

const TOKENS: &str = include_str!("../../bench/tokens.json");
const SIZES: [(usize, &str); 3] = [
    (16 * 1024, "16 KiB"),
    (256 * 1024, "256 KiB"),
    (1024 * 1024, "1 MiB"),
];
/// Nesting levels and names per level of the hostile shape: the most the
/// parser's limits allow together (depth 16, 256 open names).
const LEVELS: usize = 14;
const NAMES: usize = 16;

/// `{<head>,"x":{"a":{"a":…"xxx…",k0..kK},k0..kK}}` of exactly `len` bytes.
fn hostile_json(head: &str, len: usize, levels: usize) -> String {
    let mut open = format!("{{{head},\"x\":");
    let mut close = String::new();
    for _ in 0..levels {
        open.push_str("{\"a\":");
    }
    open.push('"');
    close.push('"');
    for _ in 0..levels {
        for k in 0..NAMES {
            close.push_str(&format!(",\"k{k}\":0"));
        }
        close.push('}');
    }
    close.push('}');
    let filler = len.saturating_sub(open.len() + close.len());
    format!("{open}{}{close}", "x".repeat(filler))
}

/// `{<head>,"x":[{"k0":0,…,"k249":0},…]}` of about `len` bytes: as many
/// member names as fit, in objects of 250 (the duplicate check's most work
/// per byte, where the nested shape was its worst re-scan).
fn dense_json(head: &str, len: usize, names: &[String]) -> String {
    let mut obj = String::from("{");
    for k in names {
        obj.push_str(&format!("\"{k}\":0,"));
    }
    obj.pop();
    obj.push('}');
    let open = format!("{{{head},\"x\":[");
    let n = (len.saturating_sub(open.len() + 2) / (obj.len() + 1)).max(1);
    let body = vec![obj; n].join(",");
    let doc = format!("{open}{body}]}}");
    // Pad to the exact length with a trailing string member.
    let pad = len.saturating_sub(doc.len() + 7);
    format!("{open}{body}],\"y\":\"{}\"}}", "x".repeat(pad))
}

/// 250 names `k…` whose 10-bit FNV-1a fold all collide: the unkeyed hash
/// the parser used before its hash was keyed by each object's names (a
/// fixed hash let whoever writes the names make every comparison read
/// them: 3.5× flat). Kept to show the keyed hash spreads them.
fn colliding_names() -> Vec<String> {
    let hash = |n: &str| {
        let mut h: u32 = 0x811c_9dc5;
        for b in n.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        (h ^ (h >> 10) ^ (h >> 20)) & 0x3ff
    };
    let target = hash("k0");
    (0..)
        .map(|i| format!("k{i}"))
        .filter(|n| hash(n) == target)
        .take(250)
        .collect()
}

/// `{<head>,"x":"xxx…"}` of exactly `len` bytes.
fn flat_json(head: &str, len: usize) -> String {
    let open = format!("{{{head},\"x\":\"");
    let filler = len.saturating_sub(open.len() + 2);
    format!("{open}{}\"}}", "x".repeat(filler))
}

/// A token of about `size` bytes with `header_of(len)` as its header and
/// the bench token's payload, its signature flipped.
fn token(real: &str, size: usize, header_of: &dyn Fn(usize) -> String) -> String {
    let mut parts = real.split('.');
    let (_, payload, sig) = (
        parts.next(),
        parts.next().expect("payload"),
        parts.next().expect("sig"),
    );
    let mut sig = Base64UrlUnpadded::decode_vec(sig).expect("sig");
    sig[0] ^= 1;
    let sig = Base64UrlUnpadded::encode_string(&sig);
    let room = size - payload.len() - sig.len() - 2;
    let header = header_of(room / 4 * 3);
    format!(
        "{}.{payload}.{sig}",
        Base64UrlUnpadded::encode_string(header.as_bytes())
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median µs per call of `f(0)` (hostile) and `f(1)` (flat) over `rounds`,
/// interleaved.
fn pair(rounds: usize, iters: usize, f: &mut dyn FnMut(usize)) -> (f64, f64) {
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (which, out) in times.iter_mut().enumerate() {
            let t = cpu_now();
            for _ in 0..iters {
                f(which);
            }
            out.push(
                (cpu_now() - t).as_secs_f64() * 1e6
                    / f64::from(u32::try_from(iters).unwrap_or(u32::MAX)),
            );
        }
    }
    let [a, b] = times;
    (median(a), median(b))
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let doc: Value = serde_json::from_str(TOKENS).expect("bench/tokens.json");
    let s = |v: &Value| v.as_str().expect("string").to_owned();
    let keys = KeySet::from_jwks(s(&doc["jwks"]).as_bytes()).expect("jwks");
    let now = UnixTime::from_secs(doc["now"].as_u64().expect("now"));
    let (issuer, audiences, scopes) =
        (s(&doc["issuer"]), [s(&doc["audience"])], [s(&doc["scope"])]);
    let rounds = if quick { 1 } else { 15 };
    let plain: Vec<String> = (0..250).map(|k| format!("k{k}")).collect();
    let colliding = colliding_names();
    let mut rows = Vec::new();
    for alg_name in ["ES256", "HS256"] {
        let real = s(&doc["tokens"][alg_name]);
        let hdr = {
            let h = real.split('.').next().expect("header");
            String::from_utf8(Base64UrlUnpadded::decode_vec(h).expect("b64")).expect("utf8")
        };
        let head = hdr.trim_start_matches('{').trim_end_matches('}').to_owned();
        let alg = tokenlane::Algorithm::from_name(alg_name).expect("alg");
        for &(size, label) in &SIZES {
            let flat = token(&real, size, &|n| flat_json(&head, n));
            for (shape, hostile) in [
                (
                    "nested header",
                    token(&real, size, &|n| hostile_json(&head, n, LEVELS)),
                ),
                (
                    "name-dense header",
                    token(&real, size, &|n| dense_json(&head, n, &plain)),
                ),
                (
                    "name-dense header, names colliding in an unkeyed hash",
                    token(&real, size, &|n| dense_json(&head, n, &colliding)),
                ),
            ] {
                assert!(hostile.len() <= size && flat.len() <= size);
                for &backend in Backend::AVAILABLE {
                    let policy =
                        AccessPolicy::new(&issuer, &audiences, AlgorithmSet::from_slice(&[alg]))
                            .expect("policy")
                            .with_required_scopes(&scopes)
                            .expect("scopes")
                            .with_max_token_bytes(size)
                            .expect("size")
                            .with_backend(backend);
                    let mut buf = vec![0u8; scratch_len(size)];
                    let mut run = |t: &str| {
                        let r = policy
                            .validate(t.as_bytes(), &keys, now, &mut buf)
                            .map(|_| ());
                        assert_eq!(
                            r.map_err(|e| e.code()),
                            Err("invalid_signature"),
                            "{alg_name} {label}"
                        );
                    };
                    let iters = if quick {
                        1
                    } else {
                        (8 * 1024 * 1024 / size).max(4)
                    };
                    let (h, f) = pair(rounds, iters, &mut |w| run([&hostile, &flat][w]));
                    rows.push(format!(
                    "| {alg_name} token, {shape} | {label} | {} | {h:.1} | {f:.1} | {:.2}× | ≤ 2× |",
                    backend.name(),
                    h / f
                ));
                }
            }
        }
    }
    // JWKS: the bench key set with one more JWK carrying the shape as `ext`
    // (two levels fewer: the document and `keys` array are two of the 16).
    let jwks: Value = serde_json::from_str(&s(&doc["jwks"])).expect("jwks json");
    let ec = serde_json::to_string(&jwks["keys"][1]).expect("ec jwk");
    let others: Vec<String> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| serde_json::to_string(k).expect("jwk"))
        .collect();
    let head = ec
        .trim_start_matches('{')
        .trim_end_matches('}')
        .replace("\"kid\":\"ec-1\"", "\"kid\":\"ec-x\"");
    for &(size, label) in &SIZES {
        let doc_of = |jwk: String| format!("{{\"keys\":[{},{jwk}]}}", others.join(","));
        let base = doc_of(String::new()).len() + 2; // + 2: "x" becomes "ext"
        let hostile =
            doc_of(hostile_json(&head, size - base, LEVELS - 2).replace("\"x\":{", "\"ext\":{"));
        let flat = doc_of(flat_json(&head, size - base).replacen(",\"x\":\"x", ",\"ext\":\"x", 1));
        let load = |d: &str| {
            let set = KeySet::from_jwks(d.as_bytes()).expect("jwks loads");
            assert_eq!(set.len(), others.len() + 1);
        };
        let iters = if quick {
            1
        } else {
            (8 * 1024 * 1024 / size).max(4)
        };
        let (h, f) = pair(rounds, iters, &mut |w| load([&hostile, &flat][w]));
        rows.push(format!(
            "| JWKS (KeySet::from_jwks) | {label} | any | {h:.1} | {f:.1} | {:.2}× | ≤ 2× |",
            h / f
        ));
    }
    println!(
        "tokenlane parse-cost bench: {} rounds, thread CPU time medians; hostile = {LEVELS} nested objects × {NAMES} names after a large first member",
        rounds
    );
    println!("=== BEGIN PARSE COST TABLE ===");
    println!(
        "| input | size | backend | hostile µs | flat µs (same size) | hostile ÷ flat | aim |"
    );
    println!("|---|---|---|---:|---:|---:|---|");
    for r in rows {
        println!("{r}");
    }
    println!("=== END PARSE COST TABLE ===");
}

//! The cost of validation as the work grows (issue 24, item 4): the number
//! of keys in the set, the token's size, the number of scopes and of
//! audiences, for HS256 and ES256 on the `ring` backend. Each row is
//! `AccessPolicy::validate` of a token minted by `bench/gen_scaling.py`
//! (Python `cryptography`), timed against its group's baseline (one key,
//! no padding, one scope, one audience) in the same round.
//!
//! Aims: 256 keys cost ≤ 1.05× one key (the `kid` lookup must not grow);
//! the token size, scopes and audiences grow linearly (the table gives the
//! µs added per KiB of token).
//!
//! ```text
//! python3 bench/gen_scaling.py target/bench/scaling.json
//! cargo bench -p tokenlane --features ring --bench scaling -- target/bench/scaling.json          # full
//! cargo bench -p tokenlane --features ring --bench scaling -- target/bench/scaling.json --quick  # smoke
//! ```
//!
//! Times are this thread's CPU time; the ratio is the median of the
//! per-round ratios (row ÷ baseline, back to back), so a busy machine moves
//! both sides.

use serde_json::Value;
use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, Backend, KeySet, UnixTime};

mod common;
use common::cpu_now;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// µs per call of `f`, `iters` times.
fn time(iters: u32, f: &mut dyn FnMut()) -> f64 {
    let t = cpu_now();
    for _ in 0..iters {
        f();
    }
    (cpu_now() - t).as_secs_f64() * 1e6 / f64::from(iters)
}

/// One row: its token, its keys, and a policy requiring the scope.
struct Row {
    alg: String,
    what: String,
    n: u64,
    token: String,
    keys: KeySet,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let path = args
        .iter()
        .skip(1)
        .find(|a| a.ends_with(".json"))
        .expect("usage: scaling SCALING.json [--quick] (bench/gen_scaling.py writes it)");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
    let s = |v: &Value| v.as_str().expect("string").to_owned();
    let (issuer, audience, scope) = (s(&doc["issuer"]), s(&doc["audience"]), s(&doc["scope"]));
    let now = UnixTime::from_secs(doc["now"].as_u64().expect("now"));
    let rows: Vec<Row> = doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| Row {
            alg: s(&r["alg"]),
            what: s(&r["what"]),
            n: r["n"].as_u64().expect("n"),
            token: s(&r["token"]),
            keys: KeySet::from_jwks(s(&r["jwks"]).as_bytes()).expect("jwks"),
        })
        .collect();
    let audiences = [audience];
    let scopes = [scope];
    let (rounds, iters) = if quick { (1, 2) } else { (11, 300) };
    let backend = *Backend::AVAILABLE.last().expect("a backend");
    println!("=== BEGIN SCALING TABLE ===");
    println!("| alg | grows | n | token bytes | µs | ÷ baseline | aim |");
    println!("|---|---|---:|---:|---:|---:|---|");
    for group in rows.chunk_by(|a, b| a.alg == b.alg && a.what == b.what) {
        let alg = match group[0].alg.as_str() {
            "HS256" => Algorithm::HS256,
            _ => Algorithm::ES256,
        };
        let policy = AccessPolicy::new(&issuer, &audiences, AlgorithmSet::from_slice(&[alg]))
            .expect("policy")
            .with_required_scopes(&scopes)
            .expect("scopes")
            .with_backend(backend);
        let mut buf = vec![0u8; 64 * 1024];
        let mut run = |row: &Row| {
            policy
                .validate(row.token.as_bytes(), &row.keys, now, &mut buf)
                .unwrap_or_else(|e| panic!("{} {} {}: {e}", row.alg, row.what, row.n));
        };
        let base = &group[0];
        for row in group {
            let (mut us, mut ratios) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let b = time(iters, &mut || run(base));
                let t = time(iters, &mut || run(row));
                us.push(t);
                ratios.push(t / b);
            }
            let ratio = median(ratios);
            let aim = match row.what.as_str() {
                "keys" if row.n > 1 => {
                    if ratio <= 1.05 {
                        "≤ 1.05× met"
                    } else {
                        "≤ 1.05× **not met**"
                    }
                }
                "keys" => "baseline",
                _ if core::ptr::eq(row, base) => "baseline",
                _ => "linear",
            };
            println!(
                "| {} | {} | {} | {} | {:.2} | {:.3}× | {} |",
                row.alg,
                row.what,
                row.n,
                row.token.len(),
                median(us),
                ratio,
                aim
            );
        }
    }
    println!("=== END SCALING TABLE ===");
    println!("backend: {backend:?}");
}

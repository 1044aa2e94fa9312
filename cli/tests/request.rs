//! `tokenlane verify --method M --url U [--dpop PROOF] [--cert-thumbprint T]`
//! over the conformance request cases (`tests/conformance/cases.json`,
//! `request_cases`: tokens and DPoP proofs minted by Python `cryptography`
//! with fixed times): every case the command can express is run and its
//! exact code and exit status (10 + the code's number) checked; then each
//! accepted DPoP request is sent again with the same `--dpop-replay-file`
//! (one per case: the cases' proofs share `jti` values) and must be refused
//! as a replay.
//!
//! What the command cannot express is skipped, by rule: a policy other than
//! DPoP allowed with the default proof algorithms and `iat` window, a
//! server nonce, `typ` other than strict, an `Authorization` header other
//! than exactly one `Bearer `/`DPoP ` credential whose scheme matches the
//! presence of a proof (the command writes the header itself), more than
//! one `DPoP` header, a pre-seeded replay store.

#![allow(missing_docs)]

mod common;

use serde_json::Value;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/conformance/cases.json"
);

struct Case {
    name: String,
    args: Vec<String>,
    expect: Value,
    dpop: bool,
}

/// The command line for `c`, or `None` when the command cannot express it.
fn expressible(c: &Value, keyset_file: &str) -> Option<Case> {
    let p = &c["policy"];
    let r = &c["request"];
    let default_proof_algs = ["ES256", "RS256", "PS256"];
    let proof_algs: Vec<&str> = p["proof_algorithms"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if p["dpop"] != "allowed"
        || proof_algs != default_proof_algs
        || p["iat_window"] != 60
        || p.get("dpop_nonce").is_some()
        || p.get("dpop_nonce_key").is_some()
        || p["typ"] != "strict"
        || !p["seen_jti"].as_array()?.is_empty()
        || c["keyset"] != "main"
    {
        return None;
    }
    let [auth] = r["authorization"].as_array()?.as_slice() else {
        return None;
    };
    let auth = auth.as_str()?;
    let proofs = r["dpop"].as_array()?;
    let (token, dpop) = match (auth.split_once(' '), proofs.as_slice()) {
        (Some(("Bearer", t)), []) => (t, None),
        (Some(("DPoP", t)), [proof]) => (t, Some(proof.as_str()?)),
        _ => return None,
    };
    let mut args: Vec<String> = vec![
        "verify".into(),
        "--json".into(),
        "--jwks".into(),
        keyset_file.into(),
        "--issuer".into(),
        p["issuer"].as_str()?.into(),
        "--leeway".into(),
        p["leeway"].to_string(),
        "--now".into(),
        c["now"].to_string(),
        "--method".into(),
        r["method"].as_str()?.into(),
        "--url".into(),
        r["uri"].as_str()?.into(),
    ];
    for aud in p["audience"].as_array()? {
        args.extend(["--audience".into(), aud.as_str()?.into()]);
    }
    for alg in p["algorithms"].as_array()? {
        args.extend(["--alg".into(), alg.as_str()?.into()]);
    }
    for s in p["required_scopes"].as_array()? {
        args.extend(["--scope".into(), s.as_str()?.into()]);
    }
    if let Some(proof) = dpop {
        args.extend(["--dpop".into(), proof.into()]);
    }
    if let Some(cert) = r["certificate_sha256"].as_str() {
        args.extend(["--cert-thumbprint".into(), cert.into()]);
    }
    args.extend(["--".into(), token.into()]);
    Some(Case {
        name: c["name"].as_str()?.into(),
        args,
        expect: c["expect"].clone(),
        dpop: dpop.is_some(),
    })
}

fn run(args: &[String]) -> (i32, Value) {
    let out = common::run(args, "");
    (out.status, out.json())
}

/// Checks an outcome against the case's expectation.
fn check(name: &str, status: i32, out: &Value, expect: &Value) {
    if expect["ok"] == true {
        assert_eq!(status, 0, "{name}: {out}");
        let b = &out["binding"];
        let scheme = b["scheme"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert_eq!(scheme, expect["scheme"], "{name}");
        assert_eq!(b["jkt"], expect["jkt"], "{name}");
        assert_eq!(b["certificate"], expect["certificate"], "{name}");
    } else {
        let code = &out["error"]["code"];
        assert_eq!(code, &expect["error"], "{name}: {out}");
        let number = out["error"]["number"].as_i64().expect("number");
        let want = if code == "invalid_key" {
            3
        } else {
            10 + number
        };
        assert_eq!(i64::from(status), want, "{name}");
    }
}

#[test]
fn request_cases_through_the_command_with_exact_codes_and_replays() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(CASES).expect("cases")).expect("JSON");
    let main = doc["keysets"]["main"].as_array().expect("main keyset");
    let [entry] = main.as_slice() else {
        panic!("the main keyset is one JWKS")
    };
    assert_eq!(entry["kind"], "jwks");
    let dir = std::env::temp_dir().join(format!("tokenlane-cli-request-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let keyset = dir.join("main.jwks");
    std::fs::write(&keyset, entry["data"].as_str().expect("data")).expect("write");
    let keyset = keyset.to_str().expect("utf8").to_owned();

    let cases: Vec<Case> = doc["request_cases"]
        .as_array()
        .expect("request_cases")
        .iter()
        .filter_map(|c| expressible(c, &keyset))
        .collect();
    let mut accepted_dpop = Vec::new();
    for c in &cases {
        let mut args = c.args.clone();
        if c.dpop {
            // One store per case: the cases' proofs share jti values.
            let replay = dir.join(format!("{}.seen", c.name));
            let replay = replay.to_str().expect("utf8").to_owned();
            args.splice(1..1, ["--dpop-replay-file".to_owned(), replay]);
        }
        let (status, out) = run(&args);
        check(&c.name, status, &out, &c.expect);
        if c.dpop && c.expect["ok"] == true {
            accepted_dpop.push(args);
        }
    }
    // The same proofs again, with the store that recorded them: replays.
    for args in &accepted_dpop {
        let (status, out) = run(args);
        assert_eq!(out["error"]["code"], "invalid_dpop_proof", "{out}");
        assert_eq!(status, 33);
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Most cases are expressible; a change that made them all skip fails here.
    assert!(cases.len() >= 25, "only {} request cases ran", cases.len());
    assert!(accepted_dpop.len() >= 3, "{}", accepted_dpop.len());
}

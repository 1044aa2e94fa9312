//! `verify --method M --url U [--dpop PROOF] [--cert-thumbprint T]`: one
//! HTTP request decided by the core's [`tokenlane::request::authorize`]
//! (Bearer, DPoP-bound, certificate-bound). The CLI only builds the
//! request facts: the token goes in an `Authorization` header with the
//! `DPoP` scheme when a proof is given, else `Bearer`; DPoP is allowed
//! (both schemes), proofs signed with ES256 or RS*/PS* (the core's proof
//! algorithms), the core's default `iat` window, no server nonce.
//!
//! Replays: a command run is one request, so the core's in-memory store
//! would never see a second use. `--dpop-replay-file FILE` keeps the seen
//! proofs in a file instead (one line per proof: the time until which it
//! is kept, the key thumbprint, the hex of its `jti`), the core's
//! [`ProofHooks`] over it: a `jti` already there is a replay
//! (`invalid_dpop_proof`), a file that cannot be read or written is
//! `replay_check_failed` (HTTP 500), never an accept. Expired lines are
//! dropped when the file is read. Without the flag, replays are not checked.

use core::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;

use serde_json::json;
use tokenlane::dpop::{
    NoReplayCheck, ProofHooks, ProofPolicy, Replay, Thumbprint, DEFAULT_IAT_WINDOW_SECS,
};
use tokenlane::request::{
    authorize, authorize_scratch_len, tried_scheme, write_challenge, Binding, DpopMode,
    RequestFacts, Scheme,
};
use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, Error, Key, UnixTime};

use crate::escape;
use crate::input::Failure;
use crate::json::Object;
use crate::verify::{access_json, VerifyArgs};

/// Seen proofs in a file; see the module docs.
struct FileReplay {
    path: String,
    seen: Mutex<Option<Vec<(u64, String, String)>>>,
}

impl FileReplay {
    /// Reads `path` (absent: empty), dropping entries expired at `now`.
    /// An unreadable or garbled file leaves the store failed.
    fn open(path: &str, now: u64) -> Self {
        let seen = match std::fs::read_to_string(path) {
            Ok(text) => text
                .lines()
                .map(|l| {
                    let mut it = l.split(' ');
                    match (it.next(), it.next(), it.next(), it.next()) {
                        (Some(until), Some(jkt), Some(jti), None) => until
                            .parse::<u64>()
                            .ok()
                            .map(|u| (u, jkt.to_owned(), jti.to_owned())),
                        _ => None,
                    }
                })
                .collect::<Option<Vec<_>>>()
                .map(|v| v.into_iter().filter(|(u, _, _)| *u >= now).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Vec::new()),
            Err(_) => None,
        };
        Self {
            path: path.to_owned(),
            seen: Mutex::new(seen),
        }
    }

    fn write_all(&self, entries: &[(u64, String, String)]) -> std::io::Result<()> {
        let mut text = String::new();
        for (u, jkt, jti) in entries {
            let _ = writeln!(text, "{u} {jkt} {jti}");
        }
        let tmp = format!("{}.tmp", self.path);
        std::fs::File::create(&tmp)?.write_all(text.as_bytes())?;
        std::fs::rename(&tmp, &self.path)
    }
}

impl ProofHooks for FileReplay {
    fn check_replay(&self, jti: &str, jkt: &Thumbprint, iat: u64, _now: UnixTime) -> Replay {
        let Ok(mut guard) = self.seen.lock() else {
            return Replay::StoreFailed;
        };
        let Some(seen) = guard.as_mut() else {
            return Replay::StoreFailed;
        };
        let hex: String = jti.bytes().map(|b| format!("{b:02x}")).collect();
        if seen.iter().any(|(_, k, j)| k == jkt.as_str() && *j == hex) {
            return Replay::Replayed;
        }
        seen.push((
            iat.saturating_add(DEFAULT_IAT_WINDOW_SECS),
            jkt.as_str().to_owned(),
            hex,
        ));
        match self.write_all(seen) {
            Ok(()) => Replay::Fresh,
            Err(_) => Replay::StoreFailed,
        }
    }
}

/// `--cert-thumbprint`: base64url (43 characters) or hex (64).
fn thumbprint(text: &str) -> Result<[u8; 32], Failure> {
    let bad = || {
        Failure::Usage(format!(
            "--cert-thumbprint {}: give the certificate's SHA-256 as base64url (43 characters) or hex (64)",
            escape::text(text)
        ))
    };
    let mut out = [0u8; 32];
    if text.len() == 64 {
        for (i, o) in out.iter_mut().enumerate() {
            let pair = text.get(2 * i..2 * i + 2).ok_or_else(bad)?;
            *o = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        return Ok(out);
    }
    use base64ct::{Base64UrlUnpadded, Encoding};
    match Base64UrlUnpadded::decode(text, &mut out) {
        Ok(d) if d.len() == 32 => Ok(out),
        _ => Err(bad()),
    }
}

fn scheme_name(s: Scheme) -> &'static str {
    match s {
        Scheme::Bearer => "Bearer",
        Scheme::Dpop => "DPoP",
        // Scheme is non-exhaustive; authorize accepts only the two above.
        _ => "other",
    }
}

/// How an accepted request was bound, as text lines.
pub(crate) fn binding_text(b: &Binding) -> String {
    let mut s = format!("  scheme     {}\n", scheme_name(b.scheme));
    if let Some(jkt) = &b.jkt {
        s.push_str(&format!(
            "  cnf.jkt    {} (the proof's key)\n",
            jkt.as_str()
        ));
    }
    if b.certificate {
        s.push_str("  cnf.x5t#S256 matches the client certificate\n");
    }
    s
}

/// The outcome of one request: the accepted token's JSON and binding, or
/// the refusal and its `WWW-Authenticate` value (both schemes offered).
pub(crate) type Decision = Result<(Object, Binding), (Error, String)>;

/// Decides the request the flags describe. Errors (`Failure`): flags only.
pub(crate) fn decide(
    a: &VerifyArgs,
    policy: &AccessPolicy<'_, String>,
    keys: &[Key],
    token: &str,
    now: UnixTime,
) -> Result<Decision, Failure> {
    let proof_algs: AlgorithmSet = Algorithm::ALL.into_iter().collect();
    let proofs =
        ProofPolicy::new(proof_algs).map_err(|e| Failure::Config(format!("proof policy: {e}")))?;
    let mode = DpopMode::Allowed(&proofs);
    let cert = a.cert_thumbprint.as_deref().map(thumbprint).transpose()?;
    let scheme = if a.dpop.is_some() { "DPoP" } else { "Bearer" };
    let authorization = format!("{scheme} {token}");
    let authorization: [&[u8]; 1] = [authorization.as_bytes()];
    let dpop: Vec<&[u8]> = a.dpop.iter().map(|p| p.trim().as_bytes()).collect();
    let facts = RequestFacts {
        method: a.method.as_deref().unwrap_or_default(),
        uri: a.url.as_deref().unwrap_or_default(),
        authorization: &authorization,
        dpop: &dpop,
        certificate_sha256: cert.as_ref(),
    };
    let file;
    let hooks: &dyn ProofHooks = match &a.dpop_replay_file {
        Some(path) => {
            file = FileReplay::open(path, now.as_secs());
            &file
        }
        None => &NoReplayCheck,
    };
    let mut scratch = vec![0u8; authorize_scratch_len(&facts, policy.max_token_bytes(), mode)];
    Ok(
        match authorize(&facts, policy, keys, mode, hooks, now, &mut scratch) {
            Ok((t, b)) => {
                let mut o = access_json(&t);
                o.members.insert(2, ("path".to_owned(), json!("local")));
                o.members.push((
                    "binding".to_owned(),
                    json!({
                        "scheme": scheme_name(b.scheme),
                        "jkt": b.jkt.as_ref().map(Thumbprint::as_str),
                        "certificate": b.certificate,
                    }),
                ));
                Ok((o, b))
            }
            Err(e) => {
                let tried = tried_scheme(facts.authorization);
                let scope = (!a.scope.is_empty()).then(|| a.scope.join(" "));
                let mut challenge = String::new();
                // Writing to a String cannot fail.
                let _ = write_challenge(
                    &mut challenge,
                    &e,
                    mode,
                    tried,
                    a.realm.as_deref(),
                    scope.as_deref(),
                );
                Err((e, challenge))
            }
        },
    )
}

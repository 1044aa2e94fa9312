//! `tokenlane inspect`: decode without trusting, say which lane the token
//! looks like and why, when it expires, and what is unusual.
//!
//! Everything printed here is UNVERIFIED: the signature is not checked and
//! no rule is applied. The lane guess reads the same marks the core's lanes
//! use (header `typ`, `nonce`, `at_hash`, `c_hash`, payload `typ`,
//! `token_use`) plus hints the core does not rule on (`aud` against
//! `client_id`/`azp`, `scope`/`scp`).

use serde_json::{json, Value};
use tokenlane::Algorithm;

use crate::decode::{b64url, Object};
use crate::escape::{is_unsafe, json, quoted, text};
use crate::style::Style;
use crate::timefmt::{duration, relative, rfc3339};

/// Which lane a token looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guess {
    /// Marks of an access token only.
    Access,
    /// Marks of an ID token only.
    Id,
    /// Header `typ` names another kind of JWT (`dpop+jwt`, `logout+jwt`, ...).
    Other,
    /// Marks of both lanes.
    Conflicting,
    /// No mark of either lane.
    Unknown,
}

impl Guess {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Guess::Access => "access",
            Guess::Id => "id",
            Guess::Other => "other",
            Guess::Conflicting => "conflicting",
            Guess::Unknown => "unknown",
        }
    }

    fn headline(self) -> &'static str {
        match self {
            Guess::Access => "an access token (for an API)",
            Guess::Id => "an ID token (for the client app)",
            Guess::Other => "another kind of JWT (neither lane accepts it)",
            Guess::Conflicting => "contradictory: it carries marks of both lanes",
            Guess::Unknown => "undecided: no mark of either lane",
        }
    }
}

/// One piece of evidence: which side it points to, and why.
#[derive(Debug, Clone)]
pub(crate) struct Reason {
    pub(crate) side: Guess,
    /// A mark the core's lanes rule on (header `typ`, `nonce`, `at_hash`,
    /// `c_hash`, payload `typ`, `token_use`); otherwise a hint (`aud`
    /// against `client_id`/`azp`, `scope`/`scp`) that counts only when no
    /// mark decides.
    pub(crate) mark: bool,
    pub(crate) why: String,
}

/// A decoded token.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) header: Object,
    pub(crate) claims: Object,
    pub(crate) signature_bytes: usize,
    /// Structural oddities found while decoding (the core would refuse them).
    pub(crate) structure: Vec<String>,
}

/// Decodes a compact JWS for display. `Err` when header or claims cannot be
/// decoded as JSON objects.
pub(crate) fn decode(token: &str) -> Result<Decoded, String> {
    let parts: Vec<&str> = token.split('.').collect();
    match parts.len() {
        3 => {}
        5 => return Err("five segments: an encrypted JWT (JWE), whose claims cannot be read without the key; tokenlane validates signed JWTs only".to_owned()),
        n => return Err(format!("{n} segment(s): a compact JWT has three, header.claims.signature")),
    }
    let mut structure = Vec::new();
    let mut seg = |i: usize, name: &str| -> Result<Vec<u8>, String> {
        let text = parts.get(i).copied().unwrap_or_default();
        let s = b64url(text).ok_or_else(|| format!("the {name} is not base64url"))?;
        if !s.strict {
            structure.push(format!(
                "the {name} is not strict base64url (padding, '+', '/' or stray trailing bits): the core refuses it as malformed"
            ));
        }
        Ok(s.bytes)
    };
    let h = seg(0, "header")?;
    let p = seg(1, "claims")?;
    let sig = seg(2, "signature")?;
    let header = Object::parse(&h).map_err(|e| format!("the header is {e}"))?;
    let claims = Object::parse(&p).map_err(|e| format!("the claims are {e}"))?;
    if sig.is_empty() {
        structure
            .push("the signature segment is empty: the core refuses it as malformed".to_owned());
    }
    for (obj, part) in [(&header, "header"), (&claims, "claims")] {
        for d in obj.duplicates() {
            structure.push(format!(
                "the {part} has `{}` more than once: parsers disagree on which wins; the core refuses it as malformed",
                text(d)
            ));
        }
    }
    Ok(Decoded {
        header,
        claims,
        signature_bytes: sig.len(),
        structure,
    })
}

fn value_strs(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_at_typ(t: &str) -> bool {
    t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
}

fn is_plain_jwt(t: &str) -> bool {
    t.eq_ignore_ascii_case("jwt") || t.eq_ignore_ascii_case("application/jwt")
}

/// A mark the core's lanes rule on.
const MARK: bool = true;
/// A hint the core does not rule on.
const HINT: bool = false;

/// Reads the marks and hints of both lanes. Marks decide; hints decide only
/// when there is no mark (so an ID token with a `scope` claim is still an ID
/// token).
pub(crate) fn classify(d: &Decoded) -> (Guess, Vec<Reason>) {
    let (h, c) = (&d.header, &d.claims);
    let mut r = Vec::new();
    let mut push = |side, mark, why: String| r.push(Reason { side, mark, why });
    match h.get("typ") {
        Some(Value::String(t)) if is_at_typ(t) => {
            push(
                Guess::Access,
                MARK,
                format!(
                    "header typ is {}, the RFC 9068 access-token type",
                    quoted(t)
                ),
            );
        }
        Some(Value::String(t)) if is_plain_jwt(t) => {}
        Some(Value::String(t)) => push(
            Guess::Other,
            MARK,
            format!(
                "header typ is {}: another kind of JWT (both lanes refuse it as wrong_token_type)",
                quoted(t)
            ),
        ),
        _ => {}
    }
    for (claim, what) in [
        ("nonce", "nonce, the OpenID Connect login nonce"),
        (
            "at_hash",
            "at_hash, the hash of the access token issued with it",
        ),
        ("c_hash", "c_hash, the hash of the authorization code"),
    ] {
        if c.get(claim).is_some() {
            push(
                Guess::Id,
                MARK,
                format!("claims carry {what} (an ID-token claim)"),
            );
        }
    }
    if let Some(t) = c.str("typ") {
        if t.eq_ignore_ascii_case("id") {
            push(
                Guess::Id,
                MARK,
                format!("payload typ is {} (Keycloak's ID token)", quoted(t)),
            );
        } else if t.eq_ignore_ascii_case("bearer") {
            push(
                Guess::Access,
                MARK,
                format!("payload typ is {} (Keycloak's access token)", quoted(t)),
            );
        }
    }
    match c.str("token_use") {
        Some("id") => push(
            Guess::Id,
            MARK,
            "token_use is \"id\" (Amazon Cognito's ID token)".to_owned(),
        ),
        Some("access") => push(
            Guess::Access,
            MARK,
            "token_use is \"access\" (Amazon Cognito's access token)".to_owned(),
        ),
        _ => {}
    }
    let aud = value_strs(c.get("aud"));
    if let Some(client) = c.str("client_id") {
        if aud.contains(&client) {
            push(
                Guess::Id,
                HINT,
                format!(
                    "aud names the client itself ({} = client_id), as an ID token's does",
                    quoted(client)
                ),
            );
        } else {
            push(
                Guess::Access,
                HINT,
                format!(
                    "client_id {} is a claim and aud names someone else, as in RFC 9068",
                    quoted(client)
                ),
            );
        }
    } else if let Some(azp) = c.str("azp") {
        if aud.contains(&azp) {
            push(
                Guess::Id,
                HINT,
                format!(
                    "aud names the authorized party itself ({} = azp), as an ID token's does",
                    quoted(azp)
                ),
            );
        }
    }
    for name in ["scope", "scp"] {
        if c.get(name).is_some() {
            push(
                Guess::Access,
                HINT,
                format!("claims carry {name}, the permissions an access token grants"),
            );
            break;
        }
    }
    let has = |side, mark| r.iter().any(|x| x.side == side && x.mark == mark);
    let decide = |mark| match (has(Guess::Access, mark), has(Guess::Id, mark)) {
        (true, true) => Guess::Conflicting,
        (true, false) => Guess::Access,
        (false, true) => Guess::Id,
        (false, false) => Guess::Unknown,
    };
    let guess = if has(Guess::Other, MARK) {
        Guess::Other
    } else {
        match decide(MARK) {
            Guess::Unknown => decide(HINT),
            g => g,
        }
    };
    (guess, r)
}

/// What is unusual about the header and claims.
pub(crate) fn unusual(d: &Decoded, now: u64) -> Vec<String> {
    let (h, c) = (&d.header, &d.claims);
    let mut u = d.structure.clone();
    match h.get("alg") {
        None => u.push("no alg: the core refuses it as malformed".to_owned()),
        Some(Value::String(a)) if a.eq_ignore_ascii_case("none") => {
            u.push(format!("alg {}: an unsigned token; never accepted (unsupported_algorithm)", quoted(a)));
        }
        Some(Value::String(a)) => match Algorithm::from_name(a) {
            Some(alg) if alg.name().starts_with("HS") => u.push(format!(
                "alg {a}: a shared secret (HMAC); anyone who can verify can also mint, and an API holding only public keys must never accept it"
            )),
            Some(_) => {}
            None if Algorithm::from_name(&a.to_ascii_uppercase()).is_some() => u.push(format!(
                "alg {}: names are case-sensitive; the core refuses it (unsupported_algorithm)",
                quoted(a)
            )),
            None => u.push(format!("alg {} is not in common use and tokenlane does not implement it (unsupported_algorithm)", quoted(a))),
        },
        Some(_) => u.push("alg is not a string: the core refuses it as malformed".to_owned()),
    }
    if h.get("kid").is_none() {
        u.push("no kid: a verifier has to try every key that fits the alg".to_owned());
    }
    if let Some(crit) = h.get("crit") {
        u.push(format!(
            "crit {}: the core implements no JWS extension and refuses every crit",
            json(&crit.to_string())
        ));
    }
    for (name, what) in [
        ("jwk", "an embedded public key"),
        ("jku", "a URL to fetch keys from"),
        ("x5u", "a URL to fetch a certificate from"),
        ("x5c", "an embedded certificate chain"),
    ] {
        if h.get(name).is_some() {
            u.push(format!(
                "header {name}: {what}; keys never come from the token (tokenlane ignores it; a library that used it would let the sender pick the key)"
            ));
        }
    }
    if let Some(Value::String(kid)) = h.get("kid") {
        if kid.contains("..")
            || kid.contains('/')
            || kid.contains('\\')
            || kid.chars().any(is_unsafe)
        {
            u.push(format!(
                "kid {} looks like a path or carries control characters (key-lookup injection)",
                quoted(kid)
            ));
        }
    }
    match c.date("exp") {
        None if c.get("exp").is_some() => {
            u.push("exp is not a non-negative number (invalid_claim)".to_owned())
        }
        None => u.push("no exp: the token never expires; both lanes require exp".to_owned()),
        Some(exp) => {
            if let Some(iat) = c.date("iat") {
                if exp > iat && exp - iat > 86_400 {
                    u.push(format!(
                        "long-lived: exp is {} after iat",
                        duration(exp - iat)
                    ));
                }
            }
        }
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = c.date(name) {
            if t > now {
                u.push(format!(
                    "{name} is in the future ({}): not yet valid",
                    relative(t, now)
                ));
            }
        }
    }
    u
}

/// The time lines: (label, seconds) for exp, iat, nbf, auth_time.
fn times(c: &Object) -> Vec<(&'static str, u64)> {
    ["exp", "iat", "nbf", "auth_time"]
        .into_iter()
        .filter_map(|n| c.date(n).map(|t| (n, t)))
        .collect()
}

/// The whole report as text.
pub(crate) fn render_text(d: &Decoded, now: u64, style: Style) -> String {
    let (guess, reasons) = classify(d);
    let mut o = String::new();
    o.push_str(
        &style
            .warn("UNVERIFIED: decoded only; the signature is NOT checked and no rule is applied"),
    );
    o.push_str("\n\n");
    o.push_str(&style.bold("Header"));
    o.push('\n');
    o.push_str(&json(&d.header.pretty()));
    o.push_str("\n\n");
    o.push_str(&style.bold("Claims"));
    o.push('\n');
    o.push_str(&json(&d.claims.pretty()));
    o.push_str(&format!("\n\nSignature: {} bytes\n\n", d.signature_bytes));
    o.push_str(&format!(
        "{} {}\n",
        style.bold("Looks like:"),
        guess.headline()
    ));
    for r in &reasons {
        let kind = if r.mark { "mark" } else { "hint" };
        o.push_str(&format!("  - [{} {kind}] {}\n", r.side.name(), r.why));
    }
    if reasons.is_empty() {
        o.push_str(
            "  - no header typ at+jwt, no scope, no ID-token claim (nonce, at_hash, c_hash)\n",
        );
    }
    o.push('\n');
    o.push_str(&format!(
        "{} (now = {} = {})\n",
        style.bold("Times"),
        now,
        rfc3339(now)
    ));
    for (name, t) in times(&d.claims) {
        let rel = relative(t, now);
        let line = if name == "exp" && t <= now {
            style.bad(&format!("expired {rel}"))
        } else if name == "exp" {
            format!("expires {rel}")
        } else {
            rel
        };
        o.push_str(&format!("  {name:<9} {t} = {}  {line}\n", rfc3339(t)));
    }
    let u = unusual(d, now);
    o.push('\n');
    if u.is_empty() {
        o.push_str(&format!("{} nothing\n", style.bold("Unusual:")));
    } else {
        o.push_str(&format!("{}\n", style.bold("Unusual:")));
        for line in u {
            o.push_str(&format!("  - {}\n", style.warn(&line)));
        }
    }
    o
}

/// The whole report as JSON.
pub(crate) fn render_json(d: &Decoded, now: u64) -> Value {
    let (guess, reasons) = classify(d);
    let exp = d.claims.date("exp");
    json!({
        "verified": false,
        "header": d.header.to_value(),
        "claims": d.claims.to_value(),
        "signature_bytes": d.signature_bytes,
        "lane": {
            "guess": guess.name(),
            "reasons": reasons.iter().map(|r| json!({"lane": r.side.name(), "kind": if r.mark { "mark" } else { "hint" }, "why": r.why})).collect::<Vec<_>>(),
        },
        "now": now,
        "exp": exp,
        "expired": exp.map(|e| e <= now),
        "expires": exp.map(|e| relative(e, now)),
        "times": times(&d.claims).into_iter().map(|(n, t)| (n.to_owned(), json!({"unix": t, "utc": rfc3339(t), "relative": relative(t, now)}))).collect::<serde_json::Map<_, _>>(),
        "unusual": unusual(d, now),
    })
}

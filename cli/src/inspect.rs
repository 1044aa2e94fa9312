//! `tokenlane inspect`: decode without trusting, say which lane the token
//! looks like and why, when it expires, and what is unusual.
//!
//! Built on the core's untrusted view ([`tokenlane::untrusted`]): the same
//! size limit, strict base64url and strict JSON reader as validation (what
//! validation refuses as `malformed` cannot be inspected either; the reason
//! is printed), and the lane marks of the core's one mark table, found by
//! the lanes' own predicates: which lane the token looks like, the marks
//! behind that, and the mark each lane would refuse it for. Nothing here is
//! a rule of the CLI's own; everything printed is UNVERIFIED (the signature
//! is not checked, nor times, issuer, audience or algorithm). The CLI adds
//! presentation only: pretty JSON in the token's member order, times for
//! people, and notes on what is unusual.

use serde_json::{json, Value};
use tokenlane::untrusted::{self, JsonValue, LooksLike, UntrustedToken};
use tokenlane::{
    limits, Algorithm, Claim, Error, KeyFamily, Lane, Malformed, Mark, TokenKind, TypMode,
};

use crate::escape::{is_unsafe, json, quoted, text};
use crate::json::Object;
use crate::style::Style;
use crate::timefmt::{duration, relative, rfc3339};

/// The largest token inspect decodes: the largest `max_token_bytes` a
/// policy accepts. A token over the default limit is decoded and noted.
const INSPECT_MAX_BYTES: usize = limits::MAX_TOKEN_BYTES_LIMIT;

/// The header or the claims, for display.
#[derive(Debug)]
struct Shown {
    /// The members in token order, when `serde_json` reads the core's
    /// validated text (it refuses numbers outside the double range, which
    /// the core's reader accepts).
    object: Option<Object>,
    /// The JSON text as decoded, shown when `object` is `None`.
    raw: String,
}

impl Shown {
    fn of(text: &str) -> Self {
        Self {
            object: Object::parse(text.as_bytes()).ok(),
            raw: text.to_owned(),
        }
    }

    /// Pretty JSON, or the text as decoded with its whitespace escaped too
    /// (a carriage return between members would overwrite the line).
    fn pretty(&self) -> String {
        self.object
            .as_ref()
            .map_or_else(|| text(&self.raw).into_owned(), Object::pretty)
    }

    fn value(&self) -> Value {
        self.object
            .as_ref()
            .map_or_else(|| Value::String(self.raw.clone()), Object::to_value)
    }
}

/// Which kind of token a mark points to, as a word.
fn side(mark: Mark) -> &'static str {
    match mark.points_to() {
        Some(TokenKind::Access) => "access",
        Some(TokenKind::Id) => "id",
        Some(TokenKind::Other) => "other",
        // The header forms only the strict access lane rules on.
        _ => "strict access lane",
    }
}

/// What the untrusted view says, owned (the view borrows a scratch buffer).
#[derive(Debug)]
pub(crate) struct Decoded {
    header: Shown,
    claims: Shown,
    token_bytes: usize,
    signature_bytes: usize,
    looks_like: LooksLike,
    marks: Vec<Mark>,
    /// Each lane, and the mark it refuses the token for.
    refusals: Vec<(Lane, Option<Mark>)>,
    /// exp, iat, nbf, auth_time, when well-formed NumericDates.
    times: Vec<(Claim, u64)>,
    /// What is unusual, apart from the times (those depend on `now`).
    notes: Vec<String>,
    /// DPoP / certificate facts: a proof, or a token's binding.
    sender: Sender,
}

/// What says how a token is sender-constrained (RFC 9449, RFC 8705), read
/// for display only: header `typ` `dpop+jwt` (a proof, not a token), and
/// the claims' `cnf.jkt` / `cnf.x5t#S256` (a bound token).
#[derive(Debug, Default)]
struct Sender {
    dpop_proof: bool,
    jkt: Option<String>,
    x5t: Option<String>,
}

impl Sender {
    fn of(typ: Option<&str>, claims: &Value) -> Self {
        let cnf = claims.get("cnf");
        let member = |name: &str| {
            cnf.and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Self {
            dpop_proof: typ.is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")),
            jkt: member("jkt"),
            x5t: member("x5t#S256"),
        }
    }

    fn lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.dpop_proof {
            v.push("a DPoP proof (header typ dpop+jwt, RFC 9449): it goes in the DPoP header of one request, never in Authorization; check it with verify --dpop".to_owned());
        }
        if let Some(jkt) = &self.jkt {
            v.push(format!("DPoP-bound (cnf.jkt {}): valid only with the DPoP scheme and a proof signed by that key; refused as a Bearer token", quoted(jkt)));
        }
        if let Some(x5t) = &self.x5t {
            v.push(format!("certificate-bound (cnf.x5t#S256 {}, RFC 8705): valid only over mTLS with that client certificate", quoted(x5t)));
        }
        v
    }
}

/// Decodes a compact JWS with the core's untrusted view. `Err` is the
/// core's reason (`malformed: ...`, `token_too_large: ...`).
pub(crate) fn decode(token: &str) -> Result<Decoded, String> {
    let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
    let t = untrusted::decode(token.as_bytes(), INSPECT_MAX_BYTES, &mut scratch)
        .map_err(|e| describe_failure(token, &e))?;
    let times = [Claim::Exp, Claim::Iat, Claim::Nbf, Claim::AuthTime]
        .into_iter()
        .filter_map(|c| t.date(c).map(|d| (c, d)))
        .collect();
    Ok(Decoded {
        header: Shown::of(t.header_json()),
        claims: Shown::of(t.claims_json()),
        token_bytes: token.len(),
        signature_bytes: t.signature().len(),
        looks_like: t.looks_like(),
        marks: t.marks().collect(),
        refusals: Lane::ALL.iter().map(|&l| (l, t.refusal(l))).collect(),
        times,
        notes: notes(&t, token.len()),
        sender: Sender::of(t.typ(), &Shown::of(t.claims_json()).value()),
    })
}

/// The core's reason, plus a pointer for the one case people hit most: an
/// encrypted token (JWE, five segments) cannot be read without its key.
fn describe_failure(token: &str, e: &Error) -> String {
    if token.split('.').count() == 5 {
        format!("{e} (five segments: an encrypted JWT, JWE, whose claims cannot be read without the key; tokenlane reads signed JWTs only)")
    } else {
        e.to_string()
    }
}

fn lane_label(lane: Lane) -> &'static str {
    match lane {
        Lane::Access(TypMode::Strict) => "access lane (strict)",
        Lane::Access(TypMode::Compat) => "access lane (compat)",
        _ => "ID lane",
    }
}

fn headline(l: LooksLike) -> &'static str {
    match l {
        LooksLike::Access => "an access token (for an API)",
        LooksLike::Id => "an ID token (for the client app)",
        LooksLike::Other => "another kind of JWT (neither lane accepts it)",
        LooksLike::Conflicting => "contradictory: it carries marks of both lanes",
        _ => "undecided: no mark of either lane",
    }
}

/// The `--json` name of a verdict.
pub(crate) fn guess_name(l: LooksLike) -> &'static str {
    match l {
        LooksLike::Access => "access",
        LooksLike::Id => "id",
        LooksLike::Other => "other",
        LooksLike::Conflicting => "conflicting",
        _ => "undecided",
    }
}

/// What is unusual about the header, the claims and the encoding (times
/// relative to `now` are added by [`unusual`]).
fn notes(t: &UntrustedToken<'_>, token_bytes: usize) -> Vec<String> {
    let mut u = Vec::new();
    if token_bytes > limits::DEFAULT_MAX_TOKEN_BYTES {
        u.push(format!(
            "{token_bytes} bytes: over the default max_token_bytes ({}); a policy with the default refuses it as token_too_large",
            limits::DEFAULT_MAX_TOKEN_BYTES
        ));
    }
    match (t.alg(), t.header_member("alg")) {
        (_, None) => u.push(format!(
            "validation refuses it: {}",
            Error::Malformed(Malformed::MissingAlg)
        )),
        (None, Some(_)) => u.push(format!(
            "validation refuses it: {}",
            Error::Malformed(Malformed::HeaderMemberType("alg"))
        )),
        (Some(a), _) if a.eq_ignore_ascii_case("none") => u.push(format!(
            "alg {}: an unsigned token; never accepted (unsupported_algorithm)",
            quoted(a)
        )),
        (Some(a), _) => match Algorithm::from_name(a) {
            Some(alg) if alg.family() == KeyFamily::Hmac => u.push(format!(
                "alg {a}: a shared secret (HMAC); anyone who can verify can also mint, and an API holding only public keys must never accept it"
            )),
            Some(alg) if !alg.is_implemented() => u.push(format!(
                "alg {a}: not built into this tokenlane (unsupported_algorithm)"
            )),
            Some(_) => {}
            None if Algorithm::from_name(&a.to_ascii_uppercase()).is_some() => u.push(format!(
                "alg {}: names are case-sensitive; the core refuses it (unsupported_algorithm)",
                quoted(a)
            )),
            None => u.push(format!(
                "alg {} is not in common use and tokenlane does not implement it (unsupported_algorithm)",
                quoted(a)
            )),
        },
    }
    for name in ["typ", "kid"] {
        if t.header_member(name).is_some()
            && (if name == "typ" { t.typ() } else { t.kid() }).is_none()
        {
            u.push(format!(
                "validation refuses it: {}",
                Error::Malformed(Malformed::HeaderMemberType(name))
            ));
        }
    }
    match t.kid() {
        None => u.push("no kid: a verifier has to try every key that fits the alg".to_owned()),
        Some(kid) => {
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
    }
    if let Some(crit) = t.header_member("crit") {
        u.push(format!(
            "crit {}: the core implements no JWS extension and refuses every crit",
            json(&json_text(crit))
        ));
    }
    for (name, what) in [
        ("jwk", "an embedded public key"),
        ("jku", "a URL to fetch keys from"),
        ("x5u", "a URL to fetch a certificate from"),
        ("x5c", "an embedded certificate chain"),
    ] {
        if t.header_member(name).is_some() {
            u.push(format!(
                "header {name}: {what}; keys never come from the token (tokenlane ignores it; a library that used it would let the sender pick the key)"
            ));
        }
    }
    if t.signature().is_empty() {
        u.push(
            "the signature segment is empty: no algorithm has a zero-length signature".to_owned(),
        );
    }
    if let Err(e) = t.claim_types() {
        u.push(format!("validation refuses the claims: {e}"));
    }
    if t.claim(Claim::Exp).is_none() {
        u.push("no exp: the token never expires; both lanes require exp".to_owned());
    }
    u
}

/// A JSON value of the view as JSON text (containers are already text).
fn json_text(v: JsonValue<'_>) -> String {
    match v {
        JsonValue::String(s) => format!("\"{}\"", s.as_escaped()),
        JsonValue::Number(n) => n.to_owned(),
        // An array or object's source text may hold JSON whitespace between
        // its values (tab, CR, LF: a forged line of the report): printed
        // re-serialized, compact; text the reader cannot take is escaped.
        JsonValue::Array(n) | JsonValue::Object(n) => serde_json::from_str::<serde_json::Value>(n)
            .map_or_else(|_| text(n).into_owned(), |v| v.to_string()),
        JsonValue::Bool(b) => b.to_string(),
        _ => "null".to_owned(),
    }
}

impl Decoded {
    fn date(&self, c: Claim) -> Option<u64> {
        self.times.iter().find(|(n, _)| *n == c).map(|(_, t)| *t)
    }
}

/// What is unusual, including times relative to `now`.
fn unusual(d: &Decoded, now: u64) -> Vec<String> {
    let mut u = d.notes.clone();
    if let (Some(exp), Some(iat)) = (d.date(Claim::Exp), d.date(Claim::Iat)) {
        if exp > iat && exp - iat > 86_400 {
            u.push(format!(
                "long-lived: exp is {} after iat",
                duration(exp - iat)
            ));
        }
    }
    for c in [Claim::Nbf, Claim::Iat] {
        if let Some(t) = d.date(c) {
            if t > now {
                u.push(format!(
                    "{} is in the future ({}): not yet valid",
                    c.name(),
                    relative(t, now)
                ));
            }
        }
    }
    u
}

/// The whole report as text.
pub(crate) fn render_text(d: &Decoded, now: u64, style: Style) -> String {
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
        headline(d.looks_like)
    ));
    for m in &d.marks {
        o.push_str(&format!("  - [{}] {}\n", side(*m), m.description()));
    }
    if d.marks.is_empty() {
        o.push_str("  - no lane mark\n");
    }
    o.push_str(&format!(
        "{}\n",
        style.bold("By its marks alone (nothing else is checked):")
    ));
    for (lane, mark) in &d.refusals {
        let verdict = match mark {
            Some(m) => format!("refuses it (wrong_token_type): {}", m.description()),
            None => "no mark refuses it".to_owned(),
        };
        o.push_str(&format!("  {:<21} {verdict}\n", lane_label(*lane)));
    }
    o.push('\n');
    o.push_str(&format!(
        "{} (now = {} = {})\n",
        style.bold("Times"),
        now,
        rfc3339(now)
    ));
    for (c, t) in &d.times {
        let rel = relative(*t, now);
        let line = if *c == Claim::Exp && *t <= now {
            style.bad(&format!("expired {rel}"))
        } else if *c == Claim::Exp {
            format!("expires {rel}")
        } else {
            rel
        };
        o.push_str(&format!(
            "  {:<9} {t} = {}  {line}\n",
            c.name(),
            rfc3339(*t)
        ));
    }
    let sender = d.sender.lines();
    if !sender.is_empty() {
        o.push('\n');
        o.push_str(&format!("{}\n", style.bold("Sender constraint:")));
        for line in sender {
            o.push_str(&format!("  - {line}\n"));
        }
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

/// The whole report as JSON, in a fixed member order.
pub(crate) fn render_json(d: &Decoded, now: u64) -> Object {
    let exp = d.date(Claim::Exp);
    let refused: serde_json::Map<String, Value> = d
        .refusals
        .iter()
        .map(|(l, m)| (l.name().to_owned(), json!(m.map(Mark::description))))
        .collect();
    Object::of(vec![
        ("verified", json!(false)),
        ("header", d.header.value()),
        ("claims", d.claims.value()),
        ("token_bytes", json!(d.token_bytes)),
        ("signature_bytes", json!(d.signature_bytes)),
        (
            "lane",
            json!({
                "guess": guess_name(d.looks_like),
                "reasons": d.marks.iter().map(|m| json!({"lane": side(*m), "why": m.description()})).collect::<Vec<_>>(),
                "refused_by": refused,
            }),
        ),
        ("now", json!(now)),
        ("exp", json!(exp)),
        ("expired", json!(exp.map(|e| e <= now))),
        ("expires", json!(exp.map(|e| relative(e, now)))),
        (
            "times",
            Value::Object(
                d.times
                    .iter()
                    .map(|(c, t)| {
                        (
                            c.name().to_owned(),
                            json!({"unix": t, "utc": rfc3339(*t), "relative": relative(*t, now)}),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "sender_constraint",
            json!({"dpop_proof": d.sender.dpop_proof, "cnf_jkt": d.sender.jkt, "cnf_x5t#S256": d.sender.x5t}),
        ),
        ("unusual", json!(unusual(d, now))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_labels_and_guess_names_cover_the_core_tables() {
        for lane in Lane::ALL {
            assert!(!lane_label(lane).is_empty());
        }
        for (l, name) in [
            (LooksLike::Access, "access"),
            (LooksLike::Id, "id"),
            (LooksLike::Other, "other"),
            (LooksLike::Conflicting, "conflicting"),
            (LooksLike::Undecided, "undecided"),
        ] {
            assert_eq!(guess_name(l), name);
        }
    }
}

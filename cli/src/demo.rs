//! `tokenlane demo`: the whole story on the bundled samples.
//!
//! The samples (`cli/samples/`) are minted by `cli/samples/generate.py` with
//! Python's `cryptography`, never by tokenlane, and embedded here with
//! `include_str!`. The demo passes the samples' fixed `now`, so it prints the
//! same verdicts on every run. Each step states the verdict it expects; a
//! different one is printed as UNEXPECTED and the demo exits 1.

use serde_json::Value;
use tokenlane::{
    AccessPolicy, Algorithm, AlgorithmSet, Error, ErrorCode, IdChecks, IdPolicy, KeySet, TypMode,
    UnixTime,
};

use crate::escape::text;
use crate::exit;
use crate::style::Style;
use crate::timefmt::{relative, rfc3339};
use crate::verify::{message, www_authenticate};

/// The bundled samples.
pub(crate) mod samples {
    /// Issuer, audience, client_id, nonce, kid, now.
    pub(crate) const SETTINGS: &str = include_str!("../samples/settings.json");
    /// The public key as a JWKS.
    pub(crate) const JWKS: &str = include_str!("../samples/jwks.json");
    /// The same key as SPKI PEM.
    pub(crate) const PEM: &str = include_str!("../samples/ec-public.pem");
    /// An access token for the API.
    pub(crate) const ACCESS: &str = include_str!("../samples/access.jwt");
    /// The ID token from the same login.
    pub(crate) const ID: &str = include_str!("../samples/id.jwt");
    /// Yesterday's access token.
    pub(crate) const EXPIRED: &str = include_str!("../samples/expired-access.jwt");
    /// alg none, scope "admin" added.
    pub(crate) const ALG_NONE: &str = include_str!("../samples/alg-none.jwt");
    /// HS256 keyed with the PEM bytes.
    pub(crate) const HS256_PEM_FORGERY: &str = include_str!("../samples/hs256-pem-forgery.jwt");
}

const REALM: &str = "api";
const LEEWAY: u64 = 60;
const KID: &str = "demo-ec-1";

struct Settings {
    now: u64,
    issuer: String,
    audience: String,
    client_id: String,
    nonce: String,
}

fn settings() -> Option<Settings> {
    let v: Value = serde_json::from_str(samples::SETTINGS).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(Settings {
        now: v.get("now")?.as_u64()?,
        issuer: s("issuer")?,
        audience: s("audience")?,
        client_id: s("client_id")?,
        nonce: s("nonce")?,
    })
}

/// The demo's state: output so far and the count of verdicts.
struct Demo {
    style: Style,
    out: String,
    verdicts: u32,
    unexpected: u32,
    /// Whether the current step is at the API (which answers a refusal with
    /// a status and `WWW-Authenticate`) or at the client app (which ends the
    /// login instead).
    at_api: bool,
}

impl Demo {
    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn heading(&mut self, s: &str) {
        let h = self.style.bold(s);
        self.line("");
        self.line(&h);
    }

    /// Records one verdict: `Ok(summary)` or the core's error, against the
    /// expected outcome (`None`: accepted).
    fn verdict(
        &mut self,
        expect: Option<ErrorCode>,
        got: Result<String, Error>,
        scopes: &[String],
    ) {
        self.verdicts += 1;
        let matched = match (&got, expect) {
            (Ok(_), None) => true,
            (Err(e), Some(code)) => e.kind() == code,
            _ => false,
        };
        match &got {
            Ok(summary) => {
                let tag = self.style.good("ACCEPTED");
                self.line(&format!("   {tag}  {summary}"));
            }
            Err(e) => {
                let tag = self.style.bad("REFUSED ");
                self.line(&format!("   {tag}  {}", message(e, scopes)));
                let http = if self.at_api {
                    self.style.dim(&format!(
                        "HTTP {}  WWW-Authenticate: {}",
                        e.http_status(),
                        www_authenticate(e, Some(REALM), scopes)
                    ))
                } else {
                    self.style.dim("the client app rejects the login: no HTTP answer (WWW-Authenticate is what an API sends)")
                };
                self.line(&format!("             {http}"));
            }
        }
        if !matched {
            self.unexpected += 1;
            let want = expect.map_or("accepted", ErrorCode::as_str);
            let warn = self
                .style
                .warn(&format!("UNEXPECTED: this step expects {want}"));
            self.line(&format!("             {warn}"));
        }
    }
}

fn trimmed(t: &str) -> &[u8] {
    t.trim().as_bytes()
}

/// Runs the demo; returns the exit status.
pub(crate) fn run(style: Style) -> u8 {
    let (Some(s), Ok(keys)) = (settings(), KeySet::from_jwks(samples::JWKS.as_bytes())) else {
        eprintln!(
            "tokenlane: error: the bundled samples do not load (rerun cli/samples/generate.py)"
        );
        return exit::FAILED;
    };
    let now = UnixTime::from_secs(s.now);
    let es256 = AlgorithmSet::from_slice(&[Algorithm::ES256]);
    let audiences = [s.audience.clone()];
    let none: [String; 0] = [];
    let mut d = Demo {
        style,
        out: String::new(),
        verdicts: 0,
        unexpected: 0,
        at_api: true,
    };

    let Ok(pem_keys) = KeySet::from_spki_pem(samples::PEM, Some(KID), None) else {
        eprintln!("tokenlane: error: the bundled sample PEM does not load (rerun cli/samples/generate.py)");
        return exit::FAILED;
    };
    let need = ["delete:appointments".to_owned()];
    let policies = (|| {
        let base = AccessPolicy::new(&s.issuer, &audiences, es256)?.with_leeway(LEEWAY)?;
        let with_hs = AccessPolicy::new(&s.issuer, &audiences, es256.with(Algorithm::HS256))?
            .with_leeway(LEEWAY)?;
        let id = IdPolicy::new(&s.issuer, &s.client_id, es256)?.with_leeway(LEEWAY)?;
        Ok::<_, tokenlane::PolicyError>((base, with_hs, id))
    })();
    let Ok((strict, with_hs, id_policy)) = policies else {
        eprintln!("tokenlane: error: the sample settings do not make a valid policy");
        return exit::FAILED;
    };
    let compat = strict.clone().with_typ_mode(TypMode::Compat);
    let Ok(needs_delete) = strict.clone().with_required_scopes(&need) else {
        eprintln!("tokenlane: error: the sample settings do not make a valid policy");
        return exit::FAILED;
    };

    let api =
        |policy: &AccessPolicy<'_, String>, keys: &KeySet, token: &str| -> Result<String, Error> {
            let token = trimmed(token);
            let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
            let t = policy.validate(token, keys, now, &mut scratch)?;
            let scopes: Vec<_> = t.scopes().iter().map(text).collect();
            Ok(format!(
                "sub {} · client_id {} · scopes {}",
                text(t.sub().unwrap_or("-")),
                text(t.client_id().unwrap_or("-")),
                scopes.join(" ")
            ))
        };
    let access_token = trimmed(samples::ACCESS);
    let client = |token: &str| -> Result<String, Error> {
        let checks = IdChecks {
            nonce: Some(&s.nonce),
            max_age: Some(3600),
            access_token: Some(access_token),
        };
        let token = trimmed(token);
        let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
        let t = id_policy.validate(token, &keys, now, &checks, &mut scratch)?;
        Ok(format!(
            "sub {} · name {} · email {} · logged in {}",
            text(t.sub()),
            text(t.name().unwrap_or("-")),
            text(t.email().unwrap_or("-")),
            t.auth_time()
                .map_or_else(|| "-".to_owned(), |a| relative(a, s.now))
        ))
    };

    let title = style.bold("tokenlane demo: one login, two tokens, two lanes");
    d.line(&title);
    d.line("");
    d.line("The sample tokens were minted by Python `cryptography` (cli/samples/generate.py),");
    d.line("not by tokenlane, and signed with the sample key demo-ec-1 (ES256).");
    d.line(&format!(
        "The clock is fixed at {} (now = {}) so they stay valid.",
        rfc3339(s.now),
        s.now
    ));
    d.line("");
    d.line(&format!(
        "  the API (access-token lane):     issuer {}, audience {}, ES256, typ strict, leeway {LEEWAY}s",
        s.issuer, s.audience
    ));
    d.line(&format!(
        "  the client app (ID-token lane):  issuer {}, client_id {}, nonce {}, max_age 3600",
        s.issuer, s.client_id, s.nonce
    ));

    d.heading("1. The access token, at the API");
    d.verdict(None, api(&strict, &keys, samples::ACCESS), &none);

    d.heading("2. The ID token from the same login, sent to the API");
    d.verdict(
        Some(ErrorCode::WrongTokenType),
        api(&strict, &keys, samples::ID),
        &none,
    );
    d.line("   In compat mode (typ JWT tolerated for providers that omit at+jwt), the claims give it away:");
    d.verdict(
        Some(ErrorCode::WrongTokenType),
        api(&compat, &keys, samples::ID),
        &none,
    );

    d.at_api = false;
    d.heading("3. The ID token, at the client app (nonce, max_age and at_hash checked)");
    d.verdict(None, client(samples::ID), &none);
    d.line("             an IdToken has no scope API: the client cannot read it as a permission");

    d.heading("4. The access token, at the client app");
    d.verdict(
        Some(ErrorCode::WrongTokenType),
        client(samples::ACCESS),
        &none,
    );

    d.at_api = true;
    d.heading("5. Attacks at the API");
    d.line("   a. alg none, with \"admin\" added to scope and the old signature kept");
    d.verdict(
        Some(ErrorCode::UnsupportedAlgorithm),
        api(&strict, &keys, samples::ALG_NONE),
        &none,
    );
    d.line("   b. HS256 with the API's public key PEM bytes as the HMAC secret (key confusion)");
    d.verdict(
        Some(ErrorCode::AlgorithmNotAllowed),
        api(&strict, &keys, samples::HS256_PEM_FORGERY),
        &none,
    );
    d.line("      even with HS256 in the policy and the key loaded from that very PEM, it stays an EC key:");
    d.verdict(
        Some(ErrorCode::AlgorithmNotAllowed),
        api(&with_hs, &pem_keys, samples::HS256_PEM_FORGERY),
        &none,
    );
    d.line("   c. yesterday's access token, properly signed");
    d.verdict(
        Some(ErrorCode::Expired),
        api(&strict, &keys, samples::EXPIRED),
        &none,
    );
    d.line("   d. the access token at an endpoint that requires delete:appointments");
    d.verdict(
        Some(ErrorCode::InsufficientScope),
        api(&needs_delete, &keys, samples::ACCESS),
        &need,
    );

    d.line("");
    let summary = if d.unexpected == 0 {
        style.good(&format!("All {} verdicts as expected.", d.verdicts))
    } else {
        style.bad(&format!(
            "{} of {} verdicts were UNEXPECTED.",
            d.unexpected, d.verdicts
        ))
    };
    d.line(&summary);
    d.line("");
    d.line("Try it yourself (the samples are in cli/samples/):");
    d.line(&format!(
        "  tokenlane inspect --now {} - < cli/samples/id.jwt",
        rfc3339(s.now)
    ));
    d.line(&format!(
        "  tokenlane verify --jwks cli/samples/jwks.json --issuer {} --audience {} \\\n      --now {} - < cli/samples/access.jwt",
        s.issuer,
        s.audience,
        rfc3339(s.now)
    ));
    print!("{}", d.out);
    if d.unexpected == 0 {
        exit::OK
    } else {
        exit::FAILED
    }
}

//! The `tokenlane` command: `demo`, `inspect`, `verify`.
//!
//! A thin std front end over the `tokenlane` core: `verify` and `demo` only
//! ask the core; `inspect` shows the core's untrusted view
//! (`tokenlane::untrusted`) and never decides validity. Exit statuses are in `exit.rs`; every piece of token
//! text is printed through `escape.rs`.
//!
//! This library is the binary's body, not an API: besides [`run`] it
//! exposes [`inspect_report`] so that the fuzz target (`fuzz/`, target
//! `cli_inspect`) and the property tests (`cli/tests/proptest.rs`) can drive
//! inspect's formatting in-process.

mod demo;
mod escape;
mod exit;
mod input;
mod inspect;
mod json;
mod remote;
mod request;
mod style;
mod timefmt;
mod verify;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::input::{read_token, Failure};
use crate::style::Style;

const DEMO_HELP: &str = "\
Example:
  cargo run --release -p tokenlane-cli -- demo

Exit status: 0 when every verdict is the expected one, 1 otherwise.";

const INSPECT_HELP: &str = "\
Examples:
  tokenlane inspect eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2ln
  tokenlane inspect --now 2026-01-01T00:00:00Z - < cli/samples/id.jwt
  tokenlane inspect --json - < cli/samples/access.jwt | jq .lane

Nothing here is verified: inspect never checks the signature. Use verify.
Exit status: 0 decoded, 1 the token cannot be decoded, 2 usage.";

/// `verify`'s help: examples, then the exit-status table.
fn verify_help() -> String {
    format!(
        "\
Examples:
  tokenlane verify --jwks cli/samples/jwks.json --issuer https://issuer.example/ \\
      --audience https://api.example --scope read:appointments \\
      --now 2026-01-01T00:00:00Z - < cli/samples/access.jwt
  tokenlane verify --jwks cli/samples/jwks.json --issuer https://issuer.example/ \\
      --id-token --client-id client-app --nonce n-0S6_WzA2Mj \\
      --now 2026-01-01T00:00:00Z \"$(cat cli/samples/id.jwt)\"
  tokenlane verify --issuer-url https://issuer.example --audience https://api.example TOKEN
  tokenlane verify --issuer-url https://issuer.example --audience https://api.example \\
      --introspect --client-id my-api --client-secret-file /run/secrets/my-api TOKEN
  tokenlane verify --issuer-url https://issuer.example --audience https://api.example \\
      --method GET --url https://api.example/items --dpop PROOF TOKEN

{}",
        exit::table()
    )
}

/// tokenlane: keep access tokens and ID tokens in their lanes.
#[derive(Debug, Parser)]
#[command(name = "tokenlane", version, arg_required_else_help = true)]
#[command(after_help = "Start with: tokenlane demo")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole story on the bundled sample keys and tokens.
    #[command(after_help = DEMO_HELP)]
    Demo,
    /// Decode a token WITHOUT verifying it: header, claims, which lane it
    /// looks like and why, when it expires, what is unusual.
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
    /// Validate a token with the core: an access token for an API (default)
    /// or an ID token for a client app (--id-token).
    #[command(after_help = verify_help())]
    Verify(Box<verify::VerifyArgs>),
    /// Fetch an issuer's (or a jwks_uri's) keys as `verify --issuer-url`
    /// does and show them: loaded, skipped and why, cache headers.
    Keys(remote::KeysArgs),
    /// Run the authorization decision service for nginx `auth_request` and
    /// Envoy HTTP `ext_authz` (see the README's gateway section).
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
}

const SERVE_HELP: &str = "\
Examples:
  tokenlane serve --config /etc/tokenlane/serve.toml
  tokenlane serve --config serve.toml --check     # check the file, then exit

Signals: SIGHUP reloads the file (an invalid one is logged and the old
configuration keeps serving); SIGTERM/SIGINT stop accepting and drain.";

#[derive(Debug, Args)]
struct ServeArgs {
    /// The TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: std::path::PathBuf,
    /// Check the configuration and exit (status 0 when valid, 3 when not).
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The token; `-` or absent reads it from standard input.
    token: Option<String>,
    /// The time to compare exp/iat/nbf with: Unix seconds or
    /// 2026-01-01T00:00:00Z. Default: the system clock.
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_now)]
    now: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// What `tokenlane inspect TOKEN --now NOW [--json]` prints on standard
/// output, uncoloured: `Ok(report)` when the token decodes (exit status 0),
/// `Err(reason)` when it cannot be decoded at all (exit status 1; the text
/// mode prints the reason on stderr, `--json` prints
/// `{"verified":false,"error":reason}`). Total: any `token` and `now` give
/// an answer, never a panic; every piece of token text in it is escaped
/// (no control character other than the layout's newlines).
pub fn inspect_report(token: &str, now: u64, json: bool) -> Result<String, String> {
    report(token, now, json, Style::plain())
}

/// [`inspect_report`] in the given style (the command's own path).
fn report(token: &str, now: u64, json: bool, style: Style) -> Result<String, String> {
    match inspect::decode(token) {
        Ok(d) if json => Ok(format!(
            "{}\n",
            escape::json(&inspect::render_json(&d, now).to_json())
        )),
        Ok(d) => Ok(inspect::render_text(&d, now, style)),
        Err(why) => Err(escape::text(&why).into_owned()),
    }
}

fn run_inspect(a: &InspectArgs, style: Style) -> Result<u8, Failure> {
    let token = read_token(a.token.as_deref())?;
    let now = a
        .now
        .unwrap_or_else(|| tokenlane::UnixTime::now().as_secs());
    match report(&token, now, a.json, style) {
        Ok(out) => {
            print!("{out}");
            Ok(exit::OK)
        }
        Err(why) => {
            if a.json {
                let v = serde_json::json!({"verified": false, "error": why});
                println!("{}", escape::json(&v.to_string()));
            } else {
                eprintln!("tokenlane: cannot decode the token: {why}");
            }
            Ok(exit::FAILED)
        }
    }
}

/// A clap context value as one line of text (lists joined with ", ").
fn context(e: &clap::Error, kind: clap::error::ContextKind) -> Option<String> {
    use clap::error::ContextValue;
    let text = match e.get(kind)? {
        ContextValue::None | ContextValue::Bool(_) => return None,
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(", "),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        ContextValue::Number(n) => n.to_string(),
        // ContextValue is non-exhaustive: a future kind is shown as clap
        // displays it.
        other => other.to_string(),
    };
    Some(escape::text(text.trim()).into_owned())
}

/// The one-line message for a clap parse error, built from its kind and
/// context values (never by parsing clap's rendered text).
fn clap_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind as K, ErrorKind};
    let get = |k| context(e, k).unwrap_or_default();
    let (arg, value) = (get(K::InvalidArg), get(K::InvalidValue));
    let mut line = match e.kind() {
        ErrorKind::UnknownArgument => format!("unexpected argument '{arg}'"),
        ErrorKind::InvalidSubcommand => {
            format!("unrecognized subcommand '{}'", get(K::InvalidSubcommand))
        }
        ErrorKind::InvalidValue if value.is_empty() => {
            format!("a value is required for '{arg}' but none was supplied")
        }
        ErrorKind::InvalidValue => match context(e, K::ValidValue) {
            Some(valid) => {
                format!("invalid value '{value}' for '{arg}' (possible values: {valid})")
            }
            None => format!("invalid value '{value}' for '{arg}'"),
        },
        ErrorKind::ValueValidation => {
            let why = core::error::Error::source(e).map(ToString::to_string);
            match why {
                Some(why) => format!(
                    "invalid value '{value}' for '{arg}': {}",
                    escape::text(&why)
                ),
                None => format!("invalid value '{value}' for '{arg}'"),
            }
        }
        ErrorKind::MissingRequiredArgument => {
            format!("the following required arguments were not provided: {arg}")
        }
        ErrorKind::ArgumentConflict => match context(e, K::PriorArg) {
            Some(prior) if prior == arg => {
                format!("the argument '{arg}' cannot be used multiple times")
            }
            Some(prior) => format!("the argument '{arg}' cannot be used with '{prior}'"),
            None => format!(
                "the argument '{arg}' cannot be used with one or more of the other arguments"
            ),
        },
        ErrorKind::TooManyValues => format!("unexpected value '{value}' for '{arg}'"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => format!(
            "'{arg}' takes {} value(s), {} given",
            context(e, K::ExpectedNumValues)
                .or_else(|| context(e, K::MinValues))
                .unwrap_or_default(),
            get(K::ActualNumValues)
        ),
        ErrorKind::NoEquals => format!("'{arg}' needs its value after an equal sign"),
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_owned(),
        ErrorKind::MissingSubcommand => "a subcommand is required".to_owned(),
        other => other.as_str().unwrap_or("bad arguments").to_owned(),
    };
    for tip in [K::SuggestedArg, K::SuggestedSubcommand, K::SuggestedValue] {
        if let Some(s) = context(e, tip) {
            line.push_str(&format!(" (did you mean '{s}'?)"));
        }
    }
    if let Some(s) = context(e, K::Suggested) {
        line.push_str(&format!(" (tip: {s})"));
    }
    if let Some(u) = context(e, K::Usage) {
        let u = u.strip_prefix("Usage:").unwrap_or(&u).trim();
        line.push_str(&format!("; usage: {u}"));
    }
    line
}

/// Prints a clap error as one line and returns the status; help and
/// version go to stdout with status 0.
fn clap_error(e: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            print!("{e}");
            exit::OK
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{e}");
            exit::USAGE
        }
        _ => {
            eprintln!("tokenlane: error: {}", clap_message(e));
            exit::USAGE
        }
    }
}

/// Runs the `tokenlane` command on the process's arguments and returns its
/// exit status (the table in `cli/README.md`).
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(clap_error(&e)),
    };
    let style = Style::detect();
    let result = match &cli.command {
        Command::Demo => Ok(demo::run(style)),
        Command::Inspect(a) => run_inspect(a, style),
        Command::Verify(a) => verify::run(a, style),
        Command::Keys(a) => remote::run_keys(a),
        Command::Serve(a) => {
            let r = if a.check {
                tokenlane_serve::check(&a.config)
            } else {
                tokenlane_serve::run(&a.config)
            };
            r.map(|()| 0).map_err(input::Failure::Config)
        }
    };
    ExitCode::from(match result {
        Ok(status) => status,
        Err(f) => {
            eprintln!("tokenlane: error: {}", escape::text(f.message()));
            f.status()
        }
    })
}

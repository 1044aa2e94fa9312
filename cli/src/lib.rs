//! The `tokenlane` command: `demo`, `inspect`, `verify`.
//!
//! A thin std front end over the `tokenlane` core: `verify` and `demo` only
//! ask the core; `inspect` decodes for display (with `serde_json`) and never
//! decides validity. Exit statuses are in `exit.rs`; every piece of token
//! text is printed through `escape.rs`.
//!
//! This library is the binary's body, not an API: `src/main.rs` only calls
//! [`run`]; tests and the fuzz target drive the command through it.

mod decode;
mod demo;
mod escape;
mod exit;
mod input;
mod inspect;
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

fn run_inspect(a: &InspectArgs, style: Style) -> Result<u8, Failure> {
    let token = read_token(a.token.as_deref())?;
    let now = a
        .now
        .unwrap_or_else(|| tokenlane::UnixTime::now().as_secs());
    match inspect::decode(&token) {
        Ok(d) => {
            if a.json {
                println!(
                    "{}",
                    escape::json(&inspect::render_json(&d, now).to_string())
                );
            } else {
                print!("{}", inspect::render_text(&d, now, style));
            }
            Ok(exit::OK)
        }
        Err(why) => {
            if a.json {
                let v = serde_json::json!({"verified": false, "error": why});
                println!("{}", escape::json(&v.to_string()));
            } else {
                eprintln!("tokenlane: cannot decode the token: {}", escape::text(&why));
            }
            Ok(exit::FAILED)
        }
    }
}

/// Prints a clap error as one line (plus its tip, if any) and returns the
/// status; help and version go to stdout with status 0.
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
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("error: bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let tip: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("tip:"))
                .collect();
            let usage = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("Usage:"));
            let mut line = format!("tokenlane: error: {first}");
            for t in tip {
                line.push_str(&format!(" ({t})"));
            }
            if let Some(u) = usage {
                line.push_str(&format!("; {}", u.replace("Usage: ", "usage: ")));
            }
            eprintln!("{line}");
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
    };
    ExitCode::from(match result {
        Ok(status) => status,
        Err(f) => {
            eprintln!("tokenlane: error: {}", escape::text(f.message()));
            f.status()
        }
    })
}

//! Reading tokens and files, and the two failures that are not refusals:
//! bad usage (exit 2) and bad key/policy configuration (exit 3).

use std::io::{IsTerminal, Read};

use tokenlane::limits;

use crate::exit;

/// Inputs larger than this are refused before reading further: four times
/// the larger of the core's token limit (`MAX_TOKEN_BYTES_LIMIT`) and key
/// document limit (`MAX_KEY_DOCUMENT_BYTES`), so that an oversized token or
/// key document still reaches the core and gets its own refusal
/// (`token_too_large`, `invalid_key`) rather than a read error.
const MAX_INPUT: usize = {
    let larger = if limits::MAX_TOKEN_BYTES_LIMIT > limits::MAX_KEY_DOCUMENT_BYTES {
        limits::MAX_TOKEN_BYTES_LIMIT
    } else {
        limits::MAX_KEY_DOCUMENT_BYTES
    };
    larger.saturating_mul(4)
};

/// A failure that is not a token refusal; printed as one line on stderr.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad flags, unreadable file, no token (exit 2).
    Usage(String),
    /// Keys or policy the core refuses (exit 3).
    Config(String),
    /// The keys or the introspection endpoint could not be had (exit 4):
    /// the token was not judged.
    Remote(String),
}

impl Failure {
    /// The exit status.
    pub(crate) fn status(&self) -> u8 {
        match self {
            Failure::Usage(_) => exit::USAGE,
            Failure::Config(_) => exit::CONFIG,
            Failure::Remote(_) => exit::REMOTE,
        }
    }

    /// The one-line message.
    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Config(m) | Failure::Remote(m) => m,
        }
    }
}

/// Reads a file's bytes, or stdin for `-`.
pub(crate) fn read_file(path: &str) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    // One byte more than allowed, to tell "at the limit" from "over it".
    let cap = u64::try_from(MAX_INPUT).map_or(u64::MAX, |n| n.saturating_add(1));
    let res = if path == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(cap).read_to_end(&mut buf))
    };
    let name = if path == "-" { "standard input" } else { path };
    res.map_err(|e| Failure::Usage(format!("cannot read {name}: {e}")))?;
    if buf.len() > MAX_INPUT {
        return Err(Failure::Usage(format!(
            "{name} is larger than {MAX_INPUT} bytes"
        )));
    }
    Ok(buf)
}

/// Reads a text file (UTF-8), or stdin for `-`.
pub(crate) fn read_text(path: &str) -> Result<String, Failure> {
    let bytes = read_file(path)?;
    String::from_utf8(bytes).map_err(|_| Failure::Usage(format!("{path} is not UTF-8 text")))
}

/// The token from the argument, or from stdin when the argument is `-` or
/// absent. Surrounding whitespace is removed, and a whole `Bearer <token>`
/// value (as copied from an `Authorization` header) gives its token by the
/// core's rules (`tokenlane::request::bearer_token`). Nothing else is
/// changed.
pub(crate) fn read_token(arg: Option<&str>) -> Result<String, Failure> {
    let raw = match arg {
        Some("-") => read_text("-")?,
        Some(t) if std::path::Path::new(t).is_file() => {
            return Err(Failure::Usage(format!(
                "{t} is a file: pass the token itself, or read the file with `- < {t}`"
            )))
        }
        Some(t) => t.to_owned(),
        None if std::io::stdin().is_terminal() => {
            return Err(Failure::Usage(
                "no token: pass it as an argument, or pipe it on standard input".to_owned(),
            ))
        }
        None => read_text("-")?,
    };
    let t = raw.trim();
    // A pasted `Authorization` value gives its token by the core's RFC 6750
    // rules. Anything else (a bare token, a malformed value, nothing) is
    // passed on as it is, and the core's validation answers (`malformed`).
    let t = tokenlane::request::bearer_token(Some(t.as_bytes())).unwrap_or(t);
    Ok(t.to_owned())
}

/// Whether the token will be read from stdin (so nothing else may be).
pub(crate) fn token_from_stdin(arg: Option<&str>) -> bool {
    matches!(arg, None | Some("-"))
}

//! What the CLI's end-to-end tests share: running the `tokenlane` binary.

#![allow(dead_code)] // each test crate uses its own part of this module

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The binary under test, built by cargo for the integration tests.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_tokenlane");

/// What one run of the binary gave back.
pub(crate) struct Out {
    pub(crate) status: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    /// stdout parsed as JSON; panics with stdout and stderr when it is not.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.stdout, self.stderr))
    }
}

/// Runs the binary with `args` and `NO_COLOR=1`, writes `stdin` to it and
/// closes it, and waits. Panics if it cannot run, is killed by a signal or
/// prints anything that is not UTF-8 (the CLI must never).
pub(crate) fn run<S: AsRef<OsStr>>(args: &[S], stdin: &str) -> Out {
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tokenlane");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    Out {
        status: out.status.code().expect("exit status"),
        stdout: String::from_utf8(out.stdout).expect("utf8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf8 stderr"),
    }
}

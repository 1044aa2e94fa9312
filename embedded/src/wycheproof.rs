//! Wycheproof's P-256 ECDSA (P1363) file through every backend compiled in
//! (`Backend::AVAILABLE`: `rustcrypto`, and `cm4` with the `cm4` feature):
//! each case's key is loaded with `Key::p256` (validated at load) and its
//! signature checked with `Key::verify_signature_with(backend, ES256, ..)`.
//! A case passes when every backend agrees with the file's `result`.
//! The vectors are packed by `gen_wycheproof.py` into
//! `target/wycheproof-p256.bin` (feature `wycheproof`).

use crate::out::say;
use tokenlane::{Algorithm, Backend, Key};

use crate::Tally;

/// The packed vectors (see `gen_wycheproof.py` for the record layout).
static VECTORS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/target/wycheproof-p256.bin"
));

/// Takes `n` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
    *rest = tail;
    Some(head)
}

/// A little-endian u16 off the front of `rest`.
fn u16_le(rest: &mut &[u8]) -> Option<usize> {
    let b = take(rest, 2)?;
    Some(usize::from(u16::from_le_bytes([*b.first()?, *b.get(1)?])))
}

/// Runs every case; one `[ok]` or `[FAIL]` line for the file, one
/// `[FAIL]` line per wrong case.
#[inline(never)]
pub(crate) fn run(tally: &mut Tally) {
    let mut rest = VECTORS;
    let (mut cases, mut valid, mut invalid, mut wrong) = (0u32, 0u32, 0u32, 0u32);
    while !rest.is_empty() {
        let Some((id, want, x, y, msg, sig)) = (|| {
            let id = u16_le(&mut rest)?;
            let want = *take(&mut rest, 1)?.first()? == 1;
            let x = take(&mut rest, 32)?;
            let y = take(&mut rest, 32)?;
            let n = u16_le(&mut rest)?;
            let msg = take(&mut rest, n)?;
            let n = u16_le(&mut rest)?;
            let sig = take(&mut rest, n)?;
            Some((id, want, x, y, msg, sig))
        })() else {
            say!("[FAIL] wycheproof: truncated vector file");
            tally.failed += 1;
            return;
        };
        cases += 1;
        let key = Key::p256(x, y);
        let mut ok = true;
        for &backend in Backend::AVAILABLE {
            let got = match &key {
                Ok(k) => k
                    .verify_signature_with(backend, Algorithm::ES256, msg, sig)
                    .is_ok(),
                Err(_) => false,
            };
            if got != want {
                ok = false;
                say!(
                    "[FAIL] wycheproof tcId ",
                    id,
                    " on ",
                    backend.name(),
                    ": ",
                    if got { "accepted" } else { "refused" },
                    ", expected ",
                    if want { "valid" } else { "invalid" }
                );
            }
        }
        match (ok, want) {
            (false, _) => wrong += 1,
            (true, true) => valid += 1,
            (true, false) => invalid += 1,
        }
    }
    let names = Backend::AVAILABLE;
    if wrong == 0 && cases > 0 {
        tally.passed += 1;
        say!(
            "[ok] wycheproof P-256: ",
            cases,
            " cases on ",
            names.len(),
            " backend(s) (last: ",
            names.last().map_or("", |b| b.name()),
            "): ",
            valid,
            " valid accepted, ",
            invalid,
            " invalid refused"
        );
    } else {
        tally.failed += 1;
        say!(
            "[FAIL] wycheproof P-256: ",
            wrong,
            " of ",
            cases,
            " cases wrong"
        );
    }
}

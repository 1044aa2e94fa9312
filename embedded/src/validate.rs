//! The validation jobs: build the keys and the policy, then validate each
//! token and compare the verdict with the expected one.

use core::mem::MaybeUninit;
use core::ptr;

use tokenlane::{scratch_len, AccessPolicy, Algorithm, AlgorithmSet, Key, UnixTime};

use crate::out::say;
use crate::{tokens, StackMeter, Tally};

/// Number of keys the firmware holds.
const KEY_COUNT: usize = if cfg!(any(feature = "es256", feature = "cm4")) {
    1
} else {
    0
} + if cfg!(feature = "hs256") { 1 } else { 0 }
    + if cfg!(feature = "eddsa") { 1 } else { 0 };

/// The algorithms this build accepts.
const ALGORITHMS: &[Algorithm] = &[
    #[cfg(any(feature = "es256", feature = "cm4"))]
    Algorithm::ES256,
    #[cfg(feature = "hs256")]
    Algorithm::HS256,
    #[cfg(feature = "eddsa")]
    Algorithm::EdDSA,
];

/// The API's audiences.
static AUDIENCES: [&str; 1] = [tokens::AUDIENCE];

/// Scratch for the longest token, in `.bss` so it is counted as static RAM.
const SCRATCH_LEN: usize = scratch_len(tokens::MAX_TOKEN_LEN);

/// The scratch buffer. A plain zeroed static (not `singleton!`, whose
/// initialiser is built on the stack first).
static mut SCRATCH: [u8; SCRATCH_LEN] = [0; SCRATCH_LEN];

/// One token and the verdict it must get.
struct Case {
    name: &'static str,
    token: &'static [u8],
    /// `None`: accepted with `sub` = [`tokens::SUBJECT`]; else the error code.
    expect: Option<&'static str>,
}

/// The cases this build runs.
const CASES: &[Case] = &[
    #[cfg(any(feature = "es256", feature = "cm4"))]
    Case {
        name: "ES256 access token",
        token: tokens::ES256_ACCESS,
        expect: None,
    },
    #[cfg(feature = "hs256")]
    Case {
        name: "HS256 access token",
        token: tokens::HS256_ACCESS,
        expect: None,
    },
    #[cfg(any(feature = "es256", feature = "cm4"))]
    Case {
        name: "ES256 ID token",
        token: tokens::ES256_ID_TOKEN,
        expect: Some("wrong_token_type"),
    },
    #[cfg(any(feature = "es256", feature = "cm4"))]
    Case {
        name: "ES256 tampered signature",
        token: tokens::ES256_TAMPERED,
        expect: Some("invalid_signature"),
    },
    #[cfg(any(feature = "es256", feature = "cm4"))]
    Case {
        name: "ES256 expired",
        token: tokens::ES256_EXPIRED,
        expect: Some("expired"),
    },
    #[cfg(feature = "hs256")]
    Case {
        name: "HS256 ID token",
        token: tokens::HS256_ID_TOKEN,
        expect: Some("wrong_token_type"),
    },
    #[cfg(feature = "hs256")]
    Case {
        name: "HS256 tampered signature",
        token: tokens::HS256_TAMPERED,
        expect: Some("invalid_signature"),
    },
    #[cfg(feature = "hs256")]
    Case {
        name: "HS256 expired",
        token: tokens::HS256_EXPIRED,
        expect: Some("expired"),
    },
    #[cfg(feature = "eddsa")]
    Case {
        name: "EdDSA access token",
        token: tokens::EDDSA_ACCESS,
        expect: None,
    },
    #[cfg(feature = "eddsa")]
    Case {
        name: "EdDSA ID token",
        token: tokens::EDDSA_ID_TOKEN,
        expect: Some("wrong_token_type"),
    },
    #[cfg(feature = "eddsa")]
    Case {
        name: "EdDSA tampered signature",
        token: tokens::EDDSA_TAMPERED,
        expect: Some("invalid_signature"),
    },
    #[cfg(feature = "eddsa")]
    Case {
        name: "EdDSA expired",
        token: tokens::EDDSA_EXPIRED,
        expect: Some("expired"),
    },
];

/// The keys, built in place at boot (in `.bss`, so counted as static RAM).
static mut KEYS: MaybeUninit<[Key; KEY_COUNT]> = MaybeUninit::uninit();

/// Builds the fixed keys straight into [`KEYS`] (parsing and checking them,
/// as a device would at boot), each in its own call so only one `Key` is a
/// temporary on the stack at a time.
#[inline(never)]
fn build_keys() -> Result<&'static [Key], tokenlane::KeyError> {
    // SAFETY: called once, from `run`, with interrupts disabled (none are
    // ever enabled): this is the only reference to KEYS.
    let slots = unsafe { &mut *ptr::addr_of_mut!(KEYS) };
    let first = slots.as_mut_ptr().cast::<Key>();
    let mut built = 0;
    #[cfg(any(feature = "es256", feature = "cm4"))]
    {
        // SAFETY: `built < KEY_COUNT`, so the slot is inside KEYS.
        ec_key(unsafe { first.add(built) })?;
        built += 1;
    }
    #[cfg(feature = "hs256")]
    {
        // SAFETY: as above.
        hs_key(unsafe { first.add(built) })?;
        built += 1;
    }
    #[cfg(feature = "eddsa")]
    {
        // SAFETY: as above.
        ed_key(unsafe { first.add(built) })?;
        built += 1;
    }
    if built != KEY_COUNT {
        crate::fail_now();
    }
    // SAFETY: all KEY_COUNT slots were written above.
    Ok(unsafe { slots.assume_init_ref() })
}

/// Writes the P-256 key into `slot`, an uninitialised slot of [`KEYS`].
#[cfg(any(feature = "es256", feature = "cm4"))]
#[inline(never)]
fn ec_key(slot: *mut Key) -> Result<(), tokenlane::KeyError> {
    let key = Key::p256(&tokens::EC_X, &tokens::EC_Y)?.with_kid(tokens::EC_KID)?;
    // SAFETY: `slot` is a valid, aligned, uninitialised slot of KEYS
    // (see `build_keys`); writing it drops nothing.
    unsafe { slot.write(key) };
    Ok(())
}

/// Writes the HMAC key into `slot`, an uninitialised slot of [`KEYS`].
#[cfg(feature = "hs256")]
#[inline(never)]
fn hs_key(slot: *mut Key) -> Result<(), tokenlane::KeyError> {
    let key = Key::hmac(&tokens::HS_SECRET)?.with_kid(tokens::HS_KID)?;
    // SAFETY: as in `ec_key`.
    unsafe { slot.write(key) };
    Ok(())
}

/// Writes the Ed25519 key into `slot`, an uninitialised slot of [`KEYS`].
#[cfg(feature = "eddsa")]
#[inline(never)]
fn ed_key(slot: *mut Key) -> Result<(), tokenlane::KeyError> {
    let key = Key::ed25519(&tokens::ED_X)?.with_kid(tokens::ED_KID)?;
    // SAFETY: as in `ec_key`.
    unsafe { slot.write(key) };
    Ok(())
}

/// What a validation came to: `Ok(matches_expected_sub)` or the error code.
type Verdict = Result<bool, &'static str>;

/// Validates one token; the result borrows nothing.
#[inline(never)]
fn check(
    policy: &AccessPolicy<'_, &str>,
    keys: &[Key],
    token: &[u8],
    scratch: &mut [u8],
) -> Verdict {
    match policy.validate(token, keys, UnixTime::from_secs(tokens::NOW), scratch) {
        Ok(at) => Ok(at.sub() == Some(tokens::SUBJECT)),
        Err(e) => Err(e.code()),
    }
}

/// Diagnostics: the stack of `Key::verify_signature` alone (decoded
/// signature, no JSON, no claims), to split the validation's depth.
#[cfg(feature = "steps")]
fn steps(base: usize, meter: &mut StackMeter, keys: &[Key]) {
    #[inline(never)]
    fn verify(key: &Key, alg: Algorithm, token: &[u8], sig: &[u8]) -> bool {
        let end = token.iter().rposition(|&b| b == b'.').unwrap_or(0);
        key.verify_signature(alg, token.get(..end).unwrap_or(&[]), sig)
            .is_ok()
    }
    let mut keys = keys.iter();
    #[cfg(any(feature = "es256", feature = "cm4"))]
    if let Some(key) = keys.next() {
        let (ok, depth) = meter.measure(base, || {
            verify(
                key,
                Algorithm::ES256,
                tokens::ES256_ACCESS,
                &tokens::ES256_ACCESS_SIG,
            )
        });
        say!(
            "[step] ES256 verify_signature alone: ",
            if ok { "true" } else { "false" },
            " (stack ",
            depth,
            ")"
        );
    }
    #[cfg(feature = "hs256")]
    if let Some(key) = keys.next() {
        let (ok, depth) = meter.measure(base, || {
            verify(
                key,
                Algorithm::HS256,
                tokens::HS256_ACCESS,
                &tokens::HS256_ACCESS_SIG,
            )
        });
        say!(
            "[step] HS256 verify_signature alone: ",
            if ok { "true" } else { "false" },
            " (stack ",
            depth,
            ")"
        );
    }
    #[cfg(feature = "eddsa")]
    if let Some(key) = keys.next() {
        let (ok, depth) = meter.measure(base, || {
            verify(
                key,
                Algorithm::EdDSA,
                tokens::EDDSA_ACCESS,
                &tokens::EDDSA_ACCESS_SIG,
            )
        });
        say!(
            "[step] EdDSA verify_signature alone: ",
            if ok { "true" } else { "false" },
            " (stack ",
            depth,
            ")"
        );
    }
}

/// Runs every case, printing one verdict line each.
#[inline(never)]
///
/// `overhead`: the instruction counter's own cost (feature `icount`).
pub(crate) fn run(base: usize, meter: &mut StackMeter, tally: &mut Tally, overhead: u32) {
    let _ = overhead;
    let (keys, depth) = meter.measure(base, build_keys);
    let keys = match keys {
        Ok(keys) => keys,
        Err(_) => {
            // Not formatted with Display: that would link every key error
            // message into the image for a line that never prints.
            say!("[FAIL] keys refused");
            crate::fail_now()
        }
    };
    say!(
        "keys: ",
        KEY_COUNT,
        " built, ",
        core::mem::size_of::<Key>(),
        " bytes each, in .bss (stack ",
        depth,
        ")"
    );

    let Ok(policy) = AccessPolicy::new(
        tokens::ISSUER,
        &AUDIENCES,
        AlgorithmSet::from_slice(ALGORITHMS),
    ) else {
        say!("[FAIL] policy refused");
        crate::fail_now()
    };

    // SAFETY: `run` is called once, from `main`, with interrupts disabled
    // (none are ever enabled), so this is the only reference to SCRATCH.
    let scratch: &'static mut [u8; SCRATCH_LEN] = unsafe { &mut *core::ptr::addr_of_mut!(SCRATCH) };

    #[cfg(feature = "steps")]
    steps(base, meter, keys);

    for case in CASES {
        let (verdict, depth) =
            meter.measure(base, || check(&policy, keys, case.token, &mut scratch[..]));
        #[cfg(feature = "icount")]
        {
            let (_, insns) = crate::icount::measure(overhead, || {
                check(&policy, keys, case.token, &mut scratch[..])
            });
            say!("[insns] ", case.name, ": ", insns);
        }
        {
            {
                let verdict = &verdict;
                let ok = match (verdict, case.expect) {
                    (Ok(sub_ok), None) => *sub_ok,
                    (Err(code), Some(want)) => *code == want,
                    _ => false,
                };
                let got = match verdict {
                    Ok(true) => "accepted",
                    Ok(false) => "accepted with the wrong sub",
                    Err(code) => code,
                };
                let want = case.expect.unwrap_or("accepted");
                if ok {
                    tally.passed += 1;
                    say!("[ok] ", case.name, ": ", got, " (stack ", depth, ")");
                } else {
                    tally.failed += 1;
                    say!(
                        "[FAIL] ",
                        case.name,
                        ": got ",
                        got,
                        ", expected ",
                        want,
                        " (stack ",
                        depth,
                        ")"
                    );
                }
            }
        }
    }
}

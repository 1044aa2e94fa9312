//! Strict base64: `base64ct` (constant-time, so secrets in JWKs do not leak
//! through timing) with its canonical-encoding checks: no padding, no `+`
//! or `/`, no whitespace, zero trailing bits.

#[cfg(any(feature = "alloc", test))]
use base64ct::{Base64UrlUnpadded, Encoding};

/// base64url alphabet value of each byte; 0xFF for bytes outside it.
#[allow(clippy::as_conversions)] // const context: indices < 256, values < 64
const DECODE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decodes strict unpadded base64url into the start of `out`; returns the
/// decoded bytes, or `None` for any non-canonical input or a short `out`.
///
/// Table-driven, not constant-time: every JWS segment is public (the HMAC
/// secret is never in the token), so only key material needs `base64ct`.
pub(crate) fn decode_url<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let n = decoded_len(input.len());
    if input.len() % 4 == 1 {
        return None;
    }
    let out = out.get_mut(..n)?;
    let v = |b: u8| u32::from(DECODE[usize::from(b)]);
    // Invalid characters (table value 0xFF) are collected and refused once
    // after the loops, not with a branch per group.
    let mut bad = 0u32;
    // Eight characters (48 bits) at a time, then groups of four.
    let whole = input.len() / 8;
    let (wide_in, input) = input.split_at(whole * 8);
    let (wide_out, rest_out) = out.split_at_mut(whole * 6);
    for (c, d) in wide_in.chunks_exact(8).zip(wide_out.chunks_exact_mut(6)) {
        let mut w = 0u64;
        for &ch in c {
            let x = v(ch);
            bad |= x;
            w = (w << 6) | u64::from(x & 63);
        }
        let b = w.to_be_bytes();
        d.copy_from_slice(b.get(2..).unwrap_or(&[0; 6]));
    }
    let mut chunks = input.chunks_exact(4);
    let mut dst = rest_out.chunks_exact_mut(3);
    for (c, d) in (&mut chunks).zip(&mut dst) {
        let (a, b, e, f) = (v(c[0]), v(c[1]), v(c[2]), v(c[3]));
        bad |= a | b | e | f;
        let w = (a << 18) | (b << 12) | (e << 6) | f;
        let [_, x, y, z] = w.to_be_bytes();
        d.copy_from_slice(&[x, y, z]);
    }
    if bad > 63 {
        return None;
    }
    let rest = chunks.remainder();
    let tail = dst.into_remainder();
    match rest.len() {
        0 => {}
        2 => {
            let (a, b) = (v(rest[0]), v(rest[1]));
            if (a | b) > 63 || b & 0x0F != 0 {
                return None;
            }
            tail[0] = ((a << 2) | (b >> 4)).to_be_bytes()[3];
        }
        3 => {
            let (a, b, e) = (v(rest[0]), v(rest[1]), v(rest[2]));
            if (a | b | e) > 63 || e & 0x03 != 0 {
                return None;
            }
            let [_, _, x, y] = ((a << 10) | (b << 4) | (e >> 2)).to_be_bytes();
            tail[0] = x;
            tail[1] = y;
        }
        _ => return None,
    }
    Some(out)
}

/// Decoded length of `n` base64url characters (unpadded).
pub(crate) const fn decoded_len(n: usize) -> usize {
    (n / 4) * 3 + (n % 4) * 3 / 4
}

/// Decodes strict unpadded base64url into a new vector.
#[cfg(feature = "alloc")]
pub(crate) fn decode_url_vec(input: &str) -> Option<alloc::vec::Vec<u8>> {
    Base64UrlUnpadded::decode_vec(input).ok()
}

/// The DER inside a PEM block labelled `label`. Whitespace in the body is
/// ignored; anything else outside the alphabet is an error.
#[cfg(feature = "alloc")]
pub(crate) fn pem_body(pem: &str, label: &str) -> Result<alloc::vec::Vec<u8>, crate::KeyError> {
    use alloc::string::String;
    use alloc::vec::Vec;
    let mut begin = String::from("-----BEGIN ");
    begin.push_str(label);
    begin.push_str("-----");
    let mut end = String::from("-----END ");
    end.push_str(label);
    end.push_str("-----");
    let start = pem.find(&begin).ok_or(crate::KeyError::Encoding)? + begin.len();
    let stop = pem
        .get(start..)
        .and_then(|rest| rest.find(&end))
        .ok_or(crate::KeyError::Encoding)?
        + start;
    let body: Vec<u8> = pem
        .get(start..stop)
        .ok_or(crate::KeyError::Encoding)?
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64ct::Base64::decode_vec(core::str::from_utf8(&body).map_err(|_| crate::KeyError::Base64)?)
        .map_err(|_| crate::KeyError::Base64)
}

#[cfg(test)]
mod diff_tests {
    use super::*;

    /// The table decoder agrees with base64ct on every string of length
    /// 0..=6 over an alphabet with valid, trailing-bit-sensitive and invalid
    /// characters.
    #[test]
    fn table_decoder_agrees_with_base64ct() {
        let alphabet = b"ABQgw-_z09=+/ \xff";
        let mut buf = [0u8; 8];
        let mut buf2 = [0u8; 8];
        let mut input = [0u8; 6];
        for len in 0..=6usize {
            let total = alphabet.len().pow(u32::try_from(len).unwrap());
            for mut i in 0..total {
                for slot in input.iter_mut().take(len) {
                    *slot = alphabet[i % alphabet.len()];
                    i /= alphabet.len();
                }
                let a = decode_url(&input[..len], &mut buf).map(<[u8]>::to_vec);
                let b = Base64UrlUnpadded::decode(&input[..len], &mut buf2)
                    .ok()
                    .map(<[u8]>::to_vec);
                assert_eq!(a, b, "{:?}", &input[..len]);
            }
        }
    }

    /// Longer strings (the eight-character loop, then the groups of four
    /// and the tail): valid ones, and each with one character replaced by
    /// an invalid, padding or trailing-bit-changing one, agree with
    /// base64ct, for every length 7..=70.
    #[test]
    fn table_decoder_agrees_with_base64ct_on_long_strings() {
        let valid = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % 64).unwrap()
        };
        let (mut buf, mut buf2) = ([0u8; 64], [0u8; 64]);
        for len in 7..=70usize {
            let input: std::vec::Vec<u8> = (0..len).map(|_| valid[next()]).collect();
            let mut variants = std::vec![input.clone()];
            for at in 0..len {
                for bad in [b'=', b'+', b'/', b' ', 0xff, b'B', b'Q'] {
                    let mut v = input.clone();
                    v[at] = bad;
                    variants.push(v);
                }
            }
            for v in variants {
                let a = decode_url(&v, &mut buf).map(<[u8]>::to_vec);
                let b = Base64UrlUnpadded::decode(&v, &mut buf2)
                    .ok()
                    .map(<[u8]>::to_vec);
                assert_eq!(a, b, "{:?}", core::str::from_utf8(&v));
            }
        }
    }
}

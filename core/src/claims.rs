//! Claims: one pass over the verified payload picks the registered claims,
//! checks their JSON types, and exposes strings that borrow from the decoded
//! buffer (escaped strings are unescaped once into the scratch buffer).

use core::fmt;

use crate::error::{Claim, Error, Part};
use crate::json::{self, Elements, JsonStr, Members, Value};
use crate::jws::json_error;
use crate::limits::{MAX_AUDIENCES, MAX_SCOPES};
use crate::time::MAX_NUMERIC_DATE;

/// The claims of [`Claim::ALL`] as found in a payload (types not yet
/// checked), one slot per claim of the table.
pub(crate) struct Raw<'a>([Option<Value<'a>>; Claim::COUNT]);

/// Validates the payload as a JSON object and collects its claims, in one
/// pass (the parser hands each top-level member over as it reads it).
pub(crate) fn parse(payload: &[u8]) -> Result<(&str, Raw<'_>), Error> {
    let mut raw = Raw::empty();
    let text = json::validate_with(payload, &mut |k, v| raw.put(k, v))
        .map_err(|e| json_error(e, Part::Claims))?;
    Ok((text, raw))
}

impl<'a> Raw<'a> {
    /// No claims at all.
    pub(crate) const fn empty() -> Self {
        Raw([None; Claim::COUNT])
    }

    /// Collects the table's claims from validated object text. Member names
    /// are compared by their unescaped value.
    pub(crate) fn of(text: &'a str) -> Self {
        let mut raw = Raw::empty();
        for (k, v) in Members::of(text) {
            raw.put(k, v);
        }
        raw
    }

    /// Keeps `v` if `k` names a claim of the table (compared by unescaped
    /// value).
    fn put(&mut self, k: JsonStr<'a>, v: Value<'a>) {
        let claim = match k.as_plain() {
            Some(name) => Claim::from_name(name),
            None => {
                // Escaped member names are rare; unescape into a small
                // buffer (longer than every name of the table).
                let mut buf = [0u8; 16];
                k.unescape_into(&mut buf)
                    .and_then(|n| buf.get(..n))
                    .and_then(|b| core::str::from_utf8(b).ok())
                    .and_then(Claim::from_name)
            }
        };
        if let Some(slot) = claim.and_then(|c| self.0.get_mut(c.index())) {
            *slot = Some(v);
        }
    }

    /// The claim's value, if present.
    pub(crate) fn get(&self, claim: Claim) -> Option<Value<'a>> {
        self.0.get(claim.index()).copied().flatten()
    }
}

/// The registered claims with their types checked (rule 7 of the crate
/// docs' refusal order).
pub(crate) struct Typed<'a> {
    pub(crate) iss: Option<JsonStr<'a>>,
    pub(crate) sub: Option<JsonStr<'a>>,
    pub(crate) aud: Option<Value<'a>>,
    pub(crate) exp: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) iat: Option<u64>,
    pub(crate) jti: Option<JsonStr<'a>>,
    pub(crate) client_id: Option<JsonStr<'a>>,
    pub(crate) scopes: Option<Value<'a>>,
    pub(crate) nonce: Option<JsonStr<'a>>,
    pub(crate) azp: Option<JsonStr<'a>>,
    pub(crate) at_hash: Option<JsonStr<'a>>,
    pub(crate) auth_time: Option<u64>,
}

impl<'a> Raw<'a> {
    pub(crate) fn typed(&self) -> Result<Typed<'a>, Error> {
        let get = |c| self.get(c);
        let scope = string(get(Claim::Scope), Claim::Scope)?;
        let scp = list(get(Claim::Scp), Claim::Scp, MAX_SCOPES)?;
        // MAX_SCOPES bounds every form: a `scope` string and an `scp`
        // string are split on spaces after unescaping (so `\u0020` counts),
        // an `scp` array counts its elements (`list` above).
        for (claim, v) in [
            (Claim::Scope, scope),
            (Claim::Scp, scp.and_then(|v| v.as_str())),
        ] {
            if v.is_some_and(|s| words_over(s, MAX_SCOPES)) {
                return Err(Error::InvalidClaim { claim });
            }
        }
        Ok(Typed {
            exp: date(get(Claim::Exp), Claim::Exp)?,
            nbf: date(get(Claim::Nbf), Claim::Nbf)?,
            iat: date(get(Claim::Iat), Claim::Iat)?,
            auth_time: date(get(Claim::AuthTime), Claim::AuthTime)?,
            aud: list(get(Claim::Aud), Claim::Aud, MAX_AUDIENCES)?,
            iss: string(get(Claim::Iss), Claim::Iss)?,
            sub: identifier(get(Claim::Sub), Claim::Sub)?,
            client_id: identifier(get(Claim::ClientId), Claim::ClientId)?,
            jti: identifier(get(Claim::Jti), Claim::Jti)?,
            nonce: string(get(Claim::Nonce), Claim::Nonce)?,
            azp: string(get(Claim::Azp), Claim::Azp)?,
            at_hash: string(get(Claim::AtHash), Claim::AtHash)?,
            scopes: match scope {
                Some(s) => Some(Value::Str(s)),
                None => scp,
            },
        })
    }
}

/// Whether the space-delimited words of `s` (after unescaping) number more
/// than `max`. Stops counting at `max + 1`.
fn words_over(s: JsonStr<'_>, max: usize) -> bool {
    let (mut words, mut in_word) = (0usize, false);
    if let Some(plain) = s.as_plain() {
        // No escapes: count on the bytes (a space is one byte in UTF-8).
        for &c in plain.as_bytes() {
            if c == b' ' {
                in_word = false;
            } else if !in_word {
                in_word = true;
                words += 1;
                if words > max {
                    return true;
                }
            }
        }
        return false;
    }
    for c in s.chars() {
        if c == ' ' {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
            if words > max {
                return true;
            }
        }
    }
    false
}

fn string(v: Option<Value<'_>>, claim: Claim) -> Result<Option<JsonStr<'_>>, Error> {
    match v {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidClaim { claim }),
    }
}

/// A string that identifies something (`sub`, `client_id`, `jti`): the
/// empty string names nobody, so it is `invalid_claim` rather than a
/// subject that every empty-string lookup would match.
fn identifier(v: Option<Value<'_>>, claim: Claim) -> Result<Option<JsonStr<'_>>, Error> {
    match string(v, claim)? {
        Some(s) if s.raw().is_empty() => Err(Error::InvalidClaim { claim }),
        other => Ok(other),
    }
}

/// A string, or an array of at most `max` strings.
fn list(v: Option<Value<'_>>, claim: Claim, max: usize) -> Result<Option<Value<'_>>, Error> {
    match v {
        None => Ok(None),
        Some(Value::Str(_)) => Ok(v),
        Some(Value::Array(a)) => {
            let mut n = 0usize;
            for e in Elements::of(a) {
                n += 1;
                if n > max || !matches!(e, Value::Str(_)) {
                    return Err(Error::InvalidClaim { claim });
                }
            }
            Ok(v)
        }
        Some(_) => Err(Error::InvalidClaim { claim }),
    }
}

/// A NumericDate: a non-negative JSON number up to [`MAX_NUMERIC_DATE`];
/// fractions are floored.
pub(crate) fn date(v: Option<Value<'_>>, claim: Claim) -> Result<Option<u64>, Error> {
    let bad = Error::InvalidClaim { claim };
    let text = match v {
        None => return Ok(None),
        Some(Value::Num(t)) => t,
        Some(_) => return Err(bad),
    };
    if text.starts_with('-') {
        // -0 and -0.5 are not dates either; refuse every negative form.
        return Err(bad);
    }
    // The common form, a plain integer of at most 12 digits (no overflow:
    // under 10^12), read directly; every other form exactly below.
    let secs = if text.len() <= 12 && text.bytes().all(|c| c.is_ascii_digit()) {
        text.bytes()
            .fold(0u64, |acc, c| acc * 10 + u64::from(c - b'0'))
    } else {
        floor_numeric_date(text).ok_or(bad)?
    };
    if secs > MAX_NUMERIC_DATE {
        return Err(bad);
    }
    Ok(Some(secs))
}

/// The floor of a validated, non-negative JSON number, exactly (no floats:
/// `f64` parsing would add ~17 KB to an embedded image and round
/// `1767225599.99999999999` up). `None` above [`MAX_NUMERIC_DATE`].
fn floor_numeric_date(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let (mant, exp) = match b.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (b.get(..i)?, b.get(i + 1..)?),
        None => (b, &[][..]),
    };
    let (neg, digits) = match exp.first() {
        Some(b'-') => (true, exp.get(1..)?),
        Some(b'+') => (false, exp.get(1..)?),
        _ => (false, exp),
    };
    // The exponent saturates far beyond any digit count a token can hold.
    let e = digits.iter().fold(0i64, |acc, &d| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(d - b'0'))
            .min(1_000_000)
    });
    let e = if neg { -e } else { e };
    let (int, frac) = match mant.iter().position(|&c| c == b'.') {
        Some(i) => (mant.get(..i)?, mant.get(i + 1..)?),
        None => (mant, &[][..]),
    };
    // Digits before the decimal point after applying the exponent.
    let point = i64::try_from(int.len()).ok()?.saturating_add(e);
    let (mut secs, mut k) = (0u64, 0i64);
    for &d in int.iter().chain(frac.iter()) {
        if k >= point {
            break;
        }
        secs = secs.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        if secs > MAX_NUMERIC_DATE {
            return None;
        }
        k += 1;
    }
    while k < point && secs != 0 {
        secs = secs.checked_mul(10)?;
        if secs > MAX_NUMERIC_DATE {
            return None;
        }
        k += 1;
    }
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::floor_numeric_date as f;

    #[test]
    fn plain_integer_dates_read_directly_agree_with_the_exact_reader() {
        use super::{date, Claim, Value};
        for text in [
            "0",
            "7",
            "1767225600",
            "253402300799",
            "253402300800",
            "999999999999",
            "1000000000000",
            "0.5",
            "1e3",
            "12345678901234567890",
        ] {
            let fast = date(Some(Value::Num(text)), Claim::Exp).ok().flatten();
            assert_eq!(fast, f(text), "{text}");
        }
    }

    #[test]
    fn numeric_dates_floor_exactly_without_floats() {
        assert_eq!(f("1767225600"), Some(1_767_225_600));
        assert_eq!(f("1767225600.9"), Some(1_767_225_600));
        assert_eq!(f("1767225599.99999999999"), Some(1_767_225_599));
        assert_eq!(f("1.7672256e9"), Some(1_767_225_600));
        assert_eq!(f("17672256E+2"), Some(1_767_225_600));
        assert_eq!(f("176722560000e-2"), Some(1_767_225_600));
        assert_eq!(f("0.5"), Some(0));
        assert_eq!(f("0e999999999999"), Some(0));
        assert_eq!(f("5e-400"), Some(0));
        assert_eq!(f("253402300799"), Some(253_402_300_799));
        assert_eq!(f("253402300799.999"), Some(253_402_300_799));
        assert_eq!(f("253402300800"), None);
        assert_eq!(f("1e19"), None);
        assert_eq!(f("1e308"), None);
        assert_eq!(f("9223372036854775808"), None);
        assert_eq!(f("1e400"), None);
    }
}

/// Hands out `&'s str` slices from the scratch buffer's unused tail.
pub(crate) struct Arena<'s> {
    buf: &'s mut [u8],
}

impl<'s> Arena<'s> {
    pub(crate) fn new(buf: &'s mut [u8]) -> Self {
        Self { buf }
    }

    /// The unescaped value: borrowed when plain, copied here otherwise.
    pub(crate) fn str(&mut self, s: JsonStr<'s>) -> Result<&'s str, Error> {
        if let Some(p) = s.as_plain() {
            return Ok(p);
        }
        let buf = core::mem::take(&mut self.buf);
        let n = s
            .unescape_into(buf)
            .ok_or(Error::TokenTooLarge { len: 0, max: 0 })?;
        let (used, rest) = buf.split_at_mut(n);
        self.buf = rest;
        core::str::from_utf8(used)
            .map_err(|_| Error::Malformed(crate::error::Malformed::Json(Part::Claims)))
    }

    pub(crate) fn opt(&mut self, s: Option<JsonStr<'s>>) -> Result<Option<&'s str>, Error> {
        s.map(|s| self.str(s)).transpose()
    }

    /// A string-or-array claim as a [`StrList`]; `words` splits a string on
    /// spaces (the `scope` form).
    pub(crate) fn list(&mut self, v: Option<Value<'s>>, words: bool) -> Result<StrList<'s>, Error> {
        Ok(match v {
            None => StrList(Repr::Empty),
            Some(Value::Str(s)) => {
                let s = self.str(s)?;
                if words {
                    StrList(Repr::Words(s))
                } else {
                    StrList(Repr::One(s))
                }
            }
            Some(Value::Array(raw)) => {
                let buf = core::mem::take(&mut self.buf);
                let mut n = 0usize;
                for e in Elements::of(raw) {
                    if let Some(s) = e.as_str() {
                        if s.as_plain().is_none() {
                            let dst = buf.get_mut(n..).unwrap_or(&mut []);
                            n += s
                                .unescape_into(dst)
                                .ok_or(Error::TokenTooLarge { len: 0, max: 0 })?;
                        }
                    }
                }
                let (used, rest) = buf.split_at_mut(n);
                self.buf = rest;
                let esc = core::str::from_utf8(used)
                    .map_err(|_| Error::Malformed(crate::error::Malformed::Json(Part::Claims)))?;
                StrList(Repr::Array { raw, esc })
            }
            Some(_) => StrList(Repr::Empty),
        })
    }
}

/// A list of strings from a claim (`aud`, `scope`/`scp`), borrowed from the
/// token's decoded buffer. No heap.
#[derive(Clone, Copy)]
pub struct StrList<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Empty,
    One(&'a str),
    Words(&'a str),
    Array { raw: &'a str, esc: &'a str },
}

impl<'a> StrList<'a> {
    /// The strings, in token order.
    pub fn iter(&self) -> StrListIter<'a> {
        StrListIter(match self.0 {
            Repr::Empty => IterRepr::Done,
            Repr::One(s) => IterRepr::One(Some(s)),
            Repr::Words(s) => IterRepr::Words(s.split(' ')),
            Repr::Array { raw, esc } => IterRepr::Array(Elements::of(raw), esc),
        })
    }

    /// Whether `s` is one of the strings (whole-value match: `read` does
    /// not match `read:all`).
    pub fn contains(&self, s: &str) -> bool {
        self.iter().any(|x| x == s)
    }

    /// The number of strings.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl fmt::Debug for StrList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for StrList<'a> {
    type Item = &'a str;
    type IntoIter = StrListIter<'a>;
    fn into_iter(self) -> StrListIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`StrList`].
pub struct StrListIter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Done,
    One(Option<&'a str>),
    Words(core::str::Split<'a, char>),
    Array(Elements<'a>, &'a str),
}

impl<'a> Iterator for StrListIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            IterRepr::Done => None,
            IterRepr::One(s) => s.take(),
            IterRepr::Words(w) => w.find(|s| !s.is_empty()),
            IterRepr::Array(elems, esc) => {
                let s = elems.next()?.as_str()?;
                match s.as_plain() {
                    Some(p) => Some(p),
                    None => {
                        let n = s.unescaped_len();
                        let (head, tail) = (esc.get(..n)?, esc.get(n..)?);
                        *esc = tail;
                        Some(head)
                    }
                }
            }
        }
    }
}

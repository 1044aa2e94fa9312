//! Decoding for display only (inspect): lenient base64url that reports what
//! the core would refuse, and JSON objects that keep their member order and
//! their duplicate members. Nothing here decides validity.

use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A decoded segment, and whether its encoding was strict base64url (no
/// padding, no `+`/`/`, canonical trailing bits), as the core requires.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) bytes: Vec<u8>,
    pub(crate) strict: bool,
}

/// Decodes base64url, also accepting padding and the standard alphabet
/// (reported as not strict). `None` when it is not base64 at all.
pub(crate) fn b64url(s: &str) -> Option<Segment> {
    let trimmed = s.trim_end_matches('=');
    let mut strict = trimmed.len() == s.len();
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'+' => {
                strict = false;
                62
            }
            b'/' => {
                strict = false;
                63
            }
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
            acc &= (1 << bits) - 1;
        }
    }
    if trimmed.len() % 4 == 1 {
        return None;
    }
    if acc != 0 {
        strict = false; // non-canonical trailing bits
    }
    Some(Segment { bytes: out, strict })
}

/// A JSON object with its members in token order, duplicates kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Object {
    pub(crate) members: Vec<(String, Value)>,
}

impl Object {
    /// Parses a JSON object; `Err` says why it is not one.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        if core::str::from_utf8(bytes).is_err() {
            return Err("not UTF-8".to_owned());
        }
        serde_json::from_slice(bytes).map_err(|e| {
            if e.classify() == serde_json::error::Category::Data {
                "not a JSON object".to_owned()
            } else {
                format!("not valid JSON ({e})")
            }
        })
    }

    /// The member's value (the last one when duplicated, as most JSON
    /// parsers do).
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A string member.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// A NumericDate member, floored; `None` when absent, negative or not a number.
    pub(crate) fn date(&self, name: &str) -> Option<u64> {
        let v = self.get(name)?;
        v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .and_then(|f| format!("{:.0}", f.floor()).parse().ok())
        })
    }

    /// Members whose name appears more than once.
    pub(crate) fn duplicates(&self) -> Vec<&str> {
        let mut dups: Vec<&str> = Vec::new();
        for (i, (k, _)) in self.members.iter().enumerate() {
            let earlier = self.members.iter().take(i).any(|(e, _)| e == k);
            if earlier && !dups.contains(&k.as_str()) {
                dups.push(k);
            }
        }
        dups
    }

    /// Pretty JSON in member order, two-space indent.
    pub(crate) fn pretty(&self) -> String {
        if self.members.is_empty() {
            return "{}".to_owned();
        }
        let mut s = String::from("{\n");
        for (i, (k, v)) in self.members.iter().enumerate() {
            let key = serde_json::to_string(k).unwrap_or_default();
            let val = serde_json::to_string_pretty(v)
                .unwrap_or_default()
                .replace('\n', "\n  ");
            s.push_str(&format!("  {key}: {val}"));
            s.push_str(if i + 1 < self.members.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        s.push('}');
        s
    }

    /// As a `serde_json` object (last duplicate wins) for `--json` output.
    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.members.iter().cloned().collect())
    }
}

impl Object {
    /// An object with these members, in this order (for `--json` output
    /// that reads `{"valid":...,"lane":...}` first).
    pub(crate) fn of(pairs: Vec<(&str, Value)>) -> Self {
        Self {
            members: pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    /// Compact JSON in member order.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.members.len()))?;
        for (k, v) in &self.members {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    members.push(entry);
                }
                Ok(Object { members })
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_base64url_is_reported_strict() {
        let s = b64url("eyJhbGciOiJFUzI1NiJ9").unwrap();
        assert_eq!(s.bytes, br#"{"alg":"ES256"}"#);
        assert!(s.strict);
    }

    #[test]
    fn padding_standard_alphabet_and_trailing_bits_are_not_strict() {
        assert!(!b64url("eyJhbGciOiJFUzI1NiJ9==").unwrap().strict);
        assert!(!b64url("ab+/").unwrap().strict);
        assert!(!b64url("QR").unwrap().strict); // 'R' leaves non-zero trailing bits
        assert!(b64url("QQ").unwrap().strict);
        assert!(b64url("a.b").is_none());
        assert!(b64url("abcde").is_none());
    }

    #[test]
    fn objects_keep_order_and_duplicates() {
        let o = Object::parse(br#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(o.duplicates(), ["b"]);
        assert_eq!(o.get("b"), Some(&Value::from(3)));
        assert!(o.pretty().starts_with("{\n  \"b\": 1,\n  \"a\": 2"));
        assert_eq!(Object::parse(b"[1]").unwrap_err(), "not a JSON object");
        assert!(Object::parse(b"{")
            .unwrap_err()
            .starts_with("not valid JSON"));
    }
}

//! JSON objects for display: members kept in their order (a token's header
//! and claims as the token has them, `--json` output with its documented
//! member order). The text inspect shows was decoded and validated by the
//! core's untrusted view first; nothing here decides validity.

use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A JSON object with its members in token order.
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

    /// The member's value (the last one if a name repeats; the core's
    /// reader refuses such tokens before they get here).
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
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
    fn objects_keep_member_order() {
        let o = Object::parse(br#"{"b":1,"a":{"y":2,"x":3}}"#).unwrap();
        assert_eq!(o.get("b"), Some(&Value::from(1)));
        assert!(o.pretty().starts_with("{\n  \"b\": 1,\n  \"a\": {"));
        assert_eq!(Object::parse(b"[1]").unwrap_err(), "not a JSON object");
        assert!(Object::parse(b"{")
            .unwrap_err()
            .starts_with("not valid JSON"));
        assert_eq!(
            Object::of(vec![("z", Value::Null), ("a", Value::Null)]).to_json(),
            r#"{"z":null,"a":null}"#
        );
    }
}

//! The members of one JWK object (RFC 7517 §4, RFC 7518 §6), read once for
//! both readers of JWKs: the key-set loader (`jwks`, `alloc`) and the DPoP
//! proof's header `jwk` (`dpop`, no heap). Each reader decides what the
//! members mean for it; this module only finds them, so the two cannot
//! disagree on which member is which or on what counts as private.

use crate::json::{Members, Value};

/// The members a JWK reader looks at, by name, then the private members
/// (RFC 7518 §6.2.2 and §6.3.2) whose presence makes a key private.
const NAMES: [&str; 18] = [
    "kty", "use", "key_ops", "alg", "kid", "n", "e", "crv", "x", "y", "k", "d", "p", "q", "dp",
    "dq", "qi", "oth",
];

/// The members of a JWK object, as found (the last of a name wins; the
/// strict JSON reader has already refused duplicates).
#[derive(Default)]
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) struct JwkMembers<'a> {
    pub(crate) kty: Option<Value<'a>>,
    pub(crate) use_: Option<Value<'a>>,
    pub(crate) key_ops: Option<Value<'a>>,
    pub(crate) alg: Option<Value<'a>>,
    pub(crate) kid: Option<Value<'a>>,
    pub(crate) n: Option<Value<'a>>,
    pub(crate) e: Option<Value<'a>>,
    pub(crate) crv: Option<Value<'a>>,
    pub(crate) x: Option<Value<'a>>,
    pub(crate) y: Option<Value<'a>>,
    /// A symmetric key (`kty` `oct`); on any other key type, a secret.
    pub(crate) k: Option<Value<'a>>,
    /// Whether a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`)
    /// is present.
    pub(crate) private: bool,
}

impl<'a> JwkMembers<'a> {
    /// Reads the members of the JWK object `obj` (a validated JSON object's
    /// text). Names compare by their unescaped value, as everywhere else:
    /// `"\u0075se":"enc"` is `use`, not an unknown member to ignore.
    pub(crate) fn of(obj: &'a str) -> Self {
        let mut m = Self::default();
        for (name, v) in Members::of(obj) {
            let Some(i) = NAMES.iter().position(|n| name.eq_str(n)) else {
                continue;
            };
            let slot = match NAMES.get(i).copied().unwrap_or("") {
                "kty" => &mut m.kty,
                "use" => &mut m.use_,
                "key_ops" => &mut m.key_ops,
                "alg" => &mut m.alg,
                "kid" => &mut m.kid,
                "n" => &mut m.n,
                "e" => &mut m.e,
                "crv" => &mut m.crv,
                "x" => &mut m.x,
                "y" => &mut m.y,
                "k" => &mut m.k,
                _ => {
                    m.private = true;
                    continue;
                }
            };
            *slot = Some(v);
        }
        m
    }
}

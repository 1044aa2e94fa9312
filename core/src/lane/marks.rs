//! The one lane-mark table (RFC 8725 §3.11–3.12: explicit typing, mutually
//! exclusive validation rules).
//!
//! A mark is something in a token that tells which kind of token it is:
//! the header `typ`, or a claim only one kind of token carries. Each row of
//! the table below names a [`Mark`], says whether it is read from the header
//! (before any key lookup, step 3 of the refusal order) or from the claims
//! (step 8), which kind of token it points to, which lanes refuse a token
//! carrying it, the sentence that describes it, and the predicate that finds
//! it. Both lanes and [`crate::untrusted`] call these predicates; nothing
//! else keeps a list of marks.

use crate::claims::Raw;
use crate::error::Claim;
use crate::json::{JsonStr, Value};
use crate::lane::access::TypMode;

/// A validation lane, as the mark table distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// The access-token lane ([`crate::AccessPolicy`]) in the given typ mode.
    Access(TypMode),
    /// The ID-token lane ([`crate::IdPolicy`]).
    Id,
}

impl Lane {
    /// The three lanes: access strict, access compat, ID.
    pub const ALL: [Lane; 3] = [
        Lane::Access(TypMode::Strict),
        Lane::Access(TypMode::Compat),
        Lane::Id,
    ];

    /// A short name: `access-strict`, `access-compat`, `id`.
    pub const fn name(self) -> &'static str {
        match self {
            Lane::Access(TypMode::Strict) => "access-strict",
            Lane::Access(TypMode::Compat) => "access-compat",
            Lane::Id => "id",
        }
    }
}

/// The kind of token a mark points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An access token (RFC 9068, or a provider's equivalent).
    Access,
    /// An OpenID Connect ID token.
    Id,
    /// Another kind of JWT (refresh, logout, security event, DPoP proof, ...)
    /// that neither lane accepts.
    Other,
}

/// Where a mark is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The JOSE header (`typ`), checked before any key lookup.
    Header,
    /// The claims, checked after the signature and the claim types.
    Claims,
}

/// What the predicates read: the header `typ` and the payload's claims.
pub(crate) struct Facts<'r, 'a> {
    pub(crate) typ: Option<JsonStr<'a>>,
    pub(crate) claims: &'r Raw<'a>,
}

/// Header `typ` values that name a plain JWT (RFC 7519 §5.1).
fn typ_is_jwt(t: &JsonStr<'_>) -> bool {
    t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt")
}

/// Header `typ` values that name an access token (RFC 9068 §2.1).
fn typ_is_at(t: &JsonStr<'_>) -> bool {
    t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
}

/// Keycloak's payload `typ` values of tokens that belong to no lane
/// (`org.keycloak.util.TokenUtil`): refresh, offline and logout tokens, and
/// its internal serialized ID token.
const OTHER_PAYLOAD_TYPS: [&str; 4] = ["Refresh", "Offline", "Logout", "Serialized-ID"];

/// `token_type` values that name an access token: the RFC 6750 and RFC 9449
/// token types, and RFC 7009/7662's `token_type_hint` name of an access
/// token. Compared ignoring ASCII case.
pub(crate) const ACCESS_TOKEN_TYPES: [&str; 3] = ["Bearer", "DPoP", "access_token"];

/// Whether a claim is a string equal to `want`, ignoring ASCII case.
fn claim_is(v: Option<Value<'_>>, want: &str) -> bool {
    v.and_then(|v| v.as_str())
        .is_some_and(|s| s.eq_ignore_ascii_case(want))
}

macro_rules! mark_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            place: $place:ident,
            points_to: $points:expr,
            // refused by: access strict, access compat, ID lane
            refused: ($strict:literal, $compat:literal, $id:literal),
            says: $says:literal,
            found: |$f:ident| $found:expr,
        }
    )*) => {
        /// What gave a token away as belonging to another lane, or as another
        /// kind of JWT (the detail of [`crate::Error::WrongTokenType`], and
        /// what [`crate::untrusted`] reports). One row each of the mark table
        /// in `core/src/lane/marks.rs`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Mark {
            $( $(#[$doc])* $variant, )*
        }

        impl Mark {
            /// Every mark, in table order (the order the lanes test them).
            pub const ALL: &'static [Mark] = &[$(Mark::$variant,)*];

            /// One sentence saying what was found.
            pub const fn description(self) -> &'static str {
                match self {
                    $( Mark::$variant => $says, )*
                }
            }

            /// The kind of token the mark points to (`None` for the header
            /// forms that only the strict access lane rules on).
            pub const fn points_to(self) -> Option<TokenKind> {
                match self {
                    $( Mark::$variant => $points, )*
                }
            }

            /// Whether `lane` refuses a token carrying this mark.
            pub const fn refused_by(self, lane: Lane) -> bool {
                let (strict, compat, id) = match self {
                    $( Mark::$variant => ($strict, $compat, $id), )*
                };
                match lane {
                    Lane::Access(TypMode::Strict) => strict,
                    Lane::Access(TypMode::Compat) => compat,
                    Lane::Id => id,
                }
            }

            pub(crate) const fn place(self) -> Place {
                match self {
                    $( Mark::$variant => Place::$place, )*
                }
            }

            /// The predicate: whether the token carries this mark.
            pub(crate) fn found(self, facts: &Facts<'_, '_>) -> bool {
                match self {
                    $( Mark::$variant => { let $f = facts; $found } )*
                }
            }
        }
    };
}

mark_table! {
    /// The header has no `typ` (strict access lane: RFC 9068 requires `at+jwt`).
    TypAbsent {
        place: Header,
        points_to: None,
        refused: (true, false, false),
        says: "header has no typ, and strict mode requires typ at+jwt",
        found: |f| f.typ.is_none(),
    }
    /// Header `typ` is `JWT` or `application/jwt` (the ID-token form; the
    /// strict access lane requires `at+jwt`).
    TypJwt {
        place: Header,
        points_to: None,
        refused: (true, false, false),
        says: "header typ is JWT, and strict mode requires typ at+jwt",
        found: |f| f.typ.as_ref().is_some_and(typ_is_jwt),
    }
    /// Header `typ` is `at+jwt` or `application/at+jwt` (an access token).
    TypAccessToken {
        place: Header,
        points_to: Some(TokenKind::Access),
        refused: (false, false, true),
        says: "header typ is at+jwt: an access token, not an ID token",
        found: |f| f.typ.as_ref().is_some_and(typ_is_at),
    }
    /// Header `typ` names another kind of JWT (`dpop+jwt`, `logout+jwt`,
    /// `secevent+jwt`, ...).
    TypOther {
        place: Header,
        points_to: Some(TokenKind::Other),
        refused: (true, true, true),
        says: "header typ names another kind of JWT",
        found: |f| f.typ.as_ref().is_some_and(|t| !typ_is_jwt(t) && !typ_is_at(t)),
    }
    /// Payload `typ` names another kind of token: Keycloak's `Refresh`,
    /// `Offline`, `Logout` or `Serialized-ID` (any case).
    PayloadTypOther {
        place: Claims,
        points_to: Some(TokenKind::Other),
        refused: (true, true, true),
        says: "payload typ names another kind of token (Refresh, Offline, Logout)",
        found: |f| OTHER_PAYLOAD_TYPS
            .iter()
            .any(|k| claim_is(f.claims.get(Claim::Typ), k)),
    }
    /// Payload `typ` is present but not a string (`["ID"]`): a token kind
    /// written in a form no lane reads is refused rather than ignored.
    PayloadTypNotString {
        place: Claims,
        points_to: Some(TokenKind::Other),
        refused: (true, true, true),
        says: "payload typ is not a string",
        found: |f| f
            .claims
            .get(Claim::Typ)
            .is_some_and(|v| v.as_str().is_none()),
    }
    /// The claims carry `events`: a Security Event Token (RFC 8417), such
    /// as an OpenID Connect back-channel logout token.
    Events {
        place: Claims,
        points_to: Some(TokenKind::Other),
        refused: (true, true, true),
        says: "claims carry events: a security event token (RFC 8417), such as a logout token",
        found: |f| f.claims.get(Claim::Events).is_some(),
    }
    /// `token_type` is present and does not name an access token: anything
    /// but `Bearer`, `DPoP` or `access_token` (any ASCII case; RFC 6749 §5.1
    /// token types are case-insensitive), e.g. `refresh_token`, or not a
    /// string. An RFC 7662 introspection response carries it; a JWT rarely
    /// does, and one that names another kind is not an access token either.
    TokenTypeNotAccess {
        place: Claims,
        points_to: Some(TokenKind::Other),
        refused: (true, true, false),
        says: "token_type names a token other than an access token (e.g. refresh_token)",
        found: |f| f
            .claims
            .get(Claim::TokenType)
            .is_some_and(|v| !ACCESS_TOKEN_TYPES.iter().any(|k| claim_is(Some(v), k))),
    }
    /// `token_use` is present and names another kind of token: anything
    /// but `access`, `access_token` or `id` (any ASCII case), e.g. Ory
    /// Hydra's `refresh_token` in an introspection response, or not a
    /// string. (`access` and `id` are Amazon Cognito's, marked below.)
    TokenUseOther {
        place: Claims,
        points_to: Some(TokenKind::Other),
        refused: (true, true, true),
        says: "token_use names a token other than an access or ID token (e.g. refresh_token)",
        found: |f| f.claims.get(Claim::TokenUse).is_some_and(|v| {
            !["access", "access_token", "id"]
                .iter()
                .any(|k| claim_is(Some(v), k))
        }),
    }
    /// The claims carry `nonce` (an ID-token claim).
    Nonce {
        place: Claims,
        points_to: Some(TokenKind::Id),
        refused: (true, true, false),
        says: "claims carry nonce, an ID-token claim",
        found: |f| f.claims.get(Claim::Nonce).is_some(),
    }
    /// The claims carry `at_hash` (an ID-token claim).
    AtHash {
        place: Claims,
        points_to: Some(TokenKind::Id),
        refused: (true, true, false),
        says: "claims carry at_hash, an ID-token claim",
        found: |f| f.claims.get(Claim::AtHash).is_some(),
    }
    /// The claims carry `c_hash` (an ID-token claim).
    CHash {
        place: Claims,
        points_to: Some(TokenKind::Id),
        refused: (true, true, false),
        says: "claims carry c_hash, an ID-token claim",
        found: |f| f.claims.get(Claim::CHash).is_some(),
    }
    /// Payload `typ` is `ID`, any case (Keycloak's ID token).
    PayloadTypId {
        place: Claims,
        points_to: Some(TokenKind::Id),
        refused: (true, true, false),
        says: "payload typ is ID (an ID token)",
        found: |f| claim_is(f.claims.get(Claim::Typ), "ID"),
    }
    /// `token_use` is `id`, any case (Amazon Cognito's ID token).
    TokenUseId {
        place: Claims,
        points_to: Some(TokenKind::Id),
        refused: (true, true, false),
        says: "token_use is id (an ID token)",
        found: |f| claim_is(f.claims.get(Claim::TokenUse), "id"),
    }
    /// `token_use` is `access`, any case (Amazon Cognito's access token).
    TokenUseAccess {
        place: Claims,
        points_to: Some(TokenKind::Access),
        refused: (false, false, true),
        says: "token_use is access (an access token)",
        found: |f| claim_is(f.claims.get(Claim::TokenUse), "access"),
    }
    /// Payload `typ` is `Bearer`, any case (Keycloak's access token).
    PayloadTypBearer {
        place: Claims,
        points_to: Some(TokenKind::Access),
        refused: (false, false, true),
        says: "payload typ is Bearer (an access token)",
        found: |f| claim_is(f.claims.get(Claim::Typ), "Bearer"),
    }
    /// ID lane: payload `typ` is a string other than `ID` (and not one of
    /// the kinds above): an ID token's payload `typ`, when present, is `ID`.
    PayloadTypNotId {
        place: Claims,
        points_to: None,
        refused: (false, false, true),
        says: "payload typ is present and is not ID",
        found: |f| {
            let typ = f.claims.get(Claim::Typ);
            typ.is_some_and(|v| v.as_str().is_some())
                && !claim_is(typ, "ID")
                && !claim_is(typ, "Bearer")
                && !OTHER_PAYLOAD_TYPS.iter().any(|k| claim_is(typ, k))
        },
    }
    /// ID lane: the claims carry `scope` (the permissions of an access
    /// token; no major provider puts it in ID tokens, see the crate docs).
    Scope {
        place: Claims,
        points_to: Some(TokenKind::Access),
        refused: (false, false, true),
        says: "claims carry scope, an access-token claim",
        found: |f| f.claims.get(Claim::Scope).is_some(),
    }
    /// ID lane: the claims carry `scp` (Entra ID's and Okta's access-token
    /// scopes).
    Scp {
        place: Claims,
        points_to: Some(TokenKind::Access),
        refused: (false, false, true),
        says: "claims carry scp, an access-token claim",
        found: |f| f.claims.get(Claim::Scp).is_some(),
    }
}

impl Mark {
    /// Whether only the ID lane refuses this mark (the token looks like an
    /// access token), so a refusal is worded for a client app.
    pub(crate) const fn refused_only_by_id_lane(self) -> bool {
        self.refused_by(Lane::Id)
            && !self.refused_by(Lane::Access(TypMode::Strict))
            && !self.refused_by(Lane::Access(TypMode::Compat))
    }
}

/// The first mark read at `place` that `lane` refuses, in table order.
pub(crate) fn refusal(place: Place, lane: Lane, facts: &Facts<'_, '_>) -> Option<Mark> {
    Mark::ALL
        .iter()
        .copied()
        .find(|m| m.place() == place && m.refused_by(lane) && m.found(facts))
}

/// The header-`typ` rule of `lane` (step 3 of the refusal order).
pub(crate) fn header_refusal(lane: Lane, typ: Option<JsonStr<'_>>) -> Option<Mark> {
    refusal(
        Place::Header,
        lane,
        &Facts {
            typ,
            claims: &NO_CLAIMS,
        },
    )
}

/// The claims the header check sees (none): a static, so the header step
/// costs no stack for a claim table.
static NO_CLAIMS: Raw<'static> = Raw::empty();

/// The claim marks `lane` refuses (step 8 of the refusal order).
pub(crate) fn claims_refusal(lane: Lane, claims: &Raw<'_>) -> Option<Mark> {
    refusal(Place::Claims, lane, &Facts { typ: None, claims })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonStr;

    fn header(lane: Lane, typ: Option<&str>) -> Option<Mark> {
        header_refusal(lane, typ.map(JsonStr::from_raw))
    }

    #[test]
    fn every_header_typ_has_exactly_one_header_mark() {
        for typ in [
            None,
            Some("JWT"),
            Some("at+jwt"),
            Some("dpop+jwt"),
            Some(""),
        ] {
            let none = Raw::empty();
            let facts = Facts {
                typ: typ.map(JsonStr::from_raw),
                claims: &none,
            };
            let found = Mark::ALL
                .iter()
                .filter(|m| m.place() == Place::Header && m.found(&facts))
                .count();
            assert_eq!(found, 1, "{typ:?}");
        }
    }

    #[test]
    fn header_rules_of_each_lane() {
        let strict = Lane::Access(TypMode::Strict);
        let compat = Lane::Access(TypMode::Compat);
        assert_eq!(header(strict, None), Some(Mark::TypAbsent));
        assert_eq!(header(strict, Some("jwt")), Some(Mark::TypJwt));
        assert_eq!(header(strict, Some("AT+JWT")), None);
        assert_eq!(header(compat, None), None);
        assert_eq!(header(compat, Some("application/jwt")), None);
        assert_eq!(header(compat, Some("logout+jwt")), Some(Mark::TypOther));
        assert_eq!(header(Lane::Id, None), None);
        assert_eq!(header(Lane::Id, Some("JWT")), None);
        assert_eq!(
            header(Lane::Id, Some("application/at+jwt")),
            Some(Mark::TypAccessToken)
        );
        assert_eq!(header(Lane::Id, Some("secevent+jwt")), Some(Mark::TypOther));
    }

    #[test]
    fn every_mark_is_refused_by_some_lane_and_described() {
        for m in Mark::ALL {
            assert!(Lane::ALL.iter().any(|l| m.refused_by(*l)), "{m:?}");
            assert!(!m.description().is_empty());
        }
    }

    #[test]
    fn claim_marks_point_away_from_the_lanes_that_refuse_them() {
        for m in Mark::ALL.iter().filter(|m| m.place() == Place::Claims) {
            match m.points_to() {
                Some(TokenKind::Id) => assert!(!m.refused_by(Lane::Id), "{m:?}"),
                Some(TokenKind::Access) => {
                    assert!(!m.refused_by(Lane::Access(TypMode::Strict)), "{m:?}");
                }
                _ => {}
            }
        }
    }
}

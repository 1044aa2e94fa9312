//! Named resource bounds. Each is spent with checked arithmetic; exceeding
//! one is a refusal with a documented code, never a panic or an allocation.

/// Default `max_token_bytes`: 16 KiB.
///
/// Why: real access and ID tokens are 0.5–4 KiB; 16 KiB is above the common
/// HTTP header-size limits (8 KiB in many proxies) with margin, and it caps
/// the base64 and JSON work an unauthenticated request can cause.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The largest `max_token_bytes` a policy accepts: 1 MiB.
pub const MAX_TOKEN_BYTES_LIMIT: usize = 1024 * 1024;

/// Maximum JSON nesting depth in header, claims and JWKS (the outer object
/// is depth 1).
///
/// Why: real claims nest two or three levels (Keycloak's
/// `realm_access.roles`); 16 leaves room while bounding the parser's
/// recursion, so a 10,000-deep array in an ignored claim is refused as
/// `malformed` instead of overflowing the stack.
pub const MAX_JSON_DEPTH: usize = 16;

/// Maximum member names in the JSON objects open at any point of a document
/// (header, claims, JWKS): one object's members, plus the members already
/// read of the objects it is nested in. More is refused as `malformed`
/// (`invalid_key` for a key document).
///
/// Why: the duplicate check keeps every open object's names on one fixed
/// stack (4 bytes each: offset, escape flag, 10-bit keyed hash; 1 KiB, no
/// heap)
/// and sorts an object's names when it closes, so the parse is linear in
/// the document: each byte is read once, plus O(K log2 K) integer
/// comparisons for an object of K names and, among names of equal hash,
/// O(r log2 r) comparisons reading the names, never the values between
/// them. Measured (BENCHMARKS.md, "Parser cost on hostile JSON"): nested
/// objects each with a large first member and many names cost ≈ 1× a flat
/// header of the same size, objects full of names ≈ 2.1–2.3× (against a flat header that the
/// word-at-a-time string scan reads quickly). The hash is keyed
/// by the object's names, so colliding names cannot be chosen in advance;
/// an attacker who inverted the (non-cryptographic) key hash could force
/// every comparison to read names, ≈ 3.5× (8 ms at 1 MiB; 104–190 ms
/// before this design), still linear. 256 is
/// ten times the claims of the largest tokens seen in
/// practice; sibling objects do not add up (their names leave the stack
/// when they close).
pub const MAX_OBJECT_MEMBERS: usize = 256;

/// Maximum values in `aud`.
///
/// Why: real tokens name one to a handful of audiences; a long list only
/// costs comparisons. More is refused as `invalid_claim`.
pub const MAX_AUDIENCES: usize = 64;

/// Maximum scopes in `scope`/`scp`, in every form: the space-delimited words
/// of a `scope` or `scp` string (after JSON unescaping, so `\u0020`
/// separates too) or the elements of an `scp` array. More is refused as
/// `invalid_claim`.
pub const MAX_SCOPES: usize = 256;

/// Maximum `kid` length in bytes, for keys and tokens.
///
/// Why: kids in the wild are up to ~88 bytes (base64 thumbprints, URLs);
/// keys store their kid inline (no heap), so the bound sets the key size.
pub const MAX_KID_LEN: usize = 128;

/// Maximum keys in one key set (JWKS).
///
/// Why: a key set is loaded and kept in memory (sorted by `kid`, searched
/// by binary search; a token whose signature does not verify is still
/// checked against every key of its `kid` by a scan); 256 is far above any
/// published JWKS (a handful of keys during a rotation).
pub const MAX_KEYS: usize = 256;

/// Maximum keys a token without `kid` may be tried against: 3.
///
/// A kid-less token is checked against every key that fits its `alg`
/// (family, JWK `alg` pin, secret length), as long as at most this many
/// keys fit; when more fit, it is refused as `key_not_found` before any
/// signature is computed, whichever key signed it (the answer does not
/// depend on key order). Why 3: an issuer that sends no `kid` rotates at
/// most previous, current and next key; a forged kid-less RS256 token
/// against 256 RSA-8192 keys cost 82 ms before this bound, and costs at
/// most three verifications now. A key set with more keys of one kind needs
/// tokens with `kid` (every major issuer sends one).
pub const MAX_KIDLESS_CANDIDATES: usize = 3;

/// Maximum size of a key document (JWKS, PEM, DER): 1 MiB.
///
/// Why: a JWKS of [`MAX_KEYS`] 8192-bit RSA keys is about 400 KiB; a larger
/// document is a misconfiguration or an attack on the loader.
pub const MAX_KEY_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Minimum and maximum RSA modulus sizes in bits (RFC 7518 §3.3 asks for
/// 2048 at least; over 8192 only costs verify time).
pub const RSA_MIN_BITS: usize = 2048;
/// See [`RSA_MIN_BITS`].
pub const RSA_MAX_BITS: usize = 8192;

/// Largest RSA public exponent a key may have: 65537 (F4).
///
/// Why: verify time grows with the exponent's bit length, and a key set is
/// attacker-priced work when tokens carry no `kid` (a forged kid-less
/// RS256 token against 256 RSA-8192 keys cost 82 ms with e = 65537 and
/// 240 ms with e = 2^32 − 1). Every issuer we know publishes e = 65537
/// (`AQAB`); NIST SP 800-56B/FIPS 186-5 generate e ≥ 65537 and RFC 8017
/// permits any odd e, but nothing in use needs a larger one. e = 3 stays
/// accepted (old keys, Wycheproof vectors): it is cheaper, not dearer.
pub const RSA_MAX_EXPONENT: u64 = 65537;

/// Minimum HMAC secret length in bytes (RFC 7518 §3.2: a key the size of
/// the hash output; 32 for HS256). HS384/HS512 need 48/64.
pub const HMAC_MIN_SECRET: usize = 32;

/// Bytes of scratch buffer [`crate::AccessPolicy::validate`] and
/// [`crate::IdPolicy::validate`] need for a token of `token_len` bytes:
/// room for the decoded header, payload and signature, plus unescaped copies
/// of the claims they expose.
pub const fn scratch_len(token_len: usize) -> usize {
    token_len.saturating_add(token_len / 2).saturating_add(16)
}

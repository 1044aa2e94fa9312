//! Test tokens and keys, minted by `embedded/gen_tokens.py` with Python
//! `cryptography` (never by tokenlane). Generated: do not edit.

/// The fixed validation time, 2026-01-01T00:00:00Z.
pub(crate) const NOW: u64 = 1767225600;
/// The policy's issuer.
pub(crate) const ISSUER: &str = "https://issuer.example/";
/// The policy's audience (this API).
pub(crate) const AUDIENCE: &str = "https://api.example";
/// The `sub` of every accepted token.
pub(crate) const SUBJECT: &str = "device-42";

/// `kid` of the P-256 key (tests/conformance/keys/ec-1.pem).
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const EC_KID: &str = "ec-1";
/// P-256 public key, affine x.
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const EC_X: [u8; 32] = [0xd6, 0x6e, 0x4c, 0x8f, 0xdd, 0x43, 0x6e, 0x48, 0x9e, 0xef, 0xef, 0x40, 0x05, 0x63, 0x27, 0xba, 0x0f, 0x5a, 0x62, 0x37, 0x52, 0xad, 0x4e, 0xfb, 0x47, 0x03, 0xf1, 0x21, 0x13, 0x63, 0x9d, 0x4f];
/// P-256 public key, affine y.
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const EC_Y: [u8; 32] = [0x0a, 0x9b, 0x09, 0x3f, 0xfe, 0x76, 0xd1, 0x14, 0x47, 0xf7, 0x6d, 0x75, 0x33, 0x2e, 0x07, 0x10, 0xf7, 0xcb, 0x48, 0x29, 0x65, 0x21, 0x99, 0xdc, 0xca, 0x45, 0x26, 0xfa, 0xaf, 0x2c, 0xc2, 0x70];
/// `kid` of the HMAC secret (tests/conformance/keys/hs-32.secret).
#[cfg(feature = "hs256")]
pub(crate) const HS_KID: &str = "hs-32";
/// The 32-byte HMAC secret.
#[cfg(feature = "hs256")]
pub(crate) const HS_SECRET: [u8; 32] = [0xdd, 0xaa, 0x41, 0x8c, 0x11, 0xea, 0x7d, 0x7e, 0xd4, 0xe0, 0xd4, 0xd7, 0x69, 0xd4, 0xda, 0x93, 0x35, 0x85, 0x9c, 0x14, 0x9a, 0xbf, 0xe0, 0xa7, 0xa2, 0xc0, 0x13, 0xff, 0xb4, 0xd7, 0xd7, 0x75];
/// `kid` of the Ed25519 key (tests/conformance/keys/ed-1.pem).
#[cfg(feature = "eddsa")]
pub(crate) const ED_KID: &str = "ed-1";
/// The Ed25519 public key (RFC 8032 encoding, the JWK `x`).
#[cfg(feature = "eddsa")]
pub(crate) const ED_X: [u8; 32] = [0x33, 0x9b, 0x88, 0x9a, 0x19, 0xa6, 0xc8, 0xe1, 0x63, 0xd6, 0x08, 0x8b, 0x4b, 0x68, 0xda, 0x52, 0x84, 0x46, 0xf4, 0xaf, 0x38, 0x30, 0xc2, 0x85, 0x67, 0x09, 0x31, 0x0c, 0x6f, 0xfc, 0xc1, 0xf1];

/// A valid ES256 access token (typ at+jwt).
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const ES256_ACCESS: &[u8] = b"eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVjLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwianRpIjoiRVMyNTYtb2sifQ.q7MnAWWPEyosQbysFiJGZiXBXxrqDso68hdB22HwioFSFT9UPX8139RSDXYxXdvQHoo42k0Ey2QN-Dd-QX_upg";
/// A valid ES256 OIDC ID token: wrong lane.
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const ES256_ID_TOKEN: &[u8] = b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVjLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6ImVtYmVkZGVkLWdhdGV3YXkiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwiYXV0aF90aW1lIjoxNzY3MjI1NDgwLCJub25jZSI6Im4tMFM2X1d6QTJNaiJ9.Gz4eD91ibRHxWwaK-M78gkfZSzIvNsmGmFNUbd5Fl3zPTWdTiV5WzqxbvI-NhrxuJL-BwwV_gnE6zr0l7sdEVQ";
/// An ES256 access token whose signature has one bit flipped.
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const ES256_TAMPERED: &[u8] = b"eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVjLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwianRpIjoiRVMyNTYtdGFtcGVyZWQifQ.ZoKpXpvSxgZgVklnl0R6FD-UDTLAuNI03SoK_bVt5_QRB0Bgf4_7g33Dj6HdjAt5eVBx7O47tVAd0Haq7ZkqcA";
/// A well-signed ES256 access token that expired an hour before NOW.
#[cfg(any(feature = "es256", feature = "cm4"))]
pub(crate) const ES256_EXPIRED: &[u8] = b"eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVjLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMTg0MDAsImV4cCI6MTc2NzIyMjAwMCwianRpIjoiRVMyNTYtZXhwaXJlZCJ9.JhL-yCI96hyFWe7v4HXQb1iDLmfTcTrDNHxoGB5D5HGCb9q8xQvsKsMr_Ggbe18zYR7fak5aEwunZlY9XwH9rA";
/// A valid HS256 access token (typ at+jwt).
#[cfg(feature = "hs256")]
pub(crate) const HS256_ACCESS: &[u8] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImhzLTMyIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwianRpIjoiSFMyNTYtb2sifQ.qPZsvP966yG7b-J7o5Btz6RAxq14m0rl9719gArylGo";
/// A valid HS256 OIDC ID token: wrong lane.
#[cfg(feature = "hs256")]
pub(crate) const HS256_ID_TOKEN: &[u8] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhzLTMyIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6ImVtYmVkZGVkLWdhdGV3YXkiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwiYXV0aF90aW1lIjoxNzY3MjI1NDgwLCJub25jZSI6Im4tMFM2X1d6QTJNaiJ9.2ORX87aF597CWr5Nka9dABdwa1KQJ6aLQf3JRUI0jR0";
/// An HS256 access token whose signature has one bit flipped.
#[cfg(feature = "hs256")]
pub(crate) const HS256_TAMPERED: &[u8] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImhzLTMyIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwianRpIjoiSFMyNTYtdGFtcGVyZWQifQ.n9mZacWCEccxZw49wOosRd7oZkcAdA-kiNzDiPhxqqo";
/// A well-signed HS256 access token that expired an hour before NOW.
#[cfg(feature = "hs256")]
pub(crate) const HS256_EXPIRED: &[u8] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImhzLTMyIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMTg0MDAsImV4cCI6MTc2NzIyMjAwMCwianRpIjoiSFMyNTYtZXhwaXJlZCJ9.t5y7oCIeHa3h71BWrTMwA9h7oK1xLjIzv1e0qE0Va7o";
/// A valid EdDSA access token (typ at+jwt).
#[cfg(feature = "eddsa")]
pub(crate) const EDDSA_ACCESS: &[u8] = b"eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVkLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwianRpIjoiRUREU0Etb2sifQ.HlGqteNd5Y-ZpWbgOK_q9qk0Wvj-2ed-c_8me9biGWe8M9Yl-LBrOmvlLzDnMJraYinla2E0zrgZDIIcgqVVCA";
/// A valid EdDSA OIDC ID token: wrong lane.
#[cfg(feature = "eddsa")]
pub(crate) const EDDSA_ID_TOKEN: &[u8] = b"eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImVkLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6ImVtYmVkZGVkLWdhdGV3YXkiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwiYXV0aF90aW1lIjoxNzY3MjI1NDgwLCJub25jZSI6Im4tMFM2X1d6QTJNaiJ9.O07o3Yf3vSdwTFbcm83qOXlSMoMWXJRtqtrn_ysuOGnnMi1CXNd56TgOSU_KYWnN-dOX8FK4jmHCmw1JVnYyDw";
/// An EdDSA access token whose signature has one bit flipped.
#[cfg(feature = "eddsa")]
pub(crate) const EDDSA_TAMPERED: &[u8] = b"eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVkLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyOTIwMCwianRpIjoiRUREU0EtdGFtcGVyZWQifQ.HCU7V_Nk_ApyQTXyn4OF1fUQvADg7QfC3kc3fLGeirZhxNQN5EnvWwXru9gutk5N7ZFehWAzunz6i6HA2EiqBQ";
/// A well-signed EdDSA access token that expired an hour before NOW.
#[cfg(feature = "eddsa")]
pub(crate) const EDDSA_EXPIRED: &[u8] = b"eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVkLTEifQ.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6ImRldmljZS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJjbGllbnRfaWQiOiJlbWJlZGRlZC1nYXRld2F5Iiwic2NvcGUiOiJ0ZWxlbWV0cnk6d3JpdGUiLCJpYXQiOjE3NjcyMTg0MDAsImV4cCI6MTc2NzIyMjAwMCwianRpIjoiRUREU0EtZXhwaXJlZCJ9.WijTKdW5STv-08JzjBi8ecGtJ-3JZ5BDwRp2hQAqUBCrozlL_mYUZdCOO64-HTO_zifkq3tYXn7tJHqARnUKCg";
/// The raw signature of `ES256_ACCESS` (for the `steps` diagnostics).
#[cfg(all(any(feature = "es256", feature = "cm4"), feature = "steps"))]
pub(crate) const ES256_ACCESS_SIG: [u8; 64] = [0xab, 0xb3, 0x27, 0x01, 0x65, 0x8f, 0x13, 0x2a, 0x2c, 0x41, 0xbc, 0xac, 0x16, 0x22, 0x46, 0x66, 0x25, 0xc1, 0x5f, 0x1a, 0xea, 0x0e, 0xca, 0x3a, 0xf2, 0x17, 0x41, 0xdb, 0x61, 0xf0, 0x8a, 0x81, 0x52, 0x15, 0x3f, 0x54, 0x3d, 0x7f, 0x35, 0xdf, 0xd4, 0x52, 0x0d, 0x76, 0x31, 0x5d, 0xdb, 0xd0, 0x1e, 0x8a, 0x38, 0xda, 0x4d, 0x04, 0xcb, 0x64, 0x0d, 0xf8, 0x37, 0x7e, 0x41, 0x7f, 0xee, 0xa6];
/// The raw signature of `HS256_ACCESS` (for the `steps` diagnostics).
#[cfg(all(feature = "hs256", feature = "steps"))]
pub(crate) const HS256_ACCESS_SIG: [u8; 32] = [0xa8, 0xf6, 0x6c, 0xbc, 0xff, 0x7a, 0xeb, 0x21, 0xbb, 0x6f, 0xe2, 0x7b, 0xa3, 0x90, 0x6d, 0xcf, 0xa4, 0x40, 0xc6, 0xad, 0x78, 0x9b, 0x4a, 0xe5, 0xf7, 0xbd, 0x7d, 0x80, 0x0a, 0xf2, 0x94, 0x6a];
/// The raw signature of `EDDSA_ACCESS` (for the `steps` diagnostics).
#[cfg(all(feature = "eddsa", feature = "steps"))]
pub(crate) const EDDSA_ACCESS_SIG: [u8; 64] = [0x1e, 0x51, 0xaa, 0xb5, 0xe3, 0x5d, 0xe5, 0x8f, 0x99, 0xa5, 0x66, 0xe0, 0x38, 0xaf, 0xea, 0xf6, 0xa9, 0x34, 0x5a, 0xf8, 0xfe, 0xd9, 0xe7, 0x7e, 0x73, 0xff, 0x26, 0x7b, 0xd6, 0xe2, 0x19, 0x67, 0xbc, 0x33, 0xd6, 0x25, 0xf8, 0xb0, 0x6b, 0x3a, 0x6b, 0xe5, 0x2f, 0x30, 0xe7, 0x30, 0x9a, 0xda, 0x62, 0x29, 0xe5, 0x6b, 0x61, 0x34, 0xce, 0xb8, 0x19, 0x0c, 0x82, 0x1c, 0x82, 0xa5, 0x55, 0x08];

/// The longest token above, in bytes (sizes the static scratch buffer).
pub(crate) const MAX_TOKEN_LEN: usize = 404;

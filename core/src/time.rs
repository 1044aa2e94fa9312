//! Time as a value the caller passes in: the core never reads a clock.

/// Seconds since the Unix epoch, as the caller's clock reads them.
///
/// The core never reads a clock: every validation takes a `UnixTime`, so the
/// same token, keys, policy and `now` always give the same result. All
/// arithmetic on it saturates, so `now` near `u64::MAX` has a defined
/// (expired) outcome rather than an overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Reads the system clock (`std` only). The core itself never calls this;
    /// it exists for wrappers and applications. A clock before 1970 reads as 0.
    #[cfg(feature = "std")]
    pub fn now() -> Self {
        extern crate std;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self(secs)
    }
}

/// The largest NumericDate accepted in `exp`, `nbf`, `iat` and `auth_time`:
/// 9999-12-31T23:59:59Z.
///
/// Why: RFC 7519 allows any JSON number, but a date past year 9999 is never a
/// real expiry; it is a bug or an attempt to reach integer edge cases
/// (2^63, 1e19, 1e308). Bounding it keeps every sum with a leeway far from
/// `u64::MAX`. A larger value is refused as `invalid_claim`.
pub const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// The largest leeway a policy accepts, in seconds: one day.
///
/// Why: leeway exists to absorb clock skew of seconds or minutes. A larger
/// value is almost always a unit mistake (milliseconds passed as seconds)
/// that would quietly make expired tokens valid, so a policy refuses it.
pub const MAX_LEEWAY_SECS: u64 = 86_400;

//! The refresh policy: a deterministic state machine. Time is passed in
//! (seconds), nothing here does I/O, reads a clock or holds keys; the
//! [`crate::KeySource`] drives it and holds the keys.

use core::fmt;

use crate::error::RemoteError;
use crate::fetch::CacheHeaders;

/// A bound of [`RefreshPolicy`] was not met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyBoundError {
    /// The setting.
    pub setting: &'static str,
    /// Its lowest accepted value, seconds.
    pub min: u64,
    /// Its highest accepted value, seconds.
    pub max: u64,
}

impl fmt::Display for PolicyBoundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be between {} and {} seconds",
            self.setting, self.min, self.max
        )
    }
}

impl core::error::Error for PolicyBoundError {}

macro_rules! settings {
    ($( $field:ident, $setter:ident, $default:expr, $min:expr, $max:expr, $doc:literal; )*) => {
        /// The refresh policy's settings, in seconds. Defaults and bounds:
        /// the table in the crate docs (generated from this one list).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct RefreshPolicy {
            $( $field: u64, )*
        }

        impl Default for RefreshPolicy {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl RefreshPolicy {
            /// Every setting: name, default, min, max (seconds), meaning.
            pub const TABLE: &'static [(&'static str, u64, u64, u64, &'static str)] =
                &[ $( (stringify!($field), $default, $min, $max, $doc), )* ];

            $(
                #[doc = $doc]
                #[doc = ""]
                #[doc = "Errors: [`PolicyBoundError`] outside the bounds of the table."]
                pub fn $setter(mut self, secs: u64) -> Result<Self, PolicyBoundError> {
                    if !($min..=$max).contains(&secs) {
                        return Err(PolicyBoundError { setting: stringify!($field), min: $min, max: $max });
                    }
                    self.$field = secs;
                    Ok(self)
                }

                #[doc = $doc]
                pub fn $field(&self) -> u64 {
                    self.$field
                }
            )*
        }
    };
}

settings! {
    default_ttl, with_default_ttl, 600, 60, 86_400,
        "TTL of a key set whose response has no `Cache-Control: max-age`.";
    min_ttl, with_min_ttl, 60, 1, 3_600,
        "Floor of a response's `max-age` (also for `no-cache`/`no-store`), so a zero max-age cannot turn every request into a fetch.";
    max_ttl, with_max_ttl, 86_400, 60, 604_800,
        "Ceiling of a response's `max-age`: keys are re-checked at least this often.";
    refresh_ahead, with_refresh_ahead, 30, 0, 3_600,
        "A background refresh starts this long before expiry (at most half the TTL), so requests do not wait.";
    kid_miss_cooldown, with_kid_miss_cooldown, 30, 1, 600,
        "After any fetch attempt, a token with an unknown `kid` triggers no new fetch for this long, however many such tokens arrive.";
    retry_interval, with_retry_interval, 10, 1, 600,
        "After a failed fetch, no new attempt (background or first load) for this long.";
    max_stale, with_max_stale, 86_400, 0, 604_800,
        "Stale-if-error: how long past its expiry the last good key set keeps serving while refreshes fail.";
}

/// What the reader of the keys should do now (see [`RefreshState::read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPlan {
    /// Serve the current keys; nothing to fetch.
    Serve,
    /// Serve the current keys and start a background refresh (call
    /// [`RefreshState::begin`] first).
    ServeAndRefresh,
    /// Serve the current keys, which are past expiry but within `max_stale`;
    /// a refresh is in flight or waits for the retry interval.
    ServeStale,
    /// No servable keys: fetch now and wait for it.
    FetchAndWait,
    /// No servable keys, and a fetch is in flight: wait for it.
    WaitForFlight,
    /// No servable keys, and the last attempt failed less than
    /// `retry_interval` ago: refuse without a fetch.
    Unavailable,
}

/// What a token with an unknown `kid` should cause (see [`RefreshState::kid_miss`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KidMiss {
    /// Fetch now (call [`RefreshState::begin`]) and retry with the result.
    Fetch,
    /// A fetch is in flight: wait for it and retry with its result.
    WaitForFlight,
    /// Within the cooldown: refuse with the current keys (`key_not_found`).
    Cooldown,
}

/// An observable event of the policy. `Display` is a log line without key
/// material.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new key set was fetched and loaded.
    Fetched {
        /// Usable keys loaded.
        keys: usize,
        /// JWKS entries skipped (not for verifying, unknown type).
        skipped: usize,
        /// The TTL given to it, seconds.
        ttl: u64,
    },
    /// The server answered 304: the keys are unchanged, their TTL renewed.
    NotModified {
        /// The renewed TTL, seconds.
        ttl: u64,
    },
    /// A fetch failed; the current keys (if any) stay.
    Failed {
        /// Why.
        error: RemoteError,
    },
    /// After a failed fetch, the last good keys keep serving past expiry.
    ServedStale {
        /// Seconds past expiry.
        past_expiry: u64,
    },
    /// An unknown `kid` caused no fetch: within the cooldown.
    Cooldown {
        /// Seconds until a kid miss may fetch again.
        remaining: u64,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Fetched { keys, skipped, ttl } => {
                write!(
                    f,
                    "jwks fetched: {keys} keys loaded, {skipped} skipped, ttl {ttl}s"
                )
            }
            Event::NotModified { ttl } => write!(f, "jwks not modified, ttl {ttl}s"),
            Event::Failed { error } => write!(f, "jwks fetch failed: {error}"),
            Event::ServedStale { past_expiry } => {
                write!(
                    f,
                    "jwks stale: serving the last good keys {past_expiry}s past expiry"
                )
            }
            Event::Cooldown { remaining } => {
                write!(f, "unknown kid: no fetch, cooldown {remaining}s remaining")
            }
        }
    }
}

/// The outcome of a fetch, told to [`RefreshState::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A key set with at least one usable key was loaded.
    Fetched {
        /// Its caching headers.
        cache: CacheHeaders,
        /// Usable keys.
        keys: usize,
        /// Skipped entries.
        skipped: usize,
    },
    /// 304 to the conditional request.
    NotModified {
        /// Its caching headers.
        cache: CacheHeaders,
    },
    /// Anything else: transport, status, garbage, no usable key.
    Failed(RemoteError),
}

/// Validators to send with a refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    /// `If-None-Match`.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<String>,
}

/// The state of one key source's refresh policy.
#[derive(Debug, Clone)]
pub struct RefreshState {
    policy: RefreshPolicy,
    /// When the current keys expire (None: no keys yet).
    expires_at: Option<u64>,
    ttl: u64,
    etag: Option<String>,
    last_modified: Option<String>,
    in_flight: bool,
    last_attempt: Option<u64>,
    last_failure: Option<(u64, RemoteError)>,
    generation: u64,
}

impl RefreshState {
    /// A state with no keys.
    pub fn new(policy: RefreshPolicy) -> Self {
        Self {
            policy,
            expires_at: None,
            ttl: 0,
            etag: None,
            last_modified: None,
            in_flight: false,
            last_attempt: None,
            last_failure: None,
            generation: 0,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    /// Counts completed fetches (of any outcome); a waiter compares it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether a fetch is in flight.
    pub fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// When the current keys expire, if there are any.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// Until when (exclusive) a read may serve without consulting the state
    /// at all: expiry minus the refresh-ahead window; 0 when there are no
    /// keys. The key source keeps this in an atomic for its fast path.
    pub fn fresh_until(&self) -> u64 {
        self.expires_at
            .map_or(0, |e| e.saturating_sub(self.ahead_window()))
    }

    /// The last failure, if the most recent fetch failed.
    pub fn last_error(&self) -> Option<&RemoteError> {
        self.last_failure.as_ref().map(|(_, e)| e)
    }

    fn ahead_window(&self) -> u64 {
        let ttl_half = self.current_ttl() / 2;
        self.policy.refresh_ahead.min(ttl_half)
    }

    fn current_ttl(&self) -> u64 {
        self.ttl
    }

    fn ttl_of(&self, max_age: Option<u64>) -> u64 {
        match max_age {
            Some(a) => a.clamp(
                self.policy.min_ttl,
                self.policy.max_ttl.max(self.policy.min_ttl),
            ),
            None => self.policy.default_ttl,
        }
    }

    fn may_retry(&self, now: u64) -> bool {
        match &self.last_failure {
            Some((at, _)) => now.saturating_sub(*at) >= self.policy.retry_interval,
            None => true,
        }
    }

    /// What a read at `now` should do.
    pub fn read(&self, now: u64) -> ReadPlan {
        let Some(expires_at) = self.expires_at else {
            return if self.in_flight {
                ReadPlan::WaitForFlight
            } else if self.may_retry(now) {
                ReadPlan::FetchAndWait
            } else {
                ReadPlan::Unavailable
            };
        };
        if now < self.fresh_until() {
            return ReadPlan::Serve;
        }
        let can_start = !self.in_flight && self.may_retry(now);
        if now < expires_at {
            return if can_start {
                ReadPlan::ServeAndRefresh
            } else {
                ReadPlan::Serve
            };
        }
        if now - expires_at <= self.policy.max_stale {
            return if can_start {
                ReadPlan::ServeAndRefresh
            } else {
                ReadPlan::ServeStale
            };
        }
        // Past the stale limit: the old keys are not served any more.
        if self.in_flight {
            ReadPlan::WaitForFlight
        } else if self.may_retry(now) {
            ReadPlan::FetchAndWait
        } else {
            ReadPlan::Unavailable
        }
    }

    /// What a token whose `kid` is not in the current keys should cause at
    /// `now`. The cooldown runs from the last attempt of any kind, so a
    /// flood of random kids costs at most one fetch per cooldown.
    pub fn kid_miss(&self, now: u64) -> KidMiss {
        if self.in_flight {
            return KidMiss::WaitForFlight;
        }
        match self.last_attempt {
            Some(at) if now.saturating_sub(at) < self.policy.kid_miss_cooldown => KidMiss::Cooldown,
            _ => KidMiss::Fetch,
        }
    }

    /// Seconds of cooldown left at `now` (0 when a kid miss may fetch).
    pub fn cooldown_remaining(&self, now: u64) -> u64 {
        self.last_attempt.map_or(0, |at| {
            (at.saturating_add(self.policy.kid_miss_cooldown)).saturating_sub(now)
        })
    }

    /// Starts a fetch at `now`, or returns `None` when one is in flight
    /// (single flight). The validators to send come with it.
    pub fn begin(&mut self, now: u64) -> Option<Conditional> {
        if self.in_flight {
            return None;
        }
        self.in_flight = true;
        self.last_attempt = Some(now);
        if self.expires_at.is_none() {
            return Some(Conditional::default());
        }
        Some(Conditional {
            if_none_match: self.etag.clone(),
            if_modified_since: self.last_modified.clone(),
        })
    }

    /// Ends the fetch begun by [`Self::begin`] with its outcome at `now`,
    /// and returns the events it makes (in order). The caller swaps in the
    /// new keys only on `Outcome::Fetched`.
    pub fn finish(&mut self, now: u64, outcome: Outcome) -> Vec<Event> {
        self.in_flight = false;
        self.generation = self.generation.wrapping_add(1);
        match outcome {
            Outcome::Fetched {
                cache,
                keys,
                skipped,
            } => {
                let ttl = self.ttl_of(cache.max_age);
                self.ttl = ttl;
                self.expires_at = Some(now.saturating_add(ttl));
                self.etag = cache.etag;
                self.last_modified = cache.last_modified;
                self.last_failure = None;
                vec![Event::Fetched { keys, skipped, ttl }]
            }
            Outcome::NotModified { cache } if self.expires_at.is_some() => {
                let ttl = self.ttl_of(cache.max_age);
                self.ttl = ttl;
                self.expires_at = Some(now.saturating_add(ttl));
                if cache.etag.is_some() {
                    self.etag = cache.etag;
                }
                if cache.last_modified.is_some() {
                    self.last_modified = cache.last_modified;
                }
                self.last_failure = None;
                vec![Event::NotModified { ttl }]
            }
            Outcome::NotModified { .. } => self.fail(now, RemoteError::HttpStatus(304)),
            Outcome::Failed(error) => self.fail(now, error),
        }
    }

    fn fail(&mut self, now: u64, error: RemoteError) -> Vec<Event> {
        self.last_failure = Some((now, error.clone()));
        let mut events = vec![Event::Failed { error }];
        if let Some(e) = self.expires_at {
            if now >= e && now - e <= self.policy.max_stale {
                events.push(Event::ServedStale {
                    past_expiry: now - e,
                });
            }
        }
        events
    }

    /// Whether keys may be served at `now` (fresh, or stale within `max_stale`).
    pub fn servable(&self, now: u64) -> bool {
        self.expires_at
            .is_some_and(|e| now < e || now - e <= self.policy.max_stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(max_age: Option<u64>) -> Outcome {
        Outcome::Fetched {
            cache: CacheHeaders {
                max_age,
                etag: Some("\"v1\"".into()),
                last_modified: None,
            },
            keys: 2,
            skipped: 0,
        }
    }

    #[test]
    fn first_load_then_fresh_then_ahead_then_stale() {
        let mut s = RefreshState::new(RefreshPolicy::default());
        assert_eq!(s.read(1000), ReadPlan::FetchAndWait);
        assert_eq!(s.begin(1000), Some(Conditional::default()));
        assert_eq!(s.read(1000), ReadPlan::WaitForFlight);
        assert_eq!(s.begin(1000), None, "single flight");
        assert_eq!(
            s.finish(1000, fetched(Some(300))),
            vec![Event::Fetched {
                keys: 2,
                skipped: 0,
                ttl: 300
            }]
        );
        assert_eq!(s.read(1269), ReadPlan::Serve);
        assert_eq!(s.read(1270), ReadPlan::ServeAndRefresh);
        let c = s.begin(1270).unwrap();
        assert_eq!(c.if_none_match.as_deref(), Some("\"v1\""));
        assert_eq!(
            s.read(1271),
            ReadPlan::Serve,
            "in flight: no second refresh"
        );
        let ev = s.finish(1301, Outcome::Failed(RemoteError::HttpStatus(500)));
        assert_eq!(
            ev,
            vec![
                Event::Failed {
                    error: RemoteError::HttpStatus(500)
                },
                Event::ServedStale { past_expiry: 1 }
            ]
        );
        assert_eq!(s.read(1305), ReadPlan::ServeStale, "retry interval");
        assert_eq!(s.read(1311), ReadPlan::ServeAndRefresh);
        assert!(s.servable(1300 + 86_400));
        assert!(!s.servable(1300 + 86_401));
        assert_eq!(s.read(1300 + 86_401), ReadPlan::FetchAndWait);
        s.begin(1300 + 86_401);
        s.finish(
            1300 + 86_401,
            Outcome::Failed(RemoteError::Transport(crate::TransportError::Timeout)),
        );
        assert_eq!(s.read(1300 + 86_402), ReadPlan::Unavailable);
    }

    #[test]
    fn max_age_is_clamped_and_304_renews() {
        let mut s = RefreshState::new(RefreshPolicy::default());
        s.begin(0);
        s.finish(0, fetched(Some(0)));
        assert_eq!(s.expires_at(), Some(60));
        s.begin(50);
        assert_eq!(
            s.finish(
                50,
                Outcome::NotModified {
                    cache: CacheHeaders {
                        max_age: Some(u64::MAX),
                        ..Default::default()
                    }
                }
            ),
            vec![Event::NotModified { ttl: 86_400 }]
        );
        assert_eq!(s.expires_at(), Some(50 + 86_400));
        s.begin(100);
        s.finish(100, fetched(None));
        assert_eq!(s.expires_at(), Some(700));
    }

    #[test]
    fn kid_miss_cooldown_bounds_fetches() {
        let mut s = RefreshState::new(RefreshPolicy::default());
        s.begin(0);
        s.finish(0, fetched(None));
        assert_eq!(s.kid_miss(10), KidMiss::Cooldown);
        assert_eq!(s.cooldown_remaining(10), 20);
        assert_eq!(s.kid_miss(30), KidMiss::Fetch);
        let mut fetches = 0;
        for t in 30..130 {
            for _ in 0..100 {
                if s.kid_miss(t) == KidMiss::Fetch && s.begin(t).is_some() {
                    fetches += 1;
                    s.finish(t, fetched(None));
                }
            }
        }
        // t = 30, 60, 90, 120: one per cooldown, whatever the number of misses.
        assert_eq!(fetches, 4);
    }

    #[test]
    fn unconditional_304_is_a_failure() {
        let mut s = RefreshState::new(RefreshPolicy::default());
        s.begin(0);
        let ev = s.finish(
            0,
            Outcome::NotModified {
                cache: CacheHeaders::default(),
            },
        );
        assert_eq!(
            ev,
            vec![Event::Failed {
                error: RemoteError::HttpStatus(304)
            }]
        );
        assert_eq!(s.read(1), ReadPlan::Unavailable);
    }

    #[test]
    fn bounds() {
        let p = RefreshPolicy::default();
        assert!(p.with_kid_miss_cooldown(0).is_err());
        assert_eq!(p.with_kid_miss_cooldown(5).unwrap().kid_miss_cooldown(), 5);
        assert_eq!(RefreshPolicy::TABLE.len(), 7);
    }
}

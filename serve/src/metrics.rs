//! Prometheus metrics (text format 0.0.4), written by hand: a few counters
//! and one histogram do not need a metrics crate.
//!
//! - `tokenlane_decisions_total{endpoint,result,code}`: every decision;
//!   `result` is `allow` or `deny`, `code` the core's error code, `ok`,
//!   `public`, or serve's own (`no_route`, `untrusted_peer`,
//!   `identity_too_long`, `keys_unavailable`, `overloaded`).
//! - `tokenlane_decision_seconds`: latency histogram of decisions, from the
//!   request's arrival to the answer (the blocking-pool hop included).
//! - `tokenlane_key_source_events_total{issuer,event}`: the key sources'
//!   events (`fetched`, `not_modified`, `failed`, `served_stale`, `cooldown`).
//! - `tokenlane_replay_store_errors_total`: Redis failures (each refused a
//!   DPoP request with 500).
//! - `tokenlane_config_reloads_total{result}`: SIGHUP reloads.
//! - `tokenlane_issuer_keys_ready{issuer}`: 1 once the issuer's keys loaded
//!   and while they are servable.
//! - `tokenlane_token_cache_total{event}`: the verified-token cache
//!   ([`crate::cache`]): `hit` (decided on a witness), `miss` (looked up,
//!   verified in full), `eviction` (the oldest entry dropped for room),
//!   `flush` (emptied because an issuer's key set changed).

use core::fmt::Write as _;
use core::sync::atomic::{AtomicU64, Ordering};
use std::collections::BTreeMap;
use std::sync::Mutex;

use tokenlane_remote::Event;

/// Histogram bucket bounds, in microseconds.
const BUCKETS_US: [u64; 14] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    5_000_000,
];

/// All metrics of one process (they survive reloads).
#[derive(Default)]
pub struct Metrics {
    decisions: Mutex<BTreeMap<(&'static str, &'static str, &'static str), u64>>,
    buckets: [AtomicU64; BUCKETS_US.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
    key_events: Mutex<BTreeMap<(String, &'static str), u64>>,
    replay_errors: AtomicU64,
    reloads: Mutex<BTreeMap<&'static str, u64>>,
    ready: Mutex<BTreeMap<String, bool>>,
    /// hit, miss, eviction, flush.
    token_cache: [AtomicU64; 4],
}

/// The events of `tokenlane_token_cache_total`, in its counters' order.
const TOKEN_CACHE_EVENTS: [&str; 4] = ["hit", "miss", "eviction", "flush"];

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Escapes a label value (`\`, `"`, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Microseconds as decimal seconds, exactly (`2500` → `0.0025`).
fn micros_as_seconds(us: u64) -> String {
    let frac = format!("{:06}", us % 1_000_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}", us / 1_000_000)
    } else {
        format!("{}.{frac}", us / 1_000_000)
    }
}

impl Metrics {
    /// Counts one decision and its latency.
    pub fn decision(&self, endpoint: &'static str, allow: bool, code: &'static str, micros: u64) {
        let result = if allow { "allow" } else { "deny" };
        *lock(&self.decisions)
            .entry((endpoint, result, code))
            .or_insert(0) += 1;
        for (b, bound) in self.buckets.iter().zip(BUCKETS_US) {
            if micros <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts a key-source event of issuer number `_n`.
    pub fn key_event(&self, _n: usize, issuer: &str, e: &Event) {
        let name = match e {
            Event::Fetched { .. } => "fetched",
            Event::NotModified { .. } => "not_modified",
            Event::Failed { .. } => "failed",
            Event::ServedStale { .. } => "served_stale",
            Event::Cooldown { .. } => "cooldown",
            _ => "other",
        };
        *lock(&self.key_events)
            .entry((issuer.to_owned(), name))
            .or_insert(0) += 1;
        crate::log::event(
            "key_source",
            &[("issuer", issuer), ("event", &e.to_string())],
        );
    }

    /// Counts a replay-store failure.
    pub fn replay_error(&self) {
        self.replay_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a reload (`ok` or `invalid`).
    pub fn reload(&self, result: &'static str) {
        *lock(&self.reloads).entry(result).or_insert(0) += 1;
    }

    /// Counts a verified-token cache event (`hit`, `miss`, `eviction`,
    /// `flush`; anything else is ignored).
    pub fn token_cache(&self, event: &str) {
        if let Some(i) = TOKEN_CACHE_EVENTS.iter().position(|e| *e == event) {
            self.token_cache[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sets an issuer's readiness.
    pub fn set_ready(&self, issuer: &str, ready: bool) {
        lock(&self.ready).insert(issuer.to_owned(), ready);
    }

    /// Keeps only these issuers' readiness rows (after a reload).
    pub fn retain_ready(&self, issuers: &[String]) {
        lock(&self.ready).retain(|k, _| issuers.contains(k));
    }

    /// Whether every listed issuer is ready.
    pub fn all_ready(&self, issuers: &[String]) -> bool {
        let r = lock(&self.ready);
        issuers.iter().all(|i| r.get(i).copied().unwrap_or(false))
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP tokenlane_decisions_total Authorization decisions by endpoint, result and code.\n");
        s.push_str("# TYPE tokenlane_decisions_total counter\n");
        for ((e, r, c), n) in lock(&self.decisions).iter() {
            let _ = writeln!(
                s,
                "tokenlane_decisions_total{{endpoint=\"{e}\",result=\"{r}\",code=\"{c}\"}} {n}"
            );
        }
        s.push_str("# HELP tokenlane_decision_seconds Decision latency.\n");
        s.push_str("# TYPE tokenlane_decision_seconds histogram\n");
        for (b, bound) in self.buckets.iter().zip(BUCKETS_US) {
            let le = micros_as_seconds(bound);
            let _ = writeln!(
                s,
                "tokenlane_decision_seconds_bucket{{le=\"{le}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "tokenlane_decision_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = micros_as_seconds(self.sum_us.load(Ordering::Relaxed));
        let _ = writeln!(s, "tokenlane_decision_seconds_sum {sum}");
        let _ = writeln!(s, "tokenlane_decision_seconds_count {count}");
        s.push_str("# HELP tokenlane_key_source_events_total Key source events by issuer.\n");
        s.push_str("# TYPE tokenlane_key_source_events_total counter\n");
        for ((i, e), n) in lock(&self.key_events).iter() {
            let _ = writeln!(
                s,
                "tokenlane_key_source_events_total{{issuer=\"{}\",event=\"{e}\"}} {n}",
                label(i)
            );
        }
        s.push_str("# HELP tokenlane_replay_store_errors_total DPoP replay store failures (each a refused request).\n");
        s.push_str("# TYPE tokenlane_replay_store_errors_total counter\n");
        let _ = writeln!(
            s,
            "tokenlane_replay_store_errors_total {}",
            self.replay_errors.load(Ordering::Relaxed)
        );
        s.push_str("# HELP tokenlane_config_reloads_total Configuration reloads by result.\n");
        s.push_str("# TYPE tokenlane_config_reloads_total counter\n");
        for (r, n) in lock(&self.reloads).iter() {
            let _ = writeln!(s, "tokenlane_config_reloads_total{{result=\"{r}\"}} {n}");
        }
        s.push_str("# HELP tokenlane_token_cache_total Verified-token cache events.\n");
        s.push_str("# TYPE tokenlane_token_cache_total counter\n");
        for (e, n) in TOKEN_CACHE_EVENTS.iter().zip(&self.token_cache) {
            let _ = writeln!(
                s,
                "tokenlane_token_cache_total{{event=\"{e}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        s.push_str("# HELP tokenlane_issuer_keys_ready Whether the issuer's keys are loaded and servable.\n");
        s.push_str("# TYPE tokenlane_issuer_keys_ready gauge\n");
        for (i, r) in lock(&self.ready).iter() {
            let _ = writeln!(
                s,
                "tokenlane_issuer_keys_ready{{issuer=\"{}\"}} {}",
                label(i),
                u8::from(*r)
            );
        }
        s
    }
}

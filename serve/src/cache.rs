//! The verified-token cache (issue 22 item 5, as Envoy's
//! `jwt_cache_config`): a repeated JWT access token skips the signature
//! check and nothing else.
//!
//! What is kept is the core's [`SignatureWitness`] (the SHA-256 of the token
//! bytes and its `exp`), keyed by that SHA-256; a hit is decided by
//! [`tokenlane::request::authorize_witnessed`], which runs every rule of a
//! full decision — token format, `alg` allowed, typ, lane marks, issuer,
//! audience, time with leeway, the route's scopes, the DPoP proof (always
//! verified in full) and the `cnf` binding — except the signature, which
//! the witness stands for. serve decides nothing itself.
//!
//! - **Keyed by** the SHA-256 of the exact token: a token differing in one
//!   byte is another key (a miss, verified in full).
//! - **Bounded**: at most `[cache] max_entries` witnesses (default 10000;
//!   0 turns the cache off). When full, the oldest inserted entry is
//!   evicted (FIFO, amortised O(1): an insertion-order queue, compacted
//!   when stale slots reach the bound).
//! - **Expiring with the token**: an entry is dropped when looked up at or
//!   after its token's `exp` (the full path then answers, with the leeway).
//! - **Emptied when keys change**: each entry remembers its issuer's key
//!   set (the `Arc` of a key file or of the key source's current set, held
//!   so its address cannot be reused); a lookup under another key set
//!   empties the whole cache (a rotation, a refetched document, a revoked
//!   key: no witness outlives the keys that verified it). A reload builds
//!   a new, empty cache.
//! - **Only JWT access tokens verified with keys** go in (serve has no
//!   introspection path), and only after an accepted decision.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokenlane::{KeySet, SignatureWitness};

use crate::metrics::Metrics;

struct Entry {
    witness: SignatureWitness,
    issuer: usize,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<[u8; 32], Entry>,
    /// Insertion order: (key, seq); a slot whose seq no longer matches the
    /// map's entry is stale (the entry was dropped or replaced).
    order: VecDeque<([u8; 32], u64)>,
    next_seq: u64,
    /// Per issuer index, the key set the entries were verified under.
    key_sets: Vec<Option<Arc<KeySet>>>,
}

/// A bounded map from token SHA-256 to the core's witness; one per
/// configuration (a reload starts empty). Thread-safe (one mutex, held for
/// a hash-map operation).
pub struct TokenCache {
    max_entries: usize,
    inner: Mutex<Inner>,
    metrics: Arc<Metrics>,
}

impl TokenCache {
    /// A cache of at most `max_entries` witnesses (0: off, every lookup
    /// misses without counting and nothing is stored).
    pub fn new(max_entries: usize, metrics: Arc<Metrics>) -> Self {
        Self {
            max_entries,
            inner: Mutex::new(Inner::default()),
            metrics,
        }
    }

    /// Whether the cache is on.
    pub fn enabled(&self) -> bool {
        self.max_entries > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Empties the cache when `keys` is not the key set issuer `issuer`'s
    /// entries were verified under (and remembers `keys` from then on).
    fn follow_keys(&self, inner: &mut Inner, issuer: usize, keys: &Arc<KeySet>) {
        if inner.key_sets.len() <= issuer {
            inner.key_sets.resize(issuer + 1, None);
        }
        match &inner.key_sets[issuer] {
            Some(k) if Arc::ptr_eq(k, keys) => {}
            Some(_) => {
                if !inner.map.is_empty() {
                    self.metrics.token_cache("flush");
                }
                inner.map.clear();
                inner.order.clear();
                inner.key_sets[issuer] = Some(Arc::clone(keys));
            }
            None => inner.key_sets[issuer] = Some(Arc::clone(keys)),
        }
    }

    /// The witness for the token whose SHA-256 is `sha`, judged by issuer
    /// `issuer` with its current `keys`, at `now` (seconds). Counts a hit
    /// or a miss. An entry at or past its `exp` is dropped (a miss).
    pub fn get(
        &self,
        sha: &[u8; 32],
        issuer: usize,
        keys: &Arc<KeySet>,
        now: u64,
    ) -> Option<SignatureWitness> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.lock();
        self.follow_keys(&mut inner, issuer, keys);
        let found = match inner.map.get(sha) {
            Some(e) if e.issuer == issuer && e.witness.exp() > now => Some(e.witness),
            Some(_) => {
                inner.map.remove(sha);
                None
            }
            None => None,
        };
        drop(inner);
        self.metrics
            .token_cache(if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// Keeps `witness` of a token issuer `issuer` accepted with `keys`,
    /// evicting the oldest entry when full.
    pub fn insert(&self, witness: SignatureWitness, issuer: usize, keys: &Arc<KeySet>) {
        if !self.enabled() {
            return;
        }
        let mut inner = self.lock();
        self.follow_keys(&mut inner, issuer, keys);
        let sha = *witness.token_sha256();
        if let Some(e) = inner.map.get_mut(&sha) {
            e.witness = witness;
            e.issuer = issuer;
            return;
        }
        while inner.map.len() >= self.max_entries {
            let Some((old, seq)) = inner.order.pop_front() else {
                break;
            };
            if inner.map.get(&old).is_some_and(|e| e.seq == seq) {
                inner.map.remove(&old);
                self.metrics.token_cache("eviction");
            }
        }
        // Stale slots (entries dropped at expiry) are compacted once they
        // make the queue twice the bound: O(n) every n insertions.
        if inner.order.len() >= self.max_entries.saturating_mul(2) {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|(k, s)| map.get(k).is_some_and(|e| e.seq == *s));
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.push_back((sha, seq));
        inner.map.insert(
            sha,
            Entry {
                witness,
                issuer,
                seq,
            },
        );
    }

    /// How many witnesses are kept.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no witness is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenlane::{Algorithm, KeySet, PolicyBuilder, UnixTime};

    const CASES: &str = include_str!("../../tests/conformance/cases.json");

    /// Witnesses of accepted conformance tokens (minted by Python
    /// `cryptography`), one per algorithm, and the keys they verified with.
    fn witnesses() -> (Arc<KeySet>, Vec<SignatureWitness>, u64) {
        let doc: serde_json::Value = serde_json::from_str(CASES).expect("cases.json");
        let jwks = doc["keysets"]["main"][0]["data"].as_str().expect("jwks");
        let keys = Arc::new(KeySet::from_jwks(jwks.as_bytes()).expect("keys"));
        let mut out = Vec::new();
        let mut now = 0;
        for (name, alg) in [
            ("access_es256_strict_at_jwt_is_accepted", Algorithm::ES256),
            ("access_rs256_strict_is_accepted", Algorithm::RS256),
            ("access_ps256_strict_is_accepted", Algorithm::PS256),
        ] {
            let case = doc["cases"]
                .as_array()
                .expect("cases")
                .iter()
                .find(|c| c["name"] == name)
                .expect("case");
            let token = case["token"].as_str().expect("token");
            now = case["now"].as_u64().expect("now");
            let mut b = PolicyBuilder::new();
            b.set_issuer("https://issuer.example/")
                .add_audience("https://api.example")
                .add_algorithm(alg);
            let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
            let (_, w) = b
                .build_access()
                .expect("policy")
                .validate_remembering(
                    token.as_bytes(),
                    &keys,
                    UnixTime::from_secs(now),
                    &mut scratch,
                )
                .expect(name);
            out.push(w);
        }
        (keys, out, now)
    }

    fn count(m: &Metrics, event: &str) -> u64 {
        let line = format!("tokenlane_token_cache_total{{event=\"{event}\"}} ");
        m.render()
            .lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .and_then(|n| n.parse().ok())
            .expect("counter")
    }

    #[test]
    fn a_full_cache_evicts_the_oldest_entry() {
        let (keys, w, now) = witnesses();
        let m = Arc::new(Metrics::default());
        let c = TokenCache::new(2, Arc::clone(&m));
        for x in &w {
            c.insert(*x, 0, &keys);
        }
        assert_eq!(c.len(), 2);
        assert_eq!(count(&m, "eviction"), 1);
        assert_eq!(c.get(w[0].token_sha256(), 0, &keys, now), None);
        assert_eq!(c.get(w[1].token_sha256(), 0, &keys, now), Some(w[1]));
        assert_eq!(c.get(w[2].token_sha256(), 0, &keys, now), Some(w[2]));
        assert_eq!((count(&m, "hit"), count(&m, "miss")), (2, 1));
        // Re-inserting a kept entry neither grows nor evicts.
        c.insert(w[2], 0, &keys);
        assert_eq!((c.len(), count(&m, "eviction")), (2, 1));
        // Many rounds: the order queue stays bounded.
        for _ in 0..100 {
            for x in &w {
                c.insert(*x, 0, &keys);
            }
        }
        assert_eq!(c.len(), 2);
        assert!(c.lock().order.len() <= 4);
    }

    #[test]
    fn another_key_set_empties_the_cache() {
        let (keys, w, now) = witnesses();
        let m = Arc::new(Metrics::default());
        let c = TokenCache::new(10, Arc::clone(&m));
        c.insert(w[0], 0, &keys);
        c.insert(w[1], 1, &keys);
        // The same keys in another set (a refetch, a reload): a new Arc.
        let again = Arc::new(KeySet::clone(&keys));
        assert_eq!(c.get(w[0].token_sha256(), 0, &again, now), None);
        assert!(c.is_empty());
        assert_eq!(count(&m, "flush"), 1);
        // An entry is only found for the issuer that accepted it.
        c.insert(w[0], 0, &again);
        assert_eq!(c.get(w[0].token_sha256(), 1, &keys, now), None);
    }

    #[test]
    fn entries_expire_with_the_token_and_zero_entries_is_off() {
        let (keys, w, _) = witnesses();
        let m = Arc::new(Metrics::default());
        let c = TokenCache::new(10, Arc::clone(&m));
        c.insert(w[0], 0, &keys);
        let exp = w[0].exp();
        assert_eq!(c.get(w[0].token_sha256(), 0, &keys, exp - 1), Some(w[0]));
        assert_eq!(c.get(w[0].token_sha256(), 0, &keys, exp), None);
        assert!(c.is_empty());
        let off = TokenCache::new(0, Arc::clone(&m));
        off.insert(w[0], 0, &keys);
        assert!(!off.enabled() && off.is_empty());
        assert_eq!(off.get(w[0].token_sha256(), 0, &keys, 0), None);
        assert_eq!((count(&m, "hit"), count(&m, "miss")), (1, 1));
    }
}

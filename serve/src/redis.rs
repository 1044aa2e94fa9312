//! DPoP `jti` replay protection shared by a fleet, in Redis.
//!
//! One command per proof: `SET <prefix><jkt>:<hex(jti)> 1 NX EX <ttl>`.
//! `OK` means first use (recorded), a nil reply means the key exists (a
//! replay, refused as `invalid_dpop_proof`). The TTL keeps the entry until
//! `iat + iat_window` (the core refuses the proof as stale afterwards), at
//! least one second.
//!
//! **Fail closed.** Anything else (Redis unreachable, a timeout, an error
//! reply) is [`Replay::StoreFailed`]: the core refuses the request with
//! `replay_check_failed` (HTTP 500, which nginx and Envoy turn into an error
//! for the client). A DPoP request is never accepted unchecked; Bearer
//! requests do not touch Redis and keep being decided.
//!
//! The client speaks RESP over plain TCP (`std::net`, blocking, run on the
//! blocking pool) with a small pool of connections; no Redis crate: one
//! command does not need one. No AUTH/TLS: put Redis on loopback or a
//! private network (documented in the README).

use core::time::Duration;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};

use tokenlane::dpop::{ProofHooks, Replay, Thumbprint};
use tokenlane::UnixTime;

use crate::metrics::Metrics;

/// Idle connections kept.
const POOL: usize = 32;

/// The Redis replay store.
pub struct RedisReplay {
    address: String,
    prefix: String,
    timeout: Duration,
    iat_window: u64,
    pool: Mutex<Vec<BufReader<TcpStream>>>,
    metrics: Arc<Metrics>,
}

impl RedisReplay {
    /// A store at `address` (`host:port`); connects lazily.
    pub fn new(
        address: &str,
        prefix: &str,
        timeout_ms: u64,
        iat_window: u64,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            address: address.to_owned(),
            prefix: prefix.to_owned(),
            timeout: Duration::from_millis(timeout_ms),
            iat_window,
            pool: Mutex::new(Vec::new()),
            metrics,
        }
    }

    fn connect(&self) -> std::io::Result<BufReader<TcpStream>> {
        let addr = self
            .address
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("redis_address resolves to nothing"))?;
        let s = TcpStream::connect_timeout(&addr, self.timeout)?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        s.set_nodelay(true)?;
        Ok(BufReader::new(s))
    }

    /// Sends `SET key 1 NX EX ttl`; `Ok(true)` when set (first use).
    fn set_nx(&self, key: &str, ttl: u64) -> std::io::Result<bool> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let ttl = ttl.to_string();
        let mut cmd = Vec::with_capacity(key.len() + 64);
        cmd.extend_from_slice(b"*6\r\n$3\r\nSET\r\n");
        for arg in [key, "1", "NX", "EX", &ttl] {
            cmd.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            cmd.extend_from_slice(arg.as_bytes());
            cmd.extend_from_slice(b"\r\n");
        }
        conn.get_mut().write_all(&cmd)?;
        let mut line = String::new();
        conn.read_line(&mut line)?;
        let answer = match line.as_str() {
            "+OK\r\n" => Ok(true),
            "$-1\r\n" | "_\r\n" => Ok(false),
            other => Err(std::io::Error::other(format!(
                "unexpected reply {:?}",
                other.chars().take(80).collect::<String>()
            ))),
        }?;
        if let Ok(mut p) = self.pool.lock() {
            if p.len() < POOL {
                p.push(conn);
            }
        }
        Ok(answer)
    }
}

impl ProofHooks for RedisReplay {
    fn check_replay(&self, jti: &str, jkt: &Thumbprint, iat: u64, now: UnixTime) -> Replay {
        let mut key = String::with_capacity(self.prefix.len() + 44 + jti.len() * 2);
        key.push_str(&self.prefix);
        key.push_str(jkt.as_str());
        key.push(':');
        for b in jti.bytes() {
            key.push_str(&format!("{b:02x}"));
        }
        let ttl = iat
            .saturating_add(self.iat_window)
            .saturating_sub(now.as_secs())
            .max(1);
        match self.set_nx(&key, ttl) {
            Ok(true) => Replay::Fresh,
            Ok(false) => Replay::Replayed,
            Err(e) => {
                self.metrics.replay_error();
                crate::log::event("replay_store_failed", &[("error", &e.to_string())]);
                Replay::StoreFailed
            }
        }
    }
}

//! A loopback HTTP/1.1 server for the tests (127.0.0.1 only), and the
//! conformance suite's keys and tokens (minted by Python `cryptography`).
#![allow(dead_code, unreachable_pub, missing_docs)]

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Accepts and says nothing for 5 s.
    Hang,
    /// Headers for a 1 KiB body, then one byte every 100 ms.
    Trickle,
}

pub fn ok(body: &str) -> Reply {
    Reply::Http {
        status: 200,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    }
}

pub fn status(code: u16) -> Reply {
    Reply::Http {
        status: code,
        headers: vec![],
        body: b"error".to_vec(),
    }
}

pub fn redirect(location: &str) -> Reply {
    Reply::Http {
        status: 302,
        headers: vec![("Location".into(), location.into())],
        body: vec![],
    }
}

pub type Handler = dyn Fn(&str, &str) -> Reply + Send + Sync;

pub struct Server {
    pub base: String,
    pub hits: Arc<AtomicUsize>,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Starts a server on 127.0.0.1 with an OS-chosen port. `handler(path,
/// request head)` answers each request; every request is counted.
pub fn serve(handler: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let (h2, heads2) = (hits.clone(), heads.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (handler, hits, heads) = (handler.clone(), h2.clone(), heads2.clone());
            std::thread::spawn(move || answer(stream, &*handler, &hits, &heads));
        }
    });
    Server { base, hits, heads }
}

fn answer(mut s: TcpStream, handler: &Handler, hits: &AtomicUsize, heads: &Mutex<Vec<String>>) {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    hits.fetch_add(1, Ordering::SeqCst);
    heads.lock().unwrap().push(head.clone());
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    match handler(&path, &head) {
        Reply::Http {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = s.write_all(out.as_bytes());
            let _ = s.write_all(&body);
        }
        Reply::Hang => std::thread::sleep(Duration::from_secs(5)),
        Reply::Trickle => {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n");
            for _ in 0..50 {
                if s.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

const CASES: &str = include_str!("../../../tests/conformance/cases.json");

pub fn cases() -> Value {
    serde_json::from_str(CASES).unwrap()
}

/// The conformance `main` key set's JWKS restricted to `kids`.
pub fn jwks_with(kids: &[&str]) -> String {
    let c = cases();
    let doc: Value =
        serde_json::from_str(c["keysets"]["main"][0]["data"].as_str().unwrap()).unwrap();
    let keys: Vec<Value> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| kids.contains(&k["kid"].as_str().unwrap_or("")))
        .cloned()
        .collect();
    assert_eq!(keys.len(), kids.len());
    serde_json::json!({ "keys": keys }).to_string()
}

/// An accepted case: (token, now).
pub fn case(name: &str) -> (String, u64) {
    let c = cases();
    let case = c["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    assert_eq!(case["expect"]["ok"], true);
    (
        case["token"].as_str().unwrap().to_owned(),
        case["now"].as_u64().unwrap(),
    )
}

pub const ES256: &str = "access_es256_strict_at_jwt_is_accepted";
pub const RS256: &str = "access_rs256_strict_is_accepted";
pub const ISSUER: &str = "https://issuer.example/";
pub const AUDIENCE: &str = "https://api.example";

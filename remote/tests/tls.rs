//! TLS for real on loopback: a CA generated per run (`rcgen`), a rustls
//! server for 127.0.0.1, and the key source trusting that CA through its
//! CA bundle. Tokens and keys are the conformance suite's (Python
//! `cryptography`).

mod common;

use core::time::Duration;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, UnixTime};
use tokenlane_remote::{
    scratch_len, HttpOptions, KeySource, KeySourceOptions, RemoteError, TransportError,
};

struct Tls {
    ca_pem: String,
    base: String,
}

/// An https server on 127.0.0.1 answering `reply(path)` as raw HTTP.
fn tls_server(reply: fn(&str, &str) -> String) -> Tls {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let b2 = base.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, base) = (config.clone(), b2.clone());
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let _ = tls.write_all(reply(&path, &base).as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    Tls {
        ca_pem: ca.pem(),
        base,
    }
}

fn http(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
}

fn options(ca_pem: Option<&str>) -> KeySourceOptions {
    KeySourceOptions {
        http: HttpOptions {
            total_timeout: Duration::from_secs(3),
            ca_bundle_pem: ca_pem.map(|p| p.as_bytes().to_vec()),
            ..HttpOptions::default()
        },
        inline_refresh: true,
        ..KeySourceOptions::default()
    }
}

fn reply(path: &str, base: &str) -> String {
    match path {
        "/.well-known/openid-configuration" => http(
            "200 OK",
            "",
            &format!(r#"{{"issuer":"{base}","jwks_uri":"{base}/jwks"}}"#),
        ),
        "/jwks" => http(
            "200 OK",
            "Cache-Control: max-age=300\r\n",
            &jwks_with(&["rsa-1", "ec-1"]),
        ),
        "/downgrade" => http(
            "302 Found",
            &format!("Location: http://{}/jwks\r\n", &base[8..]),
            "",
        ),
        _ => http("404 Not Found", "", ""),
    }
}

#[test]
fn discovery_and_validation_over_tls_with_a_ca_bundle() {
    let server = tls_server(reply);
    let src = KeySource::from_issuer(&server.base, options(Some(&server.ca_pem))).unwrap();
    let (token, now) = case(ES256);
    let aud = [AUDIENCE];
    let policy =
        AccessPolicy::new(ISSUER, &aud, AlgorithmSet::from_slice(&[Algorithm::ES256])).unwrap();
    let mut scratch = vec![0u8; scratch_len(token.len())];
    let t = src
        .validate_access(
            &policy,
            token.as_bytes(),
            UnixTime::from_secs(now),
            &mut scratch,
        )
        .unwrap();
    assert_eq!(t.client_id(), Some("client-app"));
    assert_eq!(
        src.metadata().unwrap().jwks_uri,
        format!("{}/jwks", server.base)
    );
}

#[test]
fn untrusted_certificate_is_refused() {
    let server = tls_server(reply);
    // The system store does not hold the test's CA.
    let src = KeySource::from_jwks_uri(&format!("{}/jwks", server.base), options(None)).unwrap();
    assert_eq!(
        src.keys(UnixTime::from_secs(0)).err(),
        Some(RemoteError::Transport(TransportError::Tls))
    );
}

#[test]
fn redirect_from_https_to_loopback_http_is_refused() {
    let server = tls_server(reply);
    let src = KeySource::from_jwks_uri(
        &format!("{}/downgrade", server.base),
        options(Some(&server.ca_pem)),
    )
    .unwrap();
    assert_eq!(
        src.keys(UnixTime::from_secs(0)).err(),
        Some(RemoteError::RedirectToHttp)
    );
}

#[test]
fn a_bundle_without_certificates_is_refused() {
    assert_eq!(
        KeySource::from_jwks_uri("https://127.0.0.1/jwks", options(Some("not pem"))).err(),
        Some(RemoteError::CaBundle)
    );
}

//! Structured logs: one JSON object per line on stderr. Never a token, a
//! proof or a header value from the client: decisions log the method, the
//! path without its query, the route, the issuer, the result code and the
//! latency; accepted decisions add `sub`-free identity only by issuer.

use std::io::Write as _;

/// Writes `{"ts":..,"msg":msg, k:v, ...}`.
pub fn event(msg: &str, fields: &[(&str, &str)]) {
    let mut o = serde_json::Map::new();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    o.insert("ts".into(), serde_json::json!(ts));
    o.insert("msg".into(), msg.into());
    for (k, v) in fields {
        o.insert((*k).into(), (*v).into());
    }
    let line = serde_json::Value::Object(o).to_string();
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

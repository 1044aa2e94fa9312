"""Converts tests/conformance/cases.json into a line format the C tests read
without a JSON parser.

One record per line: a keyword, then space-separated fields. Every text or
byte value is hex-encoded (so nothing needs escaping); "-" means absent.

    keyset NAME
    source KIND DATA_HEX KID_HEX|- ALG|-      (sources of the keyset above)
    keycase NAME LOADED|- SKIPPED|- ERROR|-   (its one source line follows)
    case NAME LANE KEYSET NOW
    issuer HEX | audience HEX | client_id HEX | alg NAME | leeway N
    scope HEX | typ strict|compat | max N | nonce HEX | max_age N
    access_token HEX | token HEX
    expect ok | expect error CODE
    sub HEX | cid HEX | scopes N | gscope HEX
    end
    authcase NAME HEADER_HEX|- token HEX      (an Authorization header case;
    authcase NAME HEADER_HEX|- error CODE      "-": the request has no header)
    reqcase NAME access KEYSET NOW            (a request case: the access policy
    ... policy lines as for case ...            lines above, then:)
    mode bearer_only|allowed|required | palg NAME | window N
    seen HEX | dnonce HEX                     (replay store pre-filled; the nonce)
    nkey HEX | nbucket N | rnonce NONCE|-      (a nonce issuer; the response's DPoP-Nonce)
    method HEX | uri HEX | authz HEX | dpophdr HEX | cert HEX
    expect ok | expect error CODE
    bind bearer|dpop JKT|- 0|1                (an accepted request's binding)
    end

tests/conformance/introspection.json (RFC 7662 responses) converts to:

    icase NAME NOW LEEWAY required|allow_absent
    issuer HEX | audience HEX | scope HEX       (the policy)
    response HEX                               (the body, as the Rust runner sends it)
    expect ok | expect error CODE
    claim NAME                                 (the claim a refusal names)
    want FIELD HEX|-  (iss sub cid jti)  | want FIELD N|-  (exp iat nbf)
    aud N | gaud HEX | scopes N | gscope HEX    (an accepted token's lists)
    end

Usage: python3 cases_to_lines.py cases.json > cases.txt
       python3 cases_to_lines.py introspection.json > introspection.txt
"""

import base64
import json
import sys


def hx(data) -> str:
    if data is None:
        return "-"
    if isinstance(data, str):
        data = data.encode()
    return data.hex() if data else "="  # "=" is the empty value


def b64u(text: str):
    """Strict base64url (no padding, no `+`/`/`), or None when invalid."""
    if any(c in text for c in "+/="):
        return None
    try:
        std = text.replace("-", "+").replace("_", "/")
        return base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
    except ValueError:
        return None


def source_line(src: dict) -> str:
    """DER and secrets travel as base64url in cases.json, but the C API takes
    raw bytes (decoding is the application's job), so they are decoded here;
    data that is not base64url at all is written as "!" and the C test
    counts it as refused with invalid_key before any call, as an
    application would refuse it."""
    kind = src["kind"]
    data = src["data"]
    if kind in ("der", "secret"):
        raw = b64u(data)
        data_field = "!" if raw is None else hx(raw)
    else:
        data_field = hx(data)
    return f"source {kind} {data_field} {hx(src.get('kid'))} {src.get('alg') or '-'}"


def introspection_lines(doc: dict) -> list:
    """The introspection cases: every default resolved per case, the body
    serialized compactly (as core/tests/introspection.rs does) unless the
    case gives its exact bytes in `response_text`."""
    d = doc["defaults"]
    out = []
    for c in doc["cases"]:
        p = {**d, **c.get("policy", {})}
        out.append(f"icase {c['name']} {p['now']} {p['leeway']} {p['introspection_audience']}")
        out.append(f"issuer {hx(p['issuer'])}")
        out.extend(f"audience {hx(a)}" for a in p["audience"])
        out.extend(f"scope {hx(s)}" for s in p["required_scopes"])
        if "response_text" in c:
            body = c["response_text"]
        else:
            body = json.dumps(c["response"], separators=(",", ":"), ensure_ascii=False)
        out.append(f"response {hx(body)}")
        if c["expect"] == "ok":
            out.append("expect ok")
            a = c.get("accepted", {})
            for field, key in (("iss", "iss"), ("sub", "sub"), ("cid", "client_id"), ("jti", "jti")):
                if key in a:
                    out.append(f"want {field} {hx(a[key])}")
            for key in ("exp", "iat", "nbf"):
                if key in a:
                    out.append(f"want {key} {'-' if a[key] is None else a[key]}")
            if "aud" in a:
                out.append(f"aud {len(a['aud'])}")
                out.extend(f"gaud {hx(x)}" for x in a["aud"])
            if "scopes" in a:
                out.append(f"scopes {len(a['scopes'])}")
                out.extend(f"gscope {hx(x)}" for x in a["scopes"])
        else:
            out.append(f"expect error {c['expect']}")
        if "claim" in c:
            out.append(f"claim {c['claim']}")
        out.append("end")
    return out


def main() -> None:
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    if "keysets" not in doc:
        sys.stdout.write("\n".join(introspection_lines(doc)) + "\n")
        return
    out = []
    for name, sources in doc["keysets"].items():
        out.append(f"keyset {name}")
        out.extend(source_line(s) for s in sources)
    for kc in doc.get("key_cases", []):
        e = kc["expect"]
        out.append(f"keycase {kc['name']} {e.get('loaded', '-')} {e.get('skipped', '-')} {e.get('error', '-')}")
        out.append(source_line(kc["source"]))
    for c in doc["cases"]:
        p = c["policy"]
        out.append(f"case {c['name']} {c['lane']} {c['keyset']} {c['now']}")
        out.append(f"issuer {hx(p['issuer'])}")
        for a in p.get("audience", []):
            out.append(f"audience {hx(a)}")
        if "client_id" in p:
            out.append(f"client_id {hx(p['client_id'])}")
        for a in p["algorithms"]:
            out.append(f"alg {a}")
        out.append(f"leeway {p.get('leeway', 0)}")
        for s in p.get("required_scopes", []):
            out.append(f"scope {hx(s)}")
        if "typ" in p:
            out.append(f"typ {p['typ']}")
        if "max_token_bytes" in p:
            out.append(f"max {p['max_token_bytes']}")
        if p.get("nonce") is not None:
            out.append(f"nonce {hx(p['nonce'])}")
        if p.get("max_age") is not None:
            out.append(f"max_age {p['max_age']}")
        if p.get("access_token") is not None:
            out.append(f"access_token {hx(p['access_token'])}")
        out.append(f"token {hx(c['token'])}")
        e = c["expect"]
        if e.get("ok"):
            out.append("expect ok")
            out.append(f"sub {hx(e.get('sub'))}")
            if "client_id" in e:
                out.append(f"cid {hx(e['client_id'])}")
            if "scopes" in e:
                out.append(f"scopes {len(e['scopes'])}")
                out.extend(f"gscope {hx(s)}" for s in e["scopes"])
        else:
            out.append(f"expect error {e['error']}")
        out.append("end")
    for a in doc.get("authorization_cases", []):
        header = bytes.fromhex(a["header_hex"]) if "header_hex" in a else a["header"]
        e = a["expect"]
        result = f"token {hx(e['token'])}" if "token" in e else f"error {e['error']}"
        out.append(f"authcase {a['name']} {hx(header)} {result}")
    for c in doc.get("request_cases", []):
        p = c["policy"]
        r = c["request"]
        out.append(f"reqcase {c['name']} access {c['keyset']} {c['now']}")
        out.append(f"issuer {hx(p['issuer'])}")
        out.extend(f"audience {hx(a)}" for a in p.get("audience", []))
        out.extend(f"alg {a}" for a in p["algorithms"])
        out.append(f"leeway {p.get('leeway', 0)}")
        out.extend(f"scope {hx(s)}" for s in p.get("required_scopes", []))
        if "typ" in p:
            out.append(f"typ {p['typ']}")
        out.append(f"mode {p['dpop']}")
        out.extend(f"palg {a}" for a in p.get("proof_algorithms", []))
        out.append(f"window {p['iat_window']}")
        out.extend(f"seen {hx(j)}" for j in p.get("seen_jti", []))
        if p.get("dpop_nonce") is not None:
            out.append(f"dnonce {hx(p['dpop_nonce'])}")
        if p.get("dpop_nonce_key") is not None:
            key = base64.urlsafe_b64decode(p["dpop_nonce_key"] + "=" * (-len(p["dpop_nonce_key"]) % 4))
            out.append(f"nkey {key.hex()}")
            out.append(f"nbucket {p['dpop_nonce_bucket']}")
            out.append(f"rnonce {c['expect'].get('dpop_nonce') or '-'}")
        out.append(f"method {hx(r['method'])}")
        out.append(f"uri {hx(r['uri'])}")
        out.extend(f"authz {hx(h)}" for h in r["authorization"])
        out.extend(f"dpophdr {hx(h)}" for h in r["dpop"])
        if r.get("certificate_sha256") is not None:
            out.append(f"cert {r['certificate_sha256']}")
        e = c["expect"]
        if e.get("ok"):
            out.append("expect ok")
            out.append(f"bind {e['scheme']} {e['jkt'] or '-'} {int(e['certificate'])}")
        else:
            out.append(f"expect error {e['error']}")
        out.append("end")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Mints the scaling benchmark's tokens and key sets with Python's
`cryptography` and `hmac` (never tokenlane), for `core/benches/scaling.rs`.

    python3 bench/gen_scaling.py OUT.json

Each row is one variable grown from a baseline, everything else fixed, for
HS256 (hs-64) and ES256 (ec-1, RFC 6979 deterministic signatures), with the
keys and claims of `bench/gen_tokens.py` (issue 24, item 4):

- `keys`: the key set holds 1, 16 or 256 keys (`limits::MAX_KEYS`); the
  signing key is the last one, after decoy `oct` keys with other `kid`s;
- `size`: a `pad` claim of 0, 1, 4 or 10 KiB (the token stays under the
  16 KiB default cap);
- `scopes`: 1, 16 or 256 scope values (`limits::MAX_SCOPES`), the required
  one last;
- `audiences`: 1, 16 or 64 audiences (`limits::MAX_AUDIENCES`), this API's
  last.

The output is deterministic (decoy secrets are SHA-256 of their index).
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_tokens import (  # noqa: E402
    AUDIENCE, EXP, ISSUER, KEYS, NOW, b64u, b64u_decode, compact, load_private, sign,
)

SCOPE = "read:appointments"


def main() -> None:
    out = sys.argv[1]
    ec_key = load_private("ec-1.pem")
    with open(os.path.join(KEYS, "hs-64.secret"), encoding="ascii") as f:
        secret = b64u_decode(f.read().strip())
    n = ec_key.public_key().public_numbers()
    real = {
        "HS256": {"kty": "oct", "kid": "hs-64", "k": b64u(secret)},
        "ES256": {"kty": "EC", "kid": "ec-1", "crv": "P-256",
                  "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))},
    }

    def jwks(alg: str, count: int) -> str:
        decoys = [{"kty": "oct", "kid": f"decoy-{i}",
                   "k": b64u(hashlib.sha256(i.to_bytes(4, "big")).digest())}
                  for i in range(count - 1)]
        return json.dumps({"keys": decoys + [real[alg]]}, separators=(",", ":"))

    def token(alg: str, **extra) -> str:
        claims = {"iss": ISSUER, "sub": "user-123", "aud": AUDIENCE, "client_id": "client-app",
                  "iat": NOW - 10, "exp": EXP, "jti": "at-7f3c2a", "scope": SCOPE}
        claims.update(extra)
        header = {"alg": alg, "typ": "at+jwt", "kid": real[alg]["kid"]}
        signing_input = (b64u(compact(header)) + "." + b64u(compact(claims))).encode()
        return signing_input.decode() + "." + b64u(sign(alg, None, ec_key, secret, signing_input))

    rows = []
    for alg in ("HS256", "ES256"):
        one = jwks(alg, 1)
        for count in (1, 16, 256):
            rows.append({"alg": alg, "what": "keys", "n": count, "jwks": jwks(alg, count),
                         "token": token(alg)})
        for kib in (0, 1, 4, 10):
            rows.append({"alg": alg, "what": "size", "n": kib, "jwks": one,
                         "token": token(alg, pad="x" * (kib * 1024))})
        for count in (1, 16, 256):
            scopes = " ".join([f"other:{i}" for i in range(count - 1)] + [SCOPE])
            rows.append({"alg": alg, "what": "scopes", "n": count, "jwks": one,
                         "token": token(alg, scope=scopes)})
        for count in (1, 16, 64):
            auds = [f"https://other-{i}.example" for i in range(count - 1)] + [AUDIENCE]
            rows.append({"alg": alg, "what": "audiences", "n": count, "jwks": one,
                         "token": token(alg, aud=auds if count > 1 else AUDIENCE)})
    doc = {"now": NOW, "issuer": ISSUER, "audience": AUDIENCE, "scope": SCOPE, "rows": rows}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

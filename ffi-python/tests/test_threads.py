"""One validator shared by 8 threads gives every thread the right answer
(validators and key sets are immutable; the GIL is released while the core
verifies)."""

from __future__ import annotations

import threading

import tokenlane
from conftest import ALL_ALGS, Keys, access_claims, access_validator
from test_interop import mint_pyjwt


def test_eight_threads_share_one_validator(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    api = access_validator(keyset, required_scopes=["read:appointments"])
    good = {
        alg: mint_pyjwt(keys, alg, {"kid": Keys.kid(alg), "typ": "at+jwt"}, access_claims(now, sub=f"user-{alg}"))
        for alg in ALL_ALGS
    }
    expired = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now, exp=now - 3600))
    errors: list[str] = []
    barrier = threading.Barrier(8)

    def worker(index: int) -> None:
        barrier.wait()
        for round_ in range(30):
            alg = ALL_ALGS[(index + round_) % len(ALL_ALGS)]
            try:
                tok = api.validate(good[alg])
                if tok.sub != f"user-{alg}":
                    errors.append(f"thread {index}: {alg} gave sub {tok.sub}")
            except tokenlane.TokenError as e:
                errors.append(f"thread {index}: {alg} refused: {e}")
            try:
                api.validate(expired)
                errors.append(f"thread {index}: expired token accepted")
            except tokenlane.Expired:
                pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_key_rotation_builds_a_new_validator_and_leaves_the_old_one_working(
    keys: Keys, keyset: tokenlane.KeySet, now: int
) -> None:
    api = access_validator(keyset, algorithms=["ES256"])
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now))
    rotated = api.with_keys(tokenlane.KeySet.from_secret(b"k" * 32, kid="hs-2"))
    assert api.validate(token).sub == "user-123"
    try:
        rotated.validate(token)
    except tokenlane.KeyNotFound:
        pass
    else:
        raise AssertionError("the rotated validator must not know ec-1")


def test_validate_releases_the_gil(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    """With a 10 s switch interval, a thread waiting for the GIL only runs
    this soon if ``validate`` releases it."""
    import sys
    import time

    api = access_validator(keyset, algorithms=["RS256"])
    token = mint_pyjwt(keys, "RS256", {"kid": "rsa-1", "typ": "at+jwt"}, access_claims(now))
    go = threading.Event()
    ran = []
    other = threading.Thread(target=lambda: (go.wait(), ran.append(True)))
    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        other.start()
        go.set()  # `other` now waits for the GIL, which this thread holds
        deadline = time.monotonic() + 2.0
        while not ran and time.monotonic() < deadline:
            api.validate(token)
        ran_in_time = bool(ran)  # before join(), which releases the GIL
    finally:
        sys.setswitchinterval(old)
        other.join(timeout=30)
    assert ran_in_time, "another thread could not run while validate was called in a loop"

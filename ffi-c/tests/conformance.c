/*
 * Runs every case of tests/conformance/cases.json (converted to the line
 * format by cases_to_lines.py) through the C ABI: key loading cases compare
 * the loaded and skipped counts or the error; token cases compare the code,
 * and for accepted tokens sub, client_id and the scopes in token order;
 * Authorization header cases go through tokenlane_bearer_token; request
 * cases through tokenlane_access_validator_authorize (the code, the
 * binding, and the challenge's scheme by tokenlane_request_challenge).
 *
 * Usage: conformance CASES.txt
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "tokenlane.h"

static unsigned long passed, failed;

static void verdict(const char *name, int ok, const char *why) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s: %s\n", name, why);
    }
}

static void run_keycase(const tl_keycase *kc) {
    tokenlane_keyset *set = NULL;
    char why[256];
    tokenlane_result rc = tl_load_source(&kc->source, &set, NULL);
    if (kc->error[0] != '\0') {
        uint32_t want = tl_code_from_name(kc->error);
        snprintf(why, sizeof why, "got %s, expected %s", tokenlane_error_code_str((uint32_t)rc), kc->error);
        verdict(kc->name, (uint32_t)rc == want, why);
    } else if (rc != TOKENLANE_RESULT_OK) {
        snprintf(why, sizeof why, "got %s, expected the key to load", tokenlane_error_code_str((uint32_t)rc));
        verdict(kc->name, 0, why);
    } else {
        size_t loaded = tokenlane_keyset_len(set), skipped = tokenlane_keyset_skipped_count(set);
        snprintf(why, sizeof why, "loaded %lu skipped %lu, expected %ld and %ld", (unsigned long)loaded,
                 (unsigned long)skipped, kc->loaded, kc->skipped);
        verdict(kc->name, (long)loaded == kc->loaded && (long)skipped == kc->skipped, why);
    }
    tokenlane_keyset_free(set);
}

static void run_case(const tl_cases *all, const tl_case *c, tokenlane_error_detail *detail) {
    const tl_keyset_def *def = tl_find_keyset(all, c->keyset);
    tokenlane_keyset *keys = NULL;
    tokenlane_access_validator *access = NULL;
    tokenlane_id_validator *id = NULL;
    char why[512], mismatch[256], message[256];
    size_t message_len = 0;
    uint32_t got, want;
    tokenlane_result rc;
    if (def == NULL || tl_build_keyset(def, &keys) != TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "keyset does not load");
        return;
    }
    rc = tl_build_validator(c, keys, &access, &id, detail);
    tokenlane_keyset_free(keys); /* the validator holds its own reference */
    if (rc != TOKENLANE_RESULT_OK) {
        tokenlane_error_detail_message(detail, message, sizeof message, &message_len);
        snprintf(why, sizeof why, "validator refused: %s", message);
        verdict(c->name, 0, why);
        return;
    }
    got = tl_validate_case(c, access, id, detail, mismatch, sizeof mismatch);
    want = c->expect_ok ? 0u : tl_code_from_name(c->expect_error);
    message[0] = '\0';
    tokenlane_error_detail_message(detail, message, sizeof message, &message_len);
    if (tokenlane_error_detail_code(detail) != (tokenlane_result)got) {
        snprintf(why, sizeof why, "detail code %u differs from the result %u", (unsigned)tokenlane_error_detail_code(detail),
                 (unsigned)got);
        verdict(c->name, 0, why);
    } else if (got != want) {
        snprintf(why, sizeof why, "got %s (%s), expected %s", tokenlane_error_code_str(got), message,
                 tokenlane_error_code_str(want));
        verdict(c->name, 0, why);
    } else {
        verdict(c->name, mismatch[0] == '\0', mismatch);
    }
    tokenlane_access_validator_free(access);
    tokenlane_id_validator_free(id);
}

static void run_authcase(const tl_authcase *a, tokenlane_error_detail *detail) {
    const char *tok = NULL;
    size_t tok_len = 0, hlen = 0;
    char why[512], challenge[256];
    /* A NULL header is "the request has no Authorization header". */
    tokenlane_result rc = tokenlane_bearer_token(a->header.data, a->header.len, &tok, &tok_len, detail);
    if (a->token.data != NULL) {
        snprintf(why, sizeof why, "got %s, expected the token", tokenlane_error_code_str((uint32_t)rc));
        verdict(a->name,
                rc == TOKENLANE_RESULT_OK && tok_len == a->token.len && memcmp(tok, a->token.data, tok_len) == 0 &&
                    tok >= a->header.data && tok + tok_len <= a->header.data + a->header.len,
                why);
        return;
    }
    snprintf(why, sizeof why, "got %s, expected %s", tokenlane_error_code_str((uint32_t)rc), a->expect_error);
    if ((uint32_t)rc != tl_code_from_name(a->expect_error) || tok != NULL || tokenlane_error_detail_code(detail) != rc) {
        verdict(a->name, 0, why);
        return;
    }
    /* The challenge: no error for missing_token (RFC 6750 §3.1), 400 and
     * invalid_request otherwise. */
    if (tokenlane_error_www_authenticate((uint32_t)rc, "api", 3, NULL, 0, challenge, sizeof challenge, &hlen) !=
        TOKENLANE_RESULT_OK) {
        verdict(a->name, 0, "no challenge");
    } else if (rc == TOKENLANE_RESULT_MISSING_TOKEN) {
        verdict(a->name, strcmp(challenge, "Bearer realm=\"api\"") == 0 && tokenlane_error_http_status((uint32_t)rc) == 401,
                challenge);
    } else {
        verdict(a->name,
                strstr(challenge, "error=\"invalid_request\"") != NULL && tokenlane_error_http_status((uint32_t)rc) == 400,
                challenge);
    }
}

/* The replay store and nonce of a request case: `seen` pre-filled, one
 * more jti recorded per call (each case makes one request). */
typedef struct {
    const tl_case *c;
    char added[8][128];
    size_t n_added;
} req_hooks;

static bool nonce_ok(void *ctx, const char *nonce, size_t len, uint64_t now) {
    const req_hooks *h = ctx;
    (void)now;
    return h->c->dnonce.data != NULL && h->c->dnonce.len == len && memcmp(h->c->dnonce.data, nonce, len) == 0;
}

static uint32_t check_replay(void *ctx, const char *jti, size_t jti_len, const char *jkt, size_t jkt_len, uint64_t iat,
                             uint64_t now) {
    req_hooks *h = ctx;
    size_t i;
    (void)jkt, (void)jkt_len, (void)iat, (void)now;
    for (i = 0; i < h->c->n_seen; i++) {
        if (h->c->seen[i].len == jti_len && memcmp(h->c->seen[i].data, jti, jti_len) == 0) return TOKENLANE_REPLAY_REPLAYED;
    }
    for (i = 0; i < h->n_added; i++) {
        if (strlen(h->added[i]) == jti_len && memcmp(h->added[i], jti, jti_len) == 0) return TOKENLANE_REPLAY_REPLAYED;
    }
    if (h->n_added == 8 || jti_len >= sizeof h->added[0]) return TOKENLANE_REPLAY_STORE_FAILED;
    memcpy(h->added[h->n_added], jti, jti_len);
    h->added[h->n_added++][jti_len] = '\0';
    return TOKENLANE_REPLAY_FRESH;
}

static uint32_t alg_bit(const char *name) {
    static const struct {
        const char *name;
        uint32_t bit;
    } table[] = {{"RS256", TOKENLANE_ALG_RS256}, {"RS384", TOKENLANE_ALG_RS384}, {"RS512", TOKENLANE_ALG_RS512},
                 {"PS256", TOKENLANE_ALG_PS256}, {"PS384", TOKENLANE_ALG_PS384}, {"PS512", TOKENLANE_ALG_PS512},
                 {"ES256", TOKENLANE_ALG_ES256}, {"HS256", TOKENLANE_ALG_HS256}, {"HS384", TOKENLANE_ALG_HS384},
                 {"HS512", TOKENLANE_ALG_HS512}, {"ES384", TOKENLANE_ALG_ES384}, {"ES512", TOKENLANE_ALG_ES512},
                 {"EdDSA", TOKENLANE_ALG_EDDSA}, {"Ed25519", TOKENLANE_ALG_ED25519}};
    size_t i;
    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].name, name) == 0) return table[i].bit;
    }
    return 0;
}

/* A request case through tokenlane_access_validator_authorize: the exact
 * code, or the binding; and the challenge of a refusal names the scheme
 * (`DPoP` for a proof or nonce refusal, no error for missing_token). */
static void run_reqcase(const tl_cases *all, const tl_case *c, tokenlane_error_detail *detail) {
    const tl_keyset_def *def = tl_find_keyset(all, c->keyset);
    tokenlane_keyset *keys = NULL;
    tokenlane_access_validator *access = NULL;
    tokenlane_id_validator *id = NULL;
    tokenlane_access_token *tok = NULL;
    tokenlane_binding bind;
    tokenlane_header authz[4], dpop[4];
    tokenlane_request facts;
    tokenlane_dpop_hooks hooks;
    tokenlane_dpop_options options;
    tokenlane_replay_store *store = NULL;
    tokenlane_nonce_issuer *issuer = NULL;
    char fresh[TOKENLANE_NONCE_LEN + 1];
    req_hooks state;
    char why[1024], message[256], challenge[512];
    size_t i, message_len = 0, clen = 0;
    uint32_t got, want;
    if (def == NULL || tl_build_keyset(def, &keys) != TOKENLANE_RESULT_OK || c->n_authz > 4 || c->n_dpop > 4) {
        verdict(c->name, 0, "keyset does not load");
        tokenlane_keyset_free(keys);
        return;
    }
    if (tl_build_validator(c, keys, &access, &id, detail) != TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "validator refused");
        tokenlane_keyset_free(keys);
        return;
    }
    tokenlane_keyset_free(keys);
    for (i = 0; i < c->n_authz; i++) authz[i] = (tokenlane_header){c->authz[i].data, c->authz[i].len};
    for (i = 0; i < c->n_dpop; i++) dpop[i] = (tokenlane_header){c->dpop[i].data, c->dpop[i].len};
    facts = (tokenlane_request){c->method.data, c->method.len, c->uri.data, c->uri.len,
                                c->n_authz ? authz : NULL, c->n_authz, c->n_dpop ? dpop : NULL, c->n_dpop,
                                c->cert.len == 32 ? (const uint8_t *)c->cert.data : NULL};
    memset(&state, 0, sizeof state);
    state.c = c;
    /* A pre-filled replay store is the test's callback; otherwise the
     * library's own bounded store. A nonce key is the library's issuer. */
    hooks = (tokenlane_dpop_hooks){&state, c->dnonce.data != NULL, nonce_ok, c->n_seen ? check_replay : NULL};
    if (tokenlane_dpop_options_init(&options, sizeof options) != TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "options_init failed");
        tokenlane_access_validator_free(access);
        return;
    }
    options.mode = c->mode;
    options.iat_window = c->window;
    options.hooks = &hooks;
    for (i = 0; i < c->n_palgs; i++) options.proof_algorithms |= alg_bit(c->palgs[i]);
    if (c->n_seen == 0 && tokenlane_replay_store_new(16, c->window, &store, detail) != TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "replay store refused");
        tokenlane_access_validator_free(access);
        return;
    }
    options.replay_store = store;
    if (c->nkey.data != NULL &&
        tokenlane_nonce_issuer_new((const uint8_t *)c->nkey.data, c->nkey.len, c->nbucket, &issuer, detail) !=
            TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "nonce issuer refused");
        tokenlane_replay_store_free(store);
        tokenlane_access_validator_free(access);
        return;
    }
    options.nonce_issuer = issuer;
    memset(&bind, 0xAB, sizeof bind);
    got = (uint32_t)tokenlane_access_validator_authorize(access, &facts, c->now, &options, &tok, &bind, detail);
    /* The DPoP-Nonce of the response: the binding's on success, the
     * issuer's current one on a refusal. */
    fresh[0] = '\0';
    if (issuer != NULL && got != 0 &&
        tokenlane_nonce_issuer_issue(issuer, c->now, fresh, sizeof fresh, &clen) != TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "nonce_issuer_issue failed");
    }
    want = c->expect_ok ? 0u : tl_code_from_name(c->expect_error);
    message[0] = '\0';
    tokenlane_error_detail_message(detail, message, sizeof message, &message_len);
    if (got != want) {
        snprintf(why, sizeof why, "got %s (%s), expected %s", tokenlane_error_code_str(got), message,
                 tokenlane_error_code_str(want));
        verdict(c->name, 0, why);
    } else if (got == 0) {
        snprintf(why, sizeof why, "binding %u %s %d, expected %d %s %d", (unsigned)bind.scheme, bind.jkt,
                 (int)bind.certificate, c->bind_dpop, c->bind_jkt, c->bind_cert);
        verdict(c->name,
                tok != NULL && bind.scheme == (uint32_t)c->bind_dpop && strcmp(bind.jkt, c->bind_jkt) == 0 &&
                    bind.certificate == (bool)c->bind_cert && strcmp(bind.dpop_nonce, c->rnonce) == 0 &&
                    (store == NULL || tokenlane_replay_store_len(store) == (bind.scheme == 1 ? 1u : 0u)),
                why);
    } else if (tok != NULL || tokenlane_error_detail_code(detail) != (tokenlane_result)got) {
        verdict(c->name, 0, "a refusal wrote the token, or the detail differs");
    } else if (issuer != NULL && strcmp(fresh, c->rnonce) != 0) {
        snprintf(why, sizeof why, "refusal nonce %s, expected %s", fresh, c->rnonce);
        verdict(c->name, 0, why);
    } else if (store != NULL && tokenlane_replay_store_len(store) != 0) {
        verdict(c->name, 0, "a refused request was recorded in the replay store");
    } else if (tokenlane_request_challenge(got, &options, &facts, "api", 3, NULL, 0, challenge, sizeof challenge,
                                           &clen) != TOKENLANE_RESULT_OK) {
        verdict(c->name, 0, "no challenge");
    } else {
        int dpop_error = got == TOKENLANE_RESULT_INVALID_DPOP_PROOF || got == TOKENLANE_RESULT_USE_DPOP_NONCE;
        const char *dpop_at = strstr(challenge, "DPoP realm=\"api\", algs=\"");
        const char *error_at = strstr(challenge, "error=\"");
        int ok = got == TOKENLANE_RESULT_MISSING_TOKEN ? error_at == NULL
                 : dpop_error                          ? dpop_at != NULL && error_at > dpop_at
                                                       : error_at != NULL;
        snprintf(why, sizeof why, "challenge for %s: %s", c->expect_error, challenge);
        verdict(c->name, ok && clen == strlen(challenge), why);
    }
    tokenlane_access_token_free(tok);
    tokenlane_access_validator_free(access);
    tokenlane_replay_store_free(store);
    tokenlane_nonce_issuer_free(issuer);
}

/* The library's replay store across requests: an accepted request's proof
 * is refused the second time (INVALID_DPOP_PROOF), a full store refuses a
 * new proof as REPLAY_CHECK_FAILED (HTTP 500) rather than evict, a store
 * whose window is shorter than the options' is INVALID_ARGUMENT, and so
 * are a store and a callback together. */
static void run_replay_store(const tl_cases *all, tokenlane_error_detail *detail) {
    const tl_case *a = NULL, *b = NULL;
    const tl_case *pair[2];
    tokenlane_replay_store *store = NULL;
    tokenlane_dpop_options options;
    tokenlane_dpop_hooks hooks = {NULL, false, NULL, check_replay};
    uint32_t want[4] = {TOKENLANE_RESULT_OK, TOKENLANE_RESULT_INVALID_DPOP_PROOF, TOKENLANE_RESULT_REPLAY_CHECK_FAILED,
                        TOKENLANE_RESULT_INVALID_DPOP_PROOF};
    size_t i, k;
    char why[256];
    for (i = 0; i < all->n_reqcases; i++) {
        if (strcmp(all->reqcases[i].name, "dpop_bound_token_with_valid_proof") == 0) a = &all->reqcases[i];
        if (strcmp(all->reqcases[i].name, "dpop_rsa_proof_key") == 0) b = &all->reqcases[i];
    }
    if (a == NULL || b == NULL || tokenlane_replay_store_new(1, 60, &store, detail) != TOKENLANE_RESULT_OK) {
        verdict("replay_store", 0, "cases or store missing");
        return;
    }
    pair[0] = a;
    pair[1] = b;
    /* a (recorded), a again (replayed), b (full), a again (still replayed). */
    for (k = 0; k < 5; k++) {
        const tl_case *c = k == 2 ? pair[1] : pair[0];
        const tl_keyset_def *def = tl_find_keyset(all, c->keyset);
        tokenlane_keyset *keys = NULL;
        tokenlane_access_validator *access = NULL;
        tokenlane_id_validator *id = NULL;
        tokenlane_access_token *tok = NULL;
        tokenlane_binding bind;
        tokenlane_header authz = {c->authz[0].data, c->authz[0].len}, dpop = {c->dpop[0].data, c->dpop[0].len};
        tokenlane_request facts = {c->method.data, c->method.len, c->uri.data, c->uri.len, &authz, 1, &dpop, 1, NULL};
        uint32_t got, expect;
        if (def == NULL || tl_build_keyset(def, &keys) != TOKENLANE_RESULT_OK ||
            tl_build_validator(c, keys, &access, &id, detail) != TOKENLANE_RESULT_OK) {
            verdict("replay_store", 0, "validator refused");
            tokenlane_keyset_free(keys);
            break;
        }
        tokenlane_keyset_free(keys);
        tokenlane_dpop_options_init(&options, sizeof options);
        options.mode = TOKENLANE_DPOP_ALLOWED;
        options.proof_algorithms = TOKENLANE_ALG_ES256 | TOKENLANE_ALG_RS256;
        options.replay_store = store;
        if (k == 4) {
            /* The store remembers 60 s; a 61 s window could let a proof be
             * replayed; and a callback with a store is ambiguous. */
            options.iat_window = 61;
            got = (uint32_t)tokenlane_access_validator_authorize(access, &facts, c->now, &options, &tok, &bind, detail);
            options.iat_window = 0;
            options.hooks = &hooks;
            expect = (uint32_t)tokenlane_access_validator_authorize(access, &facts, c->now, &options, &tok, &bind,
                                                                    detail);
            snprintf(why, sizeof why, "got %s and %s", tokenlane_error_code_str(got), tokenlane_error_code_str(expect));
            verdict("replay_store_options_refused",
                    got == TOKENLANE_RESULT_INVALID_ARGUMENT && expect == TOKENLANE_RESULT_INVALID_ARGUMENT && tok == NULL,
                    why);
        } else {
            got = (uint32_t)tokenlane_access_validator_authorize(access, &facts, c->now, &options, &tok, &bind, detail);
            snprintf(why, sizeof why, "request %lu: got %s, expected %s", (unsigned long)k, tokenlane_error_code_str(got),
                     tokenlane_error_code_str(want[k]));
            verdict(k == 0   ? "replay_store_records_an_accepted_proof"
                    : k == 1 ? "replay_store_refuses_the_replay"
                    : k == 2 ? "replay_store_full_is_a_server_error_never_an_accept"
                             : "replay_store_keeps_a_live_entry_when_full",
                    got == want[k] && tokenlane_replay_store_len(store) == 1, why);
        }
        tokenlane_access_token_free(tok);
        tokenlane_access_validator_free(access);
    }
    tokenlane_replay_store_free(store);
}

int main(int argc, char **argv) {
    tl_cases all;
    tokenlane_error_detail *detail = NULL;
    size_t i;
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASES.txt\n", argv[0]);
        return 2;
    }
    if (tl_cases_load(argv[1], &all) != 0) return 2;
    if (tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK) return 2;
    for (i = 0; i < all.n_keycases; i++) run_keycase(&all.keycases[i]);
    for (i = 0; i < all.n_cases; i++) run_case(&all, &all.cases[i], detail);
    for (i = 0; i < all.n_authcases; i++) run_authcase(&all.authcases[i], detail);
    for (i = 0; i < all.n_reqcases; i++) run_reqcase(&all, &all.reqcases[i], detail);
    run_replay_store(&all, detail);
    tokenlane_error_detail_free(detail);
    printf("conformance (C ABI): %lu key cases, %lu token cases, %lu Authorization header cases, %lu request "
           "cases\n",
           (unsigned long)all.n_keycases, (unsigned long)all.n_cases, (unsigned long)all.n_authcases,
           (unsigned long)all.n_reqcases);
    tl_cases_free(&all);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

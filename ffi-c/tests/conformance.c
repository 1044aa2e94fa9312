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
    hooks = (tokenlane_dpop_hooks){&state, c->dnonce.data != NULL, nonce_ok, check_replay};
    options = (tokenlane_dpop_options){c->mode, 0, c->window, &hooks};
    for (i = 0; i < c->n_palgs; i++) options.proof_algorithms |= alg_bit(c->palgs[i]);
    memset(&bind, 0xAB, sizeof bind);
    got = (uint32_t)tokenlane_access_validator_authorize(access, &facts, c->now, &options, &tok, &bind, detail);
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
                    bind.certificate == (bool)c->bind_cert,
                why);
    } else if (tok != NULL || tokenlane_error_detail_code(detail) != (tokenlane_result)got) {
        verdict(c->name, 0, "a refusal wrote the token, or the detail differs");
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
    tokenlane_error_detail_free(detail);
    printf("conformance (C ABI): %lu key cases, %lu token cases, %lu Authorization header cases, %lu request "
           "cases\n",
           (unsigned long)all.n_keycases, (unsigned long)all.n_cases, (unsigned long)all.n_authcases,
           (unsigned long)all.n_reqcases);
    tl_cases_free(&all);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

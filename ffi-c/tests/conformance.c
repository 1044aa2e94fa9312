/*
 * Runs every case of tests/conformance/cases.json (converted to the line
 * format by cases_to_lines.py) through the C ABI: key loading cases compare
 * the loaded and skipped counts or the error; token cases compare the code,
 * and for accepted tokens sub, client_id and the scopes in token order.
 *
 * Usage: conformance CASES.txt
 */
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
    tokenlane_error_detail_free(detail);
    printf("conformance (C ABI): %lu key cases, %lu token cases, %lu Authorization header cases\n",
           (unsigned long)all.n_keycases, (unsigned long)all.n_cases, (unsigned long)all.n_authcases);
    tl_cases_free(&all);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

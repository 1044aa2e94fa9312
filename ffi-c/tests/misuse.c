/*
 * API contract tests: NULL pointers, bad text, too-small buffers, unknown
 * numbers, configurations a lane refuses, `_free(NULL)`, and outputs left
 * untouched on failure. With -DTL_EXPECT_SANITIZERS it also proves that
 * AddressSanitizer really was compiled in and linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenlane.h"

#ifdef TL_EXPECT_SANITIZERS
#ifndef __SANITIZE_ADDRESS__
#error "TL_EXPECT_SANITIZERS is set but this build has no -fsanitize=address"
#endif
/* Resolved only when the ASan runtime is linked in. */
extern void __asan_init(void) __attribute__((weak));
#endif

#include "check.h"

/* RFC 7515 Appendix A.1's HMAC key, and a JWKS with one encryption key
 * that is skipped. */
static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
    "\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"},"
    "{\"kty\":\"oct\",\"kid\":\"e1\",\"use\":\"enc\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr8\"}]}";

static tokenlane_validator_config *good_config(void) {
    tokenlane_validator_config *cfg = NULL;
    if (tokenlane_validator_config_new(&cfg) != TOKENLANE_RESULT_OK) exit(2);
    tokenlane_validator_config_set_issuer(cfg, S("https://issuer.example/"));
    tokenlane_validator_config_add_audience(cfg, S("https://api.example"));
    tokenlane_validator_config_set_algorithms(cfg, TOKENLANE_ALG_ES256 | TOKENLANE_ALG_HS256);
    return cfg;
}

static void free_null_is_fine(void) {
    tokenlane_keyset_free(NULL);
    tokenlane_validator_config_free(NULL);
    tokenlane_access_validator_free(NULL);
    tokenlane_id_validator_free(NULL);
    tokenlane_access_token_free(NULL);
    tokenlane_id_token_free(NULL);
    tokenlane_error_detail_free(NULL);
    CHECK("every _free accepts NULL", 1);
}

static void null_parameters_are_refused(void) {
    tokenlane_keyset *ks = NULL;
    tokenlane_validator_config *cfg = good_config();
    tokenlane_access_validator *v = NULL;
    tokenlane_access_token *tok = (tokenlane_access_token *)&ks; /* sentinel, never dereferenced */
    tokenlane_access_token *const sentinel = tok;
    const char *s = NULL;
    size_t len = 0;
    uint64_t n = 0;

    CHECK("keyset_new(NULL)", tokenlane_keyset_new(NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_jwks NULL data", tokenlane_keyset_from_jwks(NULL, 5, &ks, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_jwks NULL data, zero length",
          tokenlane_keyset_from_jwks(NULL, 0, &ks, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_jwks NULL out", tokenlane_keyset_from_jwks(S(JWKS), NULL, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_secret NULL secret",
          tokenlane_keyset_from_secret(NULL, 32, NULL, 0, NULL, 0, &ks, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_pem NULL pem",
          tokenlane_keyset_from_pem(NULL, 10, NULL, 0, NULL, 0, &ks, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_der NULL der",
          tokenlane_keyset_from_der(NULL, 10, NULL, 0, NULL, 0, &ks, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("keyset_extend NULL", tokenlane_keyset_extend(NULL, NULL, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("config_new(NULL)", tokenlane_validator_config_new(NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("set_issuer NULL config",
          tokenlane_validator_config_set_issuer(NULL, S("x")) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("set_issuer NULL issuer",
          tokenlane_validator_config_set_issuer(cfg, NULL, 3) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("set_leeway NULL config", tokenlane_validator_config_set_leeway(NULL, 1) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("validator_new NULL keyset",
          tokenlane_access_validator_new(cfg, NULL, &v, NULL) == TOKENLANE_RESULT_NULL_PARAMETER && v == NULL);
    CHECK("validator_new NULL config",
          tokenlane_access_validator_new(NULL, NULL, &v, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("validate NULL validator",
          tokenlane_access_validator_validate(NULL, S("a.b.c"), 0, &tok, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("id validate NULL validator",
          tokenlane_id_validator_validate(NULL, S("a.b.c"), 0, NULL, NULL, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("set_keys NULL", tokenlane_access_validator_set_keys(NULL, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("out untouched", tok == sentinel);
    CHECK("token getter NULL token",
          tokenlane_access_token_sub(NULL, &s, &len) == TOKENLANE_RESULT_NULL_PARAMETER && s == NULL && len == 0);
    CHECK("iat NULL token", tokenlane_access_token_iat(NULL, &n) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("id auth_time NULL token", tokenlane_id_token_auth_time(NULL, &n) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("counts of NULL are 0", tokenlane_access_token_aud_count(NULL) == 0 &&
                                      tokenlane_access_token_scope_count(NULL) == 0 &&
                                      tokenlane_id_token_aud_count(NULL) == 0 && tokenlane_keyset_len(NULL) == 0 &&
                                      tokenlane_keyset_skipped_count(NULL) == 0);
    CHECK("has_scope of NULL is false", !tokenlane_access_token_has_scope(NULL, S("read")));
    CHECK("exp of NULL is 0", tokenlane_access_token_exp(NULL) == 0 && tokenlane_id_token_exp(NULL) == 0);
    CHECK("detail_message NULL detail",
          tokenlane_error_detail_message(NULL, NULL, 0, &len) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("detail_code NULL", tokenlane_error_detail_code(NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    tokenlane_validator_config_free(cfg);
}

static void bad_text_and_numbers_are_invalid_arguments(void) {
    tokenlane_validator_config *cfg = good_config();
    tokenlane_keyset *ks = NULL;
    CHECK("non-UTF-8 issuer",
          tokenlane_validator_config_set_issuer(cfg, "\xff\xfe", 2) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("non-UTF-8 audience",
          tokenlane_validator_config_add_audience(cfg, "a\xc3", 2) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("alg none is not a name", tokenlane_validator_config_add_algorithm(cfg, S("none")) ==
                                        TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("alg names are case-sensitive", tokenlane_validator_config_add_algorithm(cfg, S("hs256")) ==
                                              TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("alg by name", tokenlane_validator_config_add_algorithm(cfg, S("PS256")) == TOKENLANE_RESULT_OK);
    CHECK("issue 20 algorithm bits", tokenlane_validator_config_set_algorithms(
                                         cfg, TOKENLANE_ALG_ES384 | TOKENLANE_ALG_ES512 | TOKENLANE_ALG_EDDSA |
                                                  TOKENLANE_ALG_ED25519) == TOKENLANE_RESULT_OK);
    CHECK("alg EdDSA by name", tokenlane_validator_config_add_algorithm(cfg, S("EdDSA")) == TOKENLANE_RESULT_OK);
    CHECK("unknown algorithm bit",
          tokenlane_validator_config_set_algorithms(cfg, 1u << 20) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("unknown typ mode", tokenlane_validator_config_set_typ_mode(cfg, 7) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("unknown key alg name", tokenlane_keyset_from_secret((const uint8_t *)"0123456789abcdef0123456789abcdef", 32,
                                                               NULL, 0, S("HS1"), &ks, NULL) ==
                                      TOKENLANE_RESULT_INVALID_ARGUMENT && ks == NULL);
    CHECK("short secret is invalid_key", tokenlane_keyset_from_secret((const uint8_t *)"short", 5, NULL, 0, NULL, 0,
                                                                      &ks, NULL) == TOKENLANE_RESULT_INVALID_KEY);
    tokenlane_validator_config_free(cfg);
}

static void buffers_report_the_needed_length(void) {
    tokenlane_error_detail *d = NULL;
    tokenlane_keyset *ks = NULL;
    char buf[512];
    size_t len = 0, needed = 0;
    CHECK("detail_new", tokenlane_error_detail_new(&d) == TOKENLANE_RESULT_OK);
    CHECK("garbage JWKS is invalid_key", tokenlane_keyset_from_jwks(S("{not json"), &ks, d) ==
                                             TOKENLANE_RESULT_INVALID_KEY && ks == NULL);
    CHECK("detail code follows", tokenlane_error_detail_code(d) == TOKENLANE_RESULT_INVALID_KEY);
    CHECK("length query", tokenlane_error_detail_message(d, NULL, 0, &needed) == TOKENLANE_RESULT_BUFFER_TOO_SMALL &&
                              needed > 0);
    memset(buf, 'X', sizeof buf);
    CHECK("too small", tokenlane_error_detail_message(d, buf, 4, &len) == TOKENLANE_RESULT_BUFFER_TOO_SMALL &&
                           len == needed);
    CHECK("too small buffer untouched", buf[0] == 'X' && buf[3] == 'X');
    CHECK("no room for the NUL",
          tokenlane_error_detail_message(d, buf, needed, &len) == TOKENLANE_RESULT_BUFFER_TOO_SMALL && buf[0] == 'X');
    CHECK("exact fit", tokenlane_error_detail_message(d, buf, needed + 1, &len) == TOKENLANE_RESULT_OK &&
                           len == needed && strlen(buf) == needed);
    CHECK("message names the fault", strstr(buf, "JSON") != NULL);
    CHECK("NULL buffer with a length",
          tokenlane_error_detail_message(d, NULL, 8, &len) == TOKENLANE_RESULT_NULL_PARAMETER);
    /* A successful call clears the detail. */
    CHECK("good JWKS loads", tokenlane_keyset_from_jwks(S(JWKS), &ks, d) == TOKENLANE_RESULT_OK);
    CHECK("detail cleared", tokenlane_error_detail_code(d) == TOKENLANE_RESULT_OK &&
                                tokenlane_error_detail_message(d, buf, sizeof buf, &len) == TOKENLANE_RESULT_OK &&
                                len == 0 && buf[0] == '\0');
    CHECK("skipped enc key reported", tokenlane_keyset_len(ks) == 1 && tokenlane_keyset_skipped_count(ks) == 1);
    CHECK("a key set extended with itself", tokenlane_keyset_extend(ks, ks, d) == TOKENLANE_RESULT_OK &&
                                                tokenlane_keyset_len(ks) == 2 &&
                                                tokenlane_keyset_skipped_count(ks) == 2);
    {
        size_t pos = 99;
        tokenlane_skip_reason reason = TOKENLANE_SKIP_REASON_OTHER;
        CHECK("skipped_get", tokenlane_keyset_skipped_get(ks, 0, &pos, &reason) == TOKENLANE_RESULT_OK && pos == 1 &&
                                 reason == TOKENLANE_SKIP_REASON_NOT_FOR_VERIFYING);
        CHECK("skip phrase", strstr(tokenlane_skip_reason_str(reason), "verification") != NULL &&
                                 strcmp(tokenlane_skip_reason_str(12345), "unknown") == 0);
        CHECK("skipped_get out of range",
              tokenlane_keyset_skipped_get(ks, 2, &pos, &reason) == TOKENLANE_RESULT_INVALID_ARGUMENT && pos == 1);
    }
    tokenlane_keyset_free(ks);
    tokenlane_error_detail_free(d);
}

static void www_authenticate_values(void) {
    char buf[256];
    size_t len = 0, needed = 0, expired_len = 0;
    CHECK("insufficient_scope header",
          tokenlane_error_www_authenticate(TOKENLANE_RESULT_INSUFFICIENT_SCOPE, S("api"), S("read write"), buf,
                                           sizeof buf, &len) == TOKENLANE_RESULT_OK &&
              strcmp(buf, "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"the token lacks a "
                          "required scope\", scope=\"read write\"") == 0 &&
              len == strlen(buf));
    CHECK("expired header without realm",
          tokenlane_error_www_authenticate(TOKENLANE_RESULT_EXPIRED, NULL, 0, NULL, 0, buf, sizeof buf,
                                           &expired_len) == TOKENLANE_RESULT_OK &&
              strstr(buf, "Bearer error=\"invalid_token\"") == buf && strlen(buf) == expired_len);
    CHECK("realm quotes dropped",
          tokenlane_error_www_authenticate(TOKENLANE_RESULT_MALFORMED, S("a\"b\\c"), NULL, 0, buf, sizeof buf, &len) ==
                  TOKENLANE_RESULT_OK &&
              strstr(buf, "realm=\"abc\"") != NULL);
    CHECK("length query", tokenlane_error_www_authenticate(TOKENLANE_RESULT_EXPIRED, NULL, 0, NULL, 0, NULL, 0,
                                                           &needed) == TOKENLANE_RESULT_BUFFER_TOO_SMALL &&
                              needed == expired_len);
    memset(buf, 'X', sizeof buf);
    CHECK("truncation reported", tokenlane_error_www_authenticate(TOKENLANE_RESULT_EXPIRED, NULL, 0, NULL, 0, buf, 10,
                                                                  &len) == TOKENLANE_RESULT_BUFFER_TOO_SMALL &&
                                     len == needed && buf[0] == 'X');
    CHECK("0 is not a refusal", tokenlane_error_www_authenticate(0, NULL, 0, NULL, 0, buf, sizeof buf, &len) ==
                                    TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("unknown number", tokenlane_error_www_authenticate(4242, NULL, 0, NULL, 0, buf, sizeof buf, &len) ==
                                TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("NULL out_len", tokenlane_error_www_authenticate(8, NULL, 0, NULL, 0, buf, sizeof buf, NULL) ==
                              TOKENLANE_RESULT_NULL_PARAMETER);
}

static void codes_have_stable_names(void) {
    /* Refusal codes are numbered from 1 without gaps and stay below 100
     * (the C ABI's own codes start there): count the named ones, then every
     * number up to 99 must be unknown, so a new code needs no edit here. */
    uint32_t n, named = 0;
    int rest_unknown = 1;
    while (strcmp(tokenlane_error_code_str(named + 1), "unknown") != 0) {
        named++;
    }
    for (n = named + 1; n < 100; n++) {
        rest_unknown &= strcmp(tokenlane_error_code_str(n), "unknown") == 0 && tokenlane_error_rfc6750(n)[0] == '\0' &&
                        tokenlane_error_http_status(n) == 500;
    }
    CHECK("1..N are named, the rest of 1..99 unknown",
          named >= TOKENLANE_RESULT_REPLAY_CHECK_FAILED && rest_unknown);
    CHECK("numbers", strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_EXPIRED), "expired") == 0 &&
                         TOKENLANE_RESULT_EXPIRED == 8 && TOKENLANE_RESULT_INVALID_KEY == 20 &&
                         strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_INVALID_KEY), "invalid_key") == 0);
    CHECK("ok", strcmp(tokenlane_error_code_str(0), "ok") == 0 && tokenlane_error_http_status(0) == 200);
    CHECK("ffi codes", strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_NULL_PARAMETER), "null_parameter") == 0 &&
                           strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_BUFFER_TOO_SMALL), "buffer_too_small") == 0);
    CHECK("unknown numbers", strcmp(tokenlane_error_code_str(99), "unknown") == 0 &&
                                 strcmp(tokenlane_error_code_str(0xFFFFFFFFu), "unknown") == 0 &&
                                 strcmp(tokenlane_error_rfc6750(99), "") == 0 &&
                                 tokenlane_error_http_status(99) == 500);
    CHECK("rfc6750", strcmp(tokenlane_error_rfc6750(TOKENLANE_RESULT_INSUFFICIENT_SCOPE), "insufficient_scope") == 0 &&
                         strcmp(tokenlane_error_rfc6750(TOKENLANE_RESULT_EXPIRED), "invalid_token") == 0 &&
                         strcmp(tokenlane_error_rfc6750(TOKENLANE_RESULT_TOKEN_TOO_LARGE), "invalid_request") == 0);
    CHECK("http status", tokenlane_error_http_status(TOKENLANE_RESULT_INSUFFICIENT_SCOPE) == 403 &&
                             tokenlane_error_http_status(TOKENLANE_RESULT_EXPIRED) == 401 &&
                             tokenlane_error_http_status(TOKENLANE_RESULT_TOKEN_TOO_LARGE) == 400 &&
                             tokenlane_error_http_status(TOKENLANE_RESULT_INVALID_KEY) == 500);
}

/* RFC 7515 Appendix A.1: the published HS256 JWS, signed with the key of
 * JWKS above (no kid, typ JWT, no aud). */
static const char RFC7515_A1[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* tokenlane_keyset_from_jwks takes only a JWKS document; one JWK object
 * goes through tokenlane_keyset_from_jwk. */
static void jwks_and_single_jwk(void) {
    static const char JWK[] =
        "{\"kty\":\"oct\",\"kid\":\"k1\","
        "\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
    static const char ENC_JWK[] =
        "{\"kty\":\"oct\",\"kid\":\"e1\",\"use\":\"enc\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr8\"}";
    tokenlane_keyset *ks = NULL;
    tokenlane_error_detail *d = NULL;
    char msg[256];
    size_t len = 0;
    tokenlane_error_detail_new(&d);

    CHECK("from_jwks refuses a bare JWK",
          tokenlane_keyset_from_jwks(S(JWK), &ks, d) == TOKENLANE_RESULT_INVALID_KEY && ks == NULL &&
              tokenlane_error_detail_code(d) == TOKENLANE_RESULT_INVALID_KEY);
    CHECK("the detail names the missing keys member",
          tokenlane_error_detail_message(d, msg, sizeof msg, &len) == TOKENLANE_RESULT_OK &&
              strstr(msg, "`keys`") != NULL);
    CHECK("from_jwk NULL data", tokenlane_keyset_from_jwk(NULL, 5, &ks, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_jwk NULL out", tokenlane_keyset_from_jwk(S(JWK), NULL, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("from_jwk refuses a JWKS document",
          tokenlane_keyset_from_jwk(S(JWKS), &ks, d) == TOKENLANE_RESULT_INVALID_KEY && ks == NULL);
    CHECK("from_jwk refuses an encryption key (nothing left to verify with)",
          tokenlane_keyset_from_jwk(S(ENC_JWK), &ks, d) == TOKENLANE_RESULT_INVALID_KEY && ks == NULL);
    CHECK("from_jwk refuses garbage", tokenlane_keyset_from_jwk(S("{not json"), &ks, d) ==
                                          TOKENLANE_RESULT_INVALID_KEY && ks == NULL);
    CHECK("from_jwk loads one key", tokenlane_keyset_from_jwk(S(JWK), &ks, d) == TOKENLANE_RESULT_OK && ks != NULL &&
                                        tokenlane_keyset_len(ks) == 1 && tokenlane_keyset_skipped_count(ks) == 0);
    {
        /* The key verifies RFC 7515 A.1's signature: the token then fails
         * only on its claims (no aud), and with one signature byte changed
         * it fails on the signature. */
        tokenlane_validator_config *cfg = good_config();
        tokenlane_access_validator *av = NULL;
        tokenlane_access_token *tok = NULL;
        char forged[sizeof RFC7515_A1];
        memcpy(forged, RFC7515_A1, sizeof forged);
        forged[sizeof forged - 2] = forged[sizeof forged - 2] == 'A' ? 'B' : 'A';
        tokenlane_validator_config_set_typ_mode(cfg, TOKENLANE_TYP_MODE_COMPAT);
        CHECK("validator over the JWK", tokenlane_access_validator_new(cfg, ks, &av, d) == TOKENLANE_RESULT_OK);
        CHECK("RFC 7515 A.1 verifies with the JWK, then lacks aud",
              tokenlane_access_validator_validate(av, S(RFC7515_A1), 1300819370, &tok, d) ==
                      TOKENLANE_RESULT_MISSING_CLAIM &&
                  tok == NULL);
        CHECK("one signature byte changed is invalid_signature",
              tokenlane_access_validator_validate(av, S(forged), 1300819370, &tok, d) ==
                      TOKENLANE_RESULT_INVALID_SIGNATURE &&
                  tok == NULL);
        tokenlane_access_validator_free(av);
        tokenlane_validator_config_free(cfg);
    }
    tokenlane_keyset_free(ks);
    tokenlane_error_detail_free(d);
}

static void lanes_refuse_each_others_settings(void) {
    tokenlane_keyset *ks = NULL;
    tokenlane_validator_config *cfg = good_config();
    tokenlane_access_validator *av = NULL;
    tokenlane_id_validator *iv = NULL;
    tokenlane_error_detail *d = NULL;
    char msg[256];
    size_t len;
    tokenlane_error_detail_new(&d);
    tokenlane_keyset_from_jwks(S(JWKS), &ks, NULL);
    CHECK("id lane refuses audiences", tokenlane_id_validator_new(cfg, ks, &iv, d) ==
                                           TOKENLANE_RESULT_INVALID_ARGUMENT && iv == NULL);
    CHECK("leeway over a day", tokenlane_validator_config_set_leeway(cfg, 100000) == TOKENLANE_RESULT_OK &&
                                   tokenlane_access_validator_new(cfg, ks, &av, d) ==
                                       TOKENLANE_RESULT_INVALID_ARGUMENT &&
                                   av == NULL);
    CHECK("detail explains", tokenlane_error_detail_message(d, msg, sizeof msg, &len) == TOKENLANE_RESULT_OK &&
                                 strstr(msg, "leeway") != NULL);
    tokenlane_validator_config_set_leeway(cfg, 60);
    CHECK("size limit 0", tokenlane_validator_config_set_max_token_bytes(cfg, 0) == TOKENLANE_RESULT_OK &&
                              tokenlane_access_validator_new(cfg, ks, &av, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    tokenlane_validator_config_set_max_token_bytes(cfg, 100);
    CHECK("access lane builds", tokenlane_access_validator_new(cfg, ks, &av, d) == TOKENLANE_RESULT_OK && av != NULL);
    {
        static char big[200];
        tokenlane_access_token *tok = NULL;
        memset(big, 'a', sizeof big);
        CHECK("token over the size limit",
              tokenlane_access_validator_validate(av, big, sizeof big, 1767225600, &tok, d) ==
                      TOKENLANE_RESULT_TOKEN_TOO_LARGE &&
                  tok == NULL);
        CHECK("garbage is malformed",
              tokenlane_access_validator_validate(av, S("a.b"), 1767225600, &tok, d) == TOKENLANE_RESULT_MALFORMED &&
                  tokenlane_error_detail_code(d) == TOKENLANE_RESULT_MALFORMED);
        CHECK("NUL bytes are data, not terminators",
              tokenlane_access_validator_validate(av, "e30\0e30.x", 9, 1767225600, &tok, d) ==
                  TOKENLANE_RESULT_MALFORMED);
        CHECK("set_keys", tokenlane_access_validator_set_keys(av, ks) == TOKENLANE_RESULT_OK);
    }
    tokenlane_access_validator_free(av);
    tokenlane_validator_config_free(cfg);
    /* An ID configuration: client_id, no audience. */
    tokenlane_validator_config_new(&cfg);
    tokenlane_validator_config_set_issuer(cfg, S("https://issuer.example/"));
    tokenlane_validator_config_set_client_id(cfg, S("client-app"));
    tokenlane_validator_config_add_algorithm(cfg, S("HS256"));
    CHECK("access lane refuses a client_id", tokenlane_access_validator_new(cfg, ks, &av, d) ==
                                                 TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("the core's lane-mix reason", tokenlane_error_detail_message(d, msg, sizeof msg, &len) == TOKENLANE_RESULT_OK &&
                                            strstr(msg, "client_id is an ID-lane setting") != NULL);
    CHECK("id lane builds", tokenlane_id_validator_new(cfg, ks, &iv, d) == TOKENLANE_RESULT_OK);
    CHECK("id set_keys", tokenlane_id_validator_set_keys(iv, ks) == TOKENLANE_RESULT_OK);
    {
        tokenlane_id_checks checks = {0};
        tokenlane_id_token *tok = NULL;
        checks.nonce = "\xff";
        checks.nonce_len = 1;
        CHECK("non-UTF-8 nonce", tokenlane_id_validator_validate(iv, S("a.b.c"), 0, &checks, &tok, d) ==
                                     TOKENLANE_RESULT_INVALID_ARGUMENT);
    }
    tokenlane_validator_config_add_required_scope(cfg, S("read"));
    CHECK("id lane refuses scopes", tokenlane_id_validator_new(cfg, ks, &iv, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("the core's scope reason", tokenlane_error_detail_message(d, msg, sizeof msg, &len) == TOKENLANE_RESULT_OK &&
                                         strstr(msg, "a required scope is an access-lane setting") != NULL);
    tokenlane_id_validator_free(iv);
    tokenlane_validator_config_free(cfg);
    tokenlane_keyset_free(ks);
    tokenlane_error_detail_free(d);
}

static void bearer_token_contract(void) {
    const char *tok = "untouched";
    size_t len = 7;
    tokenlane_error_detail *d = NULL;
    char msg[256], challenge[128];
    size_t mlen = 0, clen = 0;
    static const char header[] = "Bearer abc";
    tokenlane_error_detail_new(&d);
    CHECK("bearer: NULL out_token", tokenlane_bearer_token(S(header), NULL, &len, d) == TOKENLANE_RESULT_NULL_PARAMETER &&
                                        len == 7);
    CHECK("bearer: NULL out_token_len",
          tokenlane_bearer_token(S(header), &tok, NULL, NULL) == TOKENLANE_RESULT_NULL_PARAMETER &&
              strcmp(tok, "untouched") == 0);
    CHECK("bearer: NULL header is no header",
          tokenlane_bearer_token(NULL, 99, &tok, &len, d) == TOKENLANE_RESULT_MISSING_TOKEN &&
              strcmp(tok, "untouched") == 0 && len == 7);
    CHECK("bearer: the detail says why",
          tokenlane_error_detail_message(d, msg, sizeof msg, &mlen) == TOKENLANE_RESULT_OK &&
              strstr(msg, "no Authorization header") != NULL);
    CHECK("bearer: outputs untouched on invalid_request",
          tokenlane_bearer_token(S("Bearer a b"), &tok, &len, d) == TOKENLANE_RESULT_INVALID_REQUEST &&
              strcmp(tok, "untouched") == 0 && len == 7 &&
              tokenlane_error_detail_code(d) == TOKENLANE_RESULT_INVALID_REQUEST);
    CHECK("bearer: NUL bytes are data", tokenlane_bearer_token("Bearer a\0b", 10, &tok, &len, NULL) ==
                                            TOKENLANE_RESULT_INVALID_REQUEST);
    CHECK("bearer: the token points into the header",
          tokenlane_bearer_token(S(header), &tok, &len, NULL) == TOKENLANE_RESULT_OK && tok == header + 7 && len == 3);
    CHECK("missing_token: name, 401, no RFC 6750 error",
          strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_MISSING_TOKEN), "missing_token") == 0 &&
              tokenlane_error_http_status(TOKENLANE_RESULT_MISSING_TOKEN) == 401 &&
              strcmp(tokenlane_error_rfc6750(TOKENLANE_RESULT_MISSING_TOKEN), "") == 0);
    CHECK("invalid_request: name, 400, RFC 6750 error",
          strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_INVALID_REQUEST), "invalid_request") == 0 &&
              tokenlane_error_http_status(TOKENLANE_RESULT_INVALID_REQUEST) == 400 &&
              strcmp(tokenlane_error_rfc6750(TOKENLANE_RESULT_INVALID_REQUEST), "invalid_request") == 0);
    CHECK("missing_token challenge without realm is bare",
          tokenlane_error_www_authenticate(TOKENLANE_RESULT_MISSING_TOKEN, NULL, 0, NULL, 0, challenge,
                                           sizeof challenge, &clen) == TOKENLANE_RESULT_OK &&
              strcmp(challenge, "Bearer") == 0 && clen == 6);
    tokenlane_error_detail_free(d);
}

static void authorize_contract(void) {
    tokenlane_validator_config *cfg = good_config();
    tokenlane_keyset *keys = NULL;
    tokenlane_access_validator *v = NULL;
    tokenlane_access_token *tok = (tokenlane_access_token *)&passed; /* a sentinel, never freed */
    tokenlane_binding bind;
    tokenlane_error_detail *d = NULL;
    tokenlane_header authz = {S("Bearer abc")};
    tokenlane_header dpop_authz = {S("DPoP abc")};
    tokenlane_request facts = {S("GET"), S("https://api.example/r"), &authz, 1, NULL, 0, NULL};
    tokenlane_dpop_options opts;
    char challenge[256];
    size_t clen = 0;
    tokenlane_error_detail_new(&d);
    CHECK("dpop options: init with a wrong size writes nothing",
          tokenlane_dpop_options_init(&opts, sizeof opts - 1) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("dpop options: init NULL", tokenlane_dpop_options_init(NULL, sizeof opts) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("dpop options: init writes the defaults",
          tokenlane_dpop_options_init(&opts, sizeof opts) == TOKENLANE_RESULT_OK && opts.struct_size == sizeof opts &&
              opts.mode == TOKENLANE_DPOP_BEARER_ONLY && opts.hooks == NULL && opts.replay_store == NULL &&
              opts.nonce_issuer == NULL);
    opts.mode = TOKENLANE_DPOP_ALLOWED;
    opts.proof_algorithms = TOKENLANE_ALG_ES256;
    tokenlane_keyset_from_jwks(S(JWKS), &keys, NULL);
    if (tokenlane_access_validator_new(cfg, keys, &v, NULL) != TOKENLANE_RESULT_OK) exit(2);
    memset(&bind, 0xAB, sizeof bind);
    CHECK("authorize: NULL validator",
          tokenlane_access_validator_authorize(NULL, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("authorize: NULL facts",
          tokenlane_access_validator_authorize(v, NULL, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("authorize: NULL out_token",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, NULL, &bind, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("authorize: NULL out_binding",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, NULL, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    facts.method = NULL;
    CHECK("authorize: NULL method",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    facts.method = "G\xff";
    facts.method_len = 2;
    CHECK("authorize: a method that is not UTF-8",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    facts.method = "GET";
    facts.method_len = 3;
    facts.authorization = NULL;
    CHECK("authorize: a NULL header list with a count",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    facts.authorization_count = 0;
    CHECK("authorize: no Authorization header is missing_token",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_MISSING_TOKEN &&
              tokenlane_error_detail_code(d) == TOKENLANE_RESULT_MISSING_TOKEN);
    facts.authorization = &authz;
    facts.authorization_count = 1;
    opts.mode = 7;
    CHECK("authorize: an unknown mode",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    opts.mode = TOKENLANE_DPOP_ALLOWED;
    opts.proof_algorithms = 1u << 31;
    CHECK("authorize: an unknown algorithm bit",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    opts.proof_algorithms = TOKENLANE_ALG_HS256;
    CHECK("authorize: HMAC only leaves no proof algorithm",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    opts.proof_algorithms = TOKENLANE_ALG_ES256;
    facts.authorization = &dpop_authz;
    CHECK("authorize: NULL options are bearer-only (DPoP is another scheme)",
          tokenlane_access_validator_authorize(v, &facts, 0, NULL, &tok, &bind, d) == TOKENLANE_RESULT_MISSING_TOKEN);
    CHECK("authorize: the DPoP scheme without a proof",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) ==
              TOKENLANE_RESULT_INVALID_DPOP_PROOF);
    CHECK("authorize: outputs untouched on failure",
          tok == (tokenlane_access_token *)&passed && bind.scheme == 0xABABABABu);
    CHECK("challenge: a proof refusal goes on DPoP",
          tokenlane_request_challenge(TOKENLANE_RESULT_INVALID_DPOP_PROOF, &opts, &facts, S("api"), NULL, 0, challenge,
                                      sizeof challenge, &clen) == TOKENLANE_RESULT_OK &&
              strstr(challenge, "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256\", error=\"invalid_dpop_proof\"") ==
                  challenge);
    CHECK("challenge: missing_token offers both, no error",
          tokenlane_request_challenge(TOKENLANE_RESULT_MISSING_TOKEN, &opts, NULL, NULL, 0, NULL, 0, challenge,
                                      sizeof challenge, &clen) == TOKENLANE_RESULT_OK &&
              strcmp(challenge, "Bearer, DPoP algs=\"ES256\"") == 0);
    CHECK("challenge: NULL options are Bearer only",
          tokenlane_request_challenge(TOKENLANE_RESULT_MISSING_TOKEN, NULL, NULL, NULL, 0, NULL, 0, challenge,
                                      sizeof challenge, &clen) == TOKENLANE_RESULT_OK &&
              strcmp(challenge, "Bearer") == 0);
    CHECK("challenge: too small reports the length",
          tokenlane_request_challenge(TOKENLANE_RESULT_MISSING_TOKEN, &opts, NULL, NULL, 0, NULL, 0, challenge, 4, &clen) ==
                  TOKENLANE_RESULT_BUFFER_TOO_SMALL &&
              clen == strlen("Bearer, DPoP algs=\"ES256\""));
    CHECK("challenge: NULL out_len", tokenlane_request_challenge(TOKENLANE_RESULT_MISSING_TOKEN, &opts, NULL, NULL, 0,
                                                                 NULL, 0, challenge, sizeof challenge,
                                                                 NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("challenge: 0 is not a refusal code",
          tokenlane_request_challenge(0, &opts, NULL, NULL, 0, NULL, 0, challenge, sizeof challenge, &clen) ==
              TOKENLANE_RESULT_INVALID_ARGUMENT);
    opts.struct_size = 8;
    CHECK("authorize: an unknown struct_size",
          tokenlane_access_validator_authorize(v, &facts, 0, &opts, &tok, &bind, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("challenge: an unknown struct_size",
          tokenlane_request_challenge(TOKENLANE_RESULT_MISSING_TOKEN, &opts, NULL, NULL, 0, NULL, 0, challenge,
                                      sizeof challenge, &clen) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    tokenlane_access_validator_free(v);
    tokenlane_keyset_free(keys);
    tokenlane_validator_config_free(cfg);
    tokenlane_error_detail_free(d);
}

static void dpop_state_contract(void) {
    static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    tokenlane_replay_store *store = (tokenlane_replay_store *)&passed; /* sentinel */
    tokenlane_nonce_issuer *issuer = (tokenlane_nonce_issuer *)&passed, *other = NULL;
    tokenlane_error_detail *d = NULL;
    char nonce[TOKENLANE_NONCE_LEN + 1], small[8];
    size_t len = 0;
    tokenlane_error_detail_new(&d);
    CHECK("replay store: capacity 0",
          tokenlane_replay_store_new(0, 60, &store, d) == TOKENLANE_RESULT_INVALID_ARGUMENT &&
              store == (tokenlane_replay_store *)&passed);
    CHECK("replay store: NULL out", tokenlane_replay_store_new(1, 60, NULL, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("replay store: made empty",
          tokenlane_replay_store_new(100, 0, &store, d) == TOKENLANE_RESULT_OK && tokenlane_replay_store_len(store) == 0);
    CHECK("replay store: len of NULL", tokenlane_replay_store_len(NULL) == 0);
    tokenlane_replay_store_free(store);
    tokenlane_replay_store_free(NULL);
    CHECK("nonce issuer: a 31-byte key",
          tokenlane_nonce_issuer_new(key, 31, 300, &issuer, d) == TOKENLANE_RESULT_INVALID_ARGUMENT &&
              issuer == (tokenlane_nonce_issuer *)&passed);
    CHECK("nonce issuer: a bucket over a day",
          tokenlane_nonce_issuer_new(key, 32, 86401, &issuer, d) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("nonce issuer: NULL key", tokenlane_nonce_issuer_new(NULL, 32, 300, &issuer, d) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("nonce issuer: made", tokenlane_nonce_issuer_new(key, 32, 0, &issuer, d) == TOKENLANE_RESULT_OK);
    CHECK("nonce issuer: issue",
          tokenlane_nonce_issuer_issue(issuer, 1767225600u, nonce, sizeof nonce, &len) == TOKENLANE_RESULT_OK &&
              len == TOKENLANE_NONCE_LEN && strlen(nonce) == TOKENLANE_NONCE_LEN);
    CHECK("nonce issuer: too small reports the length",
          tokenlane_nonce_issuer_issue(issuer, 1767225600u, small, sizeof small, &len) ==
                  TOKENLANE_RESULT_BUFFER_TOO_SMALL &&
              len == TOKENLANE_NONCE_LEN);
    CHECK("nonce issuer: current and previous bucket (default 300 s) accepted",
          tokenlane_nonce_issuer_check(issuer, nonce, TOKENLANE_NONCE_LEN, 1767225600u) &&
              tokenlane_nonce_issuer_check(issuer, nonce, TOKENLANE_NONCE_LEN, 1767225600u + 599));
    CHECK("nonce issuer: older refused",
          !tokenlane_nonce_issuer_check(issuer, nonce, TOKENLANE_NONCE_LEN, 1767225600u + 600));
    CHECK("nonce issuer: NULL and short nonces refused",
          !tokenlane_nonce_issuer_check(issuer, NULL, 0, 1767225600u) &&
              !tokenlane_nonce_issuer_check(issuer, nonce, TOKENLANE_NONCE_LEN - 1, 1767225600u) &&
              !tokenlane_nonce_issuer_check(NULL, nonce, TOKENLANE_NONCE_LEN, 1767225600u));
    CHECK("nonce issuer: a replica with the same key accepts it",
          tokenlane_nonce_issuer_new(key, 32, 300, &other, d) == TOKENLANE_RESULT_OK &&
              tokenlane_nonce_issuer_check(other, nonce, TOKENLANE_NONCE_LEN, 1767225600u));
    CHECK("nonce issuer: issue with NULL issuer",
          tokenlane_nonce_issuer_issue(NULL, 0, nonce, sizeof nonce, &len) == TOKENLANE_RESULT_NULL_PARAMETER);
    tokenlane_nonce_issuer_free(issuer);
    tokenlane_nonce_issuer_free(other);
    tokenlane_nonce_issuer_free(NULL);
    tokenlane_error_detail_free(d);
}

static void version_and_clock(void) {
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", TOKENLANE_VERSION_MAJOR, TOKENLANE_VERSION_MINOR, TOKENLANE_VERSION_PATCH);
    CHECK("header and library versions agree", strcmp(tokenlane_version(), want) == 0);
    CHECK("clock", tokenlane_now() > 1700000000u);
}

int main(void) {
#ifdef TL_EXPECT_SANITIZERS
    CHECK("AddressSanitizer runtime is linked", &__asan_init != NULL);
    printf("sanitizers: AddressSanitizer runtime %s\n", &__asan_init != NULL ? "linked" : "MISSING");
#endif
    free_null_is_fine();
    null_parameters_are_refused();
    bad_text_and_numbers_are_invalid_arguments();
    buffers_report_the_needed_length();
    www_authenticate_values();
    codes_have_stable_names();
    lanes_refuse_each_others_settings();
    jwks_and_single_jwk();
    bearer_token_contract();
    authorize_contract();
    dpop_state_contract();
    version_and_clock();
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

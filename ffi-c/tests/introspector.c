/*
 * tokenlane_introspector_* against loopback_server.py (started by
 * scripts/test-c.sh, its directory given as the argument): discovery of
 * the introspection endpoint, client_secret_basic (with RFC 6749 §2.3.1's
 * form-encoding: the secret holds ':' and '&') and client_secret_post, an
 * opaque access token accepted with its scopes and then served from the
 * cache, node-oidc-provider's refresh-token answer refused, another
 * resource's token refused, routing (a JWT never sent, an opaque token never
 * decoded, each path), endpoint faults as server-side statuses (401 ->
 * INTROSPECTION_CREDENTIALS_REFUSED / 500; 500, HTML, a dead server ->
 * INTROSPECTION_UNAVAILABLE / 503), and misuse (NULLs, sizes, unknown
 * numbers).
 *
 *   introspector SERVER_DIR
 */
#include "remote.h"

#include <signal.h>
#include <sys/types.h>

#include "tokenlane.h"

#include "check.h"

#define API "https://api.example"
#define SECRET "s3cret:&"

static char *issuer, *token_a;

static tokenlane_result check(const tokenlane_introspector *in, const tokenlane_access_validator *v, uint32_t path,
                              const char *token, size_t len, uint64_t now, tokenlane_access_token **t,
                              tokenlane_error_detail *detail) {
    tokenlane_result rc;
    *t = NULL;
    rc = tokenlane_introspector_validate(in, v, path, token, len, now, t, detail);
    if ((rc == TOKENLANE_RESULT_OK) != (*t != NULL)) return TOKENLANE_RESULT_PANIC; /* outputs contract */
    return rc;
}

/* One call whose token is dropped. */
static tokenlane_result route(const tokenlane_introspector *in, const tokenlane_access_validator *v, uint32_t path,
                              const char *token, uint64_t now, tokenlane_error_detail *detail) {
    tokenlane_access_token *t = NULL;
    tokenlane_result rc = check(in, v, path, token, strlen(token), now, &t, detail);
    tokenlane_access_token_free(t);
    return rc;
}

static void options(tokenlane_introspector_options *o, uint32_t auth, const char *secret) {
    if (tokenlane_introspector_options_init(o, sizeof *o) != TOKENLANE_RESULT_OK) exit(2);
    o->client_auth = auth;
    o->client_id = "rs";
    o->client_id_len = 2;
    o->client_secret = secret;
    o->client_secret_len = strlen(secret);
    o->http.total_timeout_ms = 5000;
}

static tokenlane_introspector *endpoint(const tokenlane_introspector_options *o, tokenlane_error_detail *detail) {
    char url[512];
    tokenlane_introspector *in = NULL;
    snprintf(url, sizeof url, "%s/introspect", issuer);
    if (tokenlane_introspector_new(url, strlen(url), o, &in, detail) != TOKENLANE_RESULT_OK) return NULL;
    return in;
}

static void test_misuse(const tokenlane_access_validator *v, tokenlane_error_detail *detail) {
    tokenlane_introspector_options o;
    tokenlane_introspector *in = NULL;
    tokenlane_access_token *t = NULL;
    const char not_utf8[] = "opaque-\xff";
    long before;

    CHECK("options_init NULL",
          tokenlane_introspector_options_init(NULL, sizeof o) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("options_init wrong size",
          tokenlane_introspector_options_init(&o, 3) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("defaults", tokenlane_introspector_options_init(&o, sizeof o) == TOKENLANE_RESULT_OK &&
                          o.struct_size == sizeof o && o.client_auth == TOKENLANE_CLIENT_SECRET_BASIC &&
                          o.positive_ttl == 60 && o.negative_ttl == 10 && o.max_entries == 10000 &&
                          o.client_id == NULL);
    CHECK("NULL options", tokenlane_introspector_new(S("https://as.example/introspect"), NULL, &in, detail) ==
                              TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("NULL client_id", tokenlane_introspector_new(S("https://as.example/introspect"), &o, &in, detail) ==
                                TOKENLANE_RESULT_NULL_PARAMETER &&
                                in == NULL);
    options(&o, TOKENLANE_CLIENT_SECRET_BASIC, SECRET);
    o.client_id_len = 0;
    CHECK("empty client_id", tokenlane_introspector_new(S("https://as.example/introspect"), &o, &in, detail) ==
                                 TOKENLANE_RESULT_INVALID_ARGUMENT);
    options(&o, 7, SECRET);
    CHECK("unknown client_auth", tokenlane_introspector_new(S("https://as.example/introspect"), &o, &in, detail) ==
                                     TOKENLANE_RESULT_INVALID_ARGUMENT);
    options(&o, TOKENLANE_CLIENT_SECRET_BASIC, SECRET);
    o.struct_size = 1;
    CHECK("wrong struct_size", tokenlane_introspector_new(S("https://as.example/introspect"), &o, &in, detail) ==
                                   TOKENLANE_RESULT_INVALID_ARGUMENT);
    options(&o, TOKENLANE_CLIENT_SECRET_BASIC, SECRET);
    CHECK("plain http to another host",
          tokenlane_introspector_new(S("http://as.example/introspect"), &o, &in, detail) ==
              TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("NULL endpoint", tokenlane_introspector_new(NULL, 4, &o, &in, detail) == TOKENLANE_RESULT_NULL_PARAMETER);
    in = endpoint(&o, detail);
    CHECK("introspector", in != NULL);
    if (in == NULL) return;
    CHECK("NULL introspector", check(NULL, v, TOKENLANE_ACCESS_PATH_BOTH, S("x"), 0, &t, detail) ==
                                   TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("NULL validator", check(in, NULL, TOKENLANE_ACCESS_PATH_BOTH, S("x"), 0, &t, detail) ==
                                TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("NULL token", check(in, v, TOKENLANE_ACCESS_PATH_BOTH, NULL, 0, 0, &t, detail) ==
                            TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("NULL out", tokenlane_introspector_validate(in, v, TOKENLANE_ACCESS_PATH_BOTH, S("x"), 0, NULL, detail) ==
                          TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("unknown path", check(in, v, 3, S("x"), 0, &t, detail) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    before = server_count("count_introspect");
    CHECK("a non-UTF-8 opaque token is malformed and never sent",
          check(in, v, TOKENLANE_ACCESS_PATH_BOTH, S(not_utf8), tokenlane_now(), &t, detail) ==
                  TOKENLANE_RESULT_MALFORMED &&
              server_count("count_introspect") == before);
    CHECK("cached_count of NULL", tokenlane_introspector_cached_count(NULL) == 0);
    CHECK("code names and statuses",
          strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE),
                 "introspection_unavailable") == 0 &&
              strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_INTROSPECTION_CREDENTIALS_REFUSED),
                     "introspection_credentials_refused") == 0 &&
              tokenlane_error_http_status(TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE) == 503 &&
              tokenlane_error_http_status(TOKENLANE_RESULT_INTROSPECTION_CREDENTIALS_REFUSED) == 500);
    tokenlane_introspector_free(in);
    tokenlane_introspector_free(NULL);
}

int main(int argc, char **argv) {
    tokenlane_introspector_options o;
    tokenlane_introspector *in = NULL, *post = NULL, *wrong = NULL, *nocache = NULL;
    tokenlane_validator_config *cfg = NULL;
    tokenlane_keysource *ks = NULL;
    tokenlane_access_validator *v = NULL;
    tokenlane_access_token *t = NULL;
    tokenlane_error_detail *detail = NULL;
    uint64_t now;
    long before;
    char *pid;
    tokenlane_result rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s SERVER_DIR\n", argv[0]);
        return 2;
    }
    server_dir = argv[1];
    issuer = server_file("issuer");
    token_a = server_file("token_a");
    if (issuer == NULL || token_a == NULL) {
        fprintf(stderr, "the server's files are missing in %s\n", server_dir);
        return 2;
    }
    if (tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_new(&cfg) != TOKENLANE_RESULT_OK)
        return 2;
    tokenlane_validator_config_set_issuer(cfg, issuer, strlen(issuer));
    tokenlane_validator_config_add_audience(cfg, S(API));
    tokenlane_validator_config_set_algorithms(cfg, TOKENLANE_ALG_ES256);
    tokenlane_validator_config_add_required_scope(cfg, S("read"));
    if (tokenlane_keysource_from_issuer(issuer, strlen(issuer), NULL, &ks, detail) != TOKENLANE_RESULT_OK ||
        tokenlane_access_validator_new_with_keysource(cfg, ks, &v, detail) != TOKENLANE_RESULT_OK)
        return 2;
    now = tokenlane_now();

    test_misuse(v, detail);

    /* Discovery: the endpoint comes from the issuer's metadata. */
    options(&o, TOKENLANE_CLIENT_SECRET_BASIC, SECRET);
    CHECK("from_issuer (discovery)",
          tokenlane_introspector_from_issuer(issuer, strlen(issuer), &o, &in, detail) == TOKENLANE_RESULT_OK);
    if (in == NULL) goto done;

    before = server_count("count_introspect");
    rc = check(in, v, TOKENLANE_ACCESS_PATH_BOTH, S("opaque-good"), now, &t, detail);
    CHECK("opaque access token accepted (client_secret_basic)", rc == TOKENLANE_RESULT_OK);
    if (t != NULL) {
        const char *s = NULL;
        size_t n = 0;
        CHECK("its sub", tokenlane_access_token_sub(t, &s, &n) == TOKENLANE_RESULT_OK && n == 6 &&
                             memcmp(s, "user-1", 6) == 0);
        CHECK("its scopes", tokenlane_access_token_has_scope(t, S("write")) == 1 &&
                                tokenlane_access_token_scope_count(t) == 2);
        CHECK("no alg (introspected)", tokenlane_access_token_alg(t, &s, &n) == TOKENLANE_RESULT_OK && n == 0);
        CHECK("its exp", tokenlane_access_token_exp(t) > now);
        tokenlane_access_token_free(t);
    }
    CHECK("one request", server_count("count_introspect") == before + 1);
    CHECK("the answer is cached", route(in, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now, detail) ==
                                          TOKENLANE_RESULT_OK &&
                                      server_count("count_introspect") == before + 1 &&
                                      tokenlane_introspector_cached_count(in) == 1);
    CHECK("a refresh token (active, no aud) is missing_claim",
          route(in, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-refresh", now, detail) == TOKENLANE_RESULT_MISSING_CLAIM);
    CHECK("another resource's token is audience_mismatch",
          route(in, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-other-resource", now, detail) ==
              TOKENLANE_RESULT_AUDIENCE_MISMATCH);
    CHECK("an unknown token is inactive: invalid_claim",
          route(in, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-unknown", now, detail) == TOKENLANE_RESULT_INVALID_CLAIM);

    /* Routing. */
    before = server_count("count_introspect");
    CHECK("a JWT is validated locally and never sent",
          route(in, v, TOKENLANE_ACCESS_PATH_BOTH, token_a, now, detail) == TOKENLANE_RESULT_OK &&
              server_count("count_introspect") == before);
    CHECK("jwt-only: an opaque token is malformed, never sent",
          route(in, v, TOKENLANE_ACCESS_PATH_JWT_ONLY, "opaque-good", now, detail) == TOKENLANE_RESULT_MALFORMED &&
              server_count("count_introspect") == before);
    CHECK("introspection-only: the JWT is sent (the server does not know it: inactive)",
          route(in, v, TOKENLANE_ACCESS_PATH_INTROSPECTION_ONLY, token_a, now, detail) ==
                  TOKENLANE_RESULT_INVALID_CLAIM &&
              server_count("count_introspect") == before + 1);

    /* client_secret_post. */
    options(&o, TOKENLANE_CLIENT_SECRET_POST, SECRET);
    post = endpoint(&o, detail);
    CHECK("client_secret_post accepted", post != NULL && route(post, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good",
                                                               now, detail) == TOKENLANE_RESULT_OK);

    /* Faults: the token is not judged; server-side statuses. */
    options(&o, TOKENLANE_CLIENT_SECRET_BASIC, "wrong");
    wrong = endpoint(&o, detail);
    rc = wrong == NULL ? TOKENLANE_RESULT_PANIC : route(wrong, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now, detail);
    CHECK("401 from the endpoint: introspection_credentials_refused, HTTP 500",
          rc == TOKENLANE_RESULT_INTROSPECTION_CREDENTIALS_REFUSED && tokenlane_error_http_status(rc) == 500 &&
              tokenlane_error_detail_code(detail) == rc);
    options(&o, TOKENLANE_CLIENT_SECRET_BASIC, SECRET);
    o.max_entries = 0; /* no cache: every call asks */
    nocache = endpoint(&o, detail);
    server_set("fail", "500");
    rc = nocache == NULL ? TOKENLANE_RESULT_PANIC
                         : route(nocache, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now, detail);
    CHECK("500 from the endpoint: introspection_unavailable, HTTP 503",
          rc == TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE && tokenlane_error_http_status(rc) == 503);
    server_set("fail", "html");
    CHECK("an HTML page: introspection_unavailable",
          nocache != NULL && route(nocache, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now, detail) ==
                                 TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE);
    server_set("fail", "");
    CHECK("the endpoint is back", nocache != NULL && route(nocache, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now,
                                                           detail) == TOKENLANE_RESULT_OK);
    pid = server_file("pid");
    if (pid != NULL) kill((pid_t)strtol(pid, NULL, 10), SIGTERM);
    free(pid);
    rc = TOKENLANE_RESULT_OK;
    /* A bounded wait for the process to be gone (not a timing check). */
    for (int i = 0; i < 100 && rc == TOKENLANE_RESULT_OK; i++) {
        rc = nocache == NULL ? TOKENLANE_RESULT_PANIC
                             : route(nocache, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now, detail);
        if (rc == TOKENLANE_RESULT_OK) sleep_ms(50);
    }
    CHECK("the endpoint is down: introspection_unavailable", rc == TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE);
    CHECK("a cached answer still serves", route(in, v, TOKENLANE_ACCESS_PATH_BOTH, "opaque-good", now, detail) ==
                                              TOKENLANE_RESULT_OK);
    CHECK("from_issuer with the server down",
          tokenlane_introspector_from_issuer(issuer, strlen(issuer), &o, &wrong, detail) ==
              TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE);

done:
    tokenlane_introspector_free(in);
    tokenlane_introspector_free(post);
    tokenlane_introspector_free(wrong);
    tokenlane_introspector_free(nocache);
    tokenlane_access_validator_free(v);
    tokenlane_keysource_free(ks);
    tokenlane_validator_config_free(cfg);
    tokenlane_error_detail_free(detail);
    free(issuer);
    free(token_a);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

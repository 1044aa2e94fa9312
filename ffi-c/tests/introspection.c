/*
 * The C runner of tests/conformance/introspection.json: every case,
 * converted to lines by cases_to_lines.py, through
 * tokenlane_access_validator_introspect_response with the case's policy
 * (issuer, audiences, leeway, required scopes, introspection audience rule).
 * Checks the exact code, the claim a refusal names (in the detail), and an
 * accepted token's fields (iss, sub, client_id, jti, exp, iat, nbf, aud,
 * scopes, and an empty alg).
 *
 * With SERVER_DIR (a loopback_server.py started with --cases), every case
 * also goes over the wire: tokenlane_introspector_validate on the
 * introspection-only path with the case's name as the token, which the
 * server answers with the case's body. The outcome must be the same,
 * except that a body the core calls `malformed` (not a strict JSON object)
 * is the endpoint's fault there: INTROSPECTION_UNAVAILABLE (HTTP 503).
 *
 *   introspection INTROSPECTION_LINES [SERVER_DIR]
 */
#include "remote.h"

#include "tokenlane.h"

#include "cases.h"
#include "check.h"

/* The validator needs keys; introspection does not use them. */
static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
    "\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}]}";

#define MAX_LIST 8

typedef struct {
    char name[160];
    unsigned long long now, leeway;
    int allow_absent;
    tl_buf issuer, response;
    tl_buf aud[MAX_LIST], scope[MAX_LIST];
    size_t n_aud, n_scope;
    int expect_ok;
    char expect_error[48], claim[48];
    /* Accepted: given when has_*; data NULL / has_* == 2 means absent. */
    int has_iss, has_sub, has_cid, has_jti;
    tl_buf iss, sub, cid, jti;
    int has_exp, has_iat, has_nbf; /* 1 value, 2 absent */
    unsigned long long exp, iat, nbf;
    int has_gaud, has_gscope;
    tl_buf gaud[MAX_LIST], gscope[MAX_LIST];
    size_t n_gaud, n_gscope;
} icase;

static void free_bufs(tl_buf *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) free(b[i].data);
}

static void icase_free(icase *c) {
    free(c->issuer.data);
    free(c->response.data);
    free(c->iss.data);
    free(c->sub.data);
    free(c->cid.data);
    free(c->jti.data);
    free_bufs(c->aud, c->n_aud);
    free_bufs(c->scope, c->n_scope);
    free_bufs(c->gaud, c->n_gaud);
    free_bufs(c->gscope, c->n_gscope);
    memset(c, 0, sizeof *c);
}

/* A text getter's output equals `want`, and a NUL follows it (the getters'
 * contract: texts may be read as C strings). */
static int same(const char *p, size_t len, const tl_buf *want) {
    return want->data != NULL && len == want->len && memcmp(p, want->data, len) == 0 && p[len] == '\0';
}

/* A text getter against an expected (possibly absent) value. */
static int text_ok(tokenlane_result rc, const char *p, size_t len, const tl_buf *want) {
    if (want->data == NULL) return rc == TOKENLANE_RESULT_CLAIM_ABSENT;
    return rc == TOKENLANE_RESULT_OK && same(p, len, want);
}

static int time_ok(tokenlane_result rc, uint64_t got, int has, unsigned long long want) {
    if (has == 2) return rc == TOKENLANE_RESULT_CLAIM_ABSENT;
    return rc == TOKENLANE_RESULT_OK && got == want;
}

/* Compares an accepted token with the case; writes the first mismatch. */
static const char *accepted_mismatch(const icase *c, const tokenlane_access_token *t) {
    const char *p = NULL;
    size_t n = 0, i;
    uint64_t v = 0;
    tokenlane_result rc;
    if (tokenlane_access_token_alg(t, &p, &n) != TOKENLANE_RESULT_OK || n != 0) return "alg is not empty";
    /* Each getter runs before its outputs are read (argument order is
     * unspecified in C). */
    if (c->has_iss && (rc = tokenlane_access_token_iss(t, &p, &n), !text_ok(rc, p, n, &c->iss))) return "iss";
    if (c->has_sub && (rc = tokenlane_access_token_sub(t, &p, &n), !text_ok(rc, p, n, &c->sub))) return "sub";
    if (c->has_cid && (rc = tokenlane_access_token_client_id(t, &p, &n), !text_ok(rc, p, n, &c->cid)))
        return "client_id";
    if (c->has_jti && (rc = tokenlane_access_token_jti(t, &p, &n), !text_ok(rc, p, n, &c->jti))) return "jti";
    if (c->has_exp && tokenlane_access_token_exp(t) != c->exp) return "exp";
    if (c->has_iat && (rc = tokenlane_access_token_iat(t, &v), !time_ok(rc, v, c->has_iat, c->iat))) return "iat";
    if (c->has_nbf && (rc = tokenlane_access_token_nbf(t, &v), !time_ok(rc, v, c->has_nbf, c->nbf))) return "nbf";
    if (c->has_gaud) {
        if (tokenlane_access_token_aud_count(t) != c->n_gaud) return "aud count";
        for (i = 0; i < c->n_gaud; i++) {
            if (tokenlane_access_token_aud_get(t, i, &p, &n) != TOKENLANE_RESULT_OK || !same(p, n, &c->gaud[i]))
                return "aud";
        }
    }
    if (c->has_gscope) {
        if (tokenlane_access_token_scope_count(t) != c->n_gscope) return "scope count";
        for (i = 0; i < c->n_gscope; i++) {
            if (tokenlane_access_token_scope_get(t, i, &p, &n) != TOKENLANE_RESULT_OK ||
                !same(p, n, &c->gscope[i]) ||
                tokenlane_access_token_has_scope(t, c->gscope[i].data, c->gscope[i].len) != 1)
                return "scopes";
        }
    }
    return NULL;
}

/* The outcome of one decision against the case: 1 when it matches. */
static int outcome_ok(const icase *c, const char *how, tokenlane_result rc, const tokenlane_access_token *t,
                      uint32_t want_error, const tokenlane_error_detail *detail) {
    const char *bad;
    char message[512];
    size_t mlen = 0;
    if (c->expect_ok) {
        if (rc != TOKENLANE_RESULT_OK || t == NULL) {
            printf("FAIL %s (%s): expected ok, got %s\n", c->name, how, tokenlane_error_code_str(rc));
            return 0;
        }
        if ((bad = accepted_mismatch(c, t)) != NULL) {
            printf("FAIL %s (%s): accepted, but %s differs\n", c->name, how, bad);
            return 0;
        }
        return 1;
    }
    if (rc != want_error || t != NULL) {
        printf("FAIL %s (%s): expected %s, got %s\n", c->name, how, tokenlane_error_code_str(want_error),
               tokenlane_error_code_str(rc));
        return 0;
    }
    if (c->claim[0] != '\0' && want_error < 100) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "`%s`", c->claim);
        if (tokenlane_error_detail_message(detail, message, sizeof message, &mlen) != TOKENLANE_RESULT_OK ||
            strstr(message, quoted) == NULL) {
            printf("FAIL %s (%s): the detail does not name %s\n", c->name, how, quoted);
            return 0;
        }
    }
    return 1;
}

/* Decides one case (and over the wire when `in` is given); returns 1 when
 * it passed (prints why otherwise). */
static int run_case(const icase *c, const tokenlane_keyset *keys, const tokenlane_introspector *in,
                    tokenlane_error_detail *detail) {
    tokenlane_validator_config *cfg = NULL;
    tokenlane_access_validator *v = NULL;
    tokenlane_access_token *t = NULL;
    tokenlane_result rc;
    uint32_t want;
    size_t i;
    int ok = 0;

    if (tokenlane_validator_config_new(&cfg) != TOKENLANE_RESULT_OK) return 0;
    tokenlane_validator_config_set_issuer(cfg, c->issuer.data, c->issuer.len);
    for (i = 0; i < c->n_aud; i++) tokenlane_validator_config_add_audience(cfg, c->aud[i].data, c->aud[i].len);
    for (i = 0; i < c->n_scope; i++)
        tokenlane_validator_config_add_required_scope(cfg, c->scope[i].data, c->scope[i].len);
    tokenlane_validator_config_set_algorithms(cfg, TOKENLANE_ALG_HS256);
    tokenlane_validator_config_set_leeway(cfg, c->leeway);
    tokenlane_validator_config_set_introspection_audience(
        cfg, c->allow_absent ? TOKENLANE_INTROSPECTION_AUDIENCE_ALLOW_ABSENT : TOKENLANE_INTROSPECTION_AUDIENCE_REQUIRED);
    if (tokenlane_access_validator_new(cfg, keys, &v, detail) != TOKENLANE_RESULT_OK) {
        printf("FAIL %s: the policy is refused\n", c->name);
        goto done;
    }
    rc = tokenlane_access_validator_introspect_response(v, c->response.data, c->response.len, c->now, &t, detail);
    want = c->expect_ok ? TOKENLANE_RESULT_OK : tl_code_from_name(c->expect_error);
    ok = outcome_ok(c, "response", rc, t, want, detail);
    if (in != NULL) {
        tokenlane_access_token_free(t);
        t = NULL;
        rc = tokenlane_introspector_validate(in, v, TOKENLANE_ACCESS_PATH_INTROSPECTION_ONLY, c->name, strlen(c->name),
                                             c->now, &t, detail);
        if (want == TOKENLANE_RESULT_MALFORMED) want = TOKENLANE_RESULT_INTROSPECTION_UNAVAILABLE;
        ok &= outcome_ok(c, "over the wire", rc, t, want, detail);
    }
done:
    tokenlane_access_token_free(t);
    tokenlane_access_validator_free(v);
    tokenlane_validator_config_free(cfg);
    return ok;
}

static int add_buf(tl_buf *list, size_t *n, const char *hex) {
    if (*n >= MAX_LIST) return -1;
    return tl_unhex(hex, &list[(*n)++]);
}

int main(int argc, char **argv) {
    FILE *f;
    char *line = NULL, *fields[8];
    size_t cap = 0, nf, cases = 0;
    icase c;
    tokenlane_keyset *keys = NULL;
    tokenlane_introspector *in = NULL;
    tokenlane_error_detail *detail = NULL;
    int in_case = 0, bad = 0;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s INTROSPECTION_LINES [SERVER_DIR]\n", argv[0]);
        return 2;
    }
    f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    if (tokenlane_keyset_from_jwks(S(JWKS), &keys, NULL) != TOKENLANE_RESULT_OK ||
        tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK)
        return 2;
    if (argc == 3) {
        tokenlane_introspector_options o;
        char url[512], *issuer;
        server_dir = argv[2];
        issuer = server_file("issuer");
        if (issuer == NULL || tokenlane_introspector_options_init(&o, sizeof o) != TOKENLANE_RESULT_OK) return 2;
        o.client_id = "rs";
        o.client_id_len = 2;
        o.client_secret = "s3cret:&";
        o.client_secret_len = 8;
        snprintf(url, sizeof url, "%s/introspect", issuer);
        free(issuer);
        if (tokenlane_introspector_new(url, strlen(url), &o, &in, detail) != TOKENLANE_RESULT_OK) return 2;
    }
    memset(&c, 0, sizeof c);
    while (tl_read_line(f, &line, &cap)) {
        nf = tl_split(line, fields, 8);
        if (nf == 0) continue;
        if (strcmp(fields[0], "icase") == 0 && nf == 5) {
            memset(&c, 0, sizeof c);
            snprintf(c.name, sizeof c.name, "%s", fields[1]);
            c.now = strtoull(fields[2], NULL, 10);
            c.leeway = strtoull(fields[3], NULL, 10);
            c.allow_absent = strcmp(fields[4], "allow_absent") == 0;
            in_case = 1;
        } else if (!in_case) {
            bad = 1;
        } else if (strcmp(fields[0], "issuer") == 0 && nf == 2) {
            bad |= tl_unhex(fields[1], &c.issuer);
        } else if (strcmp(fields[0], "audience") == 0 && nf == 2) {
            bad |= add_buf(c.aud, &c.n_aud, fields[1]);
        } else if (strcmp(fields[0], "scope") == 0 && nf == 2) {
            bad |= add_buf(c.scope, &c.n_scope, fields[1]);
        } else if (strcmp(fields[0], "response") == 0 && nf == 2) {
            bad |= tl_unhex(fields[1], &c.response);
            if (c.response.data == NULL) c.response.data = calloc(1, 1);
        } else if (strcmp(fields[0], "expect") == 0 && nf >= 2) {
            c.expect_ok = strcmp(fields[1], "ok") == 0;
            if (!c.expect_ok && nf == 3) snprintf(c.expect_error, sizeof c.expect_error, "%s", fields[2]);
        } else if (strcmp(fields[0], "claim") == 0 && nf == 2) {
            snprintf(c.claim, sizeof c.claim, "%s", fields[1]);
        } else if (strcmp(fields[0], "want") == 0 && nf == 3) {
            const char *k = fields[1], *val = fields[2];
            int absent = strcmp(val, "-") == 0;
            if (strcmp(k, "iss") == 0) c.has_iss = 1, bad |= tl_unhex(val, &c.iss);
            else if (strcmp(k, "sub") == 0) c.has_sub = 1, bad |= tl_unhex(val, &c.sub);
            else if (strcmp(k, "cid") == 0) c.has_cid = 1, bad |= tl_unhex(val, &c.cid);
            else if (strcmp(k, "jti") == 0) c.has_jti = 1, bad |= tl_unhex(val, &c.jti);
            else if (strcmp(k, "exp") == 0) c.has_exp = absent ? 2 : 1, c.exp = strtoull(val, NULL, 10);
            else if (strcmp(k, "iat") == 0) c.has_iat = absent ? 2 : 1, c.iat = strtoull(val, NULL, 10);
            else if (strcmp(k, "nbf") == 0) c.has_nbf = absent ? 2 : 1, c.nbf = strtoull(val, NULL, 10);
            else bad = 1;
        } else if (strcmp(fields[0], "aud") == 0 && nf == 2) {
            c.has_gaud = 1;
        } else if (strcmp(fields[0], "gaud") == 0 && nf == 2) {
            bad |= add_buf(c.gaud, &c.n_gaud, fields[1]);
        } else if (strcmp(fields[0], "scopes") == 0 && nf == 2) {
            c.has_gscope = 1;
        } else if (strcmp(fields[0], "gscope") == 0 && nf == 2) {
            bad |= add_buf(c.gscope, &c.n_gscope, fields[1]);
        } else if (strcmp(fields[0], "end") == 0) {
            CHECK(c.name, !bad && c.response.data != NULL && run_case(&c, keys, in, detail));
            cases++;
            icase_free(&c);
            in_case = 0;
            bad = 0;
        } else {
            bad = 1;
        }
    }
    free(line);
    fclose(f);
    CHECK("the file holds cases", cases > 0 && !in_case);
    CHECK("each case over the wire was one request",
          in == NULL || server_count("count_introspect") == (long)cases);
    tokenlane_introspector_free(in);
    tokenlane_error_detail_free(detail);
    tokenlane_keyset_free(keys);
    printf("introspection cases: %lu%s\n", (unsigned long)cases, in != NULL ? ", each also over the wire" : "");
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

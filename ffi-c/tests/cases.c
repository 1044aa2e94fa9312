/* See cases.h. C99, no JSON parser: the line format is hex-encoded. */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *items, size_t count, size_t size) {
    void *p = realloc(items, (count + 1) * size);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset((char *)p + count * size, 0, size);
    return p;
}

/* Reads one line of any length into *line (without the newline).
 * Returns 0 at end of file. */
static int read_line(FILE *f, char **line, size_t *cap) {
    size_t len = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF && ch != '\n') {
        if (len + 2 > *cap) {
            size_t ncap = *cap ? *cap * 2 : 256;
            char *p = realloc(*line, ncap);
            if (p == NULL) {
                fprintf(stderr, "out of memory\n");
                exit(2);
            }
            *line = p;
            *cap = ncap;
        }
        (*line)[len++] = (char)ch;
    }
    if (ch == EOF && len == 0) {
        return 0;
    }
    if (*cap == 0) {
        *line = malloc(1);
        *cap = 1;
    }
    (*line)[len] = '\0';
    return 1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* "-" absent, "=" empty, else hex. */
static int unhex(const char *s, tl_buf *out) {
    size_t n, i;
    out->data = NULL;
    out->len = 0;
    if (strcmp(s, "-") == 0) return 0;
    if (strcmp(s, "=") == 0) {
        out->data = calloc(1, 1);
        return 0;
    }
    n = strlen(s);
    if (n % 2 != 0) return -1;
    out->data = malloc(n / 2 + 1);
    if (out->data == NULL) exit(2);
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out->data[i] = (char)(hi * 16 + lo);
    }
    out->data[n / 2] = '\0';
    out->len = n / 2;
    return 0;
}

static void copy_field(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Splits a line in place on spaces; returns the number of fields. */
static size_t split(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    while (*p != '\0' && n < max) {
        while (*p == ' ') p++;
        if (*p == '\0') break;
        fields[n++] = p;
        while (*p != '\0' && *p != ' ') p++;
        if (*p == ' ') *p++ = '\0';
    }
    return n;
}

static int parse_source(char **f, size_t n, tl_source *s) {
    if (n != 5) return -1;
    copy_field(s->kind, sizeof s->kind, f[1]);
    if (strcmp(f[2], "!") == 0) {
        s->undecodable = 1;
    } else if (unhex(f[2], &s->data) != 0) {
        return -1;
    }
    if (unhex(f[3], &s->kid) != 0) return -1;
    copy_field(s->alg, sizeof s->alg, strcmp(f[4], "-") == 0 ? "" : f[4]);
    return 0;
}

int tl_cases_load(const char *path, tl_cases *out) {
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    /* 0: none, 1: in keyset, 2: after keycase (expects source), 3: in case */
    int state = 0;
    tl_case *c = NULL; /* the case being read */
    memset(out, 0, sizeof *out);
    if (f == NULL) {
        perror(path);
        return -1;
    }
    while (read_line(f, &line, &cap)) {
        char *fl[8];
        size_t n;
        const char *k;
        lineno++;
        n = split(line, fl, 8);
        if (n == 0) continue;
        k = fl[0];
        if (strcmp(k, "keyset") == 0 && n == 2) {
            out->keysets = grow(out->keysets, out->n_keysets, sizeof *out->keysets);
            copy_field(out->keysets[out->n_keysets].name, sizeof out->keysets[0].name, fl[1]);
            out->n_keysets++;
            state = 1;
        } else if (strcmp(k, "source") == 0 && state == 1) {
            tl_keyset_def *d = &out->keysets[out->n_keysets - 1];
            d->sources = grow(d->sources, d->n_sources, sizeof *d->sources);
            if (parse_source(fl, n, &d->sources[d->n_sources]) != 0) goto bad;
            d->n_sources++;
        } else if (strcmp(k, "keycase") == 0 && n == 5) {
            tl_keycase *kc;
            out->keycases = grow(out->keycases, out->n_keycases, sizeof *out->keycases);
            kc = &out->keycases[out->n_keycases++];
            copy_field(kc->name, sizeof kc->name, fl[1]);
            kc->loaded = strcmp(fl[2], "-") == 0 ? -1 : strtol(fl[2], NULL, 10);
            kc->skipped = strcmp(fl[3], "-") == 0 ? -1 : strtol(fl[3], NULL, 10);
            copy_field(kc->error, sizeof kc->error, strcmp(fl[4], "-") == 0 ? "" : fl[4]);
            state = 2;
        } else if (strcmp(k, "source") == 0 && state == 2) {
            if (parse_source(fl, n, &out->keycases[out->n_keycases - 1].source) != 0) goto bad;
            state = 0;
        } else if ((strcmp(k, "case") == 0 || strcmp(k, "reqcase") == 0) && n == 5) {
            if (strcmp(k, "case") == 0) {
                out->cases = grow(out->cases, out->n_cases, sizeof *out->cases);
                c = &out->cases[out->n_cases++];
            } else {
                out->reqcases = grow(out->reqcases, out->n_reqcases, sizeof *out->reqcases);
                c = &out->reqcases[out->n_reqcases++];
            }
            memset(c, 0, sizeof *c);
            copy_field(c->name, sizeof c->name, fl[1]);
            c->id_lane = strcmp(fl[2], "id") == 0;
            copy_field(c->keyset, sizeof c->keyset, fl[3]);
            c->now = strtoull(fl[4], NULL, 10);
            c->typ = -1;
            state = 3;
        } else if (strcmp(k, "authcase") == 0 && n == 5) {
            tl_authcase *a;
            out->authcases = grow(out->authcases, out->n_authcases, sizeof *out->authcases);
            a = &out->authcases[out->n_authcases++];
            memset(a, 0, sizeof *a);
            copy_field(a->name, sizeof a->name, fl[1]);
            if (unhex(fl[2], &a->header) != 0) goto bad;
            if (strcmp(fl[3], "token") == 0) {
                if (unhex(fl[4], &a->token) != 0) goto bad;
            } else if (strcmp(fl[3], "error") == 0) {
                copy_field(a->expect_error, sizeof a->expect_error, fl[4]);
            } else {
                goto bad;
            }
            state = 0;
        } else if (state == 3 && c != NULL && n >= 2) {
            const char *v = fl[1];
            int rc = 0;
            if (strcmp(k, "issuer") == 0) rc = unhex(v, &c->issuer);
            else if (strcmp(k, "audience") == 0) {
                c->audiences = grow(c->audiences, c->n_audiences, sizeof *c->audiences);
                rc = unhex(v, &c->audiences[c->n_audiences++]);
            } else if (strcmp(k, "client_id") == 0) rc = unhex(v, &c->client_id);
            else if (strcmp(k, "alg") == 0) {
                c->algs = grow(c->algs, c->n_algs, sizeof *c->algs);
                copy_field(c->algs[c->n_algs++], sizeof c->algs[0], v);
            } else if (strcmp(k, "leeway") == 0) c->leeway = strtoull(v, NULL, 10);
            else if (strcmp(k, "scope") == 0) {
                c->scopes = grow(c->scopes, c->n_scopes, sizeof *c->scopes);
                rc = unhex(v, &c->scopes[c->n_scopes++]);
            } else if (strcmp(k, "typ") == 0) {
                c->typ = strcmp(v, "compat") == 0 ? (int)TOKENLANE_TYP_MODE_COMPAT : (int)TOKENLANE_TYP_MODE_STRICT;
            } else if (strcmp(k, "max") == 0) {
                c->has_max = 1;
                c->max = (size_t)strtoull(v, NULL, 10);
            } else if (strcmp(k, "nonce") == 0) rc = unhex(v, &c->nonce);
            else if (strcmp(k, "max_age") == 0) {
                c->has_max_age = 1;
                c->max_age = strtoull(v, NULL, 10);
            } else if (strcmp(k, "access_token") == 0) rc = unhex(v, &c->access_token);
            else if (strcmp(k, "token") == 0) rc = unhex(v, &c->token);
            else if (strcmp(k, "expect") == 0) {
                if (strcmp(v, "ok") == 0) c->expect_ok = 1;
                else if (n == 3) copy_field(c->expect_error, sizeof c->expect_error, fl[2]);
                else rc = -1;
            } else if (strcmp(k, "sub") == 0) {
                c->has_sub = 1;
                rc = unhex(v, &c->sub);
            } else if (strcmp(k, "cid") == 0) {
                c->has_cid = 1;
                rc = unhex(v, &c->cid);
            }
            else if (strcmp(k, "scopes") == 0) c->has_scopes = 1;
            else if (strcmp(k, "gscope") == 0) {
                c->granted = grow(c->granted, c->n_granted, sizeof *c->granted);
                rc = unhex(v, &c->granted[c->n_granted++]);
            } else if (strcmp(k, "mode") == 0) {
                c->mode = strcmp(v, "required") == 0  ? TOKENLANE_DPOP_REQUIRED
                          : strcmp(v, "allowed") == 0 ? TOKENLANE_DPOP_ALLOWED
                                                      : TOKENLANE_DPOP_BEARER_ONLY;
            } else if (strcmp(k, "palg") == 0) {
                c->palgs = grow(c->palgs, c->n_palgs, sizeof *c->palgs);
                copy_field(c->palgs[c->n_palgs++], sizeof c->palgs[0], v);
            } else if (strcmp(k, "window") == 0) c->window = strtoull(v, NULL, 10);
            else if (strcmp(k, "seen") == 0) {
                c->seen = grow(c->seen, c->n_seen, sizeof *c->seen);
                rc = unhex(v, &c->seen[c->n_seen++]);
            } else if (strcmp(k, "dnonce") == 0) rc = unhex(v, &c->dnonce);
            else if (strcmp(k, "nkey") == 0) rc = unhex(v, &c->nkey);
            else if (strcmp(k, "nbucket") == 0) c->nbucket = strtoull(v, NULL, 10);
            else if (strcmp(k, "rnonce") == 0) copy_field(c->rnonce, sizeof c->rnonce, strcmp(v, "-") == 0 ? "" : v);
            else if (strcmp(k, "method") == 0) rc = unhex(v, &c->method);
            else if (strcmp(k, "uri") == 0) rc = unhex(v, &c->uri);
            else if (strcmp(k, "cert") == 0) rc = unhex(v, &c->cert);
            else if (strcmp(k, "authz") == 0) {
                c->authz = grow(c->authz, c->n_authz, sizeof *c->authz);
                rc = unhex(v, &c->authz[c->n_authz++]);
            } else if (strcmp(k, "dpophdr") == 0) {
                c->dpop = grow(c->dpop, c->n_dpop, sizeof *c->dpop);
                rc = unhex(v, &c->dpop[c->n_dpop++]);
            } else if (strcmp(k, "bind") == 0 && n == 4) {
                c->bind_dpop = strcmp(v, "dpop") == 0;
                copy_field(c->bind_jkt, sizeof c->bind_jkt, strcmp(fl[2], "-") == 0 ? "" : fl[2]);
                c->bind_cert = strcmp(fl[3], "1") == 0;
            } else rc = -1;
            if (rc != 0) goto bad;
        } else if (state == 3 && strcmp(k, "end") == 0) {
            state = 0;
        } else {
            goto bad;
        }
    }
    free(line);
    fclose(f);
    return 0;
bad:
    fprintf(stderr, "%s:%lu: cannot parse this line\n", path, (unsigned long)lineno);
    free(line);
    fclose(f);
    return -1;
}

static void free_source(tl_source *s) {
    free(s->data.data);
    free(s->kid.data);
}

static void free_bufs(tl_buf *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) free(b[i].data);
    free(b);
}

static void free_case(tl_case *c) {
    free(c->issuer.data);
    free(c->client_id.data);
    free(c->nonce.data);
    free(c->access_token.data);
    free(c->token.data);
    free(c->sub.data);
    free(c->cid.data);
    free_bufs(c->audiences, c->n_audiences);
    free_bufs(c->scopes, c->n_scopes);
    free_bufs(c->granted, c->n_granted);
    free(c->algs);
    free(c->palgs);
    free_bufs(c->seen, c->n_seen);
    free(c->dnonce.data);
    free(c->nkey.data);
    free(c->method.data);
    free(c->uri.data);
    free(c->cert.data);
    free_bufs(c->authz, c->n_authz);
    free_bufs(c->dpop, c->n_dpop);
}

void tl_cases_free(tl_cases *cases) {
    size_t i, j;
    for (i = 0; i < cases->n_keysets; i++) {
        for (j = 0; j < cases->keysets[i].n_sources; j++) free_source(&cases->keysets[i].sources[j]);
        free(cases->keysets[i].sources);
    }
    free(cases->keysets);
    for (i = 0; i < cases->n_keycases; i++) free_source(&cases->keycases[i].source);
    free(cases->keycases);
    for (i = 0; i < cases->n_cases; i++) free_case(&cases->cases[i]);
    free(cases->cases);
    for (i = 0; i < cases->n_authcases; i++) {
        free(cases->authcases[i].header.data);
        free(cases->authcases[i].token.data);
    }
    free(cases->authcases);
    for (i = 0; i < cases->n_reqcases; i++) free_case(&cases->reqcases[i]);
    free(cases->reqcases);
    memset(cases, 0, sizeof *cases);
}

uint32_t tl_code_from_name(const char *name) {
    uint32_t n;
    for (n = 0; n < 200; n++) {
        if (strcmp(tokenlane_error_code_str(n), name) == 0) return n;
    }
    return UINT32_MAX;
}

const tl_keyset_def *tl_find_keyset(const tl_cases *cases, const char *name) {
    size_t i;
    for (i = 0; i < cases->n_keysets; i++) {
        if (strcmp(cases->keysets[i].name, name) == 0) return &cases->keysets[i];
    }
    return NULL;
}

tokenlane_result tl_load_source(const tl_source *src, tokenlane_keyset **out, tokenlane_error_detail *detail) {
    const char *alg = src->alg[0] ? src->alg : NULL;
    size_t alg_len = strlen(src->alg);
    if (src->undecodable) return TOKENLANE_RESULT_INVALID_KEY;
    if (strcmp(src->kind, "jwks") == 0) {
        return tokenlane_keyset_from_jwks(src->data.data, src->data.len, out, detail);
    }
    if (strcmp(src->kind, "pem") == 0) {
        return tokenlane_keyset_from_pem(src->data.data, src->data.len, src->kid.data, src->kid.len, alg, alg_len,
                                         out, detail);
    }
    if (strcmp(src->kind, "der") == 0) {
        return tokenlane_keyset_from_der((const uint8_t *)src->data.data, src->data.len, src->kid.data,
                                         src->kid.len, alg, alg_len, out, detail);
    }
    if (strcmp(src->kind, "secret") == 0) {
        return tokenlane_keyset_from_secret((const uint8_t *)src->data.data, src->data.len, src->kid.data,
                                            src->kid.len, alg, alg_len, out, detail);
    }
    return TOKENLANE_RESULT_INVALID_ARGUMENT;
}

tokenlane_result tl_build_keyset(const tl_keyset_def *def, tokenlane_keyset **out) {
    tokenlane_keyset *set = NULL;
    tokenlane_result rc = tokenlane_keyset_new(&set);
    size_t i;
    for (i = 0; rc == TOKENLANE_RESULT_OK && i < def->n_sources; i++) {
        tokenlane_keyset *one = NULL;
        rc = tl_load_source(&def->sources[i], &one, NULL);
        if (rc == TOKENLANE_RESULT_OK) rc = tokenlane_keyset_extend(set, one, NULL);
        tokenlane_keyset_free(one);
    }
    if (rc != TOKENLANE_RESULT_OK) {
        tokenlane_keyset_free(set);
        return rc;
    }
    *out = set;
    return rc;
}

tokenlane_result tl_build_validator(const tl_case *c, const tokenlane_keyset *keys,
                                    tokenlane_access_validator **access, tokenlane_id_validator **id,
                                    tokenlane_error_detail *detail) {
    tokenlane_validator_config *cfg = NULL;
    tokenlane_result rc = tokenlane_validator_config_new(&cfg);
    size_t i;
    if (rc != TOKENLANE_RESULT_OK) return rc;
    rc = tokenlane_validator_config_set_issuer(cfg, c->issuer.data, c->issuer.len);
    for (i = 0; rc == TOKENLANE_RESULT_OK && i < c->n_audiences; i++) {
        rc = tokenlane_validator_config_add_audience(cfg, c->audiences[i].data, c->audiences[i].len);
    }
    if (rc == TOKENLANE_RESULT_OK && c->client_id.data != NULL) {
        rc = tokenlane_validator_config_set_client_id(cfg, c->client_id.data, c->client_id.len);
    }
    for (i = 0; rc == TOKENLANE_RESULT_OK && i < c->n_algs; i++) {
        rc = tokenlane_validator_config_add_algorithm(cfg, c->algs[i], strlen(c->algs[i]));
    }
    if (rc == TOKENLANE_RESULT_OK) rc = tokenlane_validator_config_set_leeway(cfg, c->leeway);
    for (i = 0; rc == TOKENLANE_RESULT_OK && i < c->n_scopes; i++) {
        rc = tokenlane_validator_config_add_required_scope(cfg, c->scopes[i].data, c->scopes[i].len);
    }
    if (rc == TOKENLANE_RESULT_OK && c->typ >= 0) {
        rc = tokenlane_validator_config_set_typ_mode(cfg, (uint32_t)c->typ);
    }
    if (rc == TOKENLANE_RESULT_OK && c->has_max) {
        rc = tokenlane_validator_config_set_max_token_bytes(cfg, c->max);
    }
    if (rc == TOKENLANE_RESULT_OK) {
        if (c->id_lane) {
            rc = tokenlane_id_validator_new(cfg, keys, id, detail);
        } else {
            rc = tokenlane_access_validator_new(cfg, keys, access, detail);
        }
    }
    tokenlane_validator_config_free(cfg);
    return rc;
}

/* A text getter's output equals `want`, and a NUL follows it (the getters'
 * contract: texts may be read as C strings). */
static int same(const char *p, size_t len, const tl_buf *want) {
    return want->data != NULL && len == want->len && memcmp(p, want->data, len) == 0 && p[len] == '\0';
}

/* Compares a text getter's outcome with an expected, possibly absent,
 * claim: absent must be CLAIM_ABSENT with the outputs left untouched. */
static int claim_matches(tokenlane_result rc, const char *p, size_t len, const tl_buf *want) {
    if (want->data == NULL) return rc == TOKENLANE_RESULT_CLAIM_ABSENT && p == NULL && len == 0;
    return rc == TOKENLANE_RESULT_OK && same(p, len, want);
}

/* True when one of the token's audiences is one of the wanted ones. */
static int aud_overlaps(size_t count, tokenlane_result (*get)(const void *, size_t, const char **, size_t *),
                        const void *tok, const tl_buf *wanted, size_t n_wanted) {
    size_t i, j;
    for (i = 0; i < count; i++) {
        const char *a = NULL;
        size_t a_len = 0;
        if (get(tok, i, &a, &a_len) != TOKENLANE_RESULT_OK) return 0;
        for (j = 0; j < n_wanted; j++) {
            if (same(a, a_len, &wanted[j])) return 1;
        }
    }
    return 0;
}

static tokenlane_result access_aud_get(const void *tok, size_t i, const char **out, size_t *out_len) {
    return tokenlane_access_token_aud_get((const tokenlane_access_token *)tok, i, out, out_len);
}

static tokenlane_result id_aud_get(const void *tok, size_t i, const char **out, size_t *out_len) {
    return tokenlane_id_token_aud_get((const tokenlane_id_token *)tok, i, out, out_len);
}

/* The claims JSON is an object, and iss is the configured issuer. */
static int common_ok(tokenlane_result json_rc, const char *json, size_t json_len, tokenlane_result iss_rc,
                     const char *iss, size_t iss_len, const tl_buf *issuer) {
    return json_rc == TOKENLANE_RESULT_OK && json_len >= 2 && json[0] == '{' && json[json_len - 1] == '}' &&
           json[json_len] == '\0' && iss_rc == TOKENLANE_RESULT_OK && same(iss, iss_len, issuer);
}

uint32_t tl_validate_case(const tl_case *c, const tokenlane_access_validator *access,
                          const tokenlane_id_validator *id, tokenlane_error_detail *detail, char *why,
                          size_t why_len) {
    tokenlane_result rc;
    const char *s = NULL;
    size_t len = 0;
    why[0] = '\0';
    if (c->id_lane) {
        tokenlane_id_token *tok = NULL;
        tokenlane_id_checks checks = {0};
        checks.nonce = c->nonce.data;
        checks.nonce_len = c->nonce.len;
        checks.max_age = c->has_max_age ? &c->max_age : NULL;
        checks.access_token = c->access_token.data;
        checks.access_token_len = c->access_token.len;
        rc = tokenlane_id_validator_validate(id, c->token.data, c->token.len, c->now, &checks, &tok, detail);
        if (rc == TOKENLANE_RESULT_OK) {
            tokenlane_result sub_rc = tokenlane_id_token_sub(tok, &s, &len);
            const char *json = NULL, *iss = NULL, *nonce = NULL;
            size_t json_len = 0, iss_len = 0, nonce_len = 0;
            tokenlane_result json_rc = tokenlane_id_token_claims_json(tok, &json, &json_len);
            tokenlane_result iss_rc = tokenlane_id_token_iss(tok, &iss, &iss_len);
            tokenlane_result nonce_rc = tokenlane_id_token_nonce(tok, &nonce, &nonce_len);
            if (c->has_sub && !claim_matches(sub_rc, s, len, &c->sub)) {
                snprintf(why, why_len, "sub differs");
            } else if (!common_ok(json_rc, json, json_len, iss_rc, iss, iss_len, &c->issuer)) {
                snprintf(why, why_len, "iss or claims_json differs");
            } else if (!aud_overlaps(tokenlane_id_token_aud_count(tok), id_aud_get, tok, &c->client_id, 1)) {
                snprintf(why, why_len, "aud lacks the client_id");
            } else if (c->nonce.data != NULL && !claim_matches(nonce_rc, nonce, nonce_len, &c->nonce)) {
                snprintf(why, why_len, "nonce differs");
            } else if (tokenlane_id_token_exp(tok) <= c->now - (c->now < c->leeway ? c->now : c->leeway)) {
                snprintf(why, why_len, "exp is not after now - leeway");
            } else if (tokenlane_id_token_iat(tok) > c->now + c->leeway) {
                snprintf(why, why_len, "iat is after now + leeway");
            } else {
                const char *azp = NULL;
                size_t azp_len = 0;
                uint64_t auth_time = 0;
                tokenlane_result azp_rc = tokenlane_id_token_azp(tok, &azp, &azp_len);
                tokenlane_result auth_rc = tokenlane_id_token_auth_time(tok, &auth_time);
                if (!(azp_rc == TOKENLANE_RESULT_CLAIM_ABSENT || (azp_rc == TOKENLANE_RESULT_OK &&
                                                                  same(azp, azp_len, &c->client_id)))) {
                    snprintf(why, why_len, "azp is neither absent nor the client_id");
                } else if (c->has_max_age &&
                           (auth_rc != TOKENLANE_RESULT_OK || auth_time + c->max_age + c->leeway < c->now)) {
                    snprintf(why, why_len, "auth_time does not satisfy max_age");
                }
            }
            tokenlane_id_token_free(tok);
        }
    } else {
        tokenlane_access_token *tok = NULL;
        rc = tokenlane_access_validator_validate(access, c->token.data, c->token.len, c->now, &tok, detail);
        if (rc == TOKENLANE_RESULT_OK) {
            size_t i, n = tokenlane_access_token_scope_count(tok);
            const char *cid = NULL;
            size_t cid_len = 0;
            tokenlane_result sub_rc = tokenlane_access_token_sub(tok, &s, &len);
            tokenlane_result cid_rc = tokenlane_access_token_client_id(tok, &cid, &cid_len);
            const char *json = NULL, *iss = NULL;
            size_t json_len = 0, iss_len = 0;
            tokenlane_result json_rc = tokenlane_access_token_claims_json(tok, &json, &json_len);
            tokenlane_result iss_rc = tokenlane_access_token_iss(tok, &iss, &iss_len);
            if (c->has_sub && !claim_matches(sub_rc, s, len, &c->sub)) {
                snprintf(why, why_len, "sub differs");
            } else if (c->has_cid && !claim_matches(cid_rc, cid, cid_len, &c->cid)) {
                snprintf(why, why_len, "client_id differs");
            } else if (!common_ok(json_rc, json, json_len, iss_rc, iss, iss_len, &c->issuer)) {
                snprintf(why, why_len, "iss or claims_json differs");
            } else if (!aud_overlaps(tokenlane_access_token_aud_count(tok), access_aud_get, tok, c->audiences,
                                     c->n_audiences)) {
                snprintf(why, why_len, "aud lacks every configured audience");
            } else if (tokenlane_access_token_has_scope(tok, "", 0)) {
                snprintf(why, why_len, "the empty scope is granted");
            } else if (c->has_scopes && n != c->n_granted) {
                snprintf(why, why_len, "%lu scopes, expected %lu", (unsigned long)n, (unsigned long)c->n_granted);
            }
            for (i = 0; why[0] == '\0' && c->has_scopes && i < n; i++) {
                if (tokenlane_access_token_scope_get(tok, i, &s, &len) != TOKENLANE_RESULT_OK ||
                    !same(s, len, &c->granted[i]) || !tokenlane_access_token_has_scope(tok, s, len)) {
                    snprintf(why, why_len, "scope %lu differs", (unsigned long)i);
                }
            }
            tokenlane_access_token_free(tok);
        }
    }
    return (uint32_t)rc;
}

/* The line-format helpers, for runners of other line files
 * (introspection.c). */
int tl_read_line(FILE *f, char **line, size_t *cap) { return read_line(f, line, cap); }
int tl_unhex(const char *s, tl_buf *out) { return unhex(s, out); }
size_t tl_split(char *line, char **fields, size_t max) { return split(line, fields, max); }

/*
 * bench_c: tokenlane's C ABI against Debian's libjwt on identical tokens.
 *
 *   bench_c INPUT_DIR [--quick]
 *   bench_c INPUT_DIR --instr ALG WHO ITERS   (WHO: tokenlane | libjwt)
 *
 * INPUT_DIR is written by scripts/bench.sh from bench/tokens.json (minted by
 * bench/gen_tokens.py with Python's `cryptography`): ALG.jwt (typ at+jwt)
 * and ALG.typ-jwt.jwt (the same token with typ JWT) per algorithm,
 * jwks.json, rsa.pem, ec.pem, hs.secret (raw bytes), issuer, audience, scope,
 * now.
 *
 * libjwt 1.10 (Debian 12) refuses every `typ` but `JWT`, so RFC 9068 access
 * tokens (`typ: at+jwt`) cannot be read with it at all; the comparison uses
 * the `typ: JWT` tokens for both libraries, tokenlane in compat typ mode.
 * libjwt 1.10 also has no claim validation API (jwt_valid_* came in 1.12)
 * and no PS*: per call jwt_decode (signature; the PEM is parsed each time,
 * as its API requires) and then, as an application would, the checks by
 * hand: alg, typ, iss, aud, exp with 60 s leeway, reading `sub`; jwt_free.
 *
 * tokenlane: one access validator per algorithm (issuer, audience, alg,
 * required scope, leeway 60), then per call
 * tokenlane_access_validator_validate + reading `sub` +
 * tokenlane_access_token_free. `--instr ALG tokenlane` runs the strict
 * validator on the at+jwt token: exactly what the Rust bench's
 * `--instr ALG BACKEND/validate` runs, so the difference in instructions is
 * the C ABI's own cost.
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), median of
 * rounds that interleave the contenders; ratios are medians of per-round
 * ratios. --instr runs one contender's loop for
 * `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured_loop`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <tokenlane.h>

#define MAX_ROUNDS 15

static char *read_file(const char *dir, const char *name, size_t *len) {
    char path[4096];
    FILE *f;
    char *data;
    long n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "reading %s failed\n", path);
        exit(2);
    }
    fclose(f);
    data[n] = '\0';
    /* text files: drop one trailing newline */
    if (len == NULL && n > 0 && data[n - 1] == '\n') data[n - 1] = '\0';
    if (len != NULL) *len = (size_t)n;
    return data;
}

struct fixture {
    const char *dir;
    char *jwks, *rsa_pem, *ec_pem, *issuer, *audience, *scope;
    unsigned char *secret;
    size_t jwks_len, secret_len;
    uint64_t now;
    tokenlane_keyset *keys;
};

struct contender {
    const char *alg;
    char *token, *token_jwt;
    size_t token_len, token_jwt_len;
    jwt_alg_t jalg;
    const unsigned char *jkey;
    int jkey_len;
    tokenlane_access_validator *validator, *compat;
    const struct fixture *fx;
};

static void die_tl(const char *what, tokenlane_result rc) {
    fprintf(stderr, "%s: %s\n", what, tokenlane_error_code_str((uint32_t)rc));
    exit(2);
}

static void setup(struct contender *c, const struct fixture *fx, const char *alg) {
    char name[32];
    tokenlane_validator_config *cfg = NULL;
    tokenlane_result rc;
    memset(c, 0, sizeof *c);
    c->alg = alg;
    c->fx = fx;
    snprintf(name, sizeof name, "%s.jwt", alg);
    c->token = read_file(fx->dir, name, NULL);
    c->token_len = strlen(c->token);
    snprintf(name, sizeof name, "%s.typ-jwt.jwt", alg);
    c->token_jwt = read_file(fx->dir, name, NULL);
    c->token_jwt_len = strlen(c->token_jwt);
    c->jalg = jwt_str_alg(alg);
    if (alg[0] == 'H') {
        c->jkey = fx->secret;
        c->jkey_len = (int)fx->secret_len;
    } else if (alg[0] == 'E') {
        c->jkey = (const unsigned char *)fx->ec_pem;
        c->jkey_len = (int)strlen(fx->ec_pem);
    } else {
        c->jkey = (const unsigned char *)fx->rsa_pem;
        c->jkey_len = (int)strlen(fx->rsa_pem);
    }
    if ((rc = tokenlane_validator_config_new(&cfg)) != TOKENLANE_RESULT_OK) die_tl("config", rc);
    tokenlane_validator_config_set_issuer(cfg, fx->issuer, strlen(fx->issuer));
    tokenlane_validator_config_add_audience(cfg, fx->audience, strlen(fx->audience));
    tokenlane_validator_config_add_algorithm(cfg, alg, strlen(alg));
    tokenlane_validator_config_add_required_scope(cfg, fx->scope, strlen(fx->scope));
    tokenlane_validator_config_set_leeway(cfg, 60);
    rc = tokenlane_access_validator_new(cfg, fx->keys, &c->validator, NULL);
    if (rc != TOKENLANE_RESULT_OK) die_tl("validator", rc);
    tokenlane_validator_config_set_typ_mode(cfg, TOKENLANE_TYP_MODE_COMPAT);
    rc = tokenlane_access_validator_new(cfg, fx->keys, &c->compat, NULL);
    if (rc != TOKENLANE_RESULT_OK) die_tl("compat validator", rc);
    tokenlane_validator_config_free(cfg);
}

/* One tokenlane validation through the C ABI; 1 when accepted. */
static int validate(const tokenlane_access_validator *v, const char *token, size_t len,
                    uint64_t now) {
    tokenlane_access_token *tok = NULL;
    const char *sub = NULL;
    size_t sub_len = 0;
    int ok;
    if (tokenlane_access_validator_validate(v, token, len, now, &tok, NULL) != TOKENLANE_RESULT_OK)
        return 0;
    ok = tokenlane_access_token_sub(tok, &sub, &sub_len) == TOKENLANE_RESULT_OK && sub_len > 0;
    tokenlane_access_token_free(tok);
    return ok;
}

/* Strict mode, the at+jwt token (the Rust bench's workload). */
static int run_tokenlane(const struct contender *c) {
    return validate(c->validator, c->token, c->token_len, c->fx->now);
}

/* Compat mode, the typ JWT token (the one libjwt can read). */
static int run_tokenlane_compat(const struct contender *c) {
    return validate(c->compat, c->token_jwt, c->token_jwt_len, c->fx->now);
}

/* One libjwt decode plus the claim checks an application writes by hand. */
static int run_libjwt(const struct contender *c) {
    jwt_t *jwt = NULL;
    const char *s;
    long exp;
    int ok = 0;
    if (jwt_decode(&jwt, c->token_jwt, c->jkey, c->jkey_len) != 0 || jwt == NULL) return 0;
    if (jwt_get_alg(jwt) != c->jalg) goto out;
    s = jwt_get_header(jwt, "typ");
    if (s == NULL || strcmp(s, "JWT") != 0) goto out;
    s = jwt_get_grant(jwt, "iss");
    if (s == NULL || strcmp(s, c->fx->issuer) != 0) goto out;
    s = jwt_get_grant(jwt, "aud");
    if (s == NULL || strcmp(s, c->fx->audience) != 0) goto out;
    exp = jwt_get_grant_int(jwt, "exp");
    if (exp <= 0 || (uint64_t)exp + 60 <= c->fx->now) goto out;
    s = jwt_get_grant(jwt, "sub");
    ok = s != NULL && s[0] != '\0';
out:
    jwt_free(jwt);
    return ok;
}

static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Not static, never inlined: callgrind's --toggle-collect target. */
__attribute__((noinline)) double measured_loop(int (*f)(const struct contender *),
                                               const struct contender *c, long n) {
    double t = cpu_ns();
    int ok = 1;
    long i;
    for (i = 0; i < n; i++) ok &= f(c);
    t = cpu_ns() - t;
    if (!ok) {
        fprintf(stderr, "%s: a contender refused the bench token\n", c->alg);
        exit(1);
    }
    return t;
}

static long calibrate(int (*f)(const struct contender *), const struct contender *c,
                      double round_ns) {
    long n = 1;
    measured_loop(f, c, 2);
    for (;;) {
        double t = measured_loop(f, c, n);
        if (t >= round_ns / 8 || n >= (1L << 30)) {
            double per = t / (double)n;
            long want = (long)(round_ns / (per > 1 ? per : 1));
            return want > 0 ? want : 1;
        }
        n *= 2;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

int main(int argc, char **argv) {
    static const char *algs[] = {"RS256", "ES256", "HS256"};
    struct fixture fx;
    struct contender cs[3];
    int quick = 0, rounds, i, r;
    double round_ns;
    const char *instr_alg = NULL, *instr_who = NULL;
    long instr_iters = 0;
    char *now;
    tokenlane_result rc;

    if (argc < 2) {
        fprintf(stderr, "usage: %s INPUT_DIR [--quick | --instr ALG WHO ITERS]\n", argv[0]);
        return 2;
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        if (strcmp(argv[i], "--instr") == 0 && i + 3 < argc) {
            instr_alg = argv[i + 1];
            instr_who = argv[i + 2];
            instr_iters = atol(argv[i + 3]);
        }
    }
    memset(&fx, 0, sizeof fx);
    fx.dir = argv[1];
    fx.jwks = read_file(fx.dir, "jwks.json", &fx.jwks_len);
    fx.rsa_pem = read_file(fx.dir, "rsa.pem", NULL);
    fx.ec_pem = read_file(fx.dir, "ec.pem", NULL);
    fx.issuer = read_file(fx.dir, "issuer", NULL);
    fx.audience = read_file(fx.dir, "audience", NULL);
    fx.scope = read_file(fx.dir, "scope", NULL);
    fx.secret = (unsigned char *)read_file(fx.dir, "hs.secret", &fx.secret_len);
    now = read_file(fx.dir, "now", NULL);
    fx.now = strtoull(now, NULL, 10);
    free(now);
    rc = tokenlane_keyset_from_jwks(fx.jwks, fx.jwks_len, &fx.keys, NULL);
    if (rc != TOKENLANE_RESULT_OK) die_tl("jwks", rc);

    if (instr_alg != NULL) {
        struct contender c;
        int (*f)(const struct contender *) = strcmp(instr_who, "libjwt") == 0 ? run_libjwt
                                              : strcmp(instr_who, "tokenlane-compat") == 0
                                                  ? run_tokenlane_compat
                                                  : run_tokenlane;
        setup(&c, &fx, instr_alg);
        if (!f(&c)) {
            fprintf(stderr, "refused\n");
            return 1;
        }
        measured_loop(f, &c, instr_iters);
        printf("instr %s %s %ld\n", instr_alg, instr_who, instr_iters);
        return 0;
    }

    rounds = quick ? 3 : 11;
    round_ns = quick ? 4e6 : 40e6;
    printf("bench_c: tokenlane %s (C ABI) vs libjwt (Debian), %d rounds of ~%.0f ms thread CPU time\n",
           tokenlane_version(), rounds, round_ns / 1e6);
    printf("=== BEGIN C TABLE ===\n");
    printf("| alg | tokenlane C ABI, at+jwt, strict µs | tokenlane C ABI, typ JWT, compat µs "
           "| libjwt, typ JWT µs | tokenlane (compat) ÷ libjwt |\n");
    printf("|---|---:|---:|---:|---:|\n");
    for (i = 0; i < 3; i++) {
        double t_st[MAX_ROUNDS], t_tl[MAX_ROUNDS], t_lj[MAX_ROUNDS], q[MAX_ROUNDS];
        long n_st, n_tl, n_lj;
        setup(&cs[i], &fx, algs[i]);
        if (!run_tokenlane(&cs[i]) || !run_tokenlane_compat(&cs[i]) || !run_libjwt(&cs[i])) {
            fprintf(stderr, "%s: refused before timing\n", algs[i]);
            return 1;
        }
        n_st = calibrate(run_tokenlane, &cs[i], round_ns);
        n_tl = calibrate(run_tokenlane_compat, &cs[i], round_ns);
        n_lj = calibrate(run_libjwt, &cs[i], round_ns);
        for (r = 0; r < rounds; r++) {
            t_st[r] = measured_loop(run_tokenlane, &cs[i], n_st) / (double)n_st;
            t_tl[r] = measured_loop(run_tokenlane_compat, &cs[i], n_tl) / (double)n_tl;
            t_lj[r] = measured_loop(run_libjwt, &cs[i], n_lj) / (double)n_lj;
            q[r] = t_tl[r] / t_lj[r];
        }
        printf("| %s | %.2f | %.2f | %.2f | %.3f |\n", algs[i], median(t_st, rounds) / 1e3,
               median(t_tl, rounds) / 1e3, median(t_lj, rounds) / 1e3, median(q, rounds));
        fflush(stdout);
        tokenlane_access_validator_free(cs[i].validator);
        tokenlane_access_validator_free(cs[i].compat);
        free(cs[i].token);
        free(cs[i].token_jwt);
    }
    printf("=== END C TABLE ===\n");
    tokenlane_keyset_free(fx.keys);
    free(fx.jwks);
    free(fx.rsa_pem);
    free(fx.ec_pem);
    free(fx.issuer);
    free(fx.audience);
    free(fx.scope);
    free(fx.secret);
    return 0;
}

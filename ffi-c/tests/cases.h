/*
 * Reads the conformance cases (tests/conformance/cases.json, converted by
 * cases_to_lines.py into a line format) and runs them through the C ABI.
 * Shared by conformance.c and threads.c.
 */
#ifndef TOKENLANE_TEST_CASES_H
#define TOKENLANE_TEST_CASES_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "tokenlane.h"

/* Bytes decoded from hex, NUL-terminated; data == NULL when absent. */
typedef struct {
    char *data;
    size_t len;
} tl_buf;

typedef struct {
    char kind[16];
    int undecodable; /* base64 in cases.json was not valid base64url */
    tl_buf data;
    tl_buf kid;
    char alg[16]; /* "" when absent */
} tl_source;

typedef struct {
    char name[64];
    tl_source *sources;
    size_t n_sources;
} tl_keyset_def;

typedef struct {
    char name[128];
    tl_source source;
    long loaded;  /* -1 when not given */
    long skipped; /* -1 when not given */
    char error[48];
} tl_keycase;

typedef struct {
    char name[160];
    int id_lane;
    char keyset[64];
    uint64_t now;
    tl_buf issuer, client_id, nonce, access_token, token;
    tl_buf *audiences;
    size_t n_audiences;
    tl_buf *scopes;
    size_t n_scopes;
    char (*algs)[16];
    size_t n_algs;
    uint64_t leeway;
    int has_max_age;
    uint64_t max_age;
    int typ; /* -1 not given, else a tokenlane_typ_mode */
    int has_max;
    size_t max;
    int expect_ok;
    char expect_error[48];
    /* Expected sub / client_id: given when has_*; data NULL means the claim
     * must be absent (CLAIM_ABSENT). */
    int has_sub, has_cid;
    tl_buf sub, cid;
    int has_scopes;
    tl_buf *granted;
    size_t n_granted;
    /* Request cases only (reqcase): the DPoP options, the replay store and
     * nonce, the request, and an accepted request's binding. */
    uint32_t mode; /* TOKENLANE_DPOP_* */
    char (*palgs)[16];
    size_t n_palgs;
    uint64_t window;
    tl_buf *seen;
    size_t n_seen;
    tl_buf dnonce, method, uri, cert;
    tl_buf *authz;
    size_t n_authz;
    tl_buf *dpop;
    size_t n_dpop;
    int bind_dpop, bind_cert;
    char bind_jkt[48]; /* "" when none */
    /* A stateless nonce issuer (nkey.data NULL: none) and the DPoP-Nonce
     * the response must carry ("" for none). */
    tl_buf nkey;
    uint64_t nbucket;
    char rnonce[48];
} tl_case;

/* An Authorization header case: the header (data NULL: no header) and the
 * token found, or the expected error code name. */
typedef struct {
    char name[128];
    tl_buf header;
    tl_buf token; /* data NULL when an error is expected */
    char expect_error[48];
} tl_authcase;

typedef struct {
    tl_keyset_def *keysets;
    size_t n_keysets;
    tl_keycase *keycases;
    size_t n_keycases;
    tl_case *cases;
    size_t n_cases;
    tl_authcase *authcases;
    size_t n_authcases;
    tl_case *reqcases;
    size_t n_reqcases;
} tl_cases;

/* Loads the line file; returns 0 on success (prints why otherwise). */
int tl_cases_load(const char *path, tl_cases *out);
void tl_cases_free(tl_cases *cases);

/* The line format's helpers: one line of any length (0 at end of file);
 * a hex field ("-" absent: data NULL, "=" empty); fields split in place on
 * spaces. */
int tl_read_line(FILE *f, char **line, size_t *cap);
int tl_unhex(const char *s, tl_buf *out);
size_t tl_split(char *line, char **fields, size_t max);

/* The number of a code name ("expired" -> 8), or UINT32_MAX. */
uint32_t tl_code_from_name(const char *name);

const tl_keyset_def *tl_find_keyset(const tl_cases *cases, const char *name);

/* Loads one key source (INVALID_KEY for undecodable transport base64). */
tokenlane_result tl_load_source(const tl_source *src, tokenlane_keyset **out, tokenlane_error_detail *detail);

/* Builds the union of a keyset definition's sources. */
tokenlane_result tl_build_keyset(const tl_keyset_def *def, tokenlane_keyset **out);

/* Builds the validator a case's policy describes (exactly one of the two
 * outputs is set, by lane). */
tokenlane_result tl_build_validator(const tl_case *c, const tokenlane_keyset *keys,
                                    tokenlane_access_validator **access, tokenlane_id_validator **id,
                                    tokenlane_error_detail *detail);

/* Validates the case's token with a validator built by tl_build_validator;
 * on success compares sub/client_id/scopes with the expectation. Returns
 * the result code and writes a mismatch explanation (or "") into why. */
uint32_t tl_validate_case(const tl_case *c, const tokenlane_access_validator *access,
                          const tokenlane_id_validator *id, tokenlane_error_detail *detail, char *why,
                          size_t why_len);

#endif

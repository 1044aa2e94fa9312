/*
 * validate: checks a bearer token the way an API would.
 *
 *   validate JWKS_FILE ISSUER AUDIENCE TOKEN [NOW]
 *
 * Loads the issuer's JWKS from a file, accepts RS256 and ES256 access tokens
 * (RFC 9068, typ at+jwt) for AUDIENCE, and prints who the token is for, or
 * why it is refused with the HTTP status and WWW-Authenticate header an API
 * would answer. NOW (Unix seconds) defaults to the system clock.
 * Exit status: 0 accepted, 1 refused, 2 usage or setup error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tokenlane.h>

/* Reads a whole file into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, n;
    char chunk[4096];
    *len = 0;
    if (f == NULL) return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        char *p = realloc(data, cap + n);
        if (p == NULL) break;
        data = p;
        memcpy(data + cap, chunk, n);
        cap += n;
    }
    fclose(f);
    *len = cap;
    return data;
}

/* Prints the detail's message (the call's reason, safe to log). */
static void print_detail(const char *what, const tokenlane_error_detail *detail) {
    char message[256];
    size_t len = 0;
    if (tokenlane_error_detail_message(detail, message, sizeof message, &len) != TOKENLANE_RESULT_OK) {
        message[0] = '\0'; /* longer than 255 bytes: len says how long */
    }
    fprintf(stderr, "%s: %s (%s)\n", what, tokenlane_error_code_str(tokenlane_error_detail_code(detail)), message);
}

int main(int argc, char **argv) {
    const char *issuer, *audience, *token;
    char *jwks;
    size_t jwks_len, i;
    uint64_t now;
    int status = 2;
    tokenlane_error_detail *detail = NULL;
    tokenlane_keyset *keys = NULL;
    tokenlane_validator_config *config = NULL;
    tokenlane_access_validator *validator = NULL;
    tokenlane_access_token *accepted = NULL;
    tokenlane_result rc;

    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s JWKS_FILE ISSUER AUDIENCE TOKEN [NOW]\n", argv[0]);
        return 2;
    }
    issuer = argv[2];
    audience = argv[3];
    token = argv[4];
    now = argc == 6 ? strtoull(argv[5], NULL, 10) : tokenlane_now();

    jwks = read_file(argv[1], &jwks_len);
    if (jwks == NULL) {
        perror(argv[1]);
        return 2;
    }
    if (tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK) goto done;

    /* 1. Keys: loaded once, then shared by every validation. */
    if (tokenlane_keyset_from_jwks(jwks, jwks_len, &keys, detail) != TOKENLANE_RESULT_OK) {
        print_detail("JWKS", detail);
        goto done;
    }

    /* 2. The API's policy: issuer, audience, algorithms, leeway. */
    if (tokenlane_validator_config_new(&config) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_set_issuer(config, issuer, strlen(issuer)) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_add_audience(config, audience, strlen(audience)) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_set_algorithms(config, TOKENLANE_ALG_RS256 | TOKENLANE_ALG_ES256) !=
            TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_set_leeway(config, 60) != TOKENLANE_RESULT_OK) {
        fprintf(stderr, "configuration: issuer and audience must be UTF-8\n");
        goto done;
    }
    if (tokenlane_access_validator_new(config, keys, &validator, detail) != TOKENLANE_RESULT_OK) {
        print_detail("validator", detail);
        goto done;
    }

    /* 3. Each request: validate, then read the claims. */
    rc = tokenlane_access_validator_validate(validator, token, strlen(token), now, &accepted, detail);
    if (rc == TOKENLANE_RESULT_OK) {
        const char *sub = NULL, *client = NULL, *scope = NULL;
        size_t sub_len = 0, client_len = 0, scope_len = 0;
        tokenlane_access_token_sub(accepted, &sub, &sub_len);
        tokenlane_access_token_client_id(accepted, &client, &client_len);
        printf("accepted: sub=%.*s client_id=%.*s scopes=", (int)sub_len, sub, (int)client_len, client);
        for (i = 0; i < tokenlane_access_token_scope_count(accepted); i++) {
            tokenlane_access_token_scope_get(accepted, i, &scope, &scope_len);
            printf("%s%.*s", i ? "," : "", (int)scope_len, scope);
        }
        printf(" exp=%llu\n", (unsigned long long)tokenlane_access_token_exp(accepted));
        status = 0;
    } else {
        char header[512];
        size_t header_len = 0;
        print_detail("refused", detail);
        printf("HTTP %u\n", (unsigned)tokenlane_error_http_status(rc));
        if (tokenlane_error_www_authenticate(rc, "api", 3, NULL, 0, header, sizeof header, &header_len) ==
            TOKENLANE_RESULT_OK) {
            printf("WWW-Authenticate: %s\n", header);
        }
        status = 1;
    }

done:
    tokenlane_access_token_free(accepted);
    tokenlane_access_validator_free(validator);
    tokenlane_validator_config_free(config);
    tokenlane_keyset_free(keys);
    tokenlane_error_detail_free(detail);
    free(jwks);
    return status;
}

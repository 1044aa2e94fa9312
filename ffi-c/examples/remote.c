/*
 * remote: an API that follows its issuer's keys and introspects opaque
 * tokens.
 *
 *   remote ISSUER AUDIENCE CLIENT_ID CLIENT_SECRET TOKEN...
 *
 * Discovers ISSUER, keeps its keys fresh with a background refresher,
 * finds its introspection endpoint, then validates each TOKEN for
 * AUDIENCE: a JWT with the keys, an opaque token by introspection
 * (authenticated as CLIENT_ID with client_secret_basic). Prints who each
 * token is for, or the HTTP status an API would answer and why.
 * Exit status: 0 all accepted, 1 one refused, 2 setup error.
 */
#include <stdio.h>
#include <string.h>

#include <tokenlane.h>

/* Logs the key source's events (called on any thread, outside the
 * library's locks). */
static void log_event(void *user_data, uint32_t kind, const char *message, size_t message_len) {
    (void)user_data;
    fprintf(stderr, "keys [%u]: %.*s\n", (unsigned)kind, (int)message_len, message);
}

static void print_detail(const char *what, const tokenlane_error_detail *detail) {
    char message[256];
    size_t len = 0;
    if (tokenlane_error_detail_message(detail, message, sizeof message, &len) != TOKENLANE_RESULT_OK) {
        message[0] = '\0';
    }
    fprintf(stderr, "%s: %s (%s)\n", what, tokenlane_error_code_str(tokenlane_error_detail_code(detail)), message);
}

int main(int argc, char **argv) {
    const char *issuer, *audience;
    int i, status = 2;
    tokenlane_error_detail *detail = NULL;
    tokenlane_keysource_options ko;
    tokenlane_introspector_options io;
    tokenlane_keysource *keys = NULL;
    tokenlane_introspector *introspector = NULL;
    tokenlane_validator_config *config = NULL;
    tokenlane_access_validator *validator = NULL;

    if (argc < 6) {
        fprintf(stderr, "usage: %s ISSUER AUDIENCE CLIENT_ID CLIENT_SECRET TOKEN...\n", argv[0]);
        return 2;
    }
    issuer = argv[1];
    audience = argv[2];
    if (tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK) return 2;

    /* 1. Keys: discovered, fetched on first use, refreshed in the background. */
    if (tokenlane_keysource_options_init(&ko, sizeof ko) != TOKENLANE_RESULT_OK) goto done;
    ko.on_event = log_event;
    if (tokenlane_keysource_from_issuer(issuer, strlen(issuer), &ko, &keys, detail) != TOKENLANE_RESULT_OK ||
        tokenlane_keysource_start(keys, detail) != TOKENLANE_RESULT_OK) {
        print_detail("key source", detail);
        goto done;
    }

    /* 2. Introspection: the endpoint from the issuer's metadata. */
    if (tokenlane_introspector_options_init(&io, sizeof io) != TOKENLANE_RESULT_OK) goto done;
    io.client_auth = TOKENLANE_CLIENT_SECRET_BASIC;
    io.client_id = argv[3];
    io.client_id_len = strlen(argv[3]);
    io.client_secret = argv[4];
    io.client_secret_len = strlen(argv[4]);
    if (tokenlane_introspector_from_issuer(issuer, strlen(issuer), &io, &introspector, detail) !=
        TOKENLANE_RESULT_OK) {
        print_detail("introspector", detail);
        goto done;
    }

    /* 3. The API's policy, following the key source. */
    if (tokenlane_validator_config_new(&config) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_set_issuer(config, issuer, strlen(issuer)) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_add_audience(config, audience, strlen(audience)) != TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_set_algorithms(config, TOKENLANE_ALG_RS256 | TOKENLANE_ALG_ES256) !=
            TOKENLANE_RESULT_OK ||
        tokenlane_validator_config_set_leeway(config, 60) != TOKENLANE_RESULT_OK) {
        goto done;
    }
    if (tokenlane_access_validator_new_with_keysource(config, keys, &validator, detail) != TOKENLANE_RESULT_OK) {
        print_detail("validator", detail);
        goto done;
    }

    /* 4. Each request: a JWT or an opaque token, one call. */
    status = 0;
    for (i = 5; i < argc; i++) {
        tokenlane_access_token *token = NULL;
        tokenlane_result rc = tokenlane_introspector_validate(introspector, validator, TOKENLANE_ACCESS_PATH_BOTH,
                                                              argv[i], strlen(argv[i]), tokenlane_now(), &token,
                                                              detail);
        if (rc == TOKENLANE_RESULT_OK) {
            const char *sub = NULL, *alg = NULL;
            size_t sub_len = 0, alg_len = 0;
            tokenlane_access_token_sub(token, &sub, &sub_len);
            tokenlane_access_token_alg(token, &alg, &alg_len);
            printf("accepted: sub=%.*s via %s\n", (int)sub_len, sub, alg_len > 0 ? "jwt" : "introspection");
            tokenlane_access_token_free(token);
        } else {
            /* 401/403 for the token's fault, 500/503 when a server failed. */
            printf("HTTP %u: %s\n", (unsigned)tokenlane_error_http_status(rc), tokenlane_error_code_str(rc));
            status = 1;
        }
    }

done:
    tokenlane_access_validator_free(validator);
    tokenlane_validator_config_free(config);
    tokenlane_introspector_free(introspector);
    tokenlane_keysource_free(keys); /* stops the refresher */
    tokenlane_error_detail_free(detail);
    return status;
}

/*
 * tokenlane_access_validator_introspect_response: hand-written RFC 7662
 * responses (the same shapes as tests/conformance/introspection.json) are
 * decided by the core through the C ABI, with the exact result code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenlane.h"

#include "check.h"

/* RFC 7515 Appendix A.1's HMAC key: the validator needs keys, introspection
 * does not use them. */
static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
    "\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}]}";

/* RFC 7662 section 2.2's example response, verbatim. */
static const char RFC7662[] =
    "{\"active\": true, \"client_id\": \"l238j323ds-23ij4\", \"username\": \"jdoe\","
    " \"scope\": \"read write dolphin\", \"sub\": \"Z5O3upPC88QrAjx00dis\","
    " \"aud\": \"https://protected.example.net/resource\","
    " \"iss\": \"https://server.example.com/\", \"exp\": 1419356238, \"iat\": 1419350238,"
    " \"extension_field\": \"twenty-seven\"}";

/* node-oidc-provider 9's answer for a refresh token: no token_type, no aud. */
static const char REFRESH[] =
    "{\"active\":true,\"client_id\":\"client\",\"exp\":1419356238,\"iat\":1419350238,"
    "\"iss\":\"https://server.example.com/\",\"scope\":\"openid offline_access read\",\"sub\":\"user-1\"}";

static const unsigned long long NOW = 1419353000ULL;

static tokenlane_result decide(const tokenlane_access_validator *v, const char *body, size_t len,
                               tokenlane_access_token **t) {
    *t = NULL;
    return tokenlane_access_validator_introspect_response(v, body, len, NOW, t, NULL);
}

int main(void) {
    tokenlane_validator_config *cfg = NULL;
    tokenlane_keyset *ks = NULL;
    tokenlane_access_validator *v = NULL;
    tokenlane_access_token *t = NULL;
    if (tokenlane_validator_config_new(&cfg) != TOKENLANE_RESULT_OK) return 2;
    tokenlane_validator_config_set_issuer(cfg, S("https://server.example.com/"));
    tokenlane_validator_config_add_audience(cfg, S("https://protected.example.net/resource"));
    tokenlane_validator_config_set_algorithms(cfg, TOKENLANE_ALG_HS256);
    tokenlane_validator_config_add_required_scope(cfg, S("read"));
    if (tokenlane_keyset_from_jwks(S(JWKS), &ks, NULL) != TOKENLANE_RESULT_OK) return 2;
    if (tokenlane_access_validator_new(cfg, ks, &v, NULL) != TOKENLANE_RESULT_OK) return 2;

    CHECK("RFC 7662 example is accepted", decide(v, S(RFC7662), &t) == TOKENLANE_RESULT_OK && t != NULL);
    if (t != NULL) {
        const char *s = NULL;
        size_t n = 0;
        CHECK("sub", tokenlane_access_token_sub(t, &s, &n) == TOKENLANE_RESULT_OK && n == 20 &&
                         memcmp(s, "Z5O3upPC88QrAjx00dis", 20) == 0);
        CHECK("alg is empty", tokenlane_access_token_alg(t, &s, &n) == TOKENLANE_RESULT_OK && n == 0);
        CHECK("has scope dolphin", tokenlane_access_token_has_scope(t, S("dolphin")) == 1);
        tokenlane_access_token_free(t);
    }
    CHECK("refresh token shape is missing_claim (aud)",
          decide(v, S(REFRESH), &t) == TOKENLANE_RESULT_MISSING_CLAIM && t == NULL);
    CHECK("inactive is invalid_claim (active)",
          decide(v, S("{\"active\":false}"), &t) == TOKENLANE_RESULT_INVALID_CLAIM && t == NULL);
    CHECK("token_type refresh_token is wrong_token_type",
          decide(v, S("{\"active\":true,\"token_type\":\"refresh_token\",\"aud\":\"https://protected.example.net/resource\","
                      "\"exp\":1419356238,\"scope\":\"read\"}"), &t) == TOKENLANE_RESULT_WRONG_TOKEN_TYPE);
    CHECK("another resource is audience_mismatch",
          decide(v, S("{\"active\":true,\"aud\":\"https://other.example/\",\"exp\":1419356238,\"scope\":\"read\"}"), &t) ==
              TOKENLANE_RESULT_AUDIENCE_MISMATCH);
    CHECK("HTML is malformed", decide(v, S("<html>Sign in</html>"), &t) == TOKENLANE_RESULT_MALFORMED);
    CHECK("NULL response is refused",
          tokenlane_access_validator_introspect_response(v, NULL, 3, NOW, &t, NULL) == TOKENLANE_RESULT_NULL_PARAMETER);

    tokenlane_access_validator_free(v);
    tokenlane_keyset_free(ks);
    tokenlane_validator_config_free(cfg);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

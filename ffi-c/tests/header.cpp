// The header compiles as C++17 (-Wall -Wextra -Wpedantic -Werror) and its
// handles fit RAII: each `*_free` is a unique_ptr deleter.
#include "tokenlane.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace {

struct KeysetFree {
    void operator()(tokenlane_keyset *k) const noexcept { tokenlane_keyset_free(k); }
};
struct ConfigFree {
    void operator()(tokenlane_validator_config *c) const noexcept { tokenlane_validator_config_free(c); }
};
struct ValidatorFree {
    void operator()(tokenlane_access_validator *v) const noexcept { tokenlane_access_validator_free(v); }
};

int passed = 0, failed = 0;

void check(const char *name, bool ok) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::printf("FAIL %s\n", name);
    }
}

}  // namespace

int main() {
    static_assert(TOKENLANE_RESULT_OK == 0, "OK is 0");
    static_assert(TOKENLANE_RESULT_INVALID_KEY == 20, "core codes keep their numbers");
    static_assert(sizeof(tokenlane_result) == sizeof(uint32_t), "the enum is 32 bits");

    const std::string jwks =
        R"({"keys":[{"kty":"oct","kid":"k1","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]})";
    tokenlane_keyset *raw_keys = nullptr;
    check("keyset", tokenlane_keyset_from_jwks(jwks.data(), jwks.size(), &raw_keys, nullptr) == TOKENLANE_RESULT_OK);
    std::unique_ptr<tokenlane_keyset, KeysetFree> keys(raw_keys);

    tokenlane_validator_config *raw_cfg = nullptr;
    check("config", tokenlane_validator_config_new(&raw_cfg) == TOKENLANE_RESULT_OK);
    std::unique_ptr<tokenlane_validator_config, ConfigFree> cfg(raw_cfg);
    const std::string issuer = "https://issuer.example/", audience = "https://api.example";
    tokenlane_validator_config_set_issuer(cfg.get(), issuer.data(), issuer.size());
    tokenlane_validator_config_add_audience(cfg.get(), audience.data(), audience.size());
    tokenlane_validator_config_set_algorithms(cfg.get(), TOKENLANE_ALG_HS256);
    tokenlane_validator_config_set_typ_mode(cfg.get(), TOKENLANE_TYP_MODE_COMPAT);

    tokenlane_access_validator *raw_v = nullptr;
    check("validator", tokenlane_access_validator_new(cfg.get(), keys.get(), &raw_v, nullptr) == TOKENLANE_RESULT_OK);
    std::unique_ptr<tokenlane_access_validator, ValidatorFree> validator(raw_v);

    const std::string token = "eyJhbGciOiJIUzI1NiJ9.e30.not-a-signature";
    tokenlane_access_token *tok = nullptr;
    tokenlane_result rc =
        tokenlane_access_validator_validate(validator.get(), token.data(), token.size(), 1767225600, &tok, nullptr);
    check("refused", rc == TOKENLANE_RESULT_MALFORMED && tok == nullptr);
    check("name", std::strcmp(tokenlane_error_code_str(rc), "malformed") == 0);
    check("version", std::string(tokenlane_version()) == std::to_string(TOKENLANE_VERSION_MAJOR) + "." +
                                                             std::to_string(TOKENLANE_VERSION_MINOR) + "." +
                                                             std::to_string(TOKENLANE_VERSION_PATCH));
    tokenlane_id_checks checks{};
    check("checks zero-initialize", checks.nonce == nullptr && checks.max_age == nullptr);
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

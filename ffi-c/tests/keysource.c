/*
 * tokenlane_keysource_* against loopback_server.py (started by
 * scripts/test-c.sh, its directory given as the argument): discovery and
 * the first load, validators of both lanes following a key source, a key
 * rotation while threads validate (the old kid is refused with
 * key_not_found after the refresh, and never accepted again), a flood of
 * random kids costing one fetch, authorize meeting a new kid (one fetch,
 * then accepted), the background refresher (start, stop,
 * double stop, free while it runs), the event callback and counters, the
 * options' bounds and sizes, NULLs, and stale keys serving after the server
 * died, then KEYS_UNAVAILABLE (HTTP 503) past the stale limit.
 *
 * Time: validation takes `now` from the test, so the policy's clock is the
 * test's too (T, T+ROTATE, ...): no test waits for a cooldown or a TTL. A
 * fetch ends at its start time plus the seconds it really took (the key
 * source's own clock), so the steps are SLACK seconds apart: a fetch slowed
 * down by valgrind (seconds, not minutes) still ends before the next step.
 *
 *   keysource SERVER_DIR [THREAD_ROUNDS]
 */
#include "remote.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>

#include "tokenlane.h"

#include "check.h"

#define API "https://api.example"
#define N_THREADS 4
#define MAX_SPINS 200000L
/* The steps of the test's clock (see the top). */
#define SLACK 20
#define ROTATE SLACK                      /* key a removed, key b added */
#define FLOOD (2 * SLACK)                 /* random kids, past the cooldown */
#define REFETCH (3 * SLACK)               /* authorize meets a kid its keys lack */
#define STALE (REFETCH + 60 + SLACK)      /* the last fetch's keys (TTL 60) expired */
#define PAST_MAX_STALE (REFETCH + 60 + 121 + SLACK) /* max_stale is 120 */

static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long events_seen[8];
static unsigned long events_empty_message;

/* The event callback: counts per kind (under its own lock: it may run on
 * several threads at once), and checks each message is a non-empty line. */
static void on_event(void *user_data, uint32_t kind, const char *message, size_t message_len) {
    unsigned long *seen = user_data;
    pthread_mutex_lock(&events_lock);
    seen[kind < 8 ? kind : 0]++;
    if (message == NULL || message_len == 0 || memchr(message, '\n', message_len) != NULL) events_empty_message++;
    pthread_mutex_unlock(&events_lock);
}

static unsigned long seen(uint32_t kind) {
    unsigned long n;
    pthread_mutex_lock(&events_lock);
    n = events_seen[kind];
    pthread_mutex_unlock(&events_lock);
    return n;
}

static char *issuer, *token_a, *token_b, *id_token_a;

static tokenlane_result validate(const tokenlane_access_validator *v, const char *token, uint64_t now,
                                 tokenlane_error_detail *detail) {
    tokenlane_access_token *t = NULL;
    tokenlane_result rc = tokenlane_access_validator_validate(v, token, strlen(token), now, &t, detail);
    if ((rc == TOKENLANE_RESULT_OK) != (t != NULL)) rc = TOKENLANE_RESULT_PANIC; /* outputs contract */
    tokenlane_access_token_free(t);
    return rc;
}

/* One Bearer request through tokenlane_access_validator_authorize. */
static tokenlane_result authorize(const tokenlane_access_validator *v, const char *token, uint64_t now,
                                  tokenlane_error_detail *detail) {
    char header[2048];
    tokenlane_header authz;
    tokenlane_request req;
    tokenlane_access_token *t = NULL;
    tokenlane_binding binding;
    tokenlane_result rc;
    snprintf(header, sizeof header, "Bearer %s", token);
    authz.value = header;
    authz.len = strlen(header);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.method_len = 3;
    req.uri = "https://api.example/items";
    req.uri_len = strlen(req.uri);
    req.authorization = &authz;
    req.authorization_count = 1;
    rc = tokenlane_access_validator_authorize(v, &req, now, NULL, &t, &binding, detail);
    if ((rc == TOKENLANE_RESULT_OK) != (t != NULL)) rc = TOKENLANE_RESULT_PANIC;
    tokenlane_access_token_free(t);
    return rc;
}

static tokenlane_validator_config *access_config(void) {
    tokenlane_validator_config *cfg = NULL;
    if (tokenlane_validator_config_new(&cfg) != TOKENLANE_RESULT_OK) exit(2);
    tokenlane_validator_config_set_issuer(cfg, issuer, strlen(issuer));
    tokenlane_validator_config_add_audience(cfg, S(API));
    tokenlane_validator_config_set_algorithms(cfg, TOKENLANE_ALG_ES256);
    return cfg;
}

static void test_options(tokenlane_keysource_options *o) {
    if (tokenlane_keysource_options_init(o, sizeof *o) != TOKENLANE_RESULT_OK) exit(2);
    o->kid_miss_cooldown = 1;
    o->retry_interval = 1;
    o->default_ttl = 60;
    o->refresh_ahead = 0;
    o->max_stale = 120;
    o->http.total_timeout_ms = 5000;
    o->on_event = on_event;
    o->user_data = events_seen;
}

/* The rotation's validating threads: each validates token_a at the shared
 * time until the main thread has rotated, then `rounds` times more, and
 * records what it saw. */
static pthread_mutex_t rotated_lock = PTHREAD_MUTEX_INITIALIZER;
static int rotated;

static int is_rotated(void) {
    int r;
    pthread_mutex_lock(&rotated_lock);
    r = rotated;
    pthread_mutex_unlock(&rotated_lock);
    return r;
}

typedef struct {
    const tokenlane_access_validator *v;
    uint64_t now;
    long rounds;
    long ok, not_found, other, ok_after_not_found;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    long i, spins;
    tokenlane_error_detail *detail = NULL;
    if (tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK) return NULL;
    /* Bounded even if the main thread never rotates (a failed check then,
     * never a hang); the yield lets the main thread run under valgrind's
     * one-thread-at-a-time scheduler. */
    for (i = 0, spins = 0; i < w->rounds && spins < MAX_SPINS; i += is_rotated(), spins++) {
        tokenlane_result rc;
        if (i == 0) sched_yield();
        rc = validate(w->v, token_a, w->now, detail);
        if (rc == TOKENLANE_RESULT_OK) {
            w->ok++;
            if (w->not_found > 0) w->ok_after_not_found++;
        } else if (rc == TOKENLANE_RESULT_KEY_NOT_FOUND) {
            w->not_found++;
        } else {
            w->other++;
        }
    }
    tokenlane_error_detail_free(detail);
    return NULL;
}

static int detail_mentions(const tokenlane_error_detail *detail, const char *what) {
    char message[512];
    size_t len = 0;
    return tokenlane_error_detail_message(detail, message, sizeof message, &len) == TOKENLANE_RESULT_OK &&
           strstr(message, what) != NULL;
}

static void test_misuse(tokenlane_error_detail *detail) {
    tokenlane_keysource_options o;
    tokenlane_keysource *ks = NULL;
    tokenlane_validator_config *cfg = access_config();
    tokenlane_access_validator *v = NULL;
    tokenlane_id_validator *idv = NULL;
    const char not_utf8[] = "https://\xff.example";

    CHECK("options_init NULL", tokenlane_keysource_options_init(NULL, sizeof o) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("options_init wrong size",
          tokenlane_keysource_options_init(&o, sizeof o - 1) == TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("options_init", tokenlane_keysource_options_init(&o, sizeof o) == TOKENLANE_RESULT_OK &&
                              o.struct_size == sizeof o && o.default_ttl == 600 && o.kid_miss_cooldown == 30 &&
                              o.max_stale == 86400 && o.http.total_timeout_ms == 10000 && o.http.system_roots &&
                              !o.http.dangerously_allow_plain_http && o.on_event == NULL);
    o.struct_size = sizeof o + 8;
    CHECK("struct_size from the future",
          tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                  TOKENLANE_RESULT_INVALID_ARGUMENT &&
              ks == NULL && detail_mentions(detail, "struct_size"));
    tokenlane_keysource_options_init(&o, sizeof o);
    o.default_ttl = 59;
    CHECK("default_ttl under its bound",
          tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                  TOKENLANE_RESULT_INVALID_ARGUMENT &&
              detail_mentions(detail, "default_ttl"));
    tokenlane_keysource_options_init(&o, sizeof o);
    o.kid_miss_cooldown = 601;
    CHECK("kid_miss_cooldown over its bound",
          tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                  TOKENLANE_RESULT_INVALID_ARGUMENT &&
              detail_mentions(detail, "kid_miss_cooldown"));
    tokenlane_keysource_options_init(&o, sizeof o);
    o.refresher_interval = 0;
    CHECK("refresher_interval 0", tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                                      TOKENLANE_RESULT_INVALID_ARGUMENT);
    tokenlane_keysource_options_init(&o, sizeof o);
    o.http.connect_timeout_ms = 0;
    CHECK("timeout 0", tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                           TOKENLANE_RESULT_INVALID_ARGUMENT);
    tokenlane_keysource_options_init(&o, sizeof o);
    o.http.max_redirects = 11;
    CHECK("max_redirects 11", tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                                  TOKENLANE_RESULT_INVALID_ARGUMENT);
    tokenlane_keysource_options_init(&o, sizeof o);
    o.http.ca_bundle_path = "/nonexistent/ca.pem";
    o.http.ca_bundle_path_len = strlen(o.http.ca_bundle_path);
    CHECK("unreadable CA bundle", tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                                      TOKENLANE_RESULT_INVALID_ARGUMENT &&
                                      detail_mentions(detail, "CA bundle"));
    CHECK("plain http to another host",
          tokenlane_keysource_from_issuer(S("http://issuer.example"), NULL, &ks, detail) ==
                  TOKENLANE_RESULT_INVALID_ARGUMENT &&
              ks == NULL);
    tokenlane_keysource_options_init(&o, sizeof o);
    o.http.dangerously_allow_plain_http = true;
    CHECK("plain http with the loud opt-in",
          tokenlane_keysource_from_issuer(S("http://issuer.example"), &o, &ks, detail) == TOKENLANE_RESULT_OK &&
              ks != NULL);
    tokenlane_keysource_free(ks);
    ks = NULL;
    CHECK("not a URL", tokenlane_keysource_from_jwks_uri(S("ftp://x/jwks"), NULL, &ks, detail) ==
                           TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("issuer not UTF-8", tokenlane_keysource_from_issuer(S(not_utf8), NULL, &ks, detail) ==
                                  TOKENLANE_RESULT_INVALID_ARGUMENT);
    CHECK("NULL issuer", tokenlane_keysource_from_issuer(NULL, 0, NULL, &ks, detail) ==
                             TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("NULL out", tokenlane_keysource_from_jwks_uri(S("https://issuer.example/jwks"), NULL, NULL, detail) ==
                          TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("start NULL", tokenlane_keysource_start(NULL, detail) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("stop NULL", tokenlane_keysource_stop(NULL) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("refresh NULL", tokenlane_keysource_refresh(NULL, 0, detail) == TOKENLANE_RESULT_NULL_PARAMETER);
    CHECK("counts of NULL", tokenlane_keysource_event_count(NULL, TOKENLANE_KEYSOURCE_EVENT_FETCHED) == 0 &&
                                !tokenlane_keysource_running(NULL));
    CHECK("validator with NULL key source",
          tokenlane_access_validator_new_with_keysource(cfg, NULL, &v, detail) == TOKENLANE_RESULT_NULL_PARAMETER &&
              v == NULL);
    CHECK("set_keysource NULLs", tokenlane_access_validator_set_keysource(NULL, NULL) ==
                                         TOKENLANE_RESULT_NULL_PARAMETER &&
                                     tokenlane_id_validator_set_keysource(NULL, NULL) ==
                                         TOKENLANE_RESULT_NULL_PARAMETER);
    if (tokenlane_keysource_from_jwks_uri(S("https://issuer.example/jwks"), NULL, &ks, detail) ==
        TOKENLANE_RESULT_OK) {
        CHECK("unknown event kind counts 0", tokenlane_keysource_event_count(ks, 99) == 0);
        CHECK("the ID lane refuses an access config",
              tokenlane_id_validator_new_with_keysource(cfg, ks, &idv, detail) ==
                      TOKENLANE_RESULT_INVALID_ARGUMENT &&
                  idv == NULL);
        CHECK("stop when never started", tokenlane_keysource_stop(ks) == TOKENLANE_RESULT_OK);
    }
    tokenlane_keysource_free(ks);
    tokenlane_keysource_free(NULL);
    CHECK("code names and statuses",
          strcmp(tokenlane_error_code_str(TOKENLANE_RESULT_KEYS_UNAVAILABLE), "keys_unavailable") == 0 &&
              tokenlane_error_http_status(TOKENLANE_RESULT_KEYS_UNAVAILABLE) == 503 &&
              tokenlane_error_rfc6750(TOKENLANE_RESULT_KEYS_UNAVAILABLE)[0] == '\0');
    tokenlane_validator_config_free(cfg);
}

/* The refresher: loads the keys without any validation; start twice is
 * refused; stop twice is fine; free while it runs joins it. */
static void test_refresher(tokenlane_error_detail *detail) {
    tokenlane_keysource_options o;
    tokenlane_keysource *ks = NULL, *ks2 = NULL;
    char uri[512];
    int i;
    snprintf(uri, sizeof uri, "%s/jwks", issuer);
    tokenlane_keysource_options_init(&o, sizeof o);
    o.refresher_interval = 1;
    if (tokenlane_keysource_from_jwks_uri(uri, strlen(uri), &o, &ks, detail) != TOKENLANE_RESULT_OK) {
        CHECK("jwks_uri key source", 0);
        return;
    }
    CHECK("start", tokenlane_keysource_start(ks, detail) == TOKENLANE_RESULT_OK && tokenlane_keysource_running(ks));
    CHECK("start twice is refused", tokenlane_keysource_start(ks, detail) == TOKENLANE_RESULT_INVALID_ARGUMENT &&
                                        detail_mentions(detail, "already runs"));
    /* A bounded wait for the refresher's first load (not a timing check). */
    for (i = 0; i < 200 && tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_FETCHED) == 0; i++)
        sleep_ms(50);
    CHECK("the refresher loaded the keys without a validation",
          tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_FETCHED) == 1);
    CHECK("stop", tokenlane_keysource_stop(ks) == TOKENLANE_RESULT_OK && !tokenlane_keysource_running(ks));
    CHECK("double stop", tokenlane_keysource_stop(ks) == TOKENLANE_RESULT_OK);
    CHECK("start again", tokenlane_keysource_start(ks, detail) == TOKENLANE_RESULT_OK);
    tokenlane_keysource_free(ks); /* while it runs */
    if (tokenlane_keysource_from_jwks_uri(uri, strlen(uri), &o, &ks2, detail) == TOKENLANE_RESULT_OK) {
        CHECK("start then free at once", tokenlane_keysource_start(ks2, detail) == TOKENLANE_RESULT_OK);
        tokenlane_keysource_free(ks2);
    }
}

int main(int argc, char **argv) {
    tokenlane_keysource_options o;
    tokenlane_keysource *ks = NULL;
    tokenlane_validator_config *cfg = NULL, *idcfg = NULL;
    tokenlane_access_validator *v = NULL;
    tokenlane_id_validator *idv = NULL;
    tokenlane_id_token *idt = NULL;
    tokenlane_error_detail *detail = NULL;
    worker w[N_THREADS];
    pthread_t th[N_THREADS];
    uint64_t T = 0;
    long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 200, flood_not_found = 0;
    unsigned long cooldown_before;
    int i, alive_ok = 1;
    char *flood, *line, *pid;
    tokenlane_result rc;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SERVER_DIR [THREAD_ROUNDS]\n", argv[0]);
        return 2;
    }
    server_dir = argv[1];
    issuer = server_file("issuer");
    token_a = server_file("token_a");
    token_b = server_file("token_b");
    id_token_a = server_file("id_token_a");
    flood = server_file("flood");
    if (issuer == NULL || token_a == NULL || token_b == NULL || id_token_a == NULL || flood == NULL) {
        fprintf(stderr, "the server's files are missing in %s\n", server_dir);
        return 2;
    }
    if (tokenlane_error_detail_new(&detail) != TOKENLANE_RESULT_OK) return 2;

    test_misuse(detail);

    /* 1. Discovery and the first load. */
    test_options(&o);
    CHECK("from_issuer (no I/O yet)", tokenlane_keysource_from_issuer(issuer, strlen(issuer), &o, &ks, detail) ==
                                              TOKENLANE_RESULT_OK &&
                                          server_count("count_jwks") == 0);
    cfg = access_config();
    CHECK("access validator follows the key source",
          tokenlane_access_validator_new_with_keysource(cfg, ks, &v, detail) == TOKENLANE_RESULT_OK);
    if (v == NULL) goto done;
    T = tokenlane_now();
    CHECK("token a accepted (discovery, first load)", validate(v, token_a, T, detail) == TOKENLANE_RESULT_OK);
    CHECK("one JWKS fetch", server_count("count_jwks") == 1 &&
                                tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_FETCHED) == 1 &&
                                seen(TOKENLANE_KEYSOURCE_EVENT_FETCHED) == 1);
    CHECK("token b (unknown kid, within the cooldown) is key_not_found without a fetch",
          validate(v, token_b, T, detail) == TOKENLANE_RESULT_KEY_NOT_FOUND && server_count("count_jwks") == 1 &&
              tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_COOLDOWN) == 1 &&
              seen(TOKENLANE_KEYSOURCE_EVENT_COOLDOWN) == 1);

    /* The ID lane follows the same source (no new fetch). */
    if (tokenlane_validator_config_new(&idcfg) == TOKENLANE_RESULT_OK) {
        tokenlane_validator_config_set_issuer(idcfg, issuer, strlen(issuer));
        tokenlane_validator_config_set_client_id(idcfg, S("app"));
        tokenlane_validator_config_set_algorithms(idcfg, TOKENLANE_ALG_ES256);
        CHECK("ID validator follows the key source",
              tokenlane_id_validator_new_with_keysource(idcfg, ks, &idv, detail) == TOKENLANE_RESULT_OK);
        CHECK("ID token accepted from the same keys",
              tokenlane_id_validator_validate(idv, id_token_a, strlen(id_token_a), T, NULL, &idt, detail) ==
                      TOKENLANE_RESULT_OK &&
                  server_count("count_jwks") == 1);
        tokenlane_id_token_free(idt);
        CHECK("an access token in the ID lane is still refused",
              tokenlane_id_validator_validate(idv, token_a, strlen(token_a), T, NULL, &idt, detail) ==
                  TOKENLANE_RESULT_WRONG_TOKEN_TYPE);
    }

    /* 2. Rotation: key a removed, key b added, while threads validate. */
    server_set("keys", "b");
    for (i = 0; i < N_THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].v = v;
        w[i].now = T + ROTATE;
        w[i].rounds = rounds;
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    CHECK("token b accepted after one kid-miss fetch", validate(v, token_b, T + ROTATE, detail) == TOKENLANE_RESULT_OK);
    pthread_mutex_lock(&rotated_lock);
    rotated = 1;
    pthread_mutex_unlock(&rotated_lock);
    for (i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
    for (i = 0; i < N_THREADS; i++) {
        alive_ok &= w[i].other == 0 && w[i].ok_after_not_found == 0 && w[i].not_found >= rounds - 1;
    }
    CHECK("threads saw only ok, then key_not_found, never ok again", alive_ok);
    CHECK("exactly one fetch for the rotation", server_count("count_jwks") == 2 &&
                                                    tokenlane_keysource_event_count(
                                                        ks, TOKENLANE_KEYSOURCE_EVENT_FETCHED) == 2);
    CHECK("the old kid is refused with key_not_found after the refresh",
          validate(v, token_a, T + ROTATE, detail) == TOKENLANE_RESULT_KEY_NOT_FOUND);
    CHECK("authorize (Bearer) reads the key source's keys",
          authorize(v, token_b, T + ROTATE, detail) == TOKENLANE_RESULT_OK &&
              authorize(v, token_a, T + ROTATE, detail) == TOKENLANE_RESULT_KEY_NOT_FOUND);

    /* 3. A flood of random kids, past the cooldown: one fetch, the rest
     * refused without one. */
    cooldown_before = (unsigned long)tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_COOLDOWN);
    for (line = strtok(flood, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (validate(v, line, T + FLOOD, detail) == TOKENLANE_RESULT_KEY_NOT_FOUND) flood_not_found++;
    }
    CHECK("100 random kids: all key_not_found", flood_not_found == 100);
    CHECK("100 random kids: one fetch", server_count("count_jwks") == 3 &&
                                            tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_FETCHED) ==
                                                3);
    CHECK("100 random kids: 99 cooldowns",
          tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_COOLDOWN) - cooldown_before == 99);

    /* 3b. The request lane follows the kid-miss rule too: key a is back;
     * authorize, the first to meet it, fetches once and decides again. */
    server_set("keys", "ab");
    CHECK("authorize: an unknown kid past the cooldown fetches and is accepted",
          authorize(v, token_a, T + REFETCH, detail) == TOKENLANE_RESULT_OK && server_count("count_jwks") == 4);
    CHECK("authorize: both keys now, no further fetch",
          authorize(v, token_b, T + REFETCH, detail) == TOKENLANE_RESULT_OK && server_count("count_jwks") == 4);

    test_refresher(detail);

    /* 4. The server dies: the last good keys (fetched at T+REFETCH, TTL 60) keep
     * serving past expiry within max_stale (120 s), then KEYS_UNAVAILABLE. */
    server_set("fail", "500"); /* answers fail even before the process is gone */
    pid = server_file("pid");
    if (pid != NULL) kill((pid_t)strtol(pid, NULL, 10), SIGTERM);
    free(pid);
    CHECK("stale keys serve after the server died", validate(v, token_b, T + STALE, detail) == TOKENLANE_RESULT_OK);
    for (i = 0; i < 200 && tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_SERVED_STALE) == 0; i++)
        sleep_ms(50); /* the background refresh: a bounded wait, not a timing check */
    CHECK("failed and served_stale events",
          tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_FAILED) >= 1 &&
              tokenlane_keysource_event_count(ks, TOKENLANE_KEYSOURCE_EVENT_SERVED_STALE) >= 1 &&
              seen(TOKENLANE_KEYSOURCE_EVENT_SERVED_STALE) >= 1);
    rc = validate(v, token_b, T + PAST_MAX_STALE, detail);
    CHECK("past max_stale: keys_unavailable, HTTP 503, not the token's fault",
          rc == TOKENLANE_RESULT_KEYS_UNAVAILABLE && tokenlane_error_http_status(rc) == 503 &&
              tokenlane_error_detail_code(detail) == TOKENLANE_RESULT_KEYS_UNAVAILABLE &&
              detail_mentions(detail, "keys unavailable"));
    CHECK("authorize past max_stale: keys_unavailable",
          authorize(v, token_b, T + PAST_MAX_STALE + 1, detail) == TOKENLANE_RESULT_KEYS_UNAVAILABLE);
    CHECK("refresh reports keys_unavailable",
          tokenlane_keysource_refresh(ks, T + PAST_MAX_STALE + 100, detail) == TOKENLANE_RESULT_KEYS_UNAVAILABLE);
    CHECK("set_keysource back to the same source", tokenlane_access_validator_set_keysource(v, ks) ==
                                                       TOKENLANE_RESULT_OK);
    CHECK("every event message was one non-empty line", events_empty_message == 0);

done:
    tokenlane_keysource_free(ks); /* validators keep their own reference */
    CHECK("a validator outlives its freed key source",
          v == NULL || validate(v, token_b, T + PAST_MAX_STALE + 200, detail) == TOKENLANE_RESULT_KEYS_UNAVAILABLE);
    tokenlane_id_validator_free(idv);
    tokenlane_access_validator_free(v);
    tokenlane_validator_config_free(idcfg);
    tokenlane_validator_config_free(cfg);
    tokenlane_error_detail_free(detail);
    free(issuer);
    free(token_a);
    free(token_b);
    free(id_token_a);
    free(flood);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/*
 * Key rotation under load: 8 threads validate the conformance tokens with
 * shared validators (one per case) while another thread replaces every
 * validator's keys many times (freshly loaded key sets of the same keys,
 * freed right after the swap). Every result must be exactly the case's
 * expected outcome: a validation never sees a half-replaced key set, and a
 * key set freed by the caller stays alive for validations still using it.
 *
 * Usage: threads CASES.txt [ROTATIONS [STRIDE]]
 * (STRIDE n: workers validate every n-th case only, for slow runs such as
 * valgrind's.)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "tokenlane.h"

#define WORKERS 8

typedef struct {
    tl_cases all;
    tokenlane_access_validator **access;
    tokenlane_id_validator **id;
    uint32_t *expected;
    unsigned long rotations;
    size_t stride;
    pthread_mutex_t lock;
    int rotating; /* guarded by lock */
} shared_state;

typedef struct {
    shared_state *s;
    unsigned index;
    unsigned long validations, wrong, rounds;
} worker_state;

static int still_rotating(shared_state *s) {
    int r;
    pthread_mutex_lock(&s->lock);
    r = s->rotating;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static void *worker(void *arg) {
    worker_state *w = arg;
    shared_state *s = w->s;
    char why[256];
    size_t n = s->all.n_cases;
    /* At least two full rounds, and keep going while keys rotate. */
    while (w->rounds < 2 || still_rotating(s)) {
        size_t k;
        for (k = 0; k < n; k += s->stride) {
            size_t i = (k + w->index * 37) % n;
            uint32_t got = tl_validate_case(&s->all.cases[i], s->access[i], s->id[i], NULL, why, sizeof why);
            w->validations++;
            if (got != s->expected[i] || why[0] != '\0') {
                if (w->wrong < 5) {
                    printf("FAIL thread %u, %s: got %s, expected %s %s\n", w->index, s->all.cases[i].name,
                           tokenlane_error_code_str(got), tokenlane_error_code_str(s->expected[i]), why);
                }
                w->wrong++;
            }
        }
        w->rounds++;
    }
    return NULL;
}

static void *rotator(void *arg) {
    shared_state *s = arg;
    unsigned long r;
    for (r = 0; r < s->rotations; r++) {
        size_t d, i;
        for (d = 0; d < s->all.n_keysets; d++) {
            const tl_keyset_def *def = &s->all.keysets[d];
            tokenlane_keyset *fresh = NULL;
            if (tl_build_keyset(def, &fresh) != TOKENLANE_RESULT_OK) {
                printf("FAIL rotation: keyset %s does not load\n", def->name);
                exit(1);
            }
            for (i = 0; i < s->all.n_cases; i++) {
                if (strcmp(s->all.cases[i].keyset, def->name) != 0) continue;
                if (s->access[i] != NULL) tokenlane_access_validator_set_keys(s->access[i], fresh);
                if (s->id[i] != NULL) tokenlane_id_validator_set_keys(s->id[i], fresh);
            }
            tokenlane_keyset_free(fresh); /* validators hold their own reference */
        }
    }
    pthread_mutex_lock(&s->lock);
    s->rotating = 0;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int main(int argc, char **argv) {
    shared_state s;
    worker_state w[WORKERS];
    pthread_t threads[WORKERS], rot;
    unsigned long validations = 0, wrong = 0, setup_failed = 0;
    size_t i, n;
    unsigned t;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASES.txt [ROTATIONS [STRIDE]]\n", argv[0]);
        return 2;
    }
    memset(&s, 0, sizeof s);
    if (tl_cases_load(argv[1], &s.all) != 0) return 2;
    s.rotations = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
    s.stride = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 1;
    if (s.stride == 0) s.stride = 1;
    n = s.all.n_cases;
    s.access = calloc(n, sizeof *s.access);
    s.id = calloc(n, sizeof *s.id);
    s.expected = calloc(n, sizeof *s.expected);
    if (s.access == NULL || s.id == NULL || s.expected == NULL) return 2;
    for (i = 0; i < n; i++) {
        const tl_case *c = &s.all.cases[i];
        const tl_keyset_def *def = tl_find_keyset(&s.all, c->keyset);
        tokenlane_keyset *keys = NULL;
        s.expected[i] = c->expect_ok ? 0u : tl_code_from_name(c->expect_error);
        if (def == NULL || tl_build_keyset(def, &keys) != TOKENLANE_RESULT_OK ||
            tl_build_validator(c, keys, &s.access[i], &s.id[i], NULL) != TOKENLANE_RESULT_OK) {
            printf("FAIL setup of %s\n", c->name);
            setup_failed++;
        }
        tokenlane_keyset_free(keys);
    }
    pthread_mutex_init(&s.lock, NULL);
    s.rotating = 1;
    for (t = 0; t < WORKERS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].s = &s;
        w[t].index = t;
        if (pthread_create(&threads[t], NULL, worker, &w[t]) != 0) return 2;
    }
    if (pthread_create(&rot, NULL, rotator, &s) != 0) return 2;
    pthread_join(rot, NULL);
    for (t = 0; t < WORKERS; t++) {
        pthread_join(threads[t], NULL);
        validations += w[t].validations;
        wrong += w[t].wrong;
    }
    pthread_mutex_destroy(&s.lock);
    for (i = 0; i < n; i++) {
        tokenlane_access_validator_free(s.access[i]);
        tokenlane_id_validator_free(s.id[i]);
    }
    free(s.access);
    free(s.id);
    free(s.expected);
    tl_cases_free(&s.all);
    printf("threads: %d workers, %lu validations during %lu key rotations, %lu unexpected results\n", WORKERS,
           validations, s.rotations, wrong);
    /* One test per worker thread plus the rotation itself. */
    {
        unsigned long failed_threads = 0;
        for (t = 0; t < WORKERS; t++) failed_threads += w[t].wrong != 0;
        failed_threads += setup_failed != 0;
        printf("%lu passed, %lu failed\n", (unsigned long)WORKERS + 1 - failed_threads, failed_threads);
        return failed_threads == 0 ? 0 : 1;
    }
}

/*
 * Helpers of the tests that talk to loopback_server.py (keysource.c,
 * introspector.c): reading the files the server writes into its directory,
 * steering it, and a bounded wait.
 */
#ifndef TOKENLANE_TESTS_REMOTE_H
#define TOKENLANE_TESTS_REMOTE_H

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *server_dir;

/* The contents of DIR/name without trailing whitespace (malloc'd; NULL when
 * it cannot be read). */
static inline char *server_file(const char *name) {
    char path[1024];
    FILE *f;
    char *data = NULL;
    size_t len = 0, n;
    char chunk[4096];
    snprintf(path, sizeof path, "%s/%s", server_dir, name);
    f = fopen(path, "rb");
    if (f == NULL) return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        char *p = realloc(data, len + n + 1);
        if (p == NULL) break;
        data = p;
        memcpy(data + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (data == NULL) data = calloc(1, 1);
    if (data == NULL) return NULL;
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' ')) len--;
    data[len] = '\0';
    return data;
}

/* A counter the server writes (count_jwks, count_introspect); 0 if none yet. */
static inline long server_count(const char *name) {
    char *s = server_file(name);
    long n = s != NULL ? strtol(s, NULL, 10) : 0;
    free(s);
    return n;
}

/* Writes DIR/name (through a rename, so the server never reads half). */
static inline void server_set(const char *name, const char *value) {
    char path[1024], tmp[1040];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", server_dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (f == NULL) return;
    fputs(value, f);
    fclose(f);
    rename(tmp, path);
}

static inline void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

#endif

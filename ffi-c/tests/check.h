/*
 * The C test programs' one check macro: counts a pass or prints the failing
 * check's name and line. Each program prints its own summary from
 * `passed` and `failed`.
 */
#ifndef TOKENLANE_TESTS_CHECK_H
#define TOKENLANE_TESTS_CHECK_H

#include <stdio.h>

static unsigned long passed, failed;

#define CHECK(name, cond)                                    \
    do {                                                     \
        if (cond) {                                          \
            passed++;                                        \
        } else {                                             \
            failed++;                                        \
            printf("FAIL %s (line %d)\n", name, __LINE__);   \
        }                                                    \
    } while (0)

/* A string literal as pointer + length (no NUL counted). */
#define S(lit) (lit), (sizeof(lit) - 1)

#endif

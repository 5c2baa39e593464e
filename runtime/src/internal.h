/*===- internal.h - What the runtime's files share ------------------------===*/

#ifndef QNT_RUNTIME_INTERNAL_H
#define QNT_RUNTIME_INTERNAL_H

#include <stddef.h>

/* Formats a message into error (size bytes) and returns -1. */
int qnt_rt_fail(char *error, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* QNT_RUNTIME_INTERNAL_H */

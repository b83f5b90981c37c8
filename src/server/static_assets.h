/* static_assets.h — the web page's files, compiled into the binary from web/ by
 * src/server/embed_assets.sh at build time (build/gen/static_assets.c). */
#ifndef NEEDLE_SERVER_STATIC_ASSETS_H
#define NEEDLE_SERVER_STATIC_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;         /* "/index.html" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} static_asset;

/* Terminated by an entry whose path is NULL. */
extern const static_asset static_assets[];

#endif

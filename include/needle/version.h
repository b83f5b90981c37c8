/* version.h — needle's version, shared by `needle version` and the HTTP API's /health. */
#ifndef NEEDLE_VERSION_H
#define NEEDLE_VERSION_H

#define NEEDLE_VERSION "0.1.0"

#endif

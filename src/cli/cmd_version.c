/* cmd_version.c — `needle version`: the version and the libraries this binary links. */
#include "cli.h"
#include "needle/version.h"

#include <cblas.h>
#include <cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <utf8proc.h>

int cmd_version(int argc, char **argv) {
    static const cli_spec spec = {"needle version", "Print needle's version and its libraries' versions.", NULL, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    printf("needle %s\n", NEEDLE_VERSION);
    printf("openblas %s\n", openblas_get_config());
    printf("utf8proc %s\n", utf8proc_version());
    printf("sqlite %s\n", sqlite3_libversion());
    printf("cjson %s\n", cJSON_Version());
    return 0;
}

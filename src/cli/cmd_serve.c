/* cmd_serve.c — `needle serve`: the HTTP API and the web page over a document store.
 *
 * SIGINT and SIGTERM are blocked before the server's threads start (so they inherit the mask)
 * and taken by sigwait on the main thread: the first one starts a graceful stop (no new
 * connections, requests in flight finish, the store is closed cleanly); a second one during
 * the stop kills the process at once, losing nothing committed. --durable adds an fsync per
 * commit, for writes that must survive a power failure as well. */
#include "cli.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/pipeline.h"
#include "needle/server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_serve(int argc, char **argv) {
    server_config cfg;
    server_config_default(&cfg);
    const char *store = NULL, *file = NULL, *name = NULL, *port_file = NULL, *api_key = NULL;
    int max_body_mb = (int)(cfg.max_body_bytes >> 20), max_query = (int)cfg.max_query_bytes;
    int max_url = (int)cfg.max_url_bytes, timeout = (int)cfg.timeout_s;
    double shutdown_s = 30;
    int durable = 0;
    const cli_opt opts[] = {
        {"store", OPT_STRING, &store, "document store to serve (created when missing); /query is BM25 over it", 0},
        {"pipeline", OPT_STRING, &file, "serve this pipeline file instead (docs/pipeline.md): /query runs it, the document "
                                        "endpoints use its first store", 0},
        {"pipeline-name", OPT_STRING, &name, "with --pipeline: which pipeline of the file (default: the only one, or 'query')", 0},
        {"host", OPT_STRING, &cfg.host, "address to listen on (0.0.0.0 for every interface)", 0},
        {"port", OPT_INT, &cfg.port, "port to listen on (0: a free one, see --port-file)", 0},
        {"port-file", OPT_STRING, &port_file, "write the port actually bound to this file", 0},
        {"threads", OPT_INT, &cfg.threads, "worker threads (concurrent requests)", 0},
        {"api-key", OPT_STRING, &api_key, "require this key as X-API-Key or Authorization: Bearer "
                                          "(default: $NEEDLE_API_KEY; the page and /health stay open)", 0},
        {"max-body-mb", OPT_INT, &max_body_mb, "largest request body in MiB (413 beyond)", 0},
        {"max-url-bytes", OPT_INT, &max_url, "longest request target in bytes (414 beyond)", 0},
        {"max-query-bytes", OPT_INT, &max_query, "longest question in bytes (400 beyond)", 0},
        {"idle-timeout", OPT_INT, &timeout, "seconds before an idle connection is closed", 0},
        {"shutdown-timeout", OPT_DOUBLE, &shutdown_s, "seconds that requests in flight get to finish on SIGINT/SIGTERM", 0},
        {"durable", OPT_FLAG, &durable, "fsync every committed write (SQLite synchronous=FULL): acknowledged writes "
                                        "survive a power failure, not only a killed process (docs/server.md)", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    static const cli_spec spec_base = {
        "needle serve (--store FILE | --pipeline FILE) [--port N] [options]",
        "Serve the HTTP API (Haystack 1.x REST shapes: /query, /documents, /file-upload, /feedback,\n"
        "/eval-feedback, /export-feedback, /health) and the search page at /. Stops gracefully on\n"
        "SIGINT or SIGTERM. See docs/server.md.",
        NULL, 0, 0};
    cli_spec spec = spec_base;
    spec.opts = opts;
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (!store == !file) {
        fprintf(stderr, "needle: error: give one of --store and --pipeline (see --help)\n");
        return 2;
    }
    if (cfg.threads < 1 || cfg.threads > 1024 || max_body_mb < 1 || max_query < 1 || max_url < 64 || timeout < 1) {
        fprintf(stderr, "needle: error: --threads, --max-body-mb, --max-query-bytes, --max-url-bytes (>= 64) and "
                        "--idle-timeout must be positive\n");
        return 2;
    }
    cfg.max_body_bytes = (size_t)max_body_mb << 20;
    cfg.max_query_bytes = (size_t)max_query;
    cfg.max_url_bytes = (size_t)max_url;
    cfg.timeout_s = (unsigned)timeout;
    if (!api_key) api_key = getenv("NEEDLE_API_KEY");
    cfg.api_key = api_key && *api_key ? api_key : NULL;

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    pipeline *p = NULL;
    server *s = NULL;
    if ((rc = file ? pipeline_open_file(&p, file, name) : pipeline_open_store(&p, store))) return cli_fail();
    if (durable && (rc = pipeline_set_durable(p))) {
        pipeline_close(p);
        return cli_fail();
    }
    if ((rc = server_start(&s, &cfg, p))) {
        pipeline_close(p);
        return cli_fail();
    }
    int port = server_port(s);
    if (port_file) {
        char text[16];
        int n = snprintf(text, sizeof text, "%d\n", port);
        if (file_write_atomic(port_file, text, (size_t)n)) {
            server_stop(s, 0);
            pipeline_close(p);
            return cli_fail();
        }
    }
    log_info("serving %s on http://%s:%d/ with %d threads%s%s", file ? file : store, cfg.host, port, cfg.threads,
             cfg.api_key ? " (API key required)" : "", durable ? " (durable writes)" : "");
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("%s received: finishing %ld request(s) in flight (a second signal stops at once)",
             sig == SIGINT ? "SIGINT" : "SIGTERM", server_in_flight(s));
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
    rc = server_stop(s, shutdown_s);
    if (rc) log_warn("%s", error_message());
    pipeline_close(p);
    log_info("stopped");
    return rc ? 1 : 0;
}

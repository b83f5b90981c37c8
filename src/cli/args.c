/* args.c — the option parser every command uses, so that all of them accept the same forms
 * (--name value, --name=value, flags) and print the same --help layout. */
#include "cli.h"
#include "needle/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_default(const cli_opt *o) {
    switch (o->kind) {
    case OPT_STRING: {
        const char *s = *(const char **)o->value;
        if (s) printf(" (default: %s)", s);
        break;
    }
    case OPT_INT: printf(" (default: %d)", *(int *)o->value); break;
    case OPT_DOUBLE: printf(" (default: %g)", *(double *)o->value); break;
    case OPT_FLAG:
    case OPT_STRINGS: break;
    }
}

static void print_help(const cli_spec *spec) {
    printf("usage: %s\n\n%s\n", spec->usage, spec->summary);
    if (spec->opts && spec->opts[0].name) printf("\noptions:\n");
    for (const cli_opt *o = spec->opts; o && o->name; o++) {
        const char *meta = o->kind == OPT_STRING ? " VALUE" : o->kind == OPT_STRINGS ? " VALUE..." : o->kind == OPT_INT ? " N"
                         : o->kind == OPT_DOUBLE ? " X" : "";
        char left[64];
        snprintf(left, sizeof left, "--%s%s", o->name, meta);
        printf("  %-26s %s%s", left, o->help, o->required ? " (required)" : "");
        print_default(o);
        printf("\n");
    }
    printf("  %-26s %s\n", "--help", "show this help");
}

static int set_value(const cli_opt *o, const char *text) {
    char *end;
    errno = 0;
    switch (o->kind) {
    case OPT_STRING: *(const char **)o->value = text; return 0;
    case OPT_INT: {
        long v = strtol(text, &end, 10);
        if (errno || *end || end == text || v < -2147483647L || v > 2147483647L) break;
        *(int *)o->value = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        double v = strtod(text, &end);
        if (errno || *end || end == text) break;
        *(double *)o->value = v;
        return 0;
    }
    case OPT_FLAG: *(int *)o->value = 1; return 0;
    case OPT_STRINGS: {
        cli_strings *l = o->value;
        if (l->n == CLI_MAX_REPEAT) {
            fprintf(stderr, "needle: error: --%s given more than %d times\n", o->name, CLI_MAX_REPEAT);
            return -1;
        }
        l->v[l->n++] = text;
        return 0;
    }
    }
    fprintf(stderr, "needle: error: --%s: '%s' is not a valid %s\n", o->name, text,
            o->kind == OPT_INT ? "integer" : "number");
    return -1;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, char **pos, int *npos) {
    int given[128] = {0};
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { print_help(spec); return CLI_EXIT_OK; }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (*npos >= spec->max_positional) {
                fprintf(stderr, "needle: error: unexpected argument '%s' (see --help)\n", a);
                return CLI_EXIT_USAGE;
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        int k = 0;
        const cli_opt *o = NULL;
        for (const cli_opt *c = spec->opts; c && c->name; c++, k++)
            if (strlen(c->name) == nlen && !strncmp(c->name, name, nlen)) { o = c; break; }
        if (!o) {
            fprintf(stderr, "needle: error: unknown option '--%.*s' (see --help)\n", (int)nlen, name);
            return CLI_EXIT_USAGE;
        }
        const char *val = NULL;
        if (o->kind == OPT_FLAG) {
            if (eq) { fprintf(stderr, "needle: error: --%s takes no value\n", o->name); return CLI_EXIT_USAGE; }
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "needle: error: --%s needs a value\n", o->name);
            return CLI_EXIT_USAGE;
        }
        if (set_value(o, val) != 0) return CLI_EXIT_USAGE;
        if (k < 128) given[k] = 1;
    }
    int k = 0;
    for (const cli_opt *o = spec->opts; o && o->name; o++, k++) {
        if (o->required && !given[k]) {
            fprintf(stderr, "needle: error: --%s is required (see --help)\n", o->name);
            return CLI_EXIT_USAGE;
        }
    }
    if (*npos < spec->min_positional) {
        fprintf(stderr, "needle: error: missing arguments\nusage: %s\n", spec->usage);
        return CLI_EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

int cli_parse_exit(int parse_result) { return parse_result == CLI_EXIT_OK ? 0 : 2; }

int cli_fail(void) {
    fprintf(stderr, "needle: error: %s\n", error_message());
    return 1;
}

/* svg_chart.c — line charts as inline SVG (see svg_chart.h for the geometry). */
#include "needle/svg_chart.h"
#include "needle/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

void svg_chart_opts_default(svg_chart_opts *o) {
    memset(o, 0, sizeof *o);
    o->x_min = o->x_max = o->y_min = o->y_max = NAN;
}

int xml_escape_append(strbuf *out, const char *s) {
    int rc = 0;
    for (const char *p = s; *p && !rc; p++) {
        switch (*p) {
        case '&': rc = strbuf_puts(out, "&amp;"); break;
        case '<': rc = strbuf_puts(out, "&lt;"); break;
        case '>': rc = strbuf_puts(out, "&gt;"); break;
        case '"': rc = strbuf_puts(out, "&quot;"); break;
        case '\'': rc = strbuf_puts(out, "&#39;"); break;
        default:
            /* XML 1.0 allows no control characters but tab, newline and carriage return */
            rc = (unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r' ? strbuf_putc(out, ' ') : strbuf_putc(out, *p);
        }
    }
    return rc;
}

/* A tick step of 1, 2 or 5 times a power of ten giving about `target` intervals over span. */
static double nice_step(double span, int target, int integer) {
    double raw = span / target, p = pow(10, floor(log10(raw))), f = raw / p;
    double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
    return integer && step < 1 ? 1 : step;
}

static void data_range(const svg_series *s, size_t ns, int y, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < ns; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            double v = y ? s[i].y[k] : s[i].x[k];
            if (!isfinite(s[i].x[k]) || !isfinite(s[i].y[k])) continue;
            if (v < *lo) *lo = v;
            if (v > *hi) *hi = v;
        }
}

static void fix_range(double *lo, double *hi, double want_lo, double want_hi) {
    if (isfinite(want_lo)) *lo = want_lo;
    if (isfinite(want_hi)) *hi = want_hi;
    if (!isfinite(*lo) || !isfinite(*hi)) *lo = 0, *hi = 1;
    if (*hi - *lo <= 0) {
        double c = *lo;
        *lo = c - 0.5;
        *hi = c + 0.5;
    }
}

/* A number as a tick label: integers plainly, others with up to 4 significant digits. */
static void tick_label(char *buf, size_t size, double v, double step) {
    if (fabs(v) < step * 1e-9) v = 0;
    if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, size, "%.0f", v);
    else snprintf(buf, size, "%.4g", v);
}

int svg_chart_line(strbuf *out, const svg_chart_opts *o, const svg_series *series, size_t n_series) {
    double x0, x1, y0, y1;
    data_range(series, n_series, 0, &x0, &x1);
    data_range(series, n_series, 1, &y0, &y1);
    fix_range(&x0, &x1, o->x_min, o->x_max);
    fix_range(&y0, &y1, o->y_min, o->y_max);
    const double W = SVG_RIGHT - SVG_LEFT, H = SVG_BOTTOM - SVG_TOP;
    int rc = strbuf_printf(out,
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
                           "viewBox=\"0 0 %d %d\" data-x-min=\"%.17g\" data-x-max=\"%.17g\" data-y-min=\"%.17g\" "
                           "data-y-max=\"%.17g\" role=\"img\">",
                           SVG_W, SVG_H, SVG_W, SVG_H, x0, x1, y0, y1);
    if (o->title) {
        rc |= strbuf_printf(out, "<title>");
        rc |= xml_escape_append(out, o->title);
        rc |= strbuf_printf(out, "</title><text x=\"%d\" y=\"20\" class=\"chart-title\">", SVG_LEFT);
        rc |= xml_escape_append(out, o->title);
        rc |= strbuf_puts(out, "</text>");
    }
    rc |= strbuf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>",
                        SVG_LEFT, SVG_TOP, W, H);
    /* ticks and grid lines */
    double xs = nice_step(x1 - x0, 8, o->x_integer), ys = nice_step(y1 - y0, 5, 0);
    char label[64];
    for (double t = ceil(x0 / xs - 1e-9) * xs; t <= x1 + xs * 1e-9; t += xs) {
        double px = SVG_LEFT + (t - x0) / (x1 - x0) * W;
        tick_label(label, sizeof label, t, xs);
        rc |= strbuf_printf(out, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#eee\"/>"
                                 "<text x=\"%.2f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>",
                            px, SVG_TOP, px, SVG_BOTTOM, px, SVG_BOTTOM + 16, label);
    }
    for (double t = ceil(y0 / ys - 1e-9) * ys; t <= y1 + ys * 1e-9; t += ys) {
        double py = SVG_BOTTOM - (t - y0) / (y1 - y0) * H;
        tick_label(label, sizeof label, t, ys);
        rc |= strbuf_printf(out, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#eee\"/>"
                                 "<text x=\"%d\" y=\"%.2f\" class=\"tick\" text-anchor=\"end\">%s</text>",
                            SVG_LEFT, py, SVG_RIGHT, py, SVG_LEFT - 6, py + 4, label);
    }
    if (o->x_label) {
        rc |= strbuf_printf(out, "<text x=\"%.0f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">", SVG_LEFT + W / 2, SVG_H - 8);
        rc |= xml_escape_append(out, o->x_label);
        rc |= strbuf_puts(out, "</text>");
    }
    if (o->y_label) {
        rc |= strbuf_printf(out, "<text x=\"14\" y=\"%.0f\" class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.0f)\">",
                            SVG_TOP + H / 2, SVG_TOP + H / 2);
        rc |= xml_escape_append(out, o->y_label);
        rc |= strbuf_puts(out, "</text>");
    }
    for (size_t i = 0; i < n_series; i++) {
        const svg_series *s = &series[i];
        const char *color = palette[i % (sizeof palette / sizeof palette[0])];
        rc |= strbuf_printf(out, "<polyline class=\"series\" data-series=\"");
        rc |= xml_escape_append(out, s->name ? s->name : "");
        rc |= strbuf_printf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        int first = 1;
        for (size_t k = 0; k < s->n; k++) {
            if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
            double px = SVG_LEFT + (s->x[k] - x0) / (x1 - x0) * W, py = SVG_BOTTOM - (s->y[k] - y0) / (y1 - y0) * H;
            rc |= strbuf_printf(out, "%s%.2f,%.2f", first ? "" : " ", px, py);
            first = 0;
        }
        rc |= strbuf_puts(out, "\"/>");
        /* the legend, right of the plot, one line per series */
        double ly = SVG_TOP + 8 + 16 * (double)i;
        rc |= strbuf_printf(out, "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"3\"/>"
                                 "<text x=\"%d\" y=\"%.0f\" class=\"legend\">",
                            SVG_RIGHT + 10, ly - 4, SVG_RIGHT + 28, ly - 4, color, SVG_RIGHT + 34, ly);
        rc |= xml_escape_append(out, s->name ? s->name : "");
        rc |= strbuf_puts(out, "</text>");
    }
    rc |= strbuf_puts(out, "</svg>");
    return rc ? error_set(NEEDLE_ENOMEM, "out of memory drawing a chart") : 0;
}

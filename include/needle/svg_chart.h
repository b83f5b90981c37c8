/* svg_chart.h — line charts as inline SVG, for reports that must open offline with nothing
 * but a browser (no script, no external file). One chart: a title, axes with "nice" ticks
 * (1, 2 or 5 times a power of ten), one polyline per series, a legend right of the plot.
 *
 * Geometry (fixed so that a reader or a test can map points back to data):
 *   the chart is SVG_W x SVG_H; the plot area spans x in [SVG_LEFT, SVG_RIGHT] and y in
 *   [SVG_TOP, SVG_BOTTOM]; a data point (x, y) is drawn at
 *     px = SVG_LEFT + (x - x_min) / (x_max - x_min) * (SVG_RIGHT - SVG_LEFT)
 *     py = SVG_BOTTOM - (y - y_min) / (y_max - y_min) * (SVG_BOTTOM - SVG_TOP)
 *   with both printed to 2 decimals in the polyline's points ("px,py px,py ...").
 * The ranges are the options' when given (finite), else the data's ([0, 1] without data); a
 * range of zero width is widened by 0.5 on each side. Points with a non-finite coordinate
 * are left out. Each polyline carries class="series" and
 * data-series="NAME"; the <svg> carries data-x-min, data-x-max, data-y-min, data-y-max.
 * Output is well-formed XML (the text is escaped), so the chart embeds in XHTML. */
#ifndef NEEDLE_SVG_CHART_H
#define NEEDLE_SVG_CHART_H

#include <stddef.h>

#include "needle/strbuf.h"

#define SVG_W 760
#define SVG_H 300
#define SVG_LEFT 64
#define SVG_RIGHT 476
#define SVG_TOP 36
#define SVG_BOTTOM 252

typedef struct {
    const char *name;
    const double *x, *y; /* n points */
    size_t n;
} svg_series;

typedef struct {
    const char *title, *x_label, *y_label;
    double x_min, x_max, y_min, y_max; /* NaN: from the data */
    int x_integer;                     /* ticks on whole numbers only (a top-k axis, steps) */
} svg_chart_opts;

/* Options with no title and every range from the data. */
void svg_chart_opts_default(svg_chart_opts *o);
/* Append one <svg> element. */
int svg_chart_line(strbuf *out, const svg_chart_opts *o, const svg_series *series, size_t n_series);
/* Append s with &, <, >, " and ' escaped (XML text and attribute values). */
int xml_escape_append(strbuf *out, const char *s);

#endif

/* test_svg_chart.c — the polylines of a chart encode the data: each point of the SVG is
 * mapped back through the geometry that svg_chart.h documents (constants and formula written
 * out again here) and compared with the data; fixed and data ranges, a zero-width range, a
 * non-finite point left out, text escaped. */
#include "../test.h"
#include "needle/svg_chart.h"

#include <math.h>
#include <stdlib.h>

/* The points="..." of the polyline whose data-series is `name`, as numbers. */
static size_t polyline_points(const char *svg, const char *name, double *xy, size_t max) {
    char key[128];
    snprintf(key, sizeof key, "data-series=\"%s\"", name);
    const char *p = strstr(svg, key);
    if (!p || !(p = strstr(p, "points=\""))) return 0;
    p += 8;
    size_t n = 0;
    while (*p != '"' && n + 1 < 2 * max) {
        char *end;
        xy[n++] = strtod(p, &end);
        if (*end != ',') return 0;
        xy[n++] = strtod(end + 1, &end);
        p = end;
        while (*p == ' ') p++;
    }
    return n / 2;
}

TEST(svg_chart_polylines_encode_the_points) {
    const double k[] = {1, 2, 3, 4, 5}, recall[] = {0.42, 0.5, 0.56, NAN, 0.68}, mrr[] = {0.42, 0.46, 0.48, 0.49, 0.5};
    const svg_series s[] = {{"recall <k>", k, recall, 5}, {"mrr", k, mrr, 5}};
    svg_chart_opts o;
    svg_chart_opts_default(&o);
    o.title = "Retriever & \"friends\"";
    o.y_min = 0;
    o.y_max = 1;
    o.x_integer = 1;
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(svg_chart_line(&sb, &o, s, 2));
    CHECK(strstr(sb.data, "Retriever &amp; &quot;friends&quot;") != NULL);
    CHECK(strstr(sb.data, "data-series=\"recall &lt;k&gt;\"") != NULL);
    /* x from the data: 1..5; y fixed 0..1; plot area 64..476 x 36..252 */
    double xy[20];
    size_t n = polyline_points(sb.data, "mrr", xy, 10);
    CHECK_INT(n, 5);
    for (size_t i = 0; i < n; i++) {
        CHECK_NEAR(xy[2 * i], 64 + (k[i] - 1) / 4 * (476 - 64), 0.005);
        CHECK_NEAR(xy[2 * i + 1], 252 - mrr[i] * (252 - 36), 0.005);
    }
    n = polyline_points(sb.data, "recall &lt;k&gt;", xy, 10);
    CHECK_INT(n, 4); /* the NaN point is left out */
    CHECK_NEAR(xy[6], 476, 0.005);
    CHECK_NEAR(xy[7], 252 - 0.68 * 216, 0.005);
    strbuf_free(&sb);

    /* ranges from the data; one point: the x range is widened to [2.5, 3.5] */
    const double x1[] = {3}, y1[] = {7};
    const double x2[] = {10, 20, 30}, y2[] = {2.0, 1.0, 0.5};
    svg_chart_opts_default(&o);
    strbuf_init(&sb);
    const svg_series one = {"one", x1, y1, 1}, loss = {"loss", x2, y2, 3};
    CHECK_OK(svg_chart_line(&sb, &o, &one, 1));
    n = polyline_points(sb.data, "one", xy, 10);
    CHECK_INT(n, 1);
    CHECK_NEAR(xy[0], 64 + 0.5 * 412, 0.005);
    CHECK_NEAR(xy[1], 252 - 0.5 * 216, 0.005);
    strbuf_clear(&sb);
    CHECK_OK(svg_chart_line(&sb, &o, &loss, 1));
    n = polyline_points(sb.data, "loss", xy, 10);
    CHECK_INT(n, 3);
    for (size_t i = 0; i < n; i++) {
        CHECK_NEAR(xy[2 * i], 64 + (x2[i] - 10) / 20 * 412, 0.005);
        CHECK_NEAR(xy[2 * i + 1], 252 - (y2[i] - 0.5) / 1.5 * 216, 0.005);
    }
    CHECK(strstr(sb.data, "data-y-min=\"0.5\" data-y-max=\"2\"") != NULL);
    strbuf_free(&sb);
}

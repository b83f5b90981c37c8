/* test_convert.c — uploads to text. Expected texts are written by hand from what the standards
 * say a reader sees: the HTML Living Standard's rendering (whitespace collapsing, <pre>, the
 * skipped script/style contents, character references including the Windows-1252 rule for
 * &#128;-&#159;) and CommonMark 0.30 / GitHub Flavored Markdown (emphasis flanking rules,
 * code spans, links, tables). The PDF fixture's text is what its content streams draw. */
#include "../test.h"
#include "needle/convert.h"
#include "needle/file.h"

#include <stdlib.h>
#include <unistd.h>

static char *html_text(const char *html) {
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(convert_html(html, strlen(html), &sb));
    return strbuf_detach(&sb);
}

static char *md_text(const char *md) {
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(convert_markdown(md, strlen(md), &sb));
    return strbuf_detach(&sb);
}

TEST(convert_html_document) {
    const char *html =
        "<!DOCTYPE html>\n<html><head><title>Paris</title><style>p { color: red }</style>\n"
        "<script>var x = \"<p>not text</p>\";</script></head>\n<body>\n"
        "<h1>The  city of\n Paris</h1>\n<!-- a comment <p>hidden</p> -->\n"
        "<p>Paris is the <b>capital</b> of France &amp; has 2&nbsp;million people &#8212; &#x263A; "
        "&eacute;t&eacute;.</p>\n"
        "<ul><li>First</li><li>Second<br>line</li></ul>\n"
        "<pre>\n  code   kept\n    here</pre>\n"
        "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>\n"
        "<p>x &lt; y &unknown; 5 < 6 &#150;</p>\n</body></html>\n";
    char *t = html_text(html);
    CHECK_STR(t, "Paris\n\nThe city of Paris\n\n"
                 "Paris is the capital of France & has 2\xc2\xa0million people \xe2\x80\x94 \xe2\x98\xba "
                 "\xc3\xa9t\xc3\xa9.\n\nFirst\nSecond\nline\n\n  code   kept\n    here\n\na b\nc d\n\n"
                 "x < y &unknown; 5 < 6 \xe2\x80\x93");
    free(t);
}

TEST(convert_html_edge_cases) {
    char *t = html_text("<div title=\"a > b\">one</div><div>two</div><SCRIPT type=x>hidden</script >three");
    CHECK_STR(t, "one\ntwo\nthree");
    free(t);
    t = html_text("a<![CDATA[ <b>raw</b> ]]>b &#0; &#xD800; &#1114112; &#65");
    CHECK_STR(t, "a <b>raw</b> b \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd A");
    free(t);
    t = html_text("unterminated <p class=\"x");
    CHECK_STR(t, "unterminated");
    free(t);
    t = html_text("");
    CHECK_STR(t, "");
    free(t);
}

TEST(convert_markdown_document) {
    const char *md =
        "# Heading *one* #\n\nSetext title\n============\n\n"
        "Some *emphasis*, __strong__, ~~gone~~ and `code *kept*` with a [link](http://x.org \"t\") and\n"
        "![an image](img.png) plus snake_case_name and 2 * 3 * 4 and \\*literal\\* &amp; <span>html</span>.\n\n"
        "- item one\n- item **two**\n1. numbered\n\n> quoted text\n\n"
        "```c\nint main() { return *p; }\n```\n\n"
        "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n"
        "[ref]: http://example.com\n***\nVisit <http://example.com> or [ref link][ref].\n";
    char *t = md_text(md);
    CHECK_STR(t, "Heading one\n\nSetext title\n\n"
                 "Some emphasis, strong, gone and code *kept* with a link and\n"
                 "an image plus snake_case_name and 2 * 3 * 4 and *literal* & html.\n\n"
                 "item one\nitem two\nnumbered\n\nquoted text\n\nint main() { return *p; }\n\n"
                 "a b\n1 2\n\nVisit http://example.com or ref link.");
    free(t);
}

TEST(convert_markdown_emphasis_rules) {
    /* CommonMark: * may open/close inside words, _ may not; unmatched delimiters stay. */
    char *t = md_text("a*b*c foo_bar_ *unclosed x **bold *nested* text** *pair and 5*");
    CHECK_STR(t, "abc foo_bar_ *unclosed x bold nested text pair and 5");
    free(t);
    t = md_text("    indented code *kept*\n\nSetext two\n---\nafter");
    CHECK_STR(t, "indented code *kept*\n\nSetext two\n\nafter");
    free(t);
}

TEST(convert_detect_and_errors) {
    CHECK_INT(convert_detect("a.MD", NULL, "", 0), CONVERT_MARKDOWN);
    CHECK_INT(convert_detect("dir.v2/page.htm", NULL, "", 0), CONVERT_HTML);
    CHECK_INT(convert_detect("notes", "text/plain; charset=utf-8", "x", 1), CONVERT_TEXT);
    CHECK_INT(convert_detect("blob", NULL, "%PDF-1.4", 8), CONVERT_PDF);
    CHECK_INT(convert_detect("blob", NULL, "\n <!DOCTYPE HTML><p>", 19), CONVERT_HTML);
    CHECK_INT(convert_detect("report.docx", "application/octet-stream", "PK", 2), CONVERT_UNKNOWN);
    strbuf sb;
    strbuf_init(&sb);
    CHECK_ERR(convert_to_text(CONVERT_UNKNOWN, "report.docx", "PK", 2, &sb), NEEDLE_EUNSUPPORTED, "report.docx: unsupported");
    CHECK_ERR(convert_to_text(CONVERT_TEXT, "bad.txt", "ok \xc3\x28", 5, &sb), NEEDLE_EFORMAT, "bad.txt: not valid UTF-8 at byte 3");
    CHECK_OK(convert_to_text(CONVERT_TEXT, "bom.txt", "\xEF\xBB\xBFhi", 5, &sb));
    CHECK_STR(sb.data, "hi");
    strbuf_free(&sb);
}

static int have_pdftotext(void) {
    return access("/usr/bin/pdftotext", X_OK) == 0 || system("command -v pdftotext >/dev/null 2>&1") == 0;
}

TEST(convert_pdf_pages) {
    char *pdf;
    size_t len;
    CHECK_OK(file_read_all(FIXTURES "/server/two_pages.pdf", &pdf, &len));
    if (!pdf) return;
    strbuf sb;
    strbuf_init(&sb);
    if (have_pdftotext()) {
        CHECK_OK(convert_to_text(CONVERT_PDF, "two_pages.pdf", pdf, len, &sb));
        CHECK_STR(sb.data, "Needle reads PDF files.\n\n\fThe second page mentions Paris.\n\n\f");
        strbuf_clear(&sb);
        CHECK_ERR(convert_to_text(CONVERT_PDF, "fake.pdf", "%PDF-1.4 garbage", 16, &sb), NEEDLE_EFORMAT,
                  "fake.pdf: pdftotext could not read");
    } else {
        CHECK_ERR(convert_to_text(CONVERT_PDF, "two_pages.pdf", pdf, len, &sb), NEEDLE_EUNSUPPORTED, "poppler-utils");
    }
    strbuf_free(&sb);
    free(pdf);
}

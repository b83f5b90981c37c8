/* convert.h — turning uploaded files into plain text for the preprocessor: plain text as is,
 * HTML and Markdown with their markup taken out the way a reader sees the rendered page, PDF
 * through poppler's pdftotext when it is installed (Haystack 1.x's TextConverter,
 * MarkdownConverter, PDFToTextConverter).
 *
 * The text keeps the document's paragraph structure: blocks (paragraphs, headings, list
 * items, table rows) end with a line break and paragraphs are separated by a blank line, so
 * that the preprocessor's split_by "passage" finds them. PDF pages are separated by form feeds,
 * which the preprocessor's header/footer cleaning and page numbers use. Input must be UTF-8
 * (a leading byte-order mark is dropped); anything else is an error naming the file and byte. */
#ifndef NEEDLE_CONVERT_H
#define NEEDLE_CONVERT_H

#include <stddef.h>

#include "needle/strbuf.h"

typedef enum { CONVERT_UNKNOWN = 0, CONVERT_TEXT, CONVERT_MARKDOWN, CONVERT_HTML, CONVERT_PDF } convert_kind;

/* The kind of a file from its name's extension, else its MIME type, else its first bytes
 * (%PDF-, <!doctype html / <html); CONVERT_UNKNOWN when none tells. */
convert_kind convert_detect(const char *filename, const char *content_type, const char *data, size_t len);
const char *convert_kind_name(convert_kind k);

/* Convert `data` of the given kind, appending the text to `out`. `origin` names the file in
 * messages. NEEDLE_EFORMAT for invalid UTF-8, NEEDLE_EUNSUPPORTED for an unknown kind or a
 * PDF without pdftotext, NEEDLE_EIO when pdftotext fails on the file. */
int convert_to_text(convert_kind kind, const char *origin, const char *data, size_t len, strbuf *out);

/* The converters themselves (input already valid UTF-8). */
int convert_html(const char *html, size_t len, strbuf *out);
int convert_markdown(const char *md, size_t len, strbuf *out);
int convert_pdf(const char *origin, const char *pdf, size_t len, strbuf *out);

/* Decode the HTML character reference at s[0..n) (s[0] == '&'): on success put its UTF-8 in
 * utf8[0..*utf8_len) and return the bytes consumed; return 0 when it is not a known reference.
 * Shared by the HTML and Markdown converters. */
size_t convert_html_entity(const char *s, size_t n, char utf8[4], size_t *utf8_len);

#endif

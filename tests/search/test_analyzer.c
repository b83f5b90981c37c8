/* test_analyzer.c — the StandardTokenizer against Lucene's own test cases
 * (TestStandardAnalyzer, ASF 2.0: the expected tokens are Lucene's), and the full English
 * analyzer: possessives, stop words, lower-casing, and Porter stems checked word by word
 * against Lucene's PorterStemmer output (tests/fixtures/search/porter_lucene.tsv). */
#include "../test.h"
#include "needle/analyzer.h"
#include "needle/file.h"
#include "needle/strbuf.h"

#include <stdlib.h>

typedef struct {
    const char *text;
    strbuf out;
} collect;

static int on_token(void *ctx, size_t start, size_t end) {
    collect *c = ctx;
    if (c->out.len) strbuf_putc(&c->out, '|');
    strbuf_append(&c->out, c->text + start, end - start);
    return 0;
}

static int on_term(void *ctx, const char *term, size_t len) {
    collect *c = ctx;
    if (c->out.len) strbuf_putc(&c->out, '|');
    strbuf_append(&c->out, term, len);
    return 0;
}

/* Tokens of `text` joined by '|' (caller frees). */
static char *tokens(const char *text) {
    collect c = {text, {0}};
    strbuf_init(&c.out);
    strbuf_puts(&c.out, "");
    standard_tokenize(text, strlen(text), on_token, &c);
    return strbuf_detach(&c.out);
}

static char *terms(analyzer *a, const char *text) {
    collect c = {text, {0}};
    strbuf_init(&c.out);
    strbuf_puts(&c.out, "");
    CHECK_OK(analyzer_run(a, text, strlen(text), on_term, &c));
    return strbuf_detach(&c.out);
}

#define CHECK_TOKENS(text, expected)          \
    do {                                      \
        char *got_ = tokens(text);            \
        CHECK_STR(got_, expected);            \
        free(got_);                           \
    } while (0)

TEST(standard_tokenizer_lucene_basic_cases) {
    CHECK_TOKENS("", "");
    CHECK_TOKENS(".", "");
    CHECK_TOKENS(" ", "");
    CHECK_TOKENS("B2B", "B2B");
    CHECK_TOKENS("2B", "2B");
    CHECK_TOKENS("some-dashed-phrase", "some|dashed|phrase");
    CHECK_TOKENS("dogs,chase,cats", "dogs|chase|cats");
    CHECK_TOKENS("ac/dc", "ac|dc");
    CHECK_TOKENS("O'Reilly", "O'Reilly");
    CHECK_TOKENS("you're", "you're");
    CHECK_TOKENS("she's", "she's");
    CHECK_TOKENS("Jim's", "Jim's");
    CHECK_TOKENS("don't", "don't");
    CHECK_TOKENS("O'Reilly's", "O'Reilly's");
    CHECK_TOKENS("21.35", "21.35");
    CHECK_TOKENS("R2D2 C3PO", "R2D2|C3PO");
    CHECK_TOKENS("216.239.63.104", "216.239.63.104");
    CHECK_TOKENS("David has 5000 bones", "David|has|5000|bones");
    CHECK_TOKENS("C embedded developers wanted", "C|embedded|developers|wanted");
    CHECK_TOKENS("foo      bar .  FOO <> BAR", "foo|bar|FOO|BAR");
    CHECK_TOKENS("\"QUOTED\" word", "QUOTED|word");
}

TEST(standard_tokenizer_lucene_scripts) {
    CHECK_TOKENS("Վիքիպեդիայի 13 միլիոն հոդվածները (4,600` հայերեն վիքիպեդիայում)",
                 "Վիքիպեդիայի|13|միլիոն|հոդվածները|4,600|հայերեն|վիքիպեդիայում");
    CHECK_TOKENS("ዊኪፔድያ የባለ ብዙ ቋንቋ የተሟላ ትክክለኛና ነጻ መዝገበ ዕውቀት (ኢንሳይክሎፒዲያ) ነው። ማንኛውም",
                 "ዊኪፔድያ|የባለ|ብዙ|ቋንቋ|የተሟላ|ትክክለኛና|ነጻ|መዝገበ|ዕውቀት|ኢንሳይክሎፒዲያ|ነው|ማንኛውም");
    CHECK_TOKENS("الفيلم الوثائقي الأول عن ويكيبيديا يسمى \"الحقيقة بالأرقام: قصة ويكيبيديا\" (بالإنجليزية: Truth in "
                 "Numbers: The Wikipedia Story)، سيتم إطلاقه في 2008.",
                 "الفيلم|الوثائقي|الأول|عن|ويكيبيديا|يسمى|الحقيقة|بالأرقام|قصة|ويكيبيديا|بالإنجليزية|Truth|in|Numbers|The|"
                 "Wikipedia|Story|سيتم|إطلاقه|في|2008");
    CHECK_TOKENS("การที่ได้ต้องแสดงว่างานดี. แล้วเธอจะไปไหน? ๑๒๓๔", "การที่ได้ต้องแสดงว่างานดี|แล้วเธอจะไปไหน|๑๒๓๔");
    CHECK_TOKENS("ສາທາລະນະລັດ ປະຊາທິປະໄຕ ປະຊາຊົນລາວ", "ສາທາລະນະລັດ|ປະຊາທິປະໄຕ|ປະຊາຊົນລາວ");
    CHECK_TOKENS("我是中国人。 １２３４ Ｔｅｓｔｓ ", "我|是|中|国|人|１２３４|Ｔｅｓｔｓ");
    CHECK_TOKENS("moͤchte", "moͤchte");
    CHECK_TOKENS("안녕하세요 한글입니다", "안녕하세요|한글입니다");
    CHECK_TOKENS("훈민정음", "훈민정음");
    CHECK_TOKENS("𩬅艱鍟䇹愯瀛", "𩬅|艱|鍟|䇹|愯|瀛");
    CHECK_TOKENS("仮名遣い カタカナ", "仮|名|遣|い|カタカナ");
    CHECK_TOKENS("さ\xE3\x82\x99", "さ\xE3\x82\x99"); /* hiragana + combining voiced mark */
    CHECK_TOKENS("サ\xE3\x82\x99", "サ\xE3\x82\x99");
    CHECK_TOKENS("ｻﾞ", "ｻﾞ");
}

TEST(standard_tokenizer_lucene_emoji) {
    CHECK_TOKENS("💩 💩💩", "💩|💩|💩");
    CHECK_TOKENS("👩‍❤️‍👩", "👩‍❤️‍👩");
    CHECK_TOKENS("🇺🇸🇺🇸", "🇺🇸|🇺🇸");
    CHECK_TOKENS("#️⃣", "#️⃣");
    CHECK_TOKENS("3️⃣", "3️⃣");
    CHECK_TOKENS("poo💩poo", "poo|💩|poo");
    CHECK_TOKENS("💩中國💩", "💩|中|國|💩");
    /* every Emoji=Yes character is a token, ☆ (not an emoji) is not */
    CHECK_TOKENS("Vectibix® ©2020 ☆ ↔ x™", "Vectibix|®|©|2020|↔|x|™");
}

TEST(standard_tokenizer_uax29_rules) {
    /* WB6/7 letters around MidLetter/MidNumLet; WB11/12 digits around MidNum; WB13a/b _ */
    CHECK_TOKENS("e.g. U.S.A. a:b", "e.g|U.S.A|a:b");
    CHECK_TOKENS("1,000.5; 3:4 1.a a.1", "1,000.5|3|4|1|a|a|1");
    CHECK_TOKENS("a_b __ _x1 x_1_y", "a_b|_x1|x_1_y");
    CHECK_TOKENS("covid-19 IL-6's p53", "covid|19|IL|6|s|p53");
    /* WB4: format and extend characters stay inside words (soft hyphen, ZWJ) */
    CHECK_TOKENS("co\xC2\xADoperate x\xE2\x80\x8Dy", "co\xC2\xADoperate|x\xE2\x80\x8Dy");
    /* invalid UTF-8 bytes break words and are dropped */
    CHECK_TOKENS("ab\xFF" "cd \xC3", "ab|cd");
    /* Hebrew: WB7a letter + ' ; WB7b/c letter " letter */
    CHECK_TOKENS("א' צה\"ל", "א'|צה\"ל");
}

TEST(standard_tokenizer_splits_long_tokens) {
    char buf[700];
    memset(buf, 'x', 600);
    buf[600] = 0;
    collect c = {buf, {0}};
    strbuf_init(&c.out);
    strbuf_puts(&c.out, "");
    standard_tokenize(buf, 600, on_token, &c);
    /* 255 + 255 + 90 characters */
    CHECK_INT(c.out.len, 600 + 2);
    CHECK(c.out.data[255] == '|' && c.out.data[511] == '|');
    strbuf_free(&c.out);
}

TEST(analyzer_english_chain) {
    analyzer *a;
    CHECK_OK(analyzer_new(&a));
    char *t = terms(a, "The quick brown FOXES are running to Jim's house, and it's O'Reilly’s book.");
    CHECK_STR(t, "quick|brown|fox|run|jim|hous|o'reilli|book");
    free(t);
    t = terms(a, "THERE is no such thing as possibly irreversibly; biology, technologies. us");
    CHECK_STR(t, "thing|possibl|irrevers|biologi|technolog|us");
    free(t);
    t = terms(a, "");
    CHECK_STR(t, "");
    free(t);
    CHECK(analyzer_is_stopword("their", 5));
    CHECK(!analyzer_is_stopword("them", 4));
    analyzer_free(a);
}

TEST(analyzer_porter_matches_lucene_porterstemmer) {
    char *data;
    size_t len;
    CHECK_OK(file_read_all(FIXTURES "/search/porter_lucene.tsv", &data, &len));
    if (!data) return;
    analyzer *a;
    CHECK_OK(analyzer_new(&a));
    int checked = 0;
    for (char *line = data; *line;) {
        char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
        if (!nl || !tab || tab > nl) break;
        *tab = *nl = 0;
        if (!analyzer_is_stopword(line, strlen(line))) {
            char *got = terms(a, line);
            if (strcmp(got, tab + 1)) test_fail(__FILE__, __LINE__, "stem(%s) = %s, Lucene %s", line, got, tab + 1);
            free(got);
            checked++;
        }
        line = nl + 1;
    }
    CHECK(checked > 4000);
    analyzer_free(a);
    free(data);
}

/* test_sentence_split.c — the rule-based splitter on hand-checked English: abbreviations,
 * initials, decimals, quotes, ellipses and blank lines. Each expected split was written by hand
 * from how a careful reader (and NLTK's Punkt, on these cases) divides the text. */
#include "../test.h"
#include "needle/preprocess.h"

#include <stdlib.h>

/* Split `text` and compare with the expected sentences, given NULL-terminated. */
static void expect_sentences(const char *text, const char *const *want) {
    text_span *sp;
    size_t n;
    CHECK_OK(sentence_split(text, strlen(text), &sp, &n));
    size_t nwant = 0;
    while (want[nwant]) nwant++;
    if (n != nwant) test_fail(__FILE__, __LINE__, "\"%s\": %zu sentences, expected %zu", text, n, nwant);
    for (size_t i = 0; i < n && i < nwant; i++) {
        size_t len = sp[i].end - sp[i].start;
        if (strlen(want[i]) != len || memcmp(text + sp[i].start, want[i], len))
            test_fail(__FILE__, __LINE__, "sentence %zu is \"%.*s\", expected \"%s\"", i, (int)len, text + sp[i].start, want[i]);
    }
    free(sp);
}

#define EXPECT(text, ...) do { const char *const w_[] = {__VA_ARGS__, NULL}; expect_sentences(text, w_); } while (0)

TEST(sentences_plain_and_punctuation) {
    EXPECT("Hello world. How are you? Fine!", "Hello world.", "How are you?", "Fine!");
    EXPECT("  Leading and trailing space.  ", "Leading and trailing space.");
    EXPECT("No terminator at the end", "No terminator at the end");
    EXPECT("Wait... What happened?!", "Wait...", "What happened?!");
    EXPECT("He said \"Stop.\" Then he left.", "He said \"Stop.\"", "Then he left.");
    EXPECT("\"Why?\" she asked. (It was late.) Nobody knew.", "\"Why?\" she asked.", "(It was late.)", "Nobody knew.");
}

TEST(sentences_survive_abbreviations) {
    EXPECT("Dr. Smith met Mr. Jones. They talked.", "Dr. Smith met Mr. Jones.", "They talked.");
    EXPECT("Use a solvent, e.g. Water or ethanol, i.e. A polar one. Then stir.",
           "Use a solvent, e.g. Water or ethanol, i.e. A polar one.", "Then stir.");
    EXPECT("As shown in Fig. 3, the curve rises. See Fig. 4.", "As shown in Fig. 3, the curve rises.", "See Fig. 4.");
    EXPECT("Smith et al. Reported this in 2019. Later work disagreed.",
           "Smith et al. Reported this in 2019.", "Later work disagreed.");
    EXPECT("Apples, pears, etc. are fruit. They grow on trees.", "Apples, pears, etc. are fruit.", "They grow on trees.");
    EXPECT("He bought apples, pears, etc. The shop was closed later.",
           "He bought apples, pears, etc.", "The shop was closed later.");
    EXPECT("The U.S. Army was founded in 1775. It fought the British.",
           "The U.S. Army was founded in 1775.", "It fought the British.");
    EXPECT("She moved to the U.S. The move was hard.", "She moved to the U.S.", "The move was hard.");
    EXPECT("He holds a Ph.D. Degree from Oxford.", "He holds a Ph.D. Degree from Oxford.");
    EXPECT("The answer is no. The question was bad.", "The answer is no.", "The question was bad.");
    EXPECT("See No. 5 and No. 6 in the list.", "See No. 5 and No. 6 in the list.");
}

TEST(sentences_survive_initials_and_decimals) {
    EXPECT("J. R. R. Tolkien wrote it. It sold well.", "J. R. R. Tolkien wrote it.", "It sold well.");
    EXPECT("John F. Kennedy was president. He was young.", "John F. Kennedy was president.", "He was young.");
    EXPECT("Pi is about 3.14. The ratio is 2.5 to 1.", "Pi is about 3.14.", "The ratio is 2.5 to 1.");
    EXPECT("It costs $1,000.50 today. Version 2.0 shipped.", "It costs $1,000.50 today.", "Version 2.0 shipped.");
    EXPECT("Vitamin C. The best source is fruit.", "Vitamin C.", "The best source is fruit.");
}

TEST(sentences_blank_lines_and_unicode) {
    EXPECT("Introduction\n\nThe method works.\nIt is fast.", "Introduction", "The method works.", "It is fast.");
    EXPECT("A line\nwraps here. Next one.", "A line\nwraps here.", "Next one.");
    EXPECT("Café au lait… Élan vital is French. «Oui.» Ça va.",
           "Café au lait…", "Élan vital is French.", "«Oui.»", "Ça va.");
    EXPECT("“Really?” he asked. “Yes.” She nodded.", "“Really?” he asked.", "“Yes.”", "She nodded.");
    text_span *sp;
    size_t n;
    CHECK_OK(sentence_split("   \n\n ", 6, &sp, &n));
    CHECK_INT(n, 0);
    free(sp);
}

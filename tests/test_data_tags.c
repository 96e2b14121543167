/* test_data_tags.c — data/tagging + data/conll: UD CoNLL-U slices (en, de, fr, zh) read as XTREME's
 * own pipeline converts them (goldens from tools/gen_tagging_fixtures.py), XTREME download/ files,
 * PAN-X, GermEval 2014, CCG; tag sets; every malformed-row message and skip_bad_rows. */
#include "testutil.h"
#include "core/mem.h"
#include "data/conll.h"
#include "data/tagging.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static TagCorpus read_ok(const char *rel, TagFormat f, const TagReadOpts *o) {
    TagCorpus c;
    XsErr err = {0};
    long rc = tagging_read(tu_fixture(rel), f, o, &c, &err);
    if (rc < 0) fail_msg("%s: %s", rel, err.msg);
    return c;
}

static void assert_same_corpus(const TagCorpus *a, const TagCorpus *b, int compare_tags) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].n != b->v[i].n) fail_msg("sentence %zu (line %ld): %zu vs %zu words", i, a->v[i].line, a->v[i].n, b->v[i].n);
        for (size_t k = 0; k < a->v[i].n; k++) {
            if (strcmp(a->v[i].words[k], b->v[i].words[k]))
                fail_msg("sentence %zu word %zu: \"%s\" vs \"%s\"", i, k, a->v[i].words[k], b->v[i].words[k]);
            if (compare_tags && strcmp(a->v[i].tags[k], b->v[i].tags[k]))
                fail_msg("sentence %zu word %zu (%s): tag %s vs %s", i, k, a->v[i].words[k], a->v[i].tags[k], b->v[i].tags[k]);
        }
    }
}

/* Writes text to a fresh temporary file; returns its path (static buffer) and the dir to remove. */
static char *tmp_dir;
static char tmp_path[4096];
static const char *write_tmp(const char *name, const char *text) {
    if (!tmp_dir) tmp_dir = tu_tmpdir();
    snprintf(tmp_path, sizeof tmp_path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(tmp_path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return tmp_path;
}

/* Reads text as format f and expects the error "<path>:<msg>". */
static void expect_error(TagFormat f, const TagReadOpts *o, const char *text, const char *msg) {
    const char *p = write_tmp("bad.txt", text);
    TagCorpus c;
    XsErr err = {0};
    assert_int_equal(tagging_read(p, f, o, &c, &err), -1);
    char want[2048];
    snprintf(want, sizeof want, "%s:%s", p, msg);
    if (strcmp(err.msg, want)) fail_msg("expected\n  %s\ngot\n  %s", want, err.msg);
    assert_int_equal(c.n, 0);
}

/* ---- UD ---- */

static void test_conllu_equals_xtreme_pipeline(void **state) {
    (void)state;
    static const struct { const char *conllu, *tsv, *lang; size_t nsent, ntok, nmwt, nempty; } L[] = {
        {"data/ud/en_ewt-ud-dev.conllu", "data/xtreme/download/udpos/dev-en.tsv", "en", 14, 353, 11, 3},
        {"data/ud/de_gsd-ud-test.conllu", "data/xtreme/download/udpos/dev-de.tsv", "de", 10, 195, 8, 0},
        {"data/ud/fr_gsd-ud-test.conllu", "data/xtreme/download/udpos/dev-fr.tsv", "fr", 10, 283, 11, 0},
        {"data/ud/zh_gsd-ud-test.conllu", "data/xtreme/download/udpos/dev-zh.tsv", "zh", 5, 89, 0, 0},
        {"data/ud/xtreme-edge-cases.conllu", "data/ud/xtreme-edge-cases.expected.tsv", "de", 4, 14, 3, 1},
    };
    for (size_t i = 0; i < sizeof L / sizeof *L; i++) {
        TagReadOpts o = {.lang = L[i].lang};
        TagCorpus ud = read_ok(L[i].conllu, TAGF_CONLLU, &o);
        TagCorpus gold = read_ok(L[i].tsv, TAGF_COLUMNS, NULL);
        assert_same_corpus(&ud, &gold, 1);
        assert_int_equal(ud.st.nsent, L[i].nsent);
        assert_int_equal(ud.st.ntok, L[i].ntok);
        assert_int_equal(ud.st.nmwt, L[i].nmwt);
        assert_int_equal(ud.st.nempty, L[i].nempty);
        assert_int_equal(ud.st.nbad, 0);
        tag_corpus_free(&ud);
        tag_corpus_free(&gold);
    }
}

static void test_conllu_rows(void **state) {
    (void)state;
    TagReadOpts o = {.lang = "en"};
    TagCorpus c = read_ok("data/ud/en_ewt-ud-dev.conllu", TAGF_CONLLU, &o);
    const TagSentence *s = &c.v[0];
    static const char *w0[] = {"From", "the", "AP", "comes", "this", "story", ":"};
    static const char *t0[] = {"ADP", "DET", "PROPN", "VERB", "DET", "NOUN", "PUNCT"};
    assert_int_equal(s->n, 7);
    for (size_t k = 0; k < 7; k++) { assert_string_equal(s->words[k], w0[k]); assert_string_equal(s->tags[k], t0[k]); }
    assert_string_equal(s->id, "weblog-blogspot.com_nominations_20041117172713_ENG_20041117_172713-0001");
    assert_int_equal(s->line, 5);
    /* Multi-word tokens: the surface form, the UPOS of the span's head word (AUX before PART in
     * the default list for "Don't"; "It's": PRON and AUX tie, PRON ranks first). */
    size_t dont = 0, its = 0;
    for (size_t i = 0; i < c.n; i++)
        for (size_t k = 0; k < c.v[i].n; k++) {
            if (!strcmp(c.v[i].words[k], "Don't")) { assert_string_equal(c.v[i].tags[k], "AUX"); dont++; }
            if (!strcmp(c.v[i].words[k], "It's")) { assert_string_equal(c.v[i].tags[k], "PRON"); its++; }
        }
    assert_int_equal(dont, 2);
    assert_int_equal(its, 2);
    tag_corpus_free(&c);

    /* The UD syntactic words instead: every word line, ranges ignored, nothing filtered. */
    o.conllu_words = 1;
    c = read_ok("data/ud/en_ewt-ud-dev.conllu", TAGF_CONLLU, &o);
    assert_int_equal(c.st.ntok, 364);
    assert_int_equal(c.st.nmwt, 0);
    size_t nt = 0;
    for (size_t i = 0; i < c.n; i++)
        for (size_t k = 0; k + 1 < c.v[i].n; k++)
            if (!strcmp(c.v[i].words[k], "Do") && !strcmp(c.v[i].words[k + 1], "n't")) {
                assert_string_equal(c.v[i].tags[k], "AUX");
                assert_string_equal(c.v[i].tags[k + 1], "PART");
                nt++;
            }
    assert_int_equal(nt, 2);
    tag_corpus_free(&c);

    /* French "du" = de + le: both depend on the noun; ADP ranks before DET in the fr list. */
    o = (TagReadOpts){.lang = "fr"};
    c = read_ok("data/ud/fr_gsd-ud-test.conllu", TAGF_CONLLU, &o);
    size_t du = 0;
    for (size_t i = 0; i < c.n; i++)
        for (size_t k = 0; k < c.v[i].n; k++)
            if (!strcmp(c.v[i].words[k], "du")) { assert_string_equal(c.v[i].tags[k], "ADP"); du++; }
    assert_int_equal(du, 9);
    tag_corpus_free(&c);

    /* Edge cases: the enhanced DEPS edge 2 -> 3 makes B the single highest word of "BC" (NOUN,
     * though VERB ranks first); spaces and U+200C removed; the all-but-one-"_" sentence dropped. */
    o = (TagReadOpts){.lang = "de"};
    c = read_ok("data/ud/xtreme-edge-cases.conllu", TAGF_CONLLU, &o);
    assert_string_equal(c.v[0].words[1], "BC");
    assert_string_equal(c.v[0].tags[1], "NOUN");
    assert_string_equal(c.v[2].words[2], "NewYork");
    assert_string_equal(c.v[2].words[3], "mixed");
    assert_string_equal(c.v[3].id, "underscores-kept");
    assert_int_equal(c.st.nfiltered, 1);
    tag_corpus_free(&c);
}

/* A UPOS missing from the precedence list (XTREME's script raises ValueError): ranks after it. */
static void test_conllu_unlisted_pos(void **state) {
    (void)state;
    const char *p = write_tmp("sym.conllu",
        "1\tgo\tgo\tVERB\t_\t_\t0\troot\t_\t_\n"
        "2-3\t$5\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "2\t$\t$\tSYM\t_\t_\t1\tobj\t_\t_\n"
        "3\t5\t5\tNUM\t_\t_\t1\tobj\t_\t_\n"
        "4-5\t%%\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "4\t%\t%\tSYM\t_\t_\t1\tdep\t_\t_\n"
        "5\t%\t%\tSYM\t_\t_\t1\tdep\t_\t_\n\n");
    TagCorpus c;
    XsErr err = {0};
    assert_int_equal(tagging_read(p, TAGF_CONLLU, NULL, &c, &err), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].n, 3);
    assert_string_equal(c.v[0].words[1], "$5");
    assert_string_equal(c.v[0].tags[1], "NUM");   /* NUM is listed, SYM is not */
    assert_string_equal(c.v[0].tags[2], "SYM");   /* none listed: the first */
    tag_corpus_free(&c);
}

static void test_conllu_malformed(void **state) {
    (void)state;
    const char *ok1 = "1\ta\ta\tNOUN\t_\t_\t0\troot\t_\t_\n";
    char buf[1024];
    expect_error(TAGF_CONLLU, NULL, "# c\n1\ta\ta\tNOUN\t_\t_\t0\troot\t_\n",
                 "2: expected 10 tab-separated columns (CoNLL-U), found 9");
    snprintf(buf, sizeof buf, "%s3\tb\tb\tNOUN\t_\t_\t1\tdep\t_\t_\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected word ID 2, found \"3\"");
    snprintf(buf, sizeof buf, "%s2-2\tb\t_\t_\t_\t_\t_\t_\t_\t_\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected a multi-word token range 2-N (N > 2), found \"2-2\"");
    snprintf(buf, sizeof buf, "%s2-3\tbc\t_\t_\t_\t_\t_\t_\t_\t_\n2\tb\tb\tNOUN\t_\t_\t1\tdep\t_\t_\n\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected words 2..3 after the multi-word token, found the sentence ending at word 2");
    snprintf(buf, sizeof buf, "%s2\tb\tb\tNOUN\t_\t_\t7\tdep\t_\t_\n\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected HEAD to be a word of the sentence (0..2), found 7");
    snprintf(buf, sizeof buf, "%s2\tb\tb\tNOUN\t_\t_\tx\tdep\t_\t_\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected HEAD to be a word ID or 0, found \"x\"");
    snprintf(buf, sizeof buf, "%s2\t\tb\tNOUN\t_\t_\t1\tdep\t_\t_\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected a FORM (column 2), found an empty field");
    snprintf(buf, sizeof buf, "%s2\tb\tb\t\t_\t_\t1\tdep\t_\t_\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected a UPOS tag (column 4), found an empty field");
    snprintf(buf, sizeof buf, "%s3.1\tb\tb\tNOUN\t_\t_\t_\t_\t_\t_\n", ok1);
    expect_error(TAGF_CONLLU, NULL, buf, "2: expected an empty node ID 1.k after word 1, found \"3.1\"");
    snprintf(buf, sizeof buf, "%s1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n", "");
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "1\ta\ta\tNOUN\t_\t_\t0\troot\t_\t_\n2\tb\tb\tNOUN\t_\t_\t1\tdep\t9:x\t_\n\n");
    expect_error(TAGF_CONLLU, NULL, buf, "3: expected DEPS heads to be words of the sentence (0..2), found 9");
    expect_error(TAGF_CONLLU, NULL, "1\ta\ta\tNO\xffUN\t_\t_\t0\troot\t_\t_\n",
                 "1: expected UTF-8 text, found an invalid byte sequence at byte 9 of the line (0xFF)");

    /* skip_bad_rows: the sentence holding the bad row goes, the others stay; counted. */
    const char *p = write_tmp("skip.conllu",
        "1\ta\ta\tNOUN\t_\t_\t0\troot\t_\t_\n\n"
        "1\tb\tb\tNOUN\t_\t_\t0\troot\t_\t_\n3\tc\tc\tNOUN\t_\t_\t1\tdep\t_\t_\n4\td\td\tNOUN\t_\t_\t1\tdep\t_\t_\n\n"
        "1\te\te\tNOUN\t_\t_\t0\troot\t_\t_\n2\tf\tf\tNOUN\t_\t_\t9\tdep\t_\t_\n\n"
        "1\tg\tg\tVERB\t_\t_\t0\troot\t_\t_");  /* no final blank line: still delivered */
    TagReadOpts o = {.skip_bad_rows = 1};
    TagCorpus c;
    XsErr err = {0};
    assert_int_equal(tagging_read(p, TAGF_CONLLU, &o, &c, &err), 2);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.v[0].words[0], "a");
    assert_string_equal(c.v[1].words[0], "g");
    assert_int_equal(c.v[1].line, 10);
    assert_int_equal(c.st.nbad, 2);
    assert_int_equal(c.st.nbad_sent, 2);
    tag_corpus_free(&c);
}

/* ---- XTREME download/, PAN-X, GermEval, CCG ---- */

static void test_xtreme_download_untagged(void **state) {
    (void)state;
    TagReadOpts o = {.untagged = 1};
    TagCorpus test = read_ok("data/xtreme/download/udpos/test-zh.tsv", TAGF_COLUMNS, &o);
    TagCorpus dev = read_ok("data/xtreme/download/udpos/dev-zh.tsv", TAGF_COLUMNS, NULL);
    assert_same_corpus(&test, &dev, 0);
    assert_null(test.v[0].tags);
    assert_non_null(dev.v[0].tags);
    tag_corpus_free(&test);
    tag_corpus_free(&dev);
    /* A test file read as tagged: the first row already says what is wrong. */
    TagCorpus c;
    XsErr err = {0};
    assert_int_equal(tagging_read(tu_fixture("data/xtreme/download/udpos/test-zh.tsv"), TAGF_COLUMNS, NULL, &c, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:1: expected token<TAB>tag, found 1 tab-separated field", tu_fixture("data/xtreme/download/udpos/test-zh.tsv"));
    assert_string_equal(err.msg, want);
}

static void test_panx(void **state) {
    (void)state;
    static const char *langs[] = {"de", "en"};
    for (size_t i = 0; i < 2; i++) {
        char a[128], b[128], t[128];
        snprintf(a, sizeof a, "data/panx/%s-dev", langs[i]);
        snprintf(b, sizeof b, "data/xtreme/download/panx/dev-%s.tsv", langs[i]);
        snprintf(t, sizeof t, "data/xtreme/download/panx/test-%s.tsv", langs[i]);
        TagCorpus orig = read_ok(a, TAGF_PANX, NULL);
        TagCorpus dl = read_ok(b, TAGF_COLUMNS, NULL);
        TagReadOpts o = {.untagged = 1};
        TagCorpus test = read_ok(t, TAGF_COLUMNS, &o);
        assert_same_corpus(&orig, &dl, 1);
        assert_same_corpus(&orig, &test, 0);
        tag_corpus_free(&dl);
        tag_corpus_free(&test);
        if (i == 0) {
            assert_int_equal(orig.n, 3);
            assert_string_equal(orig.v[0].words[1], "Europäische");
            assert_string_equal(orig.v[0].tags[1], "B-ORG");
            assert_string_equal(orig.v[1].words[5], ":");  /* "de::" → the token ":" */
            assert_string_equal(orig.v[2].words[0], "'''");
            assert_int_equal(orig.v[1].line, 11);
            /* XTREME's labels.txt set: all seen tags are in it, in byte order. */
            TagSet s, panx;
            tagset_init(&s);
            tagset_add_corpus(&s, &orig);
            tagset_sort(&s);
            tagset_init_names(&panx, TAGS_PANX, 7);
            for (size_t k = 0; k < s.n; k++) {
                assert_true(tagset_find(&panx, s.names[k]) >= 0);
                if (k) assert_true(strcmp(s.names[k - 1], s.names[k]) < 0);
            }
            assert_int_equal(tagset_find(&panx, "B-PER"), 2);
            assert_int_equal(tagset_find(&panx, "B-MISC"), -1);
            int ids[16];
            assert_int_equal(tagset_map(&panx, &orig.v[0], ids), 0);
            assert_int_equal(ids[1], 1);  /* B-ORG */
            assert_int_equal(ids[0], 6);  /* O */
            tagset_free(&s);
            tagset_free(&panx);
        }
        tag_corpus_free(&orig);
    }
    expect_error(TAGF_PANX, NULL, "de:a\tO\nb\tO\n", "2: expected lang:token, found \"b\" (no language prefix)");
    expect_error(TAGF_PANX, NULL, "de:a\tO\nde:\tO\n", "2: expected lang:token, found an empty token after \"de:\"");
    expect_error(TAGF_PANX, NULL, "de:a\tO\tX\n", "1: expected lang:token<TAB>tag, found 3 tab-separated fields");
    expect_error(TAGF_PANX, NULL, "de:a\t\n", "1: expected a tag after the tab, found an empty field");
    expect_error(TAGF_COLUMNS, NULL, "a\tO\n\tO\n", "2: expected a token, found an empty field");
    TagReadOpts un = {.untagged = 1};
    expect_error(TAGF_COLUMNS, &un, "a\nb\tO\n", "2: expected a token alone (untagged file), found 2 tab-separated fields");
}

static void test_germeval(void **state) {
    (void)state;
    TagCorpus c = read_ok("data/germeval14/germeval14-dev.slice.tsv", TAGF_GERMEVAL, NULL);
    assert_int_equal(c.n, 30);
    assert_int_equal(c.st.ntok, 551);
    assert_string_equal(c.v[0].words[0], "Gleich");
    assert_string_equal(c.v[0].words[7], "Ecce");
    assert_string_equal(c.v[0].tags[7], "B-OTH");
    assert_string_equal(c.v[0].tags[8], "I-OTH");
    tag_corpus_free(&c);
    /* The original layout: "#" source lines; the nested column on request. */
    c = read_ok("data/germeval14/NER-de-sample.tsv", TAGF_GERMEVAL, NULL);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[1].line, 12);
    assert_string_equal(c.v[1].words[2], "Würzburg");
    assert_string_equal(c.v[1].tags[2], "I-ORG");
    assert_string_equal(c.v[1].tags[4], "B-LOCderiv");
    tag_corpus_free(&c);
    TagReadOpts o = {.nested = 1};
    c = read_ok("data/germeval14/NER-de-sample.tsv", TAGF_GERMEVAL, &o);
    assert_string_equal(c.v[1].tags[2], "B-LOC");
    assert_string_equal(c.v[1].tags[1], "O");
    tag_corpus_free(&c);
    expect_error(TAGF_GERMEVAL, NULL, "1\ta\tO\tO\n3\tb\tO\tO\n", "2: expected token index 2, found \"3\"");
    expect_error(TAGF_GERMEVAL, NULL, "#\tsrc\n1\ta\tO\n", "2: expected index<TAB>token<TAB>outer tag<TAB>nested tag, found 3 tab-separated fields");
    expect_error(TAGF_GERMEVAL, &o, "1\ta\tO\t\n", "1: expected a nested tag, found an empty field");
}

static void test_ccg(void **state) {
    (void)state;
    TagCorpus j = read_ok("data/ccg/ccg.train", TAGF_CCG_JIANT, NULL);
    TagCorpus cols = read_ok("data/ccg/train.tsv", TAGF_COLUMNS, NULL);
    assert_same_corpus(&j, &cols, 1);
    assert_int_equal(j.n, 4);
    assert_string_equal(j.v[2].words[1], "gave");
    assert_string_equal(j.v[2].tags[1], "((S[dcl]\\NP)/NP)/NP");
    /* Tag set = every supertag seen in train; a dev supertag outside it maps to -1. */
    TagSet s;
    tagset_init(&s);
    tagset_add_corpus(&s, &j);
    tagset_sort(&s);
    assert_int_equal(s.n, 12);
    assert_string_equal(s.names[0], "((S[dcl]\\NP)/NP)/NP");
    assert_string_equal(s.names[11], "S[dcl]\\NP");
    TagCorpus dev = read_ok("data/ccg/ccg.dev", TAGF_CCG_JIANT, NULL);
    int ids[16];
    assert_int_equal(tagset_map(&s, &dev.v[0], ids), 0);
    assert_int_equal(tagset_map(&s, &dev.v[1], ids), 1);
    assert_int_equal(ids[0], -1);
    assert_int_equal(ids[1], tagset_find(&s, "S[dcl]\\NP"));
    tagset_free(&s);
    tag_corpus_free(&dev);
    tag_corpus_free(&j);
    tag_corpus_free(&cols);
    expect_error(TAGF_CCG_JIANT, NULL, "a b\tN N\na b c\tN N\n", "2: expected one supertag per word, found 3 words and 2 supertags");
    expect_error(TAGF_CCG_JIANT, NULL, "a  b\tN N N\n", "1: expected a word, found an empty one (word 2: two spaces in a row, or a space at an end)");
    expect_error(TAGF_CCG_JIANT, NULL, "a b N N\n", "1: expected space-tokenized text<TAB>space-separated supertags, found 1 tab-separated field");
}

static void test_skip_bad_rows_columns(void **state) {
    (void)state;
    const char *p = write_tmp("skip.tsv", "a\tO\nb\n c\tO\n\nd\tB-PER\n-DOCSTART-\tO\ne\tO\n\nf\xfe\tO\n\ng\tO\n");
    TagReadOpts o = {.skip_bad_rows = 1};
    TagCorpus c;
    XsErr err = {0};
    assert_int_equal(tagging_read(p, TAGF_COLUMNS, &o, &c, &err), 2);
    assert_int_equal(c.n, 3);  /* d | e | g */
    assert_string_equal(c.v[0].words[0], "d");
    assert_string_equal(c.v[1].words[0], "e");
    assert_string_equal(c.v[2].words[0], "g");
    assert_int_equal(c.v[2].line, 11);
    assert_int_equal(c.st.nbad, 2);
    assert_int_equal(c.st.nbad_sent, 2);
    assert_int_equal(c.st.ndocstart, 1);
    tag_corpus_free(&c);
    /* Without the option the first bad row is the error. */
    expect_error(TAGF_COLUMNS, NULL, "a\tO\nb\n c\tO\n", "2: expected token<TAB>tag, found 1 tab-separated field");
    /* CCG: one line = one sentence, one skip each. */
    p = write_tmp("skip.ccg", "a\tN\nb c\tN\n\nd\tN\n");
    assert_int_equal(tagging_read(p, TAGF_CCG_JIANT, &o, &c, &err), 1);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.st.nblank, 1);
    tag_corpus_free(&c);
}

static int stop_at_second(void *ctx, const TagSentence *s, XsErr *err) {
    int *n = ctx;
    if (++*n == 2) return err_set(err, "callback", s->line, "stop");
    return 0;
}

static void test_stream_stops(void **state) {
    (void)state;
    int n = 0;
    XsErr err = {0};
    TagReadStats st;
    assert_int_equal(tagging_stream(tu_fixture("data/ud/de_gsd-ud-test.conllu"), TAGF_CONLLU, NULL, stop_at_second, &n, &st, &err), -1);
    assert_int_equal(n, 2);
    assert_string_equal(err.msg, "callback:18: stop");
    n = 0;
    assert_int_equal(tagging_stream(tu_fixture("data/panx/de-dev"), TAGF_PANX, NULL, stop_at_second, &n, NULL, &err), -1);
    assert_string_equal(err.msg, "callback:11: stop");
    n = 0;
    assert_int_equal(conllu_stream(tu_fixture("data/ud/zh_gsd-ud-test.conllu"), NULL, stop_at_second, &n, NULL, &err), -1);
    assert_int_equal(n, 2);
    TagFormat f;
    assert_int_equal(tag_format_parse("germeval", &f), 0);
    assert_int_equal(f, TAGF_GERMEVAL);
    assert_string_equal(tag_format_name(TAGF_CCG_JIANT), "ccg-jiant");
    assert_int_equal(tag_format_parse("conll", &f), -1);
}

static void test_format_guess(void **state) {
    (void)state;
    static const struct { const char *path; int ok; TagFormat f; int untagged; const char *lang; } G[] = {
        {"ud-treebanks-v2.5/UD_French-GSD/fr_gsd-ud-train.conllu", 1, TAGF_CONLLU, 0, "fr"},
        {"x/UD_Chinese-GSD/zh_gsd-ud-test.conllu", 1, TAGF_CONLLU, 0, "zh"},
        {"download/udpos/train-en.tsv", 1, TAGF_COLUMNS, 0, "en"},
        {"download/udpos/test-tl.tsv", 1, TAGF_COLUMNS, 1, "tl"},
        {"/data/download/panx/dev-de.tsv", 1, TAGF_COLUMNS, 0, "de"},
        {"panx_dataset/de-dev", 1, TAGF_PANX, 0, "de"},
        {"panx_dataset/en-train", 1, TAGF_PANX, 0, "en"},
        {"GermEval2014/NER-de-train.tsv", 1, TAGF_GERMEVAL, 0, "de"},
        {"germeval14-dev.tsv", 1, TAGF_GERMEVAL, 0, "de"},
        {"ccg/ccg.dev", 1, TAGF_CCG_JIANT, 0, "en"},
        {"ccg/train.tsv", 0, 0, 0, ""},
        {"MNLI/dev_matched.tsv", 0, 0, 0, ""},
        {"de-devel", 0, 0, 0, ""},
        {"DE-dev", 0, 0, 0, ""},
    };
    for (size_t i = 0; i < sizeof G / sizeof *G; i++) {
        TagFormat f = TAGF_NFORMATS;
        int un = -1;
        char lang[16];
        int rc = tag_format_guess(G[i].path, &f, &un, lang);
        if (!G[i].ok) { if (rc != -1) fail_msg("%s: guessed %s", G[i].path, tag_format_name(f)); continue; }
        if (rc) fail_msg("%s: no guess", G[i].path);
        if (f != G[i].f) fail_msg("%s: %s, expected %s", G[i].path, tag_format_name(f), tag_format_name(G[i].f));
        assert_int_equal(un, G[i].untagged);
        assert_string_equal(lang, G[i].lang);
    }
}

/* Found by fuzz_tagging: sorting the tag set of a corpus without tags passed NULL to qsort (undefined
 * behaviour; `make asan` stops on it). An empty set sorts to an empty set that still answers lookups. */
static void test_tagset_empty_sort(void **state) {
    (void)state;
    TagSet s;
    tagset_init(&s);
    tagset_sort(&s);
    assert_int_equal(s.n, 0);
    assert_int_equal(tagset_find(&s, "NOUN"), -1);
    assert_int_equal(tagset_add(&s, "NOUN"), 0);
    tagset_sort(&s);
    assert_int_equal(tagset_find(&s, "NOUN"), 0);
    tagset_free(&s);
}

static void test_tagset_json(void **state) {
    (void)state;
    TagSet js, seen;
    XsErr err = {0};
    assert_int_equal(tagset_read_json(tu_fixture("data/ccg/tags_to_id.json"), &js, &err), 0);
    TagCorpus c = read_ok("data/ccg/ccg.train", TAGF_CCG_JIANT, NULL);
    tagset_init(&seen);
    tagset_add_corpus(&seen, &c);
    tagset_sort(&seen);
    assert_int_equal(js.n, seen.n);
    for (size_t i = 0; i < js.n; i++) assert_string_equal(js.names[i], seen.names[i]);
    assert_int_equal(tagset_find(&js, "NP[nb]/N"), 9);
    tagset_free(&js);
    tagset_free(&seen);
    tag_corpus_free(&c);
    const char *p = write_tmp("t.json", "{\"N\": 0, \"NP\": 2}");
    assert_int_equal(tagset_read_json(p, &js, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s: tag \"NP\": expected an id in 0..1", p);
    assert_string_equal(err.msg, want);
    p = write_tmp("t.json", "{\"N\": 1, \"NP\": \"1\"}");
    assert_int_equal(tagset_read_json(p, &js, &err), -1);
    snprintf(want, sizeof want, "%s: tags \"N\" and \"NP\" have the same id 1", p);
    assert_string_equal(err.msg, want);
    p = write_tmp("t.json", "[\"N\"]");
    assert_int_equal(tagset_read_json(p, &js, &err), -1);
    snprintf(want, sizeof want, "%s: expected a JSON object {\"tag\": id, ...}", p);
    assert_string_equal(err.msg, want);
    /* not JSON at all: an error with the line, and nothing left allocated (found by fuzz_labels: the
     * set's hash table leaked; `make asan` fails on the leak) */
    p = write_tmp("t.json", "{\"N\": 0,\n oops");
    assert_int_equal(tagset_read_json(p, &js, &err), -1);
    assert_non_null(strstr(err.msg, "t.json:2"));
    assert_null(js.slot);
    assert_int_equal(js.n, 0);
}

static int teardown(void **state) {
    (void)state;
    if (tmp_dir) { tu_rmtree(tmp_dir); free(tmp_dir); tmp_dir = NULL; }
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conllu_equals_xtreme_pipeline),
        cmocka_unit_test(test_conllu_rows),
        cmocka_unit_test(test_conllu_unlisted_pos),
        cmocka_unit_test(test_conllu_malformed),
        cmocka_unit_test(test_xtreme_download_untagged),
        cmocka_unit_test(test_panx),
        cmocka_unit_test(test_germeval),
        cmocka_unit_test(test_ccg),
        cmocka_unit_test(test_skip_bad_rows_columns),
        cmocka_unit_test(test_stream_stops),
        cmocka_unit_test(test_format_guess),
        cmocka_unit_test(test_tagset_empty_sort),
        cmocka_unit_test(test_tagset_json),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}

// Tokenizer files as hostile input: a tokenizer.json is a program, so each way it could make us work or
// allocate without bound is tested here with an input large enough that the old code would run for hours (or
// fill gigabytes), while the answer now is exact and immediate: WordPiece with any word limit, hundreds of
// thousands of added tokens, normalizers that lengthen the text, ids far beyond the vocabulary, PCRE2-only
// regex syntax. Also the matching rules of added tokens, checked against Hugging Face's tokenizers 0.23.2.
#include "headlight/error.h"
#include "headlight/tokenizer.h"
#include "test_support.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/components.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

using namespace headlight;
using nlohmann::json;
using headlight::test::errorOf;
using headlight::test::writeFile;

namespace {

std::unique_ptr<Tokenizer> loadJson(QTemporaryDir& dir, const json& tokenizer) {
    writeFile(dir.filePath("tokenizer.json"), QByteArray::fromStdString(tokenizer.dump()));
    return loadTokenizer(dir.path().toStdString());
}

json bpeJson(const json& vocab) {
    return {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", json::array()},
            {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr}, {"decoder", nullptr},
            {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"fuse_unk", false},
                       {"byte_fallback", false}, {"vocab", vocab}, {"merges", json::array()}}}};
}

json addedToken(int64_t id, const std::string& content, bool special = false) {
    return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
            {"normalized", false}, {"special", special}};
}

tok::AddedToken plainToken(const std::string& content, int64_t id) {
    tok::AddedToken t;
    t.content = content;
    t.id = id;
    return t;
}

json wordPieceJson(int64_t maxChars) {
    json j = bpeJson(nullptr);
    j["model"] = {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"}, {"max_input_chars_per_word", maxChars},
                  {"vocab", {{"[UNK]", 0}, {"a", 1}, {"##a", 2}, {"é", 3}, {"##é", 4}, {"ab", 5}, {"##b", 6}, {"##bc", 7}}}};
    j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
    return j;
}

// The error text of loading `j` as DIR/tokenizer.json, with DIR replaced by "DIR".
QString loadError(const json& j) {
    QTemporaryDir dir;
    return errorOf([&] { loadJson(dir, j); }).replace(dir.path(), "DIR");
}

} // namespace

class TestTokenizerLimits : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- WordPiece
    // One 30 000-letter word with max_input_chars_per_word at 10^9: candidates were shrunk from the whole rest
    // of the word, one copied string each (n^3 / 6 bytes: hours). Walking the vocabulary's trie costs the word's
    // length times the longest entry.
    void wordPieceHugeWordLimit() {
        QTemporaryDir dir;
        const auto tok = loadJson(dir, wordPieceJson(1000000000));
        const auto ids = tok->encode(std::string(30000, 'a'));
        QCOMPARE(ids.size(), size_t(30000));
        QCOMPARE(ids.front(), int64_t(1));
        QVERIFY(std::all_of(ids.begin() + 1, ids.end(), [](int64_t id) { return id == 2; }));
        std::string accents;
        for (int i = 0; i < 20000; ++i) accents += "é";
        QCOMPARE(tok->encode(accents).size(), size_t(20000));
    }

    // Hugging Face's rules, unchanged (the expected ids are what tokenizers 0.23.2 returns): greedy longest match
    // first, the limit counted in characters, a word that cannot be covered becomes one [UNK].
    void wordPieceRules() {
        QTemporaryDir dir;
        const auto tok = loadJson(dir, wordPieceJson(3));
        QCOMPARE(tok->encode("abc"), (std::vector<int64_t>{0}));   // greedy: "ab", then no "##c"; never back to "a" + "##bc"
        QCOMPARE(tok->encode("aab"), (std::vector<int64_t>{1, 2, 6}));
        QCOMPARE(tok->encode("ééé"), (std::vector<int64_t>{3, 4, 4}));     // 3 characters (6 bytes): within the limit
        QCOMPARE(tok->encode("aaaa"), (std::vector<int64_t>{0}));          // 4 characters: [UNK]
        QCOMPARE(tok->encode("ax a"), (std::vector<int64_t>{0, 1}));       // "##x" is not there: the whole word is [UNK]
        QCOMPARE(tok->encode("bc"), (std::vector<int64_t>{0}));            // "##bc" does not start a word
    }

    // ---------------------------------------------------------------- added tokens
    // 300 000 added tokens that all start with '<' over 400 000 '<': every byte used to be compared with every
    // token sharing its first byte (1.2 x 10^11 comparisons, over ten minutes). One Aho-Corasick pass now.
    void manyAddedTokens() {
        std::vector<std::string> patterns;
        std::vector<tok::AddedToken> tokens;
        const std::string letters = "abcdefghijklmnopqrstuvwxyz";
        for (int i = 0; i < 300000; ++i) {
            std::string p = "<";
            for (int k = 0, v = i; k < 4; ++k, v /= 26) p += letters[static_cast<size_t>(v % 26)];
            tokens.push_back(plainToken(p + ">", 1000 + i));
            patterns.push_back(p + ">");
        }
        const tok::AddedTokenMatcher matcher(patterns, tokens);
        const std::string text = std::string(400000, '<') + patterns[26] + std::string(100, '<') + patterns.back() + "x";
        const auto segments = matcher.split(text);
        QCOMPARE(segments.size(), size_t(5));
        QCOMPARE(segments[0].end, size_t(400000));
        QCOMPARE(segments[1].id, int64_t(1000 + 26));
        QCOMPARE(segments[3].id, int64_t(1000 + 299999));
        QCOMPARE(segments[4].begin, text.size() - 1);
    }

    // Leftmost first, then longest; a longer token that fails part-way does not hide a shorter one inside it.
    void addedTokensLeftmostLongest_data() {
        QTest::addColumn<QStringList>("patterns");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");   // segments: token index or "-" for plain text, with the text
        QTest::newRow("longest at the leftmost start") << QStringList{"ab", "abc", "bcd"} << "abcd" << "1:abc -:d";
        QTest::newRow("a failed long one, a short one inside") << QStringList{"abcde", "bc"} << "abcdx" << "-:a 1:bc -:dx";
        QTest::newRow("the search resumes after a match") << QStringList{"aa"} << "aaa" << "0:aa -:a";
        QTest::newRow("equal patterns: the first") << QStringList{"x", "x"} << "axa" << "-:a 0:x -:a";
        QTest::newRow("suffix of another") << QStringList{"bcd", "abcx", "c"} << "abcd" << "-:a 0:bcd";
        QTest::newRow("multibyte") << QStringList{"é", "éé"} << "aééé" << "-:a 1:éé 0:é";
        QTest::newRow("none") << QStringList{"zz"} << "abc" << "-:abc";
    }
    void addedTokensLeftmostLongest() {
        QFETCH(QStringList, patterns);
        QFETCH(QString, text);
        QFETCH(QString, expected);
        std::vector<std::string> p;
        std::vector<tok::AddedToken> t;
        for (const QString& s : patterns) {
            p.push_back(s.toStdString());
            t.push_back(plainToken(s.toStdString(), static_cast<int64_t>(t.size())));
        }
        const std::string subject = text.toStdString();
        QStringList got;
        for (const tok::Segment& s : tok::AddedTokenMatcher(p, t).split(subject))
            got << (s.id < 0 ? QString("-") : QString::number(s.id)) + ":" + QString::fromStdString(subject.substr(s.begin, s.end - s.begin));
        QCOMPARE(got.join(' '), expected);
    }

    // lstrip, rstrip and single_word as Hugging Face's tokenizers 0.23.2 apply them (the expected ids are what
    // it returns for these files): the search resumes where the match ended, not after the spaces rstrip took,
    // and a match left empty by an earlier rstrip is dropped.
    void addedTokensStripLikeHuggingFace() {
        QTemporaryDir dir;
        json j = bpeJson({{"a", 0}, {"x", 1}, {" ", 2}});
        json m = addedToken(3, "<m>");
        m["rstrip"] = true;
        json wordMark = addedToken(5, "x<m>", true);
        wordMark["single_word"] = true;
        wordMark["lstrip"] = true;
        j["added_tokens"] = {m, addedToken(4, " x"), wordMark};
        auto tok = loadJson(dir, j);
        QCOMPARE(tok->encode("<m> x"), (std::vector<int64_t>{3, 4}));
        QCOMPARE(tok->encode("<m>  x<m> ax<m> x<m>a"), (std::vector<int64_t>{3, 4, 3, 0, 1, 4, 3, 0}));
        json space = addedToken(2, " ");
        space["rstrip"] = true;
        j["added_tokens"] = json::array({space});
        tok = loadJson(dir, j);
        QCOMPARE(tok->encode("a   a"), (std::vector<int64_t>{0, 2, 2, 2, 0}));   // "   ", "  ", " ": overlapping, as Hugging Face
        space["lstrip"] = true;
        j["added_tokens"] = json::array({space});
        tok = loadJson(dir, j);
        QCOMPARE(tok->encode("a   a"), (std::vector<int64_t>{0, 2, 0}));   // the later matches are left empty
        QCOMPARE(tok->encode("x  a"), (std::vector<int64_t>{1, 2, 0}));
    }

    // ---------------------------------------------------------------- ids
    // Hugging Face numbers added tokens itself: an id it would not give is refused before any table is sized by
    // it (one id of 200 000 000 in a 300-byte file used to fill 3.4 GB).
    void addedTokenIds_data() {
        QTest::addColumn<QString>("added");   // the added_tokens list
        QTest::addColumn<QString>("message");
        QTest::newRow("far beyond") << R"([{"id": 200000000, "content": "<x>", "special": true}])"
                                    << "DIR/tokenizer.json: added_tokens[0] \"<x>\": id 200000000, but Hugging Face numbers it 2 "
                                       "(added tokens outside the vocabulary follow its 2 tokens, in order)";
        QTest::newRow("not the vocabulary's") << R"([{"id": 7, "content": "b"}])"
                                              << "DIR/tokenizer.json: added_tokens[0] \"b\": id 7, but the vocabulary gives it id 1";
        QTest::newRow("out of order") << R"([{"id": 3, "content": "<y>"}, {"id": 2, "content": "<x>"}])"
                                      << "added_tokens[0] \"<y>\": id 3, but Hugging Face numbers it 2";
        QTest::newRow("repeated with another id") << R"([{"id": 2, "content": "<x>"}, {"id": 3, "content": "<x>"}])"
                                                  << "added_tokens[1] \"<x>\": id 3, but the same token came before with id 2";
        QTest::newRow("long content cut") << QString::fromStdString(json::array({{{"id", 9}, {"content", std::string(100000, 'z')}}}).dump())
                                          << "added_tokens[0] \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\": id 9, but";
    }
    void addedTokenIds() {
        QFETCH(QString, added);
        QFETCH(QString, message);
        json j = bpeJson({{"a", 0}, {"b", 1}});
        j["added_tokens"] = json::parse(added.toStdString());
        const QString err = loadError(j);
        QVERIFY2(err.contains(message) && !err.contains('\n') && err.size() < 300, qPrintable("got: " + err));
    }

    void addedTokensAsHuggingFaceNumbersThem() {
        QTemporaryDir dir;
        json j = bpeJson({{"a", 0}, {"b", 5}});   // two tokens, with a gap: added tokens follow the count, not the largest id
        json lower = addedToken(3, "<X>");
        lower["normalized"] = true;
        j["added_tokens"] = {addedToken(2, "<s>", true), addedToken(1000, "", false), addedToken(5, "b", true), lower,
                             addedToken(2, "<s>", false)};
        j["normalizer"] = {{"type", "Lowercase"}};
        const auto tok = loadJson(dir, j);
        QCOMPARE(tok->encode("a<s><x>b"), (std::vector<int64_t>{0, 2, 3, 5}));   // the empty token is ignored
        QVERIFY(tok->isSpecial(2));   // repeated as not special: Hugging Face's special set keeps it
        QCOMPARE(tok->vocabSize(), int64_t(6));
    }

    void vocabularyIds() {
        QCOMPARE(loadError(bpeJson({{"a", 0}, {"b", 2000000}})),
                 QString("DIR/tokenizer.json: token \"b\" has id 2000000, but the vocabulary has 2 tokens (ids may leave at most 1048576 unused)"));
        QTemporaryDir dir;
        QCOMPARE(loadJson(dir, bpeJson({{"a", 0}, {"b", 1000000}}))->vocabSize(), int64_t(1000001));   // gaps within the bound load
    }

    // tokenizer_config.json's ids are blamed on tokenizer_config.json, not on vocab.json or vocab.txt.
    void configIdsNameTheirFile() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"a": 0, "b": 1, "ab": 2})");
        writeFile(dir.filePath("merges.txt"), "#version: 0.2\na b\n");
        writeFile(dir.filePath("tokenizer_config.json"), R"({"added_tokens_decoder": {"99": {"content": "<x>", "special": true}}})");
        QCOMPARE(errorOf([&] { loadTokenizer(dir.path().toStdString()); }),
                 dir.filePath("tokenizer_config.json") + ": added_tokens_decoder \"99\" \"<x>\": id 99, but Hugging Face numbers it 3 "
                 "(added tokens outside the vocabulary follow its 3 tokens, in order)");
        writeFile(dir.filePath("tokenizer_config.json"), R"({"added_tokens_decoder": {"10": {"content": "<y>"}, "3": {"content": "<x>"}, "4": {"content": "<z>"}}})");
        QCOMPARE(errorOf([&] { loadTokenizer(dir.path().toStdString()); }),
                 dir.filePath("tokenizer_config.json") + ": added_tokens_decoder \"10\" \"<y>\": id 10, but Hugging Face numbers it 5 "
                 "(added tokens outside the vocabulary follow its 3 tokens, in order)");   // taken in the order of the ids
    }

    // An id the post-processor adds is checked at load, naming tokenizer.json and the post-processor (it used
    // to surface when a text was encoded, blamed on the text).
    void postProcessorIds() {
        json j = bpeJson({{"a", 0}, {"b", 1}});
        j["post_processor"] = json::parse(R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [77], "tokens": ["<s>"]}}})");
        QCOMPARE(loadError(j), QString("DIR/tokenizer.json: post_processor \"TemplateProcessing\": adds id 77, which is not a token of the vocabulary"));
        j["post_processor"] = {{"type", "Sequence"}, {"processors", json::array({{{"type", "ByteLevel"}}, j["post_processor"]})}};
        QCOMPARE(loadError(j), QString("DIR/tokenizer.json: post_processor #2 \"TemplateProcessing\": adds id 77, which is not a token of the vocabulary"));
    }

    // ---------------------------------------------------------------- growth
    // 40 Replace "a" -> "aa" double the text 40 times (the CLI reached 4.6 GB in 60 s): refused at the first
    // that passes 64 times the input + 64 KiB, by name.
    void growingNormalizers() {
        json j = bpeJson({{"a", 0}});
        j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array()}};
        for (int i = 0; i < 40; ++i)
            j["normalizer"]["normalizers"].push_back({{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "aa"}});
        QTemporaryDir dir;
        const auto tok = loadJson(dir, j);
        QCOMPARE(errorOf([&] { tok->encode("a"); }).replace(dir.path(), "DIR"),
                 QString("DIR/tokenizer.json: normalizer #17 \"Replace\" grows the text beyond 65600 bytes (at most 64 times the input + 65536)"));
        QCOMPARE(tok->encode("", false), std::vector<int64_t>{});
        j["normalizer"]["normalizers"] = json::array({{{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "aa"}}});
        QCOMPARE(loadJson(dir, j)->encode("aaa", false).size(), size_t(6));   // a real expansion is no problem
    }

    // Each component that lengthens text is bounded over all the pieces of one text, added-token stretches
    // included (a 100 KB Prepend before each of 10 000 stretches would be a gigabyte).
    void growingComponents_data() {
        QTest::addColumn<QString>("part");    // "normalizer", "pre_tokenizer" or "decoder"
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("label");
        const std::string big(100000, 'p');
        QTest::newRow("Prepend") << "normalizer" << QString::fromStdString(json{{"type", "Prepend"}, {"prepend", big}}.dump()) << "normalizer \"Prepend\"";
        QTest::newRow("Replace regex") << "normalizer" << QString::fromStdString(json{{"type", "Replace"}, {"pattern", {{"Regex", "a"}}}, {"content", big}}.dump())
                                       << "normalizer \"Replace\"";
        QTest::newRow("Metaspace") << "pre_tokenizer" << QString::fromStdString(json{{"type", "Metaspace"}, {"replacement", "\xF0\x9F\x98\x80"}, {"prepend_scheme", "always"}}.dump())
                                   << "";   // 4 bytes per space: within the bound, no error
        QTest::newRow("Replace decoder") << "decoder" << QString::fromStdString(json{{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", big}}.dump())
                                         << "decoder \"Replace\"";
    }
    void growingComponents() {
        QFETCH(QString, part);
        QFETCH(QString, spec);
        QFETCH(QString, label);
        json j = bpeJson({{"a", 0}, {" ", 1}, {"<s>", 2}, {"\xF0\x9F\x98\x80", 3}});
        j["added_tokens"] = json::array({addedToken(2, "<s>", true)});
        j[part.toStdString()] = json::parse(spec.toStdString());
        QTemporaryDir dir;
        const auto tok = loadJson(dir, j);
        std::string text;
        for (int i = 0; i < 10000; ++i) text += "a <s>";
        QString err = errorOf([&] {
            const auto ids = tok->encode(text, false);
            tok->decode(ids);
        });
        if (label.isEmpty()) {
            QCOMPARE(err, QString("nothing thrown"));
            return;
        }
        QVERIFY2(err.replace(dir.path(), "DIR").startsWith("DIR/tokenizer.json: " + label + " grows the text beyond ") &&
                     err.endsWith(" bytes (at most 64 times the input + 65536)"), qPrintable("got: " + err));
    }

    // ---------------------------------------------------------------- regexes
    // PCRE2 syntax that Oniguruma (Hugging Face's engine) refuses or reads otherwise is refused, so that a file is
    // either encoded as Hugging Face does or refused; \C would split characters and hand invalid UTF-8 on.
    void pcre2OnlyRegex_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("message");
        QTest::newRow("\\C") << "\\C" << "regex \"\\C\": \\C (one byte of a character) is not supported (Hugging Face's Oniguruma does not read it as PCRE2 does)";
        QTest::newRow("match limit") << "(*LIMIT_MATCH=10)a+" << "regex \"(*LIMIT_MATCH=10)a+\": \"(*\" (a pattern option or verb) is not supported";
        QTest::newRow("(*UTF)") << "(*UTF)a" << "\"(*\" (a pattern option or verb)";
        QTest::newRow("(*CR)") << "(*CR)a" << "\"(*\" (a pattern option or verb)";
        QTest::newRow("verb") << "a(*SKIP)b" << "\"(*\" (a pattern option or verb)";
        QTest::newRow("callout") << "a(?C1)b" << "\"(?C\" (a callout)";
        QTest::newRow("quoting") << "\\Qa+\\E" << "\\Q (quoting)";
        QTest::newRow("long pattern cut") << QString(100000, 'x') + "[" << "regex \"" + QString(40, 'x') + "...\" does not compile";
    }
    void pcre2OnlyRegex() {
        QFETCH(QString, pattern);
        QFETCH(QString, message);
        json j = bpeJson({{"a", 0}});
        j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", json::array({{{"type", "Split"}, {"pattern", {{"Regex", pattern.toStdString()}}},
                                                                                    {"behavior", "Isolated"}}})}};
        const QString err = loadError(j);
        QVERIFY2(err.startsWith("DIR/tokenizer.json: pre_tokenizer #1 \"Split\": ") && err.contains(message) && err.size() < 300,
                 qPrintable("got: " + err));
        j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "[(*]|\\(\\*|a";   // the same characters as literals
        QCOMPARE(loadError(j), QString("nothing thrown"));
    }

    // Messages quote file contents at most 40 bytes: a 1 MB merge or token used to become a 2 MB line.
    void longValuesCut() {
        json j = bpeJson({{"a", 0}, {"b", 1}});
        j["model"]["merges"] = json::array({std::string(1000000, 'a') + " b"});
        const QString err = loadError(j);
        QVERIFY2(err.size() < 300 && err.contains("is not in the vocabulary"), qPrintable(err.left(400)));
    }
};

QTEST_MAIN(TestTokenizerLimits)
#include "test_tokenizer_limits.moc"

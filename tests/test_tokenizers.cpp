// Tokenizers: every Hugging Face oracle string encoded and decoded exactly; each pipeline component on
// small hand-written inputs; display rules; the char tokenizer's '^'; errors for bad or unsupported files.
#include "headlight/error.h"
#include "headlight/tokenizer.h"
#include "test_support.h"
#include "tokenizers/components.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace headlight;
using nlohmann::json;
using headlight::test::errorOf;
using headlight::test::writeFile;

namespace {

QString sharedData(const QString& relative) { return QString::fromUtf8(HEADLIGHT_SHARED_DIR "/data/") + relative; }

QString show(const std::string& s) { return QString::fromStdString(json(s).dump(-1, ' ', false, json::error_handler_t::replace)); }
QString show(const std::vector<std::string>& v) { return QString::fromStdString(json(v).dump(-1, ' ', false, json::error_handler_t::replace)); }

std::vector<std::string> piecesOf(const Tokenizer& tok, const std::vector<int64_t>& ids) {
    std::vector<std::string> out;
    for (int64_t id : ids) out.push_back(tok.tokenPiece(id));
    return out;
}

// A folder holding `tokenizer` as tokenizer.json; the tokenizer loaded from it.
std::unique_ptr<Tokenizer> loadJson(QTemporaryDir& dir, const json& tokenizer) {
    writeFile(dir.filePath("tokenizer.json"), QByteArray::fromStdString(tokenizer.dump()));
    return loadTokenizer(dir.path().toStdString());
}

// A tokenizer.json with a BPE model over `vocab` (merges given), everything else null.
json bpeJson(const json& vocab, const json& merges = json::array()) {
    return {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", json::array()},
            {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr}, {"decoder", nullptr},
            {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"fuse_unk", false},
                       {"byte_fallback", false}, {"vocab", vocab}, {"merges", merges}}}};
}

json addedToken(int64_t id, const std::string& content, bool special, bool normalized = false) {
    return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
            {"normalized", normalized}, {"special", special}};
}

std::string joined(const std::vector<tok::Piece>& pieces) {
    std::string s;
    for (size_t i = 0; i < pieces.size(); ++i) s += (i ? "|" : "") + pieces[i].text;
    return s;
}

} // namespace

class TestTokenizers : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- the Hugging Face oracles
    void oracle_data() {
        QTest::addColumn<QString>("folder");   // "" = a temporary folder with vocab.txt only
        QTest::addColumn<QString>("oracle");
        QTest::addColumn<QString>("kind");
        const QString files = "hf-reference/tokenizer-files/";
        QTest::newRow("gpt2") << "gpt2-tokenizer" << "gpt2.jsonl" << "bpe (vocab.json + merges.txt)";
        QTest::newRow("gpt2 tokenizer.json") << files + "gpt2-tokenizer-json" << "gpt2-tokenizer-json.jsonl" << "tokenizer.json: BPE";
        QTest::newRow("qwen3") << "qwen3-tokenizer" << "qwen3.jsonl" << "tokenizer.json: BPE";
        QTest::newRow("bert vocab.txt") << "" << "bert-uncased.jsonl" << "wordpiece (vocab.txt)";
        QTest::newRow("bert tokenizer.json") << files + "bert-uncased-tokenizer-json" << "bert-uncased-tokenizer-json.jsonl"
                                             << "tokenizer.json: WordPiece";
        QTest::newRow("sp-bpe legacy") << files + "sp-bpe-legacy" << "sp-bpe-legacy.jsonl" << "tokenizer.json: BPE";
        QTest::newRow("sp-bpe metaspace") << files + "sp-bpe-metaspace" << "sp-bpe-metaspace.jsonl" << "tokenizer.json: BPE";
    }
    void oracle() {
        QFETCH(QString, folder);
        QFETCH(QString, oracle);
        QFETCH(QString, kind);
        const QString oraclePath = sharedData("hf-reference/tokenizers/" + oracle);
        if (!QFile::exists(oraclePath)) QSKIP(qPrintable(oraclePath + " is not there"));
        QTemporaryDir dir;
        QString tokenizerDir = sharedData(folder);
        if (folder.isEmpty()) {
            QVERIFY(QFile::link(sharedData("hf-reference/tokenizer-files/bert-uncased-tokenizer-json/vocab.txt"), dir.filePath("vocab.txt")));
            tokenizerDir = dir.path();
        }
        const auto tok = loadTokenizer(tokenizerDir.toStdString());
        QVERIFY(tok);
        QCOMPARE(QString::fromStdString(tok->kind()), kind);
        std::ifstream in(oraclePath.toStdString());
        std::string line;
        int lineNo = 0;
        while (std::getline(in, line)) {
            ++lineNo;
            const json j = json::parse(line);
            const std::string text = j.at("text");
            const auto expectedIds = j.at("ids").get<std::vector<int64_t>>();
            const auto expectedTokens = j.at("tokens").get<std::vector<std::string>>();
            const std::string where = QString("%1 line %2, text %3").arg(oracle).arg(lineNo).arg(show(text)).toStdString();
            std::vector<int64_t> ids;
            const QString err = errorOf([&] { ids = tok->encode(text); });
            QVERIFY2(err == "nothing thrown", qPrintable(QString::fromStdString(where) + ": " + err));
            if (ids != expectedIds) {
                size_t at = 0;
                while (at < ids.size() && at < expectedIds.size() && ids[at] == expectedIds[at]) ++at;
                const auto from = [at](const auto& v) { return std::decay_t<decltype(v)>(v.begin() + static_cast<long>(std::min(at, v.size())), v.end()); };
                QFAIL(qPrintable(QString("%1: ids differ at position %2: expected %3, got %4")
                                     .arg(QString::fromStdString(where)).arg(at)
                                     .arg(show(from(expectedTokens))).arg(show(from(piecesOf(*tok, ids))))));
            }
            QVERIFY2(piecesOf(*tok, ids) == expectedTokens,
                     qPrintable(QString::fromStdString(where) + ": tokens " + show(piecesOf(*tok, ids)) + ", expected " + show(expectedTokens)));
            const std::string decoded = tok->decode(ids);
            QVERIFY2(decoded == j.at("decoded").get<std::string>(),
                     qPrintable(QString::fromStdString(where) + ": decoded " + show(decoded) + ", expected " + QString::fromStdString(j.at("decoded").dump())));
        }
        QCOMPARE(lineNo, 300);
    }

    // ---------------------------------------------------------------- components, one at a time
    void normalizers_data() {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("NFC") << R"({"type": "NFC"})" << "e\u0301" << "é";
        QTest::newRow("NFD") << R"({"type": "NFD"})" << "é" << "e\u0301";
        QTest::newRow("NFKC") << R"({"type": "NFKC"})" << "ﬁ①" << "fi1";
        QTest::newRow("NFKD") << R"({"type": "NFKD"})" << "ﬁé" << "fie\u0301";
        QTest::newRow("Lowercase, İ to i + dot") << R"({"type": "Lowercase"})" << "ÀB\u0130Σ" << "àbi\u0307σ";
        QTest::newRow("StripAccents removes marks only") << R"({"type": "StripAccents"})" << "e\u0301é" << "eé";
        QTest::newRow("Strip left") << R"({"type": "Strip", "strip_left": true, "strip_right": false})" << " \t a b \n" << "a b \n";
        QTest::newRow("Strip both") << R"({"type": "Strip", "strip_left": true, "strip_right": true})" << "\u3000a b " << "a b";
        QTest::newRow("Prepend") << R"({"type": "Prepend", "prepend": "▁"})" << "ab" << "▁ab";
        QTest::newRow("Prepend nothing to nothing") << R"({"type": "Prepend", "prepend": "▁"})" << "" << "";
        QTest::newRow("Replace string") << R"({"type": "Replace", "pattern": {"String": " "}, "content": "▁"})" << "a b  c" << "a▁b▁▁c";
        QTest::newRow("Replace regex") << R"({"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "})" << "a \t\nb" << "a b";
        QTest::newRow("BertNormalizer") << R"({"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true})"
                                        << "Héllo\tWorld\u0007\u200B中!" << "hello world 中 !";
        QTest::newRow("BertNormalizer keeps case and accents")
            << R"({"type": "BertNormalizer", "clean_text": false, "handle_chinese_chars": false, "strip_accents": null, "lowercase": false})"
            << "Héllo\t中" << "Héllo\t中";
        QTest::newRow("Sequence") << R"({"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]})"
                                  << "Éa" << "ea";
    }
    void normalizers() {
        QFETCH(QString, spec);
        QFETCH(QString, input);
        QFETCH(QString, expected);
        const auto n = tok::parseNormalizer(json::parse(spec.toStdString()), "t.json");
        QCOMPARE(QString::fromStdString(n->normalize(input.toStdString())), expected);
    }

    void preTokenizers_data() {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");   // pieces joined by '|'
        QTest::newRow("ByteLevel") << R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})"
                                   << "Hello world's  end!\n" << "Hello|Ġworld|'s|Ġ|Ġend|!|Ċ";
        QTest::newRow("ByteLevel prefix space") << R"({"type": "ByteLevel", "add_prefix_space": true, "use_regex": true})" << "hi" << "Ġhi";
        QTest::newRow("ByteLevel without regex") << R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": false})" << "a bé" << "aĠbÃ©";
        const auto digit = [](const char* behavior) {
            const json spec = {{"type", "Split"}, {"pattern", {{"Regex", "\\d"}}}, {"invert", false}, {"behavior", behavior}};
            return QString::fromStdString(spec.dump());
        };
        QTest::newRow("Split Isolated") << digit("Isolated") << "a1b22" << "a|1|b|2|2";
        QTest::newRow("Split Removed") << digit("Removed") << "a1b22" << "a|b";
        QTest::newRow("Split MergedWithPrevious") << digit("MergedWithPrevious") << "a1b22" << "a1|b2|2";
        QTest::newRow("Split MergedWithNext") << digit("MergedWithNext") << "a1b22c" << "a|1b|2|2c";
        QTest::newRow("Split Contiguous") << digit("Contiguous") << "a1b22c" << "a|1|b|22|c";
        QTest::newRow("Split string, inverted") << R"({"type": "Split", "pattern": {"String": "ab"}, "behavior": "Removed", "invert": true})"
                                                << "xabyab" << "ab|ab";
        QTest::newRow("Metaspace always, split") << R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true})"
                                                 << "a b  c" << "▁a|▁b|▁|▁c";
        QTest::newRow("Metaspace first, no split") << R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false})"
                                                   << "a b" << "▁a▁b";
        QTest::newRow("Metaspace never") << R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true})"
                                         << "a b" << "a|▁b";
        QTest::newRow("BertPreTokenizer") << R"({"type": "BertPreTokenizer"})" << "Hello, world!!\u3000x" << "Hello|,|world|!|!|x";
        QTest::newRow("Whitespace") << R"({"type": "Whitespace"})" << "hi, you!! é_2" << "hi|,|you|!!|é_2";
        QTest::newRow("WhitespaceSplit") << R"({"type": "WhitespaceSplit"})" << " a  b\tc\u00a0d " << "a|b|c|d";
        QTest::newRow("Digits individual") << R"({"type": "Digits", "individual_digits": true})" << "a123" << "a|1|2|3";
        QTest::newRow("Digits contiguous") << R"({"type": "Digits", "individual_digits": false})" << "a123b4" << "a|123|b|4";
        QTest::newRow("Punctuation") << R"({"type": "Punctuation", "behavior": "Isolated"})" << "a,,b" << "a|,|,|b";
        QTest::newRow("Punctuation contiguous") << R"({"type": "Punctuation", "behavior": "Contiguous"})" << "a,,b" << "a|,,|b";
        QTest::newRow("Sequence") << R"({"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true}]})"
                                  << "ab12 c" << "ab|1|2|c";
    }
    void preTokenizers() {
        QFETCH(QString, spec);
        QFETCH(QString, input);
        QFETCH(QString, expected);
        const auto p = tok::parsePreTokenizer(json::parse(spec.toStdString()), "t.json");
        std::vector<tok::Piece> pieces{{input.toStdString(), true}};
        p->split(pieces);
        QCOMPARE(QString::fromStdString(joined(pieces)), expected);
    }

    // Metaspace's "first" prepends only to text that begins the input, not after an added token.
    void metaspaceFirstOnlyAtStart() {
        const auto p = tok::parsePreTokenizer(json::parse(R"({"type": "Metaspace", "prepend_scheme": "first", "split": false})"), "t.json");
        std::vector<tok::Piece> pieces{{"a b", false}};
        p->split(pieces);
        QCOMPARE(QString::fromStdString(joined(pieces)), QString("a▁b"));
    }

    void decoders_data() {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QStringList>("tokens");
        QTest::addColumn<QString>("expected");
        QTest::newRow("ByteLevel") << R"({"type": "ByteLevel"})" << QStringList{"Hello", "Ġworld", "Ċ"} << "Hello world\n";
        QTest::newRow("ByteLevel, broken UTF-8") << R"({"type": "ByteLevel"})" << QStringList{"a", "Ã", "b"} << "a\uFFFDb";
        QTest::newRow("Metaspace") << R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"})"
                                   << QStringList{"▁Hey", "▁there"} << "Hey there";
        QTest::newRow("Metaspace never") << R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"})"
                                         << QStringList{"▁Hey", "▁there"} << " Hey there";
        QTest::newRow("WordPiece cleanup") << R"({"type": "WordPiece", "prefix": "##", "cleanup": true})"
                                           << QStringList{"hel", "##lo", ",", "world", "'s", "."} << "hello, world's.";
        QTest::newRow("WordPiece no cleanup") << R"({"type": "WordPiece", "prefix": "##", "cleanup": false})"
                                              << QStringList{"hel", "##lo", ",", "world", "."} << "hello , world .";
        QTest::newRow("SentencePiece chain") << R"({"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                                                  {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})"
                                             << QStringList{"▁a", "<0xE2>", "<0x82>", "<0xAC>", "▁b", "<0xFF>", "<0xC3>"} << "a€ b\uFFFD\uFFFD";
        QTest::newRow("Strip both ends") << R"({"type": "Strip", "content": "x", "start": 2, "stop": 1})" << QStringList{"xxxaxx"} << "xax";
        QTest::newRow("Replace regex") << R"({"type": "Replace", "pattern": {"Regex": "_+"}, "content": "-"})" << QStringList{"a__b", "_"} << "a-b-";
    }
    void decoders() {
        QFETCH(QString, spec);
        QFETCH(QStringList, tokens);
        QFETCH(QString, expected);
        const auto d = tok::parseDecoder(json::parse(spec.toStdString()), "t.json");
        std::vector<std::string> in;
        for (const QString& t : tokens) in.push_back(t.toStdString());
        std::string out;
        for (const std::string& s : d->decode(in)) out += s;
        QCOMPARE(QString::fromStdString(out), expected);
    }

    // ---------------------------------------------------------------- whole tokenizer.json files
    void bpeMergesAndOptions() {
        QTemporaryDir dir;
        json j = bpeJson({{"<unk>", 0}, {"a", 1}, {"b", 2}, {"ab", 3}, {"abb", 4}, {"c", 5}},
                         json::array({json::array({"a", "b"}), json::array({"ab", "b"})}));
        j["model"]["unk_token"] = "<unk>";
        auto tok = loadJson(dir, j);
        QCOMPARE(tok->encode("abbab"), (std::vector<int64_t>{4, 3}));
        QCOMPARE(tok->encode("axyc"), (std::vector<int64_t>{1, 0, 0, 5}));   // one <unk> per unknown character
        j["model"]["fuse_unk"] = true;
        tok = loadJson(dir, j);
        QCOMPARE(tok->encode("axyc"), (std::vector<int64_t>{1, 0, 5}));
        j["model"]["unk_token"] = nullptr;   // Hugging Face drops unknown characters without an unk token
        tok = loadJson(dir, j);
        QCOMPARE(tok->encode("axyc"), (std::vector<int64_t>{1, 5}));
        j["model"]["merges"] = json::array({"a b", "ab b"});   // the older "a b" string form
        j["model"]["ignore_merges"] = true;
        j["model"]["vocab"]["ba"] = 6;
        tok = loadJson(dir, j);
        QCOMPARE(tok->encode("abb"), (std::vector<int64_t>{4}));
        QCOMPARE(tok->encode("ba"), (std::vector<int64_t>{6}));   // a whole word in the vocabulary, no merges needed
        j["model"]["continuing_subword_prefix"] = "##";
        j["model"]["ignore_merges"] = false;
        j["model"]["vocab"] = {{"a", 0}, {"##b", 1}, {"ab", 2}, {"##c", 3}};
        j["model"]["merges"] = json::array({"a ##b"});
        tok = loadJson(dir, j);
        QCOMPARE(tok->encode("abc"), (std::vector<int64_t>{2, 3}));
    }

    // A run of 100 000 identical characters is one word for BPE: merging must stay n log n, and exact.
    void longWords() {
        const QString folder = sharedData("gpt2-tokenizer");
        if (!QFile::exists(folder + "/merges.txt")) QSKIP("the shared test data is not there");
        const auto tok = loadTokenizer(folder.toStdString());
        for (const std::string& unit : {std::string(" "), std::string("a"), std::string("\xC3\xA9")}) {
            std::string text;
            for (int i = 0; i < 100000; ++i) text += unit;
            const auto ids = tok->encode(text);
            QCOMPARE(tok->decode(ids), text);
        }
    }

    void byteFallback() {
        QTemporaryDir dir;
        json vocab = {{"<unk>", 0}, {"a", 1}};
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            vocab[name] = 2 + b;
        }
        json j = bpeJson(vocab);
        j["model"]["unk_token"] = "<unk>";
        j["model"]["byte_fallback"] = true;
        j["decoder"] = json::parse(R"({"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]})");
        const auto tok = loadJson(dir, j);
        const auto ids = tok->encode("a€");
        QCOMPARE(ids, (std::vector<int64_t>{1, 2 + 0xE2, 2 + 0x82, 2 + 0xAC}));
        QCOMPARE(tok->tokenPiece(ids[1]), std::string("<0xE2>"));
        QCOMPARE(tok->decode(ids), std::string("a€"));
        QCOMPARE(tok->tokenText(2 + 0x0A), std::string("\\x0a"));   // Metaspace-style files show byte tokens as hex
    }

    void wordPieceModel() {
        QTemporaryDir dir;
        json j = bpeJson(nullptr);
        j["model"] = {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"}, {"max_input_chars_per_word", 6},
                      {"vocab", {{"[UNK]", 0}, {"un", 1}, {"##aff", 2}, {"##able", 3}, {"a", 4}}}};
        j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
        j["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}};
        const auto tok = loadJson(dir, j);
        QCOMPARE(tok->encode("unaff a unable unx aaaaaaa"), (std::vector<int64_t>{1, 2, 4, 1, 3, 0, 0}));   // too long: [UNK]
        QCOMPARE(tok->decode({1, 2, 4}), std::string("unaff a"));
        QCOMPARE(tok->tokenText(2), std::string("##aff"));   // continuations keep their mark
    }

    void postProcessors_data() {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QList<qint64>>("expected");   // for "ab" = ids {3, 4}
        QTest::newRow("TemplateProcessing") << R"({"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}})"
                                            << QList<qint64>{1, 3, 4, 2};
        QTest::newRow("BertProcessing") << R"({"type": "BertProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1]})" << QList<qint64>{1, 3, 4, 2};
        QTest::newRow("RobertaProcessing") << R"({"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1], "trim_offsets": true, "add_prefix_space": false})"
                                           << QList<qint64>{1, 3, 4, 2};
        QTest::newRow("ByteLevel adds nothing") << R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false})"
                                                << QList<qint64>{3, 4};
        QTest::newRow("Sequence") << R"({"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "BertProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1]}]})"
                                  << QList<qint64>{1, 3, 4, 2};
    }
    void postProcessors() {
        QFETCH(QString, spec);
        QFETCH(QList<qint64>, expected);
        QTemporaryDir dir;
        json j = bpeJson({{"<pad>", 0}, {"<s>", 1}, {"</s>", 2}, {"a", 3}, {"b", 4}});
        j["added_tokens"] = {addedToken(1, "<s>", true), addedToken(2, "</s>", true)};
        j["post_processor"] = json::parse(spec.toStdString());
        const auto tok = loadJson(dir, j);
        const auto ids = tok->encode("ab");
        QCOMPARE(QList<qint64>(ids.begin(), ids.end()), expected);
        QCOMPARE(tok->encode("ab", false), (std::vector<int64_t>{3, 4}));
        QCOMPARE(tok->decode(ids), std::string("a b"));   // no decoder: tokens joined by spaces, specials skipped
        QCOMPARE(tok->decode(ids, false), std::string(expected.size() == 4 ? "<s> a b </s>" : "a b"));
    }

    void addedTokens() {
        QTemporaryDir dir;
        json j = bpeJson({{"a", 0}, {"b", 1}, {" ", 2}, {"<x>", 3}, {"<special>", 4}, {"ab", 5}, {"<mask>", 6}, {"sw", 7}, {"s", 8}, {"w", 9}},
                         json::array({"a b"}));
        json lstrip = addedToken(6, "<mask>", true);
        lstrip["lstrip"] = true;
        lstrip["rstrip"] = true;
        json single = addedToken(7, "sw", false);
        single["single_word"] = true;
        // "AB" is not in the vocabulary: Hugging Face numbers it after the vocabulary's 10 tokens.
        j["added_tokens"] = {addedToken(3, "<x>", false), addedToken(4, "<special>", true), lstrip, single, addedToken(10, "AB", false, true)};
        j["normalizer"] = {{"type", "Lowercase"}};
        j["decoder"] = {{"type", "Fuse"}};
        const auto tok = loadJson(dir, j);
        QCOMPARE(tok->encode("a<x>b<special>"), (std::vector<int64_t>{0, 3, 1, 4}));
        QCOMPARE(tok->encode("a <mask> b"), (std::vector<int64_t>{0, 6, 1}));       // lstrip/rstrip take the spaces
        QCOMPARE(tok->encode("sw asw sw"), (std::vector<int64_t>{7, 2, 0, 8, 9, 2, 7}));   // single_word: not inside "asw"
        QCOMPARE(tok->encode("AB"), (std::vector<int64_t>{10}));   // normalized: matched after lowercasing
        QVERIFY(tok->isSpecial(4));
        QVERIFY(!tok->isSpecial(3));
        QCOMPARE(tok->decode({0, 3, 4, 1}), std::string("a<x>b"));
        QCOMPARE(tok->decode({0, 3, 4, 1}, false), std::string("a<x><special>b"));
        QCOMPARE(tok->maskTokenId(), std::optional<int64_t>(6));
        QCOMPARE(tok->tokenText(4), std::string("<special>"));
    }

    void idsWithGaps() {
        QTemporaryDir dir;
        const auto tok = loadJson(dir, bpeJson({{"a", 0}, {"b", 5}}));
        QCOMPARE(tok->vocabSize(), int64_t(6));
        QCOMPARE(tok->tokenPiece(3), std::string());
        QCOMPARE(tok->tokenText(3), std::string());
        QCOMPARE(tok->decode({0, 3, 5}), std::string("a b"));   // ids without a token are skipped, as Hugging Face does
        QCOMPARE(errorOf([&] { tok->tokenText(6); }), dir.filePath("tokenizer.json") + ": token id 6 is out of range");
        QCOMPARE(tok->maskTokenId(), std::optional<int64_t>());
    }

    // ---------------------------------------------------------------- display
    void tokenTextByteLevel() {
        QTemporaryDir dir;
        json j = bpeJson({{"Ġthe", 0}, {"Ċ", 1}, {"ĉ", 2}, {"ě", 3}, {"Ã", 4}, {"Ã©", 5}, {"ĠĠ", 6}, {"<|endoftext|>", 7}, {"Âħ", 8}});
        j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
        j["added_tokens"] = json::array({addedToken(7, "<|endoftext|>", true)});   // one element: clang reads a bare {x} as x
        const auto tok = loadJson(dir, j);
        QCOMPARE(tok->tokenText(0), std::string("␣the"));
        QCOMPARE(tok->tokenText(1), std::string("↵"));
        QCOMPARE(tok->tokenText(2), std::string("→"));
        QCOMPARE(tok->tokenText(3), std::string("\\x1b"));
        QCOMPARE(tok->tokenText(4), std::string("\\xc3"));   // half of "é"
        QCOMPARE(tok->tokenText(5), std::string("é"));
        QCOMPARE(tok->tokenText(6), std::string("␣␣"));
        QCOMPARE(tok->tokenText(7), std::string("<|endoftext|>"));
        QCOMPARE(tok->tokenText(8), std::string("\\x85"));   // U+0085, a C1 control character
        QCOMPARE(tok->tokenPiece(0), std::string("Ġthe"));
    }

    void tokenTextMetaspace() {
        const QString folder = sharedData("hf-reference/tokenizer-files/sp-bpe-metaspace");
        if (!QFile::exists(folder + "/tokenizer.json")) QSKIP("the shared test data is not there");
        const auto tok = loadTokenizer(folder.toStdString());
        const auto ids = tok->encode("The cat", false);
        QCOMPARE(tok->tokenPiece(ids.front()).substr(0, 3), std::string("▁"));
        QCOMPARE(tok->tokenText(ids.front()).substr(0, 3), std::string("␣"));
        const auto withBos = tok->encode("The cat");
        QCOMPARE(tok->tokenText(withBos.front()), std::string("<s>"));
        QVERIFY(tok->isSpecial(withBos.front()));
    }

    void bertDetails() {
        const QString folder = sharedData("hf-reference/tokenizer-files/bert-uncased-tokenizer-json");
        if (!QFile::exists(folder + "/tokenizer.json")) QSKIP("the shared test data is not there");
        for (const QString& variant : {QString("tokenizer.json"), QString("vocab.txt")}) {
            QTemporaryDir dir;
            QVERIFY(QFile::link(folder + "/" + variant, dir.filePath(variant)));
            const auto tok = loadTokenizer(dir.path().toStdString());
            QVERIFY(tok);
            QCOMPARE(tok->maskTokenId(), std::optional<int64_t>(103));
            const auto ids = tok->encode("Playing");
            QCOMPARE(tok->tokenText(ids.front()), std::string("[CLS]"));
            QCOMPARE(tok->tokenText(ids.back()), std::string("[SEP]"));
            QCOMPARE(tok->encode("Playing", false).size(), ids.size() - 2);
        }
    }

    // vocab.txt settings from tokenizer_config.json.
    void wordPieceConfig() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nHello\né\ne\n");
        auto tok = loadTokenizer(dir.path().toStdString());
        QCOMPARE(tok->kind(), std::string("wordpiece (vocab.txt)"));
        QCOMPARE(tok->encode("Hello é"), (std::vector<int64_t>{2, 5, 8, 3}));
        writeFile(dir.filePath("tokenizer_config.json"), R"({"do_lower_case": false, "strip_accents": false})");
        tok = loadTokenizer(dir.path().toStdString());
        QCOMPARE(tok->encode("Hello é"), (std::vector<int64_t>{2, 6, 7, 3}));
        writeFile(dir.filePath("tokenizer_config.json"), R"({"do_lower_case": "yes"})");
        QCOMPARE(errorOf([&] { loadTokenizer(dir.path().toStdString()); }),
                 dir.filePath("tokenizer_config.json") + ": \"do_lower_case\" must be true or false");
    }

    // ---------------------------------------------------------------- the char tokenizer's '^'
    void charCaret() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"^": 0, "a": 1, "b": 2})");
        const auto tok = loadTokenizer(dir.path().toStdString());
        QCOMPARE(tok->encode("ab"), (std::vector<int64_t>{0, 1, 2}));
        QCOMPARE(tok->encode("^ab"), (std::vector<int64_t>{0, 1, 2}));
        QCOMPARE(tok->encode("ab", false), (std::vector<int64_t>{1, 2}));
        QCOMPARE(tok->encode("", false), std::vector<int64_t>{});
        QVERIFY(!tok->isSpecial(0));
        QCOMPARE(tok->decode({0, 1, 2}), std::string("^ab"));
        QCOMPARE(tok->tokenPiece(0), std::string("^"));
        QCOMPARE(tok->maskTokenId(), std::optional<int64_t>());
        QTemporaryDir plain;
        writeFile(plain.filePath("vocab.json"), R"({"a": 0, "b": 1})");
        QCOMPARE(loadTokenizer(plain.path().toStdString())->encode("ab"), (std::vector<int64_t>{0, 1}));
    }

    // ---------------------------------------------------------------- formats and errors
    void detection() {
        QTemporaryDir dir;
        QVERIFY(loadTokenizer(dir.path().toStdString()) == nullptr);
        QVERIFY(loadTokenizer(dir.filePath("nowhere").toStdString()) == nullptr);
        writeFile(dir.filePath("vocab.json"), R"({"Ġ": 0, "a": 1})");
        QCOMPARE(loadTokenizer(dir.path().toStdString())->kind(), std::string("char"));
        writeFile(dir.filePath("vocab.json"), R"({"Ġ": 0, "a": 1, "Ġa": 2})");
        writeFile(dir.filePath("merges.txt"), "#version: 0.2\nĠ a\n");
        QCOMPARE(loadTokenizer(dir.path().toStdString())->kind(), std::string("bpe (vocab.json + merges.txt)"));
        writeFile(dir.filePath("tokenizer.json"), QByteArray::fromStdString(bpeJson({{"x", 0}}).dump()));
        QCOMPARE(loadTokenizer(dir.path().toStdString())->kind(), std::string("tokenizer.json: BPE"));
    }

    void invalidUtf8() {
        QTemporaryDir dir;
        const auto tok = loadJson(dir, bpeJson({{"a", 0}}));
        QCOMPARE(errorOf([&] { tok->encode("a\xC3"); }), QString("text: invalid UTF-8 at byte 1"));
    }

    void badFiles_data() {
        QTest::addColumn<QString>("change");   // a JSON merge patch applied to the small tokenizer.json, or raw text
        QTest::addColumn<QString>("message");
        QTest::newRow("not JSON") << "RAW{\"model\": " << "not valid JSON (parse error at byte";
        QTest::newRow("a list") << "RAW[]" << "expected a JSON object";
        QTest::newRow("no model") << R"({"model": null})" << "has no \"model\"";
        QTest::newRow("model type") << R"({"model": {"type": "WordLevel"}})" << "model type \"WordLevel\" is not supported";
        QTest::newRow("unigram pair") << R"(RAW{"model": {"type": "Unigram", "vocab": [["a"]]}})" << "vocab[0] is not a [piece, score] pair";
        QTest::newRow("unigram twice") << R"(RAW{"model": {"type": "Unigram", "vocab": [["a", 0.0], ["a", -1.0]]}})"
                                       << "vocab[1]: piece \"a\" is listed twice";
        QTest::newRow("unigram unk") << R"(RAW{"model": {"type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 5}})"
                                     << "unk_id 5 is not an id of the vocabulary";
        QTest::newRow("dropout") << R"({"model": {"dropout": 0.1}})" << "model \"BPE\": dropout is not supported";
        QTest::newRow("model option") << R"({"model": {"stochastic": true}})" << "model \"BPE\": option \"stochastic\" is not supported";
        QTest::newRow("vocab id") << R"({"model": {"vocab": {"a": "0"}}})" << "the id of \"a\" is not a non-negative integer";
        QTest::newRow("merge of unknown token") << R"({"model": {"merges": ["a q"]}})" << "merge 1 (\"a q\"): \"q\" is not in the vocabulary";
        QTest::newRow("merge result unknown") << R"({"model": {"merges": ["b a"]}})" << "the result \"ba\" is not in the vocabulary";
        QTest::newRow("merge malformed") << R"({"model": {"merges": ["ab"]}})" << "merge 1 \"ab\" is not two tokens";
        QTest::newRow("unk token unknown") << R"({"model": {"unk_token": "<unk>"}})" << "unk_token \"<unk>\" is not in the vocabulary";
        QTest::newRow("duplicate ids") << R"({"model": {"vocab": {"b": 0}}})" << "is used by both";
        QTest::newRow("normalizer") << R"({"normalizer": {"type": "Nmt"}})" << "normalizer type \"Nmt\" is not supported";
        QTest::newRow("charsmap") << R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA"}})"
                                  << "precompiled_charsmap is too short to hold its trie's size";
        QTest::newRow("charsmap trie") << R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "/////wAA"}})"
                                       << "precompiled_charsmap's trie size is out of range";
        QTest::newRow("charsmap base64") << R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "*"}})"
                                         << "precompiled_charsmap is not base64";
        QTest::newRow("pre_tokenizer") << R"({"pre_tokenizer": {"type": "UnicodeScripts"}})" << "pre_tokenizer type \"UnicodeScripts\" is not supported";
        QTest::newRow("pre_tokenizer option") << R"({"pre_tokenizer": {"type": "ByteLevel", "colour": 1}})"
                                              << "pre_tokenizer \"ByteLevel\": option \"colour\" is not supported";
        QTest::newRow("split behavior") << R"({"pre_tokenizer": {"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways"}})"
                                        << "pre_tokenizer \"Split\": behavior \"Sideways\" is not supported";
        QTest::newRow("bad regex") << "{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"[a\"}, \"behavior\": \"Isolated\"}}"
                                   << "regex \"[a\" does not compile";
        QTest::newRow("no type") << R"({"decoder": {"kind": "Fuse"}})" << "decoder has no \"type\" string";
        QTest::newRow("decoder") << R"({"decoder": {"type": "CTC"}})" << "decoder type \"CTC\" is not supported";
        QTest::newRow("post_processor") << R"({"post_processor": {"type": "Magic"}})" << "post_processor type \"Magic\" is not supported";
        QTest::newRow("template token") << R"({"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}})"
                                        << "special token \"<s>\" is not in \"special_tokens\"";
        QTest::newRow("bert token id") << R"({"post_processor": {"type": "BertProcessing", "sep": ["a", 7], "cls": ["a", 0]}})"
                                       << "\"a\" does not have id 7";
        QTest::newRow("truncation") << R"({"truncation": {"max_length": 8}})" << "\"truncation\" is not supported";
        QTest::newRow("added token") << R"({"added_tokens": [{"content": "x"}]})" << "added_tokens[0]: option \"id\" is missing";
        QTest::newRow("option type") << R"({"pre_tokenizer": {"type": "Digits", "individual_digits": 1}})"
                                     << "option \"individual_digits\" must be true or false";
        QTest::newRow("unknown key") << R"({"extra": 1})" << "key \"extra\" is not supported";
    }
    void badFiles() {
        QFETCH(QString, change);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("tokenizer.json");
        if (change.startsWith("RAW")) {
            writeFile(path, change.mid(3).toUtf8());
        } else {
            json j = bpeJson({{"a", 0}, {"b", 1}, {"ab", 2}});
            j.merge_patch(json::parse(change.toStdString()));
            writeFile(path, QByteArray::fromStdString(j.dump()));
        }
        const QString err = errorOf([&] { loadTokenizer(dir.path().toStdString()); });
        QVERIFY2(err.startsWith(path + ": ") && err.contains(message), qPrintable("got: " + err));
        QVERIFY2(!err.contains('\n'), qPrintable("not one line: " + err));
    }

    void badVocabularyFiles() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"a": 0, "b": 1})");
        writeFile(dir.filePath("merges.txt"), "#version: 0.2\na b\n");
        QCOMPARE(errorOf([&] { loadTokenizer(dir.path().toStdString()); }),
                 dir.filePath("merges.txt") + ": merge 1 (\"a b\"): the result \"ab\" is not in the vocabulary");
        writeFile(dir.filePath("merges.txt"), "#version: 0.2\na b c\n");
        QCOMPARE(errorOf([&] { loadTokenizer(dir.path().toStdString()); }),
                 dir.filePath("merges.txt") + ": line 2 is not two tokens separated by one space");
        writeFile(dir.filePath("vocab.json"), R"({"a": 0, "b": 0})");
        writeFile(dir.filePath("merges.txt"), "");
        QVERIFY(errorOf([&] { loadTokenizer(dir.path().toStdString()); }).startsWith(dir.filePath("vocab.json") + ": id 0 is used by both"));
    }
};

QTEST_MAIN(TestTokenizers)
#include "test_tokenizers.moc"

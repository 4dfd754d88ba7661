// The task generators: each example checked against the task's definition, parsed independently.
#include "headlight/error.h"
#include "headlight/tasks.h"

#include <QTemporaryDir>
#include <QtTest>
#include <map>
#include <set>

using namespace headlight;

namespace {

std::unique_ptr<Task> task(const std::string& json) { return makeTask(TaskParams::fromJson(json, "t.json")); }

std::vector<size_t> scoredTargets(const TaskExample& ex) {
    std::vector<size_t> out;
    for (size_t i = 0; i < ex.scored.size(); ++i)
        if (ex.scored[i]) out.push_back(i + 1);
    return out;
}

void checkCommon(const Task& t, const TaskExample& ex) {
    QCOMPARE(ex.chars.front(), std::string("^"));
    QCOMPARE(ex.scored.size(), ex.chars.size() - 1);
    QVERIFY(static_cast<int>(ex.chars.size()) <= t.maxLength());
    for (const auto& c : ex.chars) QVERIFY2(t.alphabet().find(c) != std::string::npos, c.c_str());
}

} // namespace

class TestTasks : public QObject {
    Q_OBJECT
private slots:
    // The answer is the digit last assigned to the queried variable, and only that prediction is scored.
    void assignAnswersWithTheLastAssignment() {
        const auto t = task(R"({"name": "assign", "variables": 6, "assignments": 16})");
        QCOMPARE(t->alphabet(), std::string("^abcdef0123456789=;?"));
        std::mt19937_64 rng(1);
        for (int n = 0; n < 200; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            const std::string& s = ex.text;
            QCOMPARE(static_cast<int>(s.size()), 1 + 16 * 4 + 4);
            std::map<char, char> value;
            for (size_t i = 1; i + 4 <= s.size() - 4; i += 4) {
                QVERIFY(s[i] >= 'a' && s[i] <= 'f' && s[i + 1] == '=' && std::isdigit(static_cast<unsigned char>(s[i + 2])) && s[i + 3] == ';');
                value[s[i]] = s[i + 2];
            }
            const size_t q = s.size() - 4;
            QCOMPARE(s[q], '?');
            QVERIFY(value.count(s[q + 1]));
            QCOMPARE(s.back(), value[s[q + 1]]);
            QCOMPARE(scoredTargets(ex), std::vector<size_t>{s.size() - 1});
        }
    }

    // With min_assignments each example draws its own count; the answer rule is unchanged.
    void assignCountsVaryWithMinAssignments() {
        const auto t = task(R"({"name": "assign", "variables": 3, "assignments": 6, "min_assignments": 2})");
        QCOMPARE(t->maxLength(), 4 * 6 + 5);
        std::mt19937_64 rng(11);
        std::set<size_t> counts;
        for (int n = 0; n < 300; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            const std::string& s = ex.text;
            QCOMPARE((s.size() - 5) % 4, size_t(0));
            counts.insert((s.size() - 5) / 4);
            char last = 0;
            for (size_t i = 1; i + 4 <= s.size() - 4; i += 4)
                if (s[i] == s[s.size() - 3]) last = s[i + 2];
            QCOMPARE(s.back(), last);
        }
        QCOMPARE(counts, (std::set<size_t>{2, 3, 4, 5, 6}));
    }

    void inductionRepeatsTheString() {
        const auto t = task(R"({"name": "induction", "min_length": 8, "max_length": 32})");
        std::mt19937_64 rng(2);
        std::set<size_t> lengths;
        for (int n = 0; n < 300; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            const size_t len = (ex.text.size() - 1) / 2;
            lengths.insert(len);
            QVERIFY(len >= 8 && len <= 32);
            QCOMPARE(ex.text.substr(1, len), ex.text.substr(1 + len));
            const auto targets = scoredTargets(ex);
            QCOMPARE(targets.size(), len - 1);                 // the repeated half after its first character
            QCOMPARE(targets.front(), len + 2);
            QCOMPARE(targets.back(), 2 * len);
        }
        QVERIFY(lengths.size() > 15);                            // the length varies by example
    }

    // Strings can be drawn from another alphabet (e.g. the assign task's, to pre-train induction heads for it).
    void inductionDrawsFromItsAlphabet() {
        const auto t = task(R"({"name": "induction", "min_length": 4, "max_length": 6, "alphabet": "ab=;"})");
        QCOMPARE(t->alphabet(), std::string("^ab=;"));
        std::mt19937_64 rng(6);
        std::set<char> seen;
        for (int n = 0; n < 100; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            seen.insert(ex.text.begin() + 1, ex.text.end());
        }
        QCOMPARE(seen, (std::set<char>{'a', 'b', '=', ';'}));
    }

    // Odd characters of the first half follow one fixed bigram rule; the second half copies the first.
    void mixedRangeHasShortAndLongDependencies() {
        const auto t = task(R"({"name": "mixed-range", "length": 32, "secret": 5})");
        std::mt19937_64 rng(3);
        std::map<char, char> rule;
        for (int n = 0; n < 300; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            const std::string c = ex.text.substr(1);
            QCOMPARE(static_cast<int>(c.size()), 32);
            QCOMPARE(c.substr(0, 16), c.substr(16));
            for (size_t i = 1; i < 16; i += 2) {
                auto [it, fresh] = rule.emplace(c[i - 1], c[i]);
                QVERIFY2(fresh || it->second == c[i], "bigram rule is not a function");
            }
            QCOMPARE(scoredTargets(ex).size(), size_t(8 + 16));
        }
        QCOMPARE(rule.size(), size_t(26));
    }

    // A longer distance: D source characters, then the first T - D again, D characters later.
    void mixedRangeCopiesFromDistance() {
        const auto t = task(R"({"name": "mixed-range", "length": 40, "distance": 28})");
        std::mt19937_64 rng(5);
        for (int n = 0; n < 100; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            const std::string c = ex.text.substr(1);
            QCOMPARE(static_cast<int>(c.size()), 40);
            QCOMPARE(c.substr(28), c.substr(0, 12));
            QCOMPARE(scoredTargets(ex).size(), size_t(14 + 12));   // 14 rule positions in the source, the whole copy
        }
    }

    // pi is one fixed permutation per secret, and only the pi(x) predictions are scored.
    void lookupUsesOneSecretPermutation() {
        std::map<char, char> pi[2];
        for (int secret = 0; secret < 2; ++secret) {
            const auto t = task(R"({"name": "lookup", "length": 40, "secret": )" + std::to_string(secret) + "}");
            std::mt19937_64 rng(4);
            for (int n = 0; n < 100; ++n) {
                const TaskExample ex = t->sample(rng);
                checkCommon(*t, ex);
                for (size_t i = 1; i + 1 < ex.text.size(); i += 2) {
                    auto [it, fresh] = pi[secret].emplace(ex.text[i], ex.text[i + 1]);
                    QVERIFY(fresh || it->second == ex.text[i + 1]);
                }
                const auto targets = scoredTargets(ex);
                QCOMPARE(targets.size(), size_t(20));
                QCOMPARE(targets.front(), size_t(2));
            }
            std::set<char> images;
            for (auto [x, y] : pi[secret]) images.insert(y);
            QCOMPARE(images.size(), size_t(26));                // a permutation
        }
        QVERIFY(pi[0] != pi[1]);
    }

    void textWindowsComeFromTheFile() {
        QTemporaryDir dir;
        const QString path = dir.filePath("corpus.txt");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("héllo wörld, hello again.\n");
        f.close();
        const std::string spec = "{\"name\": \"text\", \"file\": \"" + path.toStdString() + "\", \"context\": ";
        const auto t = task(spec + "10}");
        QCOMPARE(t->alphabet(), std::string("^\n ,.adeghilnorwéö"));
        std::mt19937_64 rng(5);
        const std::string corpus = "héllo wörld, hello again.\n";
        for (int n = 0; n < 50; ++n) {
            const TaskExample ex = t->sample(rng);
            checkCommon(*t, ex);
            QCOMPARE(ex.chars.size(), size_t(11));
            QVERIFY(corpus.find(ex.text.substr(1)) != std::string::npos);
            QCOMPARE(scoredTargets(ex).size(), size_t(10));
        }
        try {
            task(spec + "100}");
            QFAIL("expected headlight::Error for a file shorter than the context");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("corpus.txt") && QString(e.what()).contains("fewer than"), e.what());
        }
    }

    void samplingIsSeeded() {
        const auto t = task(R"({"name": "assign"})");
        std::mt19937_64 a(9), b(9), c(10);
        QCOMPARE(t->sample(a).text, t->sample(b).text);
        QVERIFY(t->sample(a).text != t->sample(c).text);
    }

    void badParameters_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("not JSON") << "{" << "not valid JSON";
        QTest::newRow("no name") << "{}" << "missing key \"task.name\"";
        QTest::newRow("unknown task") << R"({"name": "sorting"})" << "unknown task";
        QTest::newRow("unknown key") << R"({"name": "assign", "length": 3})" << "unknown key \"length\"";
        QTest::newRow("too many variables") << R"({"name": "assign", "variables": 27})" << "variables must be 1..26";
        QTest::newRow("no assignments") << R"({"name": "assign", "assignments": 0})" << "assignments";
        QTest::newRow("min above max") << R"({"name": "induction", "min_length": 9, "max_length": 8})" << "min_length";
        QTest::newRow("odd length") << R"({"name": "lookup", "length": 7})" << "even";
        QTest::newRow("min_assignments above") << R"({"name": "assign", "assignments": 4, "min_assignments": 5})" << "min_assignments";
        QTest::newRow("distance too short") << R"({"name": "mixed-range", "length": 64, "distance": 31})" << "distance must be in [length/2, length)";
        QTest::newRow("distance too long") << R"({"name": "mixed-range", "length": 64, "distance": 64})" << "distance";
        QTest::newRow("repeated alphabet") << R"({"name": "induction", "alphabet": "abca"})" << "alphabet must be distinct";
        QTest::newRow("alphabet with start") << R"({"name": "induction", "alphabet": "ab^"})" << "other than '^'";
        QTest::newRow("wrong type") << R"({"name": "mixed-range", "length": "64"})" << "must be an integer";
        QTest::newRow("text without file") << R"({"name": "text"})" << "needs \"file\"";
        QTest::newRow("missing file") << R"({"name": "text", "file": "/nonexistent.txt"})" << "/nonexistent.txt: file not found";
    }
    void badParameters() {
        QFETCH(QString, json);
        QFETCH(QString, message);
        try {
            task(json.toStdString());
            QFAIL("expected headlight::Error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(message), e.what());
        }
    }
};

QTEST_MAIN(TestTasks)
#include "test_tasks.moc"

// The bundled sample models: each loads, stays small, has a model card, and its card's metrics
// (metrics.json, written by `headlight-cli evaluate` on 1000 examples) reproduce on a small fresh sample.
#include "headlight/engine.h"
#include "headlight/head_roles.h"
#include "headlight/mechanism_report.h"
#include "headlight/training.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <cmath>
#include <random>

using namespace headlight;

namespace {

const QString kSamples = QString::fromStdString(test::sourcePath("sample_models"));
constexpr int kFreshExamples = 200;
constexpr uint64_t kFreshSeed = 777001;   // neither training's nor the cards' seed

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QJsonObject parseObject(const std::string& json) { return QJsonDocument::fromJson(QByteArray::fromStdString(json)).object(); }

// A sampled accuracy's tolerance: four standard errors of the card's rate on the fresh sample, at least 1 point.
double accuracyTolerance(double p, int64_t scored) {
    return std::max(0.01, 4.0 * std::sqrt(std::max(p * (1.0 - p), 1e-4) / static_cast<double>(scored)));
}

} // namespace

class TestSamples : public QObject {
    Q_OBJECT
private slots:
    void everySampleIsSmallAndDocumented_data() {
        QTest::addColumn<QString>("name");
        for (const QString& name : QDir(kSamples).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            QTest::newRow(qPrintable(name)) << name;
    }
    void everySampleIsSmallAndDocumented() {
        QFETCH(QString, name);
        const QDir dir(kSamples + "/" + name);
        qint64 bytes = 0;
        for (const QFileInfo& f : dir.entryInfoList(QDir::Files)) bytes += f.size();
        QVERIFY2(bytes <= 5 * 1024 * 1024, qPrintable(QString("%1 bytes").arg(bytes)));
        QVERIFY(!dir.exists("checkpoint"));
        QVERIFY(dir.exists("README.md"));
        const Engine engine = Engine::load(dir.absolutePath().toStdString());
        QVERIFY(engine.tokenizer() != nullptr);
    }

    // The five trained models the issue asks for are all there, each with its card's metrics.
    void theTrainedModelsShip() {
        for (const char* name : {"assign-selective", "assign-baseline", "induction-gates", "mixed-range-span", "lookup-memory"})
            QVERIFY2(QFile::exists(kSamples + "/" + name + "/metrics.json"), name);
    }

    void cardMetricsReproduce_data() {
        QTest::addColumn<QString>("name");
        for (const QString& name : QDir(kSamples).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            if (QFile::exists(kSamples + "/" + name + "/metrics.json")) QTest::newRow(qPrintable(name)) << name;
    }
    void cardMetricsReproduce() {
        QFETCH(QString, name);
        const QString dir = kSamples + "/" + name;
        const QJsonObject card = readJson(dir + "/metrics.json");
        QVERIFY2(card.contains("accuracy") && card.contains("task"), "metrics.json lacks accuracy or task");
        const Engine engine = Engine::load(dir.toStdString());
        const auto task = makeTask(TaskParams::fromJson(QJsonDocument(card["task"].toObject()).toJson().toStdString(), "metrics.json"));

        const Evaluation e = evaluate(engine, *task, kFreshExamples, kFreshSeed);
        const double cardAccuracy = card["accuracy"].toDouble();
        const double tol = accuracyTolerance(cardAccuracy, e.scored);
        QVERIFY2(std::abs(e.accuracy - cardAccuracy) <= tol,
                 qPrintable(QString("accuracy %1 vs card %2 (tolerance %3)").arg(e.accuracy).arg(cardAccuracy).arg(tol)));

        const QJsonObject cardMech = card["mechanisms"].toObject();
        const QJsonObject fresh = parseObject(reportMechanisms(engine, *task, kFreshExamples, kFreshSeed));
        QCOMPARE(fresh.keys(), cardMech.keys());
        if (cardMech.contains("head_gates"))   // parameters, not samples: exact
            QCOMPARE(fresh["head_gates"]["closed_heads"].toInt(), cardMech["head_gates"]["closed_heads"].toInt());
        if (cardMech.contains("adaptive_span")) {
            const QJsonArray a = fresh["adaptive_span"]["spans"].toArray(), b = cardMech["adaptive_span"]["spans"].toArray();
            QCOMPARE(a.size(), b.size());
            for (int i = 0; i < a.size(); ++i) QVERIFY(std::abs(a[i].toDouble() - b[i].toDouble()) < 1e-4);
            QCOMPARE(fresh["adaptive_span"]["flops_saved"].toDouble(), cardMech["adaptive_span"]["flops_saved"].toDouble());
        }
        if (cardMech.contains("selective_attention")) {
            const QJsonObject f = fresh["selective_attention"].toObject(), c = cardMech["selective_attention"].toObject();
            QVERIFY(std::abs(f["masked_share"].toDouble() - c["masked_share"].toDouble()) < 0.05);
            if (c.contains("superseded_masked_share"))
                QVERIFY(std::abs(f["superseded_masked_share"].toDouble() - c["superseded_masked_share"].toDouble()) < 0.05);
        }
        if (cardMech.contains("persistent_memory"))
            QVERIFY(std::abs(fresh["persistent_memory"]["memory_share"].toDouble() -
                             cardMech["persistent_memory"]["memory_share"].toDouble()) < 0.03);
    }

    // induction-gates' card: one duplicate-token head (L0.H0) and no induction head, on texts of its own task.
    void inductionGatesCopiesWithoutAnInductionHead() {
        const Engine engine = Engine::load((kSamples + "/induction-gates").toStdString());
        std::mt19937_64 rng(1000003);   // texts the training never saw
        std::uniform_int_distribution<int> length(8, 32), letter(0, 25);
        std::vector<HeadRoles> runs;
        for (int k = 0; k < 60; ++k) {
            std::string half;
            for (int i = length(rng); i > 0; --i) half += static_cast<char>('a' + letter(rng));
            RunRequest run;
            run.tokenIds = engine.encode(half + half);
            run.capture = CaptureSpec::none();
            run.capture.roles = true;
            runs.push_back(headRoles(engine.run(run), engine.config()));
        }
        const HeadRoles roles = averageRoles(runs);
        QVERIFY2(roles.score("duplicate_token", 0, 0) >= 0.5, qPrintable(QString::number(roles.score("duplicate_token", 0, 0))));
        QCOMPARE(roles.label(0, 0), std::string("duplicate_token"));
        for (int l = 0; l < roles.layers; ++l)
            for (int h = 0; h < roles.heads; ++h)
                QVERIFY2(roles.score("induction", l, h) < 0.25, qPrintable(QString("L%1.H%2: %3").arg(l).arg(h).arg(roles.score("induction", l, h))));
    }

    // What the issue promises of each model, read from its card's 1000-example metrics.
    void cardsMeetTheirTargets() {
        const auto card = [](const char* name) { return readJson(kSamples + "/" + name + "/metrics.json"); };
        // Selective attention solves assign, the same model without it does not, and it masks what it must.
        const QJsonObject selective = card("assign-selective"), baseline = card("assign-baseline");
        QVERIFY(selective["accuracy"].toDouble() >= 0.99);
        QVERIFY(selective["accuracy"].toDouble() >= baseline["accuracy"].toDouble() + 0.4);
        QVERIFY(selective["mechanisms"]["selective_attention"]["superseded_masked_share"].toDouble() >= 0.99);
        QVERIFY(card("lookup-memory")["accuracy"].toDouble() >= 0.95);
        const QJsonObject lookup = card("lookup-memory");
        QVERIFY(lookup["mechanisms"]["persistent_memory"]["memory_share"].toDouble() > 0.0);

        const QJsonObject induction = card("induction-gates");
        QVERIFY(induction["accuracy"].toDouble() >= 0.95);
        const QJsonObject gates = induction["mechanisms"]["head_gates"].toObject();
        QVERIFY(2 * gates["closed_heads"].toInt() >= gates["heads"].toInt());

        const Engine span = Engine::load((kSamples + "/mixed-range-span").toStdString());
        const double ramp = span.config().mechanism<AdaptiveSpanConfig>()->ramp;
        const QJsonObject mixed = card("mixed-range-span");
        const int T = mixed["task"]["length"].toInt();
        double shortest = 1e9, longest = 0;
        for (const auto& z : mixed["mechanisms"]["adaptive_span"]["spans"].toArray()) {
            shortest = std::min(shortest, z.toDouble());
            longest = std::max(longest, z.toDouble());
        }
        QVERIFY2(shortest <= 2 * ramp && longest >= T / 2.0, qPrintable(QString("spans %1..%2").arg(shortest).arg(longest)));
    }
};

QTEST_MAIN(TestSamples)
#include "test_samples.moc"

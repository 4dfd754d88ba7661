// Digests sized to what the views draw from them (headlight/session.h, pooledCells): the cells a plan asks for
// against the byte budget, the bytes captureBytes counts, and a planned long run's pictures against its full
// matrices pooled by hand.
#include "headlight/capture_size.h"
#include "headlight/engine.h"
#include "headlight/session.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace headlight;

namespace {

// Every head's float32 max and mean pictures of `cells` a side.
double pictureBytes(const ModelConfig& c, int64_t cells) { return 2.0 * 4 * c.nLayer * c.nHead * static_cast<double>(cells * cells); }

ModelConfig shape(int layers, int heads) {
    ModelConfig c = test::tinyConfig();
    c.nLayer = layers;
    c.nHead = heads;
    return c;
}

} // namespace

class TestDigestSizing : public QObject {
    Q_OBJECT
private slots:
    void pooledCellsFitTheBudget_data() {
        QTest::addColumn<int>("layers");
        QTest::addColumn<int>("heads");
        QTest::newRow("12 x 12") << 12 << 12;
        QTest::newRow("48 x 32") << 48 << 32;
        QTest::newRow("96 x 64") << 96 << 64;
        QTest::newRow("200 x 200: thumbnails at least") << 200 << 200;
    }
    // The most cells a side, up to kPooledCells, whose pictures of every head fit in kDigestBytes; never fewer
    // than the grid's thumbnails.
    void pooledCellsFitTheBudget() {
        QFETCH(int, layers);
        QFETCH(int, heads);
        const ModelConfig c = shape(layers, heads);
        const int cells = pooledCells(c);
        QVERIFY(cells >= kThumbnailCells && cells <= kPooledCells);
        if (cells > kThumbnailCells) QVERIFY(pictureBytes(c, cells) <= static_cast<double>(kDigestBytes));
        if (cells > kThumbnailCells && cells < kPooledCells) QVERIFY(pictureBytes(c, cells + 1) > static_cast<double>(kDigestBytes));
        if (cells == kThumbnailCells) QVERIFY(pictureBytes(c, cells + 1) > static_cast<double>(kDigestBytes));
        if (cells == kPooledCells) QVERIFY(pictureBytes(c, cells) <= static_cast<double>(kDigestBytes));

        // A run too long to keep every head asks for those cells, and captureBytes counts what they keep.
        const int64_t T = 2048;
        const CaptureSpec plan = planCapture(c, T, 0, 0);
        QVERIFY(!capturesEveryHead(c, T));
        QVERIFY(plan.headStats);
        QCOMPARE(plan.pooledSize, cells);
        const int64_t bin = pooledBin(T, cells), side = (T + bin - 1) / bin;
        QVERIFY(side <= cells);
        QCOMPARE(captureBytes(c, T, plan).digests, pictureBytes(c, side) + 4.0 * 4 * c.nLayer * c.nHead);
        // A short run keeps every head and digests none.
        QCOMPARE(planCapture(c, 16, 0, 0).pooledSize, 0);
    }

    // A planned 600-token run (the full-capture budget set low): pictures of the planned cell count, each cell
    // the max or the mean of the full attention it covers.
    void plannedLongRunPoolsTheFullMatrices() {
        QTemporaryDir dir;
        const ModelConfig c = test::tinyConfig({"gates"}, 2, 3, 12, 11, 640);
        test::writeModel(dir.path().toStdString() + "/m", c, test::randomWeights(c, 5));
        const Engine e = Engine::load(dir.path().toStdString() + "/m");
        const int64_t T = 600;
        RunRequest planned;
        for (int64_t t = 0; t < T; ++t) planned.tokenIds.push_back((t * 7 + t / 13) % 11);
        planned.capture = planCapture(c, T, 1, 2, /*budgetBytes=*/1);
        QCOMPARE(planned.capture.pooledSize, pooledCells(c));
        planned.reuseActivations = false;
        const Trace run = e.run(planned);
        RunRequest everyHead = planned;
        everyHead.capture = CaptureSpec{};
        const Trace full = e.run(everyHead);

        const int64_t bin = pooledBin(T, planned.capture.pooledSize), side = (T + bin - 1) / bin;
        QVERIFY(bin > 1 && side <= planned.capture.pooledSize);
        QCOMPARE(run.digests.size(), size_t(2));
        for (const LayerDigest& d : run.digests) {
            QCOMPARE(d.bin, bin);
            QCOMPARE(d.pooledMax.shape(), (std::vector<int64_t>{3, side, side}));
            const QString diff = test::pooledDiff(d, *full.layer(d.layer));
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        QCOMPARE(run.layers.size(), size_t(1));
        QVERIFY(test::bitDiff(run.layers[0].attention, FloatArray({1, T, T}, std::vector<float>(
            full.layer(1)->attention.data() + 2 * T * T, full.layer(1)->attention.data() + 3 * T * T))).isEmpty());
    }

    // Cells of one token: the max and the mean are the same weights, kept once.
    void oneTokenCellsKeepOnePicture() {
        QTemporaryDir dir;
        const ModelConfig c = test::tinyConfig({}, 2, 3, 12, 11, 48);
        test::writeModel(dir.path().toStdString() + "/m", c, test::randomWeights(c, 6));
        const Engine e = Engine::load(dir.path().toStdString() + "/m");
        RunRequest req;
        for (int t = 0; t < 20; ++t) req.tokenIds.push_back((t * 5 + 1) % 11);
        req.capture.headStats = true;
        req.capture.pooledSize = 32;
        const Trace run = e.run(req);
        for (const LayerDigest& d : run.digests) {
            QCOMPARE(d.bin, int64_t(1));
            QCOMPARE(d.pooledMean.data(), d.pooledMax.data());
            const QString diff = test::pooledDiff(d, *run.layer(d.layer));
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        QCOMPARE(captureBytes(c, 20, req.capture).digests, 2.0 * (4 * 3 * 4 + 3 * 20 * 20 * 4));
    }
};

QTEST_GUILESS_MAIN(TestDigestSizing)
#include "test_digest_sizing.moc"

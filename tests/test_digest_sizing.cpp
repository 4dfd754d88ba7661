// Digests sized to what the views draw from them (headlight/session.h, pooledCells): the cells a plan asks for
// against the byte budget, the bytes captureBytes counts, and a planned long run's pictures against its full
// matrices pooled by hand; the pictures' buffers recycled from run to run without one run's cells reaching another.
#include "attention/recycled_pictures.h"
#include "headlight/capture_size.h"
#include "headlight/engine.h"
#include "headlight/session.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

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

    // A picture freed with its trace comes back zeroed to the next run, never to one whose trace still holds it:
    // a run while another's pictures live, then a run of the first text again, give that text's pictures exactly.
    void recycledPicturesCarryNothingOver() {
        QTemporaryDir dir;
        const ModelConfig c = test::tinyConfig({}, 2, 3, 12, 11, 640);
        test::writeModel(dir.path().toStdString() + "/m", c, test::randomWeights(c, 7));
        const Engine e = Engine::load(dir.path().toStdString() + "/m");
        auto digested = [&](int seed) {
            RunRequest req;
            for (int64_t t = 0; t < 300; ++t) req.tokenIds.push_back((t * seed + t / 7) % 11);
            req.capture = CaptureSpec::none();
            req.capture.headStats = true;
            req.capture.pooledSize = 64;
            req.reuseActivations = false;
            return e.run(req);
        };
        const auto copyOf = [](const FloatArray& a) { return FloatArray(a.shape(), std::vector<float>(a.data(), a.data() + a.size())); };
        const Trace first = digested(3);
        QCOMPARE(first.digests.size(), size_t(2));
        QVERIFY(first.digests[0].bin > 1);
        const FloatArray firstMax = copyOf(first.digests[1].pooledMax), firstMean = copyOf(first.digests[1].pooledMean);
        {
            const Trace other = digested(5);   // while the first run's pictures are alive
            QVERIFY(!test::bitDiff(other.digests[1].pooledMax, firstMax).isEmpty());
        }
        QVERIFY(recycledPictureBytes() > 0);   // the other run's pictures went back to the pool
        const Trace again = digested(3);       // takes them: zeroed, it pools exactly as the first time
        QVERIFY(test::bitDiff(again.digests[1].pooledMax, firstMax).isEmpty());
        QVERIFY(test::bitDiff(again.digests[1].pooledMean, firstMean).isEmpty());
        QVERIFY(test::bitDiff(first.digests[1].pooledMax, firstMax).isEmpty());   // untouched by either run
    }

    // The pool gives a freed buffer of the same size back, zeroed, and keeps at most kRecycledBytes.
    void thePoolReusesAndIsBounded() {
        const size_t before = recycledPictureBytes();
        void* address = nullptr;
        {
            torch::Tensor p = zeroedPicture(3, 40, torch::kCPU);
            QCOMPARE(p.sizes().vec(), (std::vector<int64_t>{3, 40, 40}));
            p.fill_(7.0f);
            address = p.data_ptr();
        }
        QCOMPARE(recycledPictureBytes(), before + 3 * 40 * 40 * sizeof(float));
        torch::Tensor again = zeroedPicture(3, 40, torch::kCPU);
        QCOMPARE(again.data_ptr(), address);
        QCOMPARE(again.abs().max().item<float>(), 0.0f);
        QCOMPARE(recycledPictureBytes(), before);
        // Two buffers of 60% of the bound: the second one freed goes back to the system, not to the pool.
        const int64_t side = static_cast<int64_t>(std::sqrt(0.6 * kRecycledBytes / sizeof(float)));
        const size_t big = static_cast<size_t>(side * side) * sizeof(float);
        {
            torch::Tensor a = zeroedPicture(1, side, torch::kCPU), b = zeroedPicture(1, side, torch::kCPU);
        }
        QVERIFY(recycledPictureBytes() <= kRecycledBytes);
        QCOMPARE(recycledPictureBytes(), before + big);
        const torch::Tensor taken = zeroedPicture(1, side, torch::kCPU);   // takes it back out
        QCOMPARE(recycledPictureBytes(), before);
    }
};

QTEST_GUILESS_MAIN(TestDigestSizing)
#include "test_digest_sizing.moc"

// Hostile input through headlight-cli as a subprocess (issue 14): every case ends with a one-line error
// naming the file or argument and a non-zero exit, never a signal, a hang, a partial file or library text.
#include "cli_test_support.h"
#include "headlight/engine.h"
#include "test_support.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QTemporaryDir>
#include <QtTest>
#include <sys/stat.h>

using namespace headlight;
using namespace headlight::cli_test;

namespace {

// Runs `script` under bash with CLI set to headlight-cli (for limits, redirections and traps).
Result shell(const QString& script) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("CLI", HEADLIGHT_CLI);
    p.setProcessEnvironment(env);
    p.start("bash", {"-c", script});
    if (!p.waitForFinished(120000)) p.kill();
    p.waitForFinished();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// The failure contract: exit `code` (a normal exit, not a signal), one line on stderr containing `needle`,
// and none of the library texts the user must never see.
void expectFailure(const Result& r, int code, const QString& needle) {
    QVERIFY2(r.exitCode == code, qPrintable(QString("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
    QVERIFY2(r.err.contains(needle), qPrintable("stderr: " + r.err));
    QVERIFY2(r.err.count('\n') == 1, qPrintable("not one line: " + r.err));
    for (const char* raw : {"json.exception", "stoi", "bad_alloc", "c10::", "Exception raised from", "\x1b"})
        QVERIFY2(!r.err.contains(raw), qPrintable("library text in: " + r.err));
}

// A training run's failure: its progress lines ("step 1/2 ...") and then the one line of the failure contract.
void expectTrainingFailure(Result r, const QString& needle) {
    QStringList lines = r.err.split('\n');
    while (!lines.isEmpty() && lines.front().startsWith("step ")) lines.removeFirst();
    r.err = lines.join('\n');
    expectFailure(r, 1, needle);
}

QString nestedJson(int depth) { return QString(depth, '[') + "1" + QString(depth, ']'); }

} // namespace

class HostileCliTest : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString model_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        model_ = tmp_.filePath("model");
        writeCliModel(model_);
    }

    // A copy of the model with one file replaced, for each case below.
    void deepJsonIsAnError() {
        const QString m = tmp_.filePath("deep");
        writeCliModel(m);
        const QByteArray config = readAll(m + "/config.json");
        QVERIFY(writeAll(m + "/config.json", config.left(config.lastIndexOf('}')) + ", \"x\": " + nestedJson(100000).toUtf8() + "}"));
        expectFailure(cli({"info", m}), 1, "config.json: nested deeper than 64 levels");
    }

    // HDF5 wrote through its own file id: on a full disk the failed close left it open and HDF5's exit
    // handler crashed. Now HDF5 writes to memory and we write the bytes, each write checked.
    void fullDiskOnWriteExitsCleanly() {
        const QString out = tmp_.filePath("full.h5");
        const Result r = shell("ulimit -f 4; trap '' XFSZ; exec \"$CLI\" run '" + model_ + "' --text abcabc --out '" + out + "'");
        expectFailure(r, 1, out + ": cannot write");   // streamed: HDF5 reports the failure, not its errno
        QVERIFY(!QFile::exists(out));
        QVERIFY(test::leftovers(tmp_.path()).isEmpty());
        const Result curve = shell("ulimit -f 1; trap '' XFSZ; exec \"$CLI\" importance '" + model_ + "' --text abcabc --out '" +
                                   tmp_.filePath("imp.h5") + "' --csv '" + tmp_.filePath("imp.csv") + "'");
        expectFailure(curve, 1, "cannot write");
        QVERIFY(!QFile::exists(tmp_.filePath("imp.h5")) && !QFile::exists(tmp_.filePath("imp.csv")));
        QVERIFY(test::leftovers(tmp_.path()).isEmpty());
    }

    // FIFOs and devices are refused at once (they used to block forever or read until memory ran out).
    void fifosAndDevicesAreRefused() {
        const QString fifo = tmp_.filePath("fifo");
        QCOMPARE(mkfifo(fifo.toUtf8().constData(), 0600), 0);
        QElapsedTimer t;
        t.start();
        expectFailure(cli({"init", "--config", fifo, "--out", tmp_.filePath("x")}), 1, fifo + ": is not a regular file (a FIFO)");
        expectFailure(cli({"init", "--config", "/dev/zero", "--out", tmp_.filePath("x")}), 1, "/dev/zero: is not a regular file (a device)");
        expectFailure(cli({"train", "--config", fifo, "--out", tmp_.filePath("x")}), 1, "is not a regular file (a FIFO)");
        expectFailure(cli({"examples", "--task", "{\"name\": \"text\", \"file\": \"" + fifo + "\"}"}), 1, "is not a regular file (a FIFO)");
        expectFailure(cli({"tokenize", model_, "--jsonl", fifo}), 1, "is not a regular file (a FIFO)");
        const QString m = tmp_.filePath("fifo-record");
        writeCliModel(m);
        QCOMPARE(mkfifo((m + "/training.json").toUtf8().constData(), 0600), 0);
        expectFailure(cli({"evaluate", m}), 1, "training.json: is not a regular file (a FIFO)");
        QVERIFY2(t.elapsed() < 60000, qPrintable(QString::number(t.elapsed())));
    }

    // A device train cannot use is refused by name before the output folder exists, from --device or TRAIN.json.
    void trainDeviceIsRefusedByName() {
        const QString config = tmp_.filePath("device.json"), out = tmp_.filePath("trained");
        const QByteArray train = R"({"model": {"n_layer": 1, "n_head": 1, "n_embd": 8}, "task": {"name": "induction"}, "steps": 1)";
        QVERIFY(writeAll(config, train + "}"));
        expectFailure(cli({"train", "--config", config, "--out", out, "--device", "cuda:99999999999"}), 1,
                      "--device: \"cuda:99999999999\": no such CUDA device");
        expectFailure(cli({"train", "--config", config, "--out", out, "--device", "tpu"}), 1, "--device: \"tpu\" is not a device");
        if (!Engine::cudaAvailable())
            expectFailure(cli({"train", "--config", config, "--out", out, "--device", "cuda"}), 1,
                          "--device: cuda requested, but this build's LibTorch has no CUDA support");
        QVERIFY(writeAll(config, train + R"(, "device": "cuda:99999999999"})"));
        expectFailure(cli({"train", "--config", config, "--out", out}), 1, config + ": \"device\" = \"cuda:99999999999\": no such CUDA device");
        QVERIFY(!QFile::exists(out));
    }

    // Long texts used to hang context-prune and the pruning commands (quadratic splitting). An argument
    // is limited to 128 KiB by the kernel; a --data line is not.
    void longTextsFinish() {
        const QString text(120000, 'a');
        const QString data = tmp_.filePath("long.txt");
        QVERIFY(writeAll(data, QByteArray(1000000, 'a') + "\n"));
        QElapsedTimer t;
        t.start();
        expectFailure(cli({"context-prune", model_, "--text", text}), 1, "n_positions");
        expectFailure(cli({"importance", model_, "--data", data, "--out", tmp_.filePath("long.h5")}), 1, "n_positions");
        expectFailure(cli({"ablate", model_, "--text", text, "--out", tmp_.filePath("long.h5")}), 1, "n_positions");
        QVERIFY2(t.elapsed() < 60000, qPrintable(QString::number(t.elapsed()) + " ms"));
    }

    void sizesAreRangeChecked_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("--n 2^32+1") << QStringList{"evaluate", "MODEL", "--task", "assign", "--n", "4294967297"} << 2
                                    << "--n: must be in 1..1000000, got 4294967297";
        QTest::newRow("--n 10^12") << QStringList{"evaluate", "MODEL", "--task", "assign", "--n", "1000000000000"} << 2
                                   << "--n: must be in 1..1000000, got 1000000000000";
        QTest::newRow("--n 10^20") << QStringList{"evaluate", "MODEL", "--n", "100000000000000000000"} << 2 << "--n: 100000000000000000000 is out of range";
        QTest::newRow("cuda:99999999999") << QStringList{"info", "MODEL", "--device", "cuda:99999999999"} << 1 << "no such CUDA device";
        QTest::newRow("escape in --device") << QStringList{"info", "MODEL", "--device", "\x1b[31mred"} << 1 << "\\x1b[31mred";
        QTest::newRow("--dtype float64") << QStringList{"run", "MODEL", "--text", "abc", "--dtype", "float64", "--out", "TMP/d.h5"} << 1
                                         << "--dtype: \"float64\" is not a dtype (use float32, bfloat16 or float16)";
        QTest::newRow("escape in --dtype") << QStringList{"evaluate", "MODEL", "--text", "abc", "--dtype", "\x1b[31mred"} << 1 << "\\x1b[31mred";
        QTest::newRow("--out empty") << QStringList{"run", "MODEL", "--text", "abc", "--out", ""} << 1 << "--out: is empty";
        QTest::newRow("--out a device") << QStringList{"run", "MODEL", "--text", "abc", "--out", "/dev/null"} << 1 << "is not a regular file (a device)";
        QTest::newRow("--out the weights") << QStringList{"run", "MODEL", "--text", "abc", "--out", "MODEL/model.safetensors"} << 1
                                           << "--out names one of the command's input files";
        QTest::newRow("--csv = --out") << QStringList{"ablate", "MODEL", "--text", "abc", "--out", "TMP/x.h5", "--csv", "TMP/x.h5"} << 1
                                       << "--csv names the same file as --out";
    }
    void sizesAreRangeChecked() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const QByteArray weights = readAll(model_ + "/model.safetensors");
        for (QString& a : args) a.replace("MODEL", model_).replace("TMP", tmp_.path());
        expectFailure(cli(args), code, message);
        QCOMPARE(readAll(model_ + "/model.safetensors"), weights);
        QVERIFY(test::leftovers(tmp_.path()).isEmpty() && test::leftovers(model_).isEmpty());
    }

    // init sizes the machine cannot hold: refused by name before allocating (the kernel used to kill it).
    void initSizesAreRefusedByName() {
        const QString config = tmp_.filePath("huge.json");
        QVERIFY(writeAll(config, R"({"model_type": "gpt2", "vocab_size": 11, "n_layer": 1, "n_head": 1, "n_embd": 64,
                                     "n_positions": 1000000000})"));
        expectFailure(cli({"init", "--config", config, "--out", tmp_.filePath("huge")}), 1,
                      config + ": n_positions 1000000000 needs 256 GB for the position embeddings");
        QVERIFY(!QFile::exists(tmp_.filePath("huge")));
        QVERIFY(writeAll(config, R"({"model_type": "gpt2", "vocab_size": 11, "n_layer": 18446744073709551615, "n_head": 1, "n_embd": 64})"));
        expectFailure(cli({"init", "--config", config, "--out", tmp_.filePath("huge")}), 1, "out of range: 18446744073709551615");
    }

    // Output that never arrived is a failure: a full device behind stdout.
    void stdoutFailureIsAnError() {
        expectFailure(shell("exec \"$CLI\" info '" + model_ + "' > /dev/full"), 1, "stdout: cannot write (No space left on device)");
    }

    // Raw bytes in an argument: named by the argument, escaped, never a JSON library error.
    void invalidUtf8IsNamed() {
        expectFailure(shell("exec \"$CLI\" run '" + model_ + "' --text $'ab\\xff\\x1b[2J'"), 1, "--text: invalid UTF-8");
    }

    // A resumed checkpoint is checked: beyond the configured steps, or damaged, it is refused by file name.
    void checkpointsAreChecked() {
        const QString train = tmp_.filePath("train.json"), out = tmp_.filePath("run");
        QVERIFY(writeAll(train, R"({"model": {"n_layer": 1, "n_head": 1, "n_embd": 8}, "task": {"name": "assign", "assignments": 2},
                                    "steps": 2, "batch_size": 2, "log_every": 1})"));
        const Result first = cli({"train", "--config", train, "--out", out});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QString state = out + "/checkpoint/state.json";
        auto j = nlohmann::json::parse(readAll(state).toStdString());
        const auto original = j;
        j["step"] = 9;
        QVERIFY(writeAll(state, QByteArray::fromStdString(j.dump())));
        expectFailure(cli({"train", "--config", train, "--out", out, "--resume"}), 1, state + ": the checkpoint is at step 9, beyond the 2 steps");
        j = original;
        j["gate_rng"] = "zz";
        QVERIFY(writeAll(state, QByteArray::fromStdString(j.dump())));
        expectFailure(cli({"train", "--config", train, "--out", out, "--resume"}), 1, state + ": \"gate_rng\" is not hexadecimal");
        QVERIFY(writeAll(state, QByteArray::fromStdString(original.dump())));
        QVERIFY(writeAll(out + "/checkpoint/optimizer.pt", "garbage"));
        expectFailure(cli({"train", "--config", train, "--out", out, "--resume"}), 1, "optimizer.pt: cannot be read");
        QVERIFY(writeAll(out + "/training.json", "{\"train_config\": "));
        expectFailure(cli({"evaluate", out}), 1, "training.json: not valid JSON");
    }

    // Issue 20: init and train never write over a model: not the one train starts from (however spelt), not any
    // other. The model stays byte for byte as it was.
    void modelsAreNeverOverwritten() {
        const QString m = tmp_.filePath("kept");
        writeCliModel(m);
        QVERIFY(QFile::link(m, tmp_.filePath("kept-link")));
        QMap<QString, QByteArray> before;
        for (const QString& f : QDir(m).entryList(QDir::Files)) before[f] = readAll(m + "/" + f);
        QVERIFY(writeAll(tmp_.filePath("tiny.json"), readAll(m + "/config.json")));
        expectFailure(cli({"init", "--config", tmp_.filePath("tiny.json"), "--out", m}), 1, m + ": already holds a model (config.json)");
        const QString train = tmp_.filePath("onto.json");
        QVERIFY(writeAll(train, QString(R"({"init_from": "%1", "task": {"name": "induction", "alphabet": "abc", "min_length": 2, "max_length": 6}, "steps": 1})").arg(m).toUtf8()));
        for (const QString& out : {m, m + "/", tmp_.filePath("kept-link"), tmp_.filePath("kept/../kept")})
            expectFailure(cli({"train", "--config", train, "--out", out}), 1, out + ": is the init_from model");
        expectFailure(cli({"train", "--config", train, "--out", m + "/sub"}), 1, "lies inside the init_from model");
        QMap<QString, QByteArray> after;
        for (const QString& f : QDir(m).entryList(QDir::Files)) after[f] = readAll(m + "/" + f);
        QVERIFY(after == before);
        QVERIFY(QDir(m).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
    }

    // Issue 20: a full disk during the first checkpoint used to leave checkpoint-new/ and an untrained model. The
    // file-size limit sits between the checkpoint's weights and its optimizer state, so the write fails halfway
    // through the checkpoint: a folder the run made is gone, an empty one it was given stays empty, and a run
    // resumed in its folder keeps its last whole checkpoint.
    void fullDiskDuringACheckpointLeavesNoHalfModel() {
        const QString train = tmp_.filePath("disk.json"), sized = tmp_.filePath("disk-sized");
        const QByteArray config = R"({"model": {"n_layer": 1, "n_head": 2, "n_embd": 16}, "task": {"name": "assign", "assignments": 2},
                                      "batch_size": 2, "log_every": 1, "checkpoint_every": 1, "steps": )";
        QVERIFY(writeAll(train, config + "2}"));
        const Result first = cli({"train", "--config", train, "--out", sized});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const qint64 weights = QFileInfo(sized + "/checkpoint/model.safetensors").size();
        const qint64 optimizer = QFileInfo(sized + "/checkpoint/optimizer.pt").size();
        const qint64 limitKb = (weights + optimizer) / 2 / 1024;
        QVERIFY2(weights < limitKb * 1024 && limitKb * 1024 < optimizer, qPrintable(QString("%1 %2").arg(weights).arg(optimizer)));
        auto trainUnderLimit = [&](const QString& out, const QString& extra) {
            return shell(QString("ulimit -f %1; trap '' XFSZ; exec \"$CLI\" train --config '%2' --out '%3' %4")
                             .arg(limitKb).arg(train, out, extra));
        };
        const QString out = tmp_.filePath("disk-new/run");
        expectTrainingFailure(trainUnderLimit(out, ""), "checkpoint-new/optimizer.pt: cannot write (File too large)");
        QVERIFY(!QFile::exists(tmp_.filePath("disk-new")));
        const QString empty = tmp_.filePath("disk-empty");
        QVERIFY(QDir().mkpath(empty));
        expectTrainingFailure(trainUnderLimit(empty, ""), "optimizer.pt: cannot write");
        QVERIFY(QDir(empty).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
        // Resumed for two more steps, the first new checkpoint fails: the step-2 one stays whole and loads.
        const QByteArray state = readAll(sized + "/checkpoint/state.json");
        QVERIFY(writeAll(train, config + "4}"));
        expectTrainingFailure(trainUnderLimit(sized, "--resume"), "optimizer.pt: cannot write");
        QCOMPARE(readAll(sized + "/checkpoint/state.json"), state);
        QCOMPARE(QDir(sized).entryList({"checkpoint-*"}, QDir::AllEntries), QStringList());
        QVERIFY(test::leftovers(sized).isEmpty() && test::leftovers(sized + "/checkpoint").isEmpty());
        const Result resumed = cli({"train", "--config", train, "--out", sized, "--resume"});
        QVERIFY2(resumed.exitCode == 0 && resumed.out.contains("\"steps\": 4"), qPrintable(resumed.err + resumed.out));
    }

    // Issue 20: a long run with the default full capture used to end in LibTorch's "DefaultCPUAllocator: can't
    // allocate memory". The capture's size is known before the forward pass: refused in one line naming the
    // options that shrink it (and a run without capture, which fits, succeeds); an input whose forward pass
    // alone cannot fit is refused naming the input. Under an address-space limit of 3 GB.
    void longRunsAreSizedBeforeTheyRun() {
#ifdef HEADLIGHT_SANITIZED
        QSKIP("AddressSanitizer reserves terabytes of shadow address space, which ulimit -v forbids: the Release suites run this");
#endif
        const QString m = tmp_.filePath("long");
        const QString config = tmp_.filePath("long.json");
        QVERIFY(writeAll(config, R"({"model_type": "gpt2", "vocab_size": 11, "n_layer": 2, "n_head": 4, "n_embd": 16,
                                     "n_positions": 16384})"));
        QVERIFY(cli({"init", "--config", config, "--out", m, "--alphabet", "^abcdefghij"}).exitCode == 0);
        const QString text = QString("abcdefghij").repeated(1200);   // 12001 tokens with '^': [4,T,T] floats are 2.3 GB a layer
        // One thread and two malloc arenas: the limit counts every thread's stack and arena, which a many-core
        // machine would multiply (and LibTorch's threads spin when the cores are busy).
        const QString limit = "ulimit -v 3000000; export OMP_NUM_THREADS=1 MALLOC_ARENA_MAX=2; exec \"$CLI\" ";
        // By default `run` plans the capture as the app does: one head's [T,T] and every head digested.
        const Result planned = shell(limit + "run '" + m + "' --text " + text);
        QVERIFY2(planned.exitCode == 0 && planned.out.contains("\"captured_heads\": 1") && planned.out.contains("\"digests\": true"),
                 qPrintable(planned.err + planned.out.left(400)));
        // Every head of both layers, asked for: refused before the forward pass, naming the capture's arguments.
        const Result r = shell(limit + "run '" + m + "' --layers 0,1 --text " + text);
        expectFailure(r, 1, "capture: keeping the attention of 2 layer(s) x 4 head(s) at 12001 tokens needs 4.6 GB");
        QVERIFY2(r.err.contains("(--layers, --heads, --no-capture)") && r.err.contains("this process can use"), qPrintable(r.err));
        const Result fits = shell(limit + "run '" + m + "' --no-capture --text " + text);
        QVERIFY2(fits.exitCode == 0 && fits.out.contains("\"tokens\": 12001"), qPrintable(fits.err));
        // 5000 tokens of a 200,000-token vocabulary: the logits and their log-softmax alone are 8 GB.
        const QString wide = tmp_.filePath("wide");
        QVERIFY(writeAll(config, R"({"model_type": "gpt2", "vocab_size": 200000, "n_layer": 1, "n_head": 1, "n_embd": 8,
                                     "n_positions": 5000})"));
        QVERIFY(cli({"init", "--config", config, "--out", wide}).exitCode == 0);
        const QString ids = QString("1,").repeated(4999) + "1";
        expectFailure(shell(limit + "run '" + wide + "' --no-capture --ids " + ids), 1,
                      "--ids: 5000 tokens need 8.0 GB even without capturing attention (logits and loss 8.0 GB)");
        // Commands without an estimate of their own: LibTorch's allocator failing is one line in our words.
        expectFailure(shell(limit + "importance '" + m + "' --text " + text.left(9000) + " --out '" + tmp_.filePath("imp.h5") + "'"),
                      1, "out of memory");
        QVERIFY(!QFile::exists(tmp_.filePath("imp.h5")));
    }

    void nonFiniteWeightsNameTheTensor() {
        const QString m = tmp_.filePath("nan");
        const ModelConfig c = test::tinyConfig({"gates", "span", "selective", "memory"});
        auto w = test::randomWeights(c, 11);
        w.at("wte.weight") = test::withValue(w.at("wte.weight"), 0, std::nanf(""));
        test::writeModel(m.toStdString(), c, w);
        expectFailure(cli({"run", m, "--text", "abc"}), 1, "tensor \"wte.weight\" holds 1 NaN or infinite value");
    }
};

QTEST_GUILESS_MAIN(HostileCliTest)
#include "test_hostile_cli.moc"

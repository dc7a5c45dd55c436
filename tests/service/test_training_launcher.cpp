// "Unload & train" without the GUI: the launcher against a fake backend behind
// a real control API, with a stand-in training script that asks /health when
// it starts. Checks the order (the unload finished before the command
// started, and the command saw no model loaded), streaming, a refused start
// when VRAM did not come back, and cancel. Also the default command per
// dataset type.
#include "core/service/control_api_server.h"
#include "core/service/training_command.h"
#include "core/service/training_launcher.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/fake_model_backend.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace samlabel::service;
using samlabel::service::testing::FakeModelBackend;
using samlabel::service::testing::ModelEndpoints;
using samlabel::service::testing::start_with_random_token;

namespace {

QString python() {
    const QString configured = QStringLiteral(SAMLABEL_PYTHON);
    if (!configured.isEmpty() && QFile::exists(configured)) return configured;
    return QStandardPaths::findExecutable(QStringLiteral("python3"));
}

void write_file(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

QString quoted(const QString& s) { return QLatin1Char('"') + s + QLatin1Char('"'); }

}  // namespace

class TestTrainingLauncher : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeModelBackend> backend_;
    std::unique_ptr<ControlApiServer> server_;
    QString token_;

    void loadFakeModel() {
        auto f = backend_->reload();
        QTRY_VERIFY_WITH_TIMEOUT(f.isFinished(), 5000);
        QVERIFY(f.result().ok());
        QVERIFY(backend_->status().model_loaded);
    }

private Q_SLOTS:
    void init() {
        backend_ = std::make_unique<FakeModelBackend>();
        backend_->setLastModel(QStringLiteral("/models/sam3"));
        server_ = std::make_unique<ControlApiServer>(backend_.get());
        QString error;
        token_ = start_with_random_token(*server_, ModelEndpoints::Off, &error);
        QVERIFY2(!token_.isEmpty(), qPrintable(error));
    }
    void cleanup() {
        server_.reset();
        backend_.reset();
    }

    void unloadFinishesBeforeTheCommandStarts() {
        if (python().isEmpty()) QSKIP("no python3 for the stand-in training script");
        loadFakeModel();
        QTemporaryDir dir;
        const QString record = dir.filePath(QStringLiteral("record.json"));
        TrainingLauncher launcher(backend_.get());
        QStringList lines;
        connect(&launcher, &TrainingLauncher::outputLine, this, [&lines](const QString& line, bool err) {
            lines << (err ? QStringLiteral("E:") : QStringLiteral("O:")) + line;
        });
        QSignalSpy finished(&launcher, &TrainingLauncher::finished);
        TrainingJob job;
        job.command_line = quoted(python()) + QLatin1Char(' ') +
                           quoted(QStringLiteral(SAMLABEL_SOURCE_DIR "/tests/service/stand_in_training.py")) + QLatin1Char(' ') +
                           quoted(record);
        job.environment.insert(QStringLiteral("SAMLABEL_URL"), server_->url().toString());
        job.environment.insert(QStringLiteral("SAMLABEL_TOKEN"), token_);
        QString error;
        QVERIFY2(launcher.start(job, &error), qPrintable(error));
        QCOMPARE(launcher.state(), TrainingLauncher::State::Unloading);
        QVERIFY(finished.wait(30000));
        QCOMPARE(launcher.state(), TrainingLauncher::State::Finished);
        QCOMPARE(launcher.exitCode(), 0);

        // The unload's memory figures came through.
        QCOMPARE(launcher.unloadReply().freed_vram_mb, FakeModelBackend::kModelVramMb);
        // Order: the unload completed before the process was started, and
        // the process itself saw no model and the VRAM back at the baseline.
        QFile f(record);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject rec = QJsonDocument::fromJson(f.readAll()).object();
        const qint64 script_started_ms = qint64(rec.value("started_ms").toDouble());
        QVERIFY(launcher.unloadFinishedAtMs() > 0);
        QVERIFY2(backend_->last_unload_finished_at_ms.load() <= launcher.processStartedAtMs(), "unload after start");
        QVERIFY2(backend_->last_unload_finished_at_ms.load() <= script_started_ms + 1, "the script ran before the unload finished");
        const QJsonObject health = rec.value("health").toObject();
        QCOMPARE(health.value("model_loaded").toBool(), false);
        QCOMPARE(health.value("vram_used_mb").toDouble(), FakeModelBackend::kBaselineVramMb);
        QCOMPARE(rec.value("allocated_bytes").toDouble(), 64.0 * 1024 * 1024);
        // Output streamed line by line, stdout and stderr kept apart.
        QVERIFY2(lines.contains(QStringLiteral("O:epoch 1/2 loss 0.91")), qPrintable(lines.join('|')));
        QVERIFY(lines.contains(QStringLiteral("O:epoch 2/2 loss 0.47")));
        QVERIFY(lines.contains(QStringLiteral("E:stand-in: no GPU work here")));
    }

    void vramNotBackMeansNoTraining() {
        loadFakeModel();
        backend_->leakOnUnload(2000.0);  // 300 MB context + 2000 MB still held > 1024 MB limit
        TrainingLauncher launcher(backend_.get());
        QSignalSpy failed(&launcher, &TrainingLauncher::failed);
        TrainingJob job;
        job.command_line = QStringLiteral("this-program-must-never-start");
        QVERIFY(launcher.start(job, nullptr));
        QVERIFY(failed.wait(10000));
        QCOMPARE(launcher.state(), TrainingLauncher::State::Failed);
        QVERIFY2(launcher.failureMessage().contains(QStringLiteral("2300 MB")), qPrintable(launcher.failureMessage()));
        QCOMPARE(launcher.processStartedAtMs(), 0);
    }

    void vramThatCannotBeMeasuredIsNotClaimedBack() {
        // The unload went fine, but this process's VRAM cannot be measured:
        // "the memory came back" cannot be claimed, so nothing starts.
        loadFakeModel();
        backend_->setVramUnmeasurable(true);
        TrainingLauncher launcher(backend_.get());
        QSignalSpy failed(&launcher, &TrainingLauncher::failed);
        QSignalSpy unloaded(&launcher, &TrainingLauncher::unloadFinished);
        TrainingJob job;
        job.command_line = QStringLiteral("this-program-must-never-start");
        QVERIFY(launcher.start(job, nullptr));
        QVERIFY(failed.wait(10000));
        QCOMPARE(launcher.state(), TrainingLauncher::State::Failed);
        QVERIFY2(launcher.failureMessage().contains(QStringLiteral("cannot be measured")), qPrintable(launcher.failureMessage()));
        QCOMPARE(launcher.processStartedAtMs(), 0);
        QCOMPARE(unloaded.count(), 1);
        QVERIFY(!unloaded.at(0).at(0).value<UnloadReply>().vram_measured);
    }

    void commandThatCannotStartFailsClearly() {
        TrainingLauncher launcher(backend_.get());
        QSignalSpy failed(&launcher, &TrainingLauncher::failed);
        TrainingJob job;
        job.command_line = QStringLiteral("/nonexistent/yolo segment train");
        QVERIFY(launcher.start(job, nullptr));
        QVERIFY(failed.wait(10000));
        QVERIFY2(launcher.failureMessage().contains(QStringLiteral("/nonexistent/yolo")), qPrintable(launcher.failureMessage()));
        QString error;
        job.command_line = QStringLiteral("   ");
        QVERIFY(!launcher.start(job, &error));
        QVERIFY(error.contains(QStringLiteral("empty")));
    }

    void cancelStopsTheCommand() {
        if (python().isEmpty()) QSKIP("no python3");
        TrainingLauncher launcher(backend_.get());
        QStringList lines;
        connect(&launcher, &TrainingLauncher::outputLine, this, [&lines](const QString& line, bool) { lines << line; });
        QSignalSpy finished(&launcher, &TrainingLauncher::finished);
        TrainingJob job;
        job.command_line = quoted(python()) + QStringLiteral(" -c \"import time; print('training', flush=True); time.sleep(120)\"");
        job.kill_timeout_ms = 2000;
        QVERIFY(launcher.start(job, nullptr));
        QTRY_VERIFY_WITH_TIMEOUT(lines.contains(QStringLiteral("training")), 20000);
        QElapsedTimer clock;
        clock.start();
        launcher.cancel();
        QVERIFY(finished.wait(10000));
        QVERIFY(clock.elapsed() < 8000);
        QCOMPARE(launcher.state(), TrainingLauncher::State::Cancelled);
        QCOMPARE(finished.first().at(2).toBool(), true);
    }

    // Cancel asks the command to stop as from the console first (SIGTERM; on
    // Windows Ctrl+Break, Python's SIGBREAK), so a trainer can save: it exits
    // by itself, before kill() would come.
    void cancelAsksTheCommandToStopBeforeKilling() {
        if (python().isEmpty()) QSKIP("no python3");
        TrainingLauncher launcher(backend_.get());
        QStringList lines;
        connect(&launcher, &TrainingLauncher::outputLine, this, [&lines](const QString& line, bool) { lines << line; });
        QSignalSpy finished(&launcher, &TrainingLauncher::finished);
        TrainingJob job;
        job.command_line = quoted(python()) +
                           QStringLiteral(" -c \"import signal, sys, time; h = lambda *a: (print('saved', flush=True), sys.exit(0)); "
                                          "signal.signal(signal.SIGTERM, h); "
                                          "[signal.signal(signal.SIGBREAK, h) for _ in [0] if hasattr(signal, 'SIGBREAK')]; "
                                          "print('training', flush=True); [time.sleep(0.1) for _ in range(1200)]\"");
        job.kill_timeout_ms = 15000;
        QVERIFY(launcher.start(job, nullptr));
        QTRY_VERIFY_WITH_TIMEOUT(lines.contains(QStringLiteral("training")), 20000);
        QElapsedTimer clock;
        clock.start();
        launcher.cancel();
        QVERIFY(finished.wait(20000));
        QVERIFY2(clock.elapsed() < job.kill_timeout_ms, "the command was killed, not asked to stop");
        QVERIFY2(lines.contains(QStringLiteral("saved")), qPrintable(lines.join(QLatin1Char('\n'))));
        QCOMPARE(finished.first().at(0).toInt(), 0);      // its own exit
        QCOMPARE(finished.first().at(1).toBool(), false);  // not killed
        QCOMPARE(finished.first().at(2).toBool(), true);   // cancelled
        QCOMPARE(launcher.state(), TrainingLauncher::State::Cancelled);
    }

    void cancelDuringUnloadStartsNothing() {
        loadFakeModel();
        backend_->unload_ms = 300;
        TrainingLauncher launcher(backend_.get());
        QSignalSpy finished(&launcher, &TrainingLauncher::finished);
        TrainingJob job;
        job.command_line = QStringLiteral("this-program-must-never-start");
        QVERIFY(launcher.start(job, nullptr));
        launcher.cancel();
        QVERIFY(finished.wait(10000));
        QCOMPARE(launcher.state(), TrainingLauncher::State::Cancelled);
        QCOMPARE(launcher.processStartedAtMs(), 0);
        QVERIFY(!backend_->status().model_loaded);  // the unload itself completed
    }

    void defaultCommandFollowsTheDataset() {
        QTemporaryDir dir;
        const QString root = dir.filePath(QStringLiteral("my export"));
        write_file(root + "/data.yaml", "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n");
        write_file(root + "/labels/train/a.txt", "");
        write_file(root + "/labels/train/b.txt", "0 0.5 0.5 0.2 0.3\n");
        DatasetInspection d = inspect_yolo_dataset(root);
        QVERIFY2(d.error.isEmpty(), qPrintable(d.error));
        QCOMPARE(d.task, DatasetTask::Detect);
        QCOMPARE(default_training_command(d),
                 QStringLiteral("yolo detect train data=\"%1\"").arg(QDir::toNativeSeparators(root + "/data.yaml")));
        // The command survives QProcess's splitting with the space in the path.
        QCOMPARE(QProcess::splitCommand(default_training_command(d)).last(), QStringLiteral("data=") + root + "/data.yaml");

        write_file(root + "/labels/train/b.txt", "0 0.1 0.1 0.9 0.1 0.5 0.9\n");
        d = inspect_yolo_dataset(root);
        QCOMPARE(d.task, DatasetTask::Segment);
        QVERIFY(default_training_command(d).startsWith(QStringLiteral("yolo segment train data=")));

        const DatasetInspection missing = inspect_yolo_dataset(dir.filePath(QStringLiteral("nothing")));
        QVERIFY(missing.error.contains(QStringLiteral("data.yaml")));
        write_file(root + "/data.yaml", "names: [a, b\n");
        QVERIFY(!inspect_yolo_dataset(root).error.isEmpty());
    }
};

QTEST_MAIN(TestTrainingLauncher)
#include "test_training_launcher.moc"

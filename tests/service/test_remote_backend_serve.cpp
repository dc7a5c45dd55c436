// Remote mode against a `samlabel-cli serve` in another process (the tiny SAM3
// checkpoint, started unloaded): the backend's preflight and load carry their
// options to the server, a refusal reaches the caller as Refused, a folder the
// server was not started with is refused (403) unless it allows any, unload
// acts on the server, and a second client's polls follow both.
#include "core/service/remote_model_backend.h"
#include "tests/wait_future.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <filesystem>

using namespace samlabel;
using namespace samlabel::service;

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const std::filesystem::path kTiny = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";
const std::filesystem::path kDetect224 = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3_detect" / "det224";

// tests/wait_future.h, with this test's time limit unless a call names another.
template <typename T>
T wait_result(QFuture<T> f, int timeout_ms = 60000) {
    return samlabel::future_wait::wait_result(std::move(f), timeout_ms);
}

// The server's own folder: an empty checkpoint_dir.
engine::LoadRequest options(engine::DeviceKind device, engine::WeightDType dtype, std::filesystem::path dir = {}) {
    engine::LoadRequest request;
    request.checkpoint_dir = std::move(dir);
    request.device.kind = device;
    request.dtype = dtype;
    request.parts = engine::PartSet::ClickToSegment;
    return request;
}

}  // namespace

class TestRemoteBackendServe : public QObject {
    Q_OBJECT
    QProcess serve_;
    QUrl url_;
    const QString token_ = QStringLiteral("remote-serve-test-token-0123");

    // Starts serve with ARGS; its URL once it listens.
    QUrl startServe(QProcess& serve, const QStringList& args) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SAMLABEL_TOKEN"), token_);
        serve.setProcessEnvironment(env);
        serve.setProcessChannelMode(QProcess::MergedChannels);
        serve.start(kCli, QStringList{QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--no-load")} + args);
        QString out;
        QElapsedTimer clock;
        clock.start();
        const QRegularExpression listening(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
        while (clock.elapsed() < 60000 && serve.state() != QProcess::NotRunning) {
            serve.waitForReadyRead(100);
            out += QString::fromUtf8(serve.readAll());
            if (const QRegularExpressionMatch m = listening.match(out); m.hasMatch()) return QUrl(m.captured(1));
        }
        qWarning("serve did not start: %s", qPrintable(out));
        return {};
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built (the test depends on it)");
        QVERIFY2(std::filesystem::exists(kTiny / "model.safetensors"), "tests/data/sam3/tiny224 is missing");
        url_ = startServe(serve_, {QStringLiteral("--weights"), QString::fromStdString(kTiny.string())});
        QVERIFY(url_.isValid());
    }
    void cleanupTestCase() {
        if (serve_.state() != QProcess::NotRunning) {
            serve_.terminate();
            if (!serve_.waitForFinished(10000)) serve_.kill();
        }
    }

    void loadWithOptionsAndUnloadActOnTheServer() {
        RemoteModelBackend remote(url_, token_, 100);
        RemoteModelBackend observer(url_, token_, 100);  // another view of the same server (a second GUI)
        std::vector<LoadReply> observed_loads;
        std::vector<UnloadReply> observed_unloads;
        connect(&observer, &ModelBackend::loadFinished, this, [&](const LoadReply& r) { observed_loads.push_back(r); });
        connect(&observer, &ModelBackend::unloaded, this, [&](const UnloadReply& r) { observed_unloads.push_back(r); });
        QTRY_VERIFY_WITH_TIMEOUT(remote.isReachable() && observer.isReachable(), 10000);
        QVERIFY(!remote.status().model_loaded);
        QCOMPARE(remote.whereText(), url_.toString());

        // A refused preflight and load reach the caller as such: nothing loads.
        engine::BudgetSettings impossible;
        impossible.keep_free_ram_bytes = std::uint64_t(1) << 50;
        const PreflightReply refused_preflight = wait_result(remote.preflight(options(engine::DeviceKind::Cpu, engine::WeightDType::F32), impossible));
        QVERIFY2(refused_preflight.ok(), qPrintable(refused_preflight.message));
        QVERIFY(refused_preflight.report && !refused_preflight.report->verdict.fits);
        QVERIFY(!refused_preflight.loadable());
        QVERIFY(refused_preflight.report->estimate.weight_bytes > 0);
        QVERIFY(refused_preflight.report->estimate.device.kind == engine::DeviceKind::Cpu);
        const LoadReply refused = wait_result(remote.load(options(engine::DeviceKind::Cpu, engine::WeightDType::F32), impossible));
        QCOMPARE(refused.error, BackendError::Refused);
        QVERIFY(!refused.message.isEmpty());

        const PreflightReply fits = wait_result(remote.preflight(options(engine::DeviceKind::Cpu, engine::WeightDType::F32), {}));
        QVERIFY2(fits.loadable(), qPrintable(fits.message));

        // Options reach the server: bf16 where serve's default would be fp32.
        const LoadReply loaded = wait_result(remote.load(options(engine::DeviceKind::Cpu, engine::WeightDType::BF16), {}));
        QVERIFY2(loaded.ok(), qPrintable(loaded.message));
        QCOMPARE(loaded.dtype, QStringLiteral("bfloat16"));
        QCOMPARE(loaded.parts, QStringLiteral("click"));
        QVERIFY(loaded.peak_rss_mb > 0.0);
#ifdef Q_OS_LINUX
        QVERIFY(!loaded.peak_rss_sampled);  // Linux resets VmHWM before the load: the OS's own peak
#endif
        QTRY_VERIFY_WITH_TIMEOUT(remote.status().model_loaded, 5000);
        QCOMPARE(remote.status().dtype, QStringLiteral("bfloat16"));
        // The other client sees the load through its polls.
        QTRY_COMPARE_WITH_TIMEOUT(int(observed_loads.size()), 1, 5000);
        QCOMPARE(observed_loads[0].dtype, QStringLiteral("bfloat16"));

        // Another folder on the server: refused, and the message says how to allow it.
        const LoadReply forbidden = wait_result(remote.load(options(engine::DeviceKind::Cpu, engine::WeightDType::F32, kDetect224), {}));
        QVERIFY(!forbidden.ok());
        QVERIFY2(forbidden.message.contains(QStringLiteral("--allow-load-any-weights")), qPrintable(forbidden.message));
        QVERIFY(remote.status().model_loaded);  // the model is untouched

        const UnloadReply unloaded = wait_result(remote.unload());
        QVERIFY2(unloaded.ok(), qPrintable(unloaded.message));
        QVERIFY(unloaded.was_loaded);
        QCOMPARE(unloaded.device, QStringLiteral("cpu"));
        QTRY_VERIFY_WITH_TIMEOUT(!remote.status().model_loaded, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(int(observed_unloads.size()), 1, 5000);
        QCOMPARE(int(observed_loads.size()), 1);  // nothing reported twice
    }

    void aServerThatAllowsAnyFolderLoadsIt() {
        QProcess serve;
        const QUrl url = startServe(serve, {QStringLiteral("--allow-load-any-weights")});  // no folder of its own
        QVERIFY(url.isValid());
        RemoteModelBackend remote(url, token_, 100);
        const LoadReply loaded = wait_result(remote.load(options(engine::DeviceKind::Cpu, engine::WeightDType::F32, kTiny), {}));
        QVERIFY2(loaded.ok(), qPrintable(loaded.message));
        QVERIFY(loaded.model_path.endsWith(QStringLiteral("tiny224")));
        serve.terminate();
        QVERIFY(serve.waitForFinished(10000));
    }
};

QTEST_GUILESS_MAIN(TestRemoteBackendServe)
#include "test_remote_backend_serve.moc"

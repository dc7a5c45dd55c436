// Every door of samlabel-cli that loads SAM3 runs the memory preflight, and its
// refusal reaches the caller: segment, detect, autolabel, load, check-memory and
// serve (at start, and POST /api/v1/load on a running serve), each run on the
// tiny committed checkpoints with a RAM budget no machine has (keep 100000 GiB
// free) must end with exit 3 (409 "refused" for the API) and the verdict's text,
// having done nothing (no mask, no detections, no model loaded); and the same
// command with a budget that fits must succeed, so the refusal is the budget's
// doing and not a broken command.
#include "tests/service/http_test_client.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const QString kTiny = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");
const QString kDetect = QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224");
const QString kToken = QStringLiteral("preflight-doors-token-0123456789");

// Keep 100000 GiB of RAM free: parse_gib takes up to 1e6 GiB, no machine has this much.
const QStringList kImpossible{QStringLiteral("--ram-budget"), QStringLiteral("100000")};
// Keep 0.25 GiB free: the tiny checkpoints need a few hundred MiB.
const QStringList kSane{QStringLiteral("--ram-budget"), QStringLiteral("0.25")};
const QStringList kCpuFp32{QStringLiteral("--device"), QStringLiteral("cpu"), QStringLiteral("--dtype"), QStringLiteral("fp32")};

struct Run {
    int exit_code = -1;
    QString out, err;
    QString both() const { return out + QStringLiteral("\n--- stderr:\n") + err; }
};

using Answer = samlabel::service::testing::HttpResult;

}  // namespace

class TestCliPreflightDoors : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    QProcessEnvironment env() const {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("SAMLABEL_CACHE"), tmp_.filePath(QStringLiteral("cache")));
        e.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("2"));
        for (const char* v : {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT",
                              "SAMLABEL_TOKEN", "SAMLABEL_URL"})
            e.remove(QString::fromLatin1(v));
        return e;
    }

    Run run(const QStringList& args) const {
        QProcess p;
        p.setProcessEnvironment(env());
        p.start(kCli, args);
        Run r;
        if (!p.waitForFinished(180000)) {
            p.kill();
            p.waitForFinished();
            r.err = QStringLiteral("timed out");
            return r;
        }
        r.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    // The preflight's refusal as every command tells it: exit 3, the verdict
    // (which names the budget) and its suggestion on stderr.
    static void verifyRefusedByTheBudget(const Run& r, const QString& command) {
        QVERIFY2(r.exit_code == 3, qPrintable(r.both()));
        QVERIFY2(r.err.contains(QStringLiteral("samlabel-cli ") + command + QStringLiteral(": refused by the memory preflight: Refused: SAM3")),
                 qPrintable(r.both()));
        QVERIFY2(r.err.contains(QStringLiteral("minus 100000.00 GiB to keep free")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("lower 'keep RAM free' by")), qPrintable(r.err));
    }

    // A project folder with one image, for autolabel.
    QString projectFolder(const QString& name) const {
        const QString dir = tmp_.filePath(name);
        if (!QDir().mkpath(dir) || !QFile::copy(kDetect + QStringLiteral("/blobs_200x150.png"), dir + QStringLiteral("/blobs.png")))
            return {};
        return dir;
    }

    // `samlabel-cli serve ARGS --port 0 --token T`, read until `until` is printed or it exits.
    static QString startServe(QProcess& serve, const QStringList& args, const QString& until) {
        serve.setProcessChannelMode(QProcess::SeparateChannels);
        serve.start(kCli, QStringList{QStringLiteral("serve")} + args +
                              QStringList{QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--token"), kToken});
        if (!serve.waitForStarted(10000)) return {};
        QString out;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 60000 && !out.contains(until)) {
            serve.waitForReadyRead(200);
            out += QString::fromUtf8(serve.readAllStandardOutput());
            if (serve.state() == QProcess::NotRunning) break;
        }
        return out;
    }

    static void stop(QProcess& serve) {
        if (serve.state() == QProcess::NotRunning) return;
        serve.terminate();
        if (!serve.waitForFinished(10000)) {
            serve.kill();
            serve.waitForFinished();
        }
    }

    // tests/service/http_test_client.h's http_call, with two minutes for a load.
    static Answer call(const QString& url, const QByteArray& method) {
        QNetworkAccessManager nam;
        return samlabel::service::testing::http_call(nam, method, QUrl(url), kToken.toLatin1(), {}, 120000);
    }

    static QString listeningUrl(const QString& out) {
        return QRegularExpression(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)")).match(out).captured(1);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built");
        QVERIFY(tmp_.isValid());
        QVERIFY(QFile::exists(kTiny + QStringLiteral("/model.safetensors")));
        QVERIFY(QFile::exists(kDetect + QStringLiteral("/model.safetensors")));
    }

    void segment() {
        const QString image = kTiny + QStringLiteral("/blobs_200x150.png");
        const QString refused_mask = tmp_.filePath(QStringLiteral("refused.png"));
        const QStringList args = QStringList{QStringLiteral("segment"), kTiny, image, QStringLiteral("--point"), QStringLiteral("100,75")} + kCpuFp32;
        const Run refused = run(args + kImpossible + QStringList{QStringLiteral("--out"), refused_mask});
        verifyRefusedByTheBudget(refused, QStringLiteral("segment"));
        if (QTest::currentTestFailed()) return;
        QVERIFY2(!QFile::exists(refused_mask), "a refused segment wrote a mask");

        const QString mask = tmp_.filePath(QStringLiteral("mask.png"));
        const Run ok = run(args + kSane + QStringList{QStringLiteral("--out"), mask});
        QVERIFY2(ok.exit_code == 0, qPrintable(ok.both()));
        QVERIFY(QFile::exists(mask));
    }

    void detect() {
        const QString image = kDetect + QStringLiteral("/blobs_200x150.png");
        const QString refused_dir = tmp_.filePath(QStringLiteral("refused-detections"));
        const QStringList args = QStringList{QStringLiteral("detect"), kDetect, image, QStringLiteral("--text"), QStringLiteral("red car")} + kCpuFp32;
        const Run refused = run(args + kImpossible + QStringList{QStringLiteral("--out"), refused_dir});
        verifyRefusedByTheBudget(refused, QStringLiteral("detect"));
        if (QTest::currentTestFailed()) return;
        QVERIFY2(!QFile::exists(refused_dir + QStringLiteral("/detections.json")), "a refused detect wrote detections");

        const QString out_dir = tmp_.filePath(QStringLiteral("detections"));
        const Run ok = run(args + kSane + QStringList{QStringLiteral("--out"), out_dir});
        QVERIFY2(ok.exit_code == 0, qPrintable(ok.both()));
        QVERIFY(QFile::exists(out_dir + QStringLiteral("/detections.json")));
    }

    void autolabel() {
        const QStringList model = QStringList{QStringLiteral("--weights"), kDetect, QStringLiteral("--class"), QStringLiteral("car=red car"),
                                              QStringLiteral("--threshold"), QStringLiteral("0.3")} + kCpuFp32;
        const QString refused_project = projectFolder(QStringLiteral("refused-project"));
        QVERIFY(!refused_project.isEmpty());
        const Run refused = run(QStringList{QStringLiteral("autolabel"), refused_project} + model + kImpossible);
        verifyRefusedByTheBudget(refused, QStringLiteral("autolabel"));
        if (QTest::currentTestFailed()) return;
        QVERIFY2(!QFile::exists(refused_project + QStringLiteral("/samlabel-project.json")), "a refused autolabel merged into the project");

        const QString project = projectFolder(QStringLiteral("project"));
        QVERIFY(!project.isEmpty());
        const Run ok = run(QStringList{QStringLiteral("autolabel"), project} + model + kSane);
        QVERIFY2(ok.exit_code == 0, qPrintable(ok.both()));
        QVERIFY2(QFile::exists(project + QStringLiteral("/samlabel-project.json")), qPrintable(ok.both()));
    }

    void load() {
        const QStringList args = QStringList{QStringLiteral("load"), kTiny} + kCpuFp32;
        const Run refused = run(args + kImpossible);
        verifyRefusedByTheBudget(refused, QStringLiteral("load"));
        if (QTest::currentTestFailed()) return;
        QVERIFY2(!refused.out.contains(QStringLiteral("loaded:")), qPrintable(refused.out));

        const Run ok = run(args + kSane);
        QVERIFY2(ok.exit_code == 0, qPrintable(ok.both()));
        QVERIFY2(ok.out.contains(QStringLiteral("loaded: cpu float32")), qPrintable(ok.out));
    }

    // Not a load, but the same preflight: the verdict alone (no command prefix).
    void checkMemory() {
        const QStringList args = QStringList{QStringLiteral("check-memory"), kTiny} + kCpuFp32;
        const Run refused = run(args + kImpossible);
        QVERIFY2(refused.exit_code == 3, qPrintable(refused.both()));
        QVERIFY2(refused.err.contains(QStringLiteral("Refused: SAM3")) && refused.err.contains(QStringLiteral("minus 100000.00 GiB to keep free")),
                 qPrintable(refused.err));
        const Run ok = run(args + kSane);
        QVERIFY2(ok.exit_code == 0, qPrintable(ok.both()));
        QVERIFY2(ok.out.contains(QStringLiteral("Fits: SAM3")), qPrintable(ok.out));
    }

    // serve loads at start: a refusal ends it with exit 3 and the verdict.
    void serveAtStart() {
        QProcess refused;
        refused.setProcessEnvironment(env());
        const QString out = startServe(refused, QStringList{QStringLiteral("--weights"), kTiny} + kCpuFp32 + kImpossible, QStringLiteral("ready"));
        // startServe returns once serve has exited (or after a minute, when it never does).
        const bool exited = refused.state() == QProcess::NotRunning || refused.waitForFinished(60000);
        if (!exited) stop(refused);
        QVERIFY2(exited, qPrintable(out));
        const QString err = QString::fromUtf8(refused.readAllStandardError());
        QVERIFY2(refused.exitCode() == 3, qPrintable(out + err));
        QVERIFY2(!out.contains(QStringLiteral("ready")), qPrintable(out));
        QVERIFY2(err.contains(QStringLiteral("samlabel-cli serve: refused: Refused: SAM3")) &&
                     err.contains(QStringLiteral("minus 100000.00 GiB to keep free")),
                 qPrintable(err));

        QProcess ok;
        ok.setProcessEnvironment(env());
        const QString ready = startServe(ok, QStringList{QStringLiteral("--weights"), kTiny} + kCpuFp32 + kSane, QStringLiteral("ready"));
        const bool was_ready = ready.contains(QStringLiteral("ready"));
        stop(ok);
        QVERIFY2(was_ready, qPrintable(ready + QString::fromUtf8(ok.readAllStandardError())));
    }

    // The control API's door: POST /api/v1/load on a serve started unloaded
    // answers 409 "refused" with the verdict, and the model stays unloaded.
    void serveApiLoad() {
        QProcess refused;
        refused.setProcessEnvironment(env());
        const QStringList unloaded = QStringList{QStringLiteral("--weights"), kTiny, QStringLiteral("--no-load")} + kCpuFp32;
        const QString out = startServe(refused, unloaded + kImpossible, QStringLiteral("listening on"));
        const QString url = listeningUrl(out);
        if (url.isEmpty()) stop(refused);
        QVERIFY2(!url.isEmpty(), qPrintable(out + QString::fromUtf8(refused.readAllStandardError())));
        const Answer load = call(url + QStringLiteral("/api/v1/load"), "POST");
        const Answer health = call(url + QStringLiteral("/health"), "GET");
        stop(refused);
        QVERIFY2(load.status == 409, qPrintable(QString::number(load.status) + QJsonDocument(load.json).toJson()));
        QCOMPARE(load.json.value(QStringLiteral("error")).toString(), QStringLiteral("refused"));
        const QString message = load.json.value(QStringLiteral("message")).toString();
        QVERIFY2(message.startsWith(QStringLiteral("Refused: SAM3")) && message.contains(QStringLiteral("minus 100000.00 GiB to keep free")),
                 qPrintable(message));
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json.value(QStringLiteral("model_loaded")).toBool(), false);

        QProcess ok;
        ok.setProcessEnvironment(env());
        const QString ok_out = startServe(ok, unloaded + kSane, QStringLiteral("listening on"));
        const QString ok_url = listeningUrl(ok_out);
        if (ok_url.isEmpty()) stop(ok);
        QVERIFY2(!ok_url.isEmpty(), qPrintable(ok_out));
        const Answer loaded = call(ok_url + QStringLiteral("/api/v1/load"), "POST");
        stop(ok);
        QVERIFY2(loaded.status == 200, qPrintable(QString::number(loaded.status) + QJsonDocument(loaded.json).toJson()));
        QCOMPARE(loaded.json.value(QStringLiteral("status")).toString(), QStringLiteral("loaded"));
    }
};

QTEST_GUILESS_MAIN(TestCliPreflightDoors)
#include "test_cli_preflight_doors.moc"

// samlabel-cli serve / health / unload as a script would use them: serve the
// tiny SAM3 checkpoint on a free loopback port, then health (loaded), unload
// (exit 0 once freed), health (not loaded), a wrong token (exit 1 with the
// reason), a server that is not there (exit 1), and SIGTERM and Ctrl+C
// (SIGINT) stopping serve cleanly (exit 0, "stopping", not killed).
// Then `serve --parts detect` on the tiny detection checkpoint answers
// POST /api/v1/detect.
#include "tests/service/http_test_client.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

#ifdef Q_OS_UNIX
#include <csignal>
#endif

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const QString kTiny = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");
const QString kDetect224 = QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224");

struct Run {
    int exit_code = -1;
    QString out;
    QString err;
};

Run run_cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(kCli, args);
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exit_code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// Starts `samlabel-cli serve ARGS --port 0 --token TOKEN` and waits for "ready"; the URL it listens on, or empty.
QString start_serve(QProcess& serve, const QStringList& args, const QString& token, QString* out) {
    serve.setProcessChannelMode(QProcess::SeparateChannels);
    serve.start(kCli, QStringList{QStringLiteral("serve")} + args + QStringList{QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--token"), token});
    if (!serve.waitForStarted(10000)) return {};
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 60000 && !out->contains(QStringLiteral("ready"))) {
        serve.waitForReadyRead(200);
        *out += QString::fromUtf8(serve.readAllStandardOutput());
        if (serve.state() == QProcess::NotRunning) break;
    }
    if (!out->contains(QStringLiteral("ready"))) {
        *out += QString::fromUtf8(serve.readAllStandardError());
        return {};
    }
    return QRegularExpression(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)")).match(*out).captured(1);
}

// tests/service/http_test_client.h's http_call, with this test's minute per call.
using Answer = samlabel::service::testing::HttpResult;

Answer post_json(const QString& url, const QString& token, const QJsonObject& body) {
    QNetworkAccessManager nam;
    return samlabel::service::testing::http_call(nam, "POST", QUrl(url), token.toLatin1(),
                                                 QJsonDocument(body).toJson(QJsonDocument::Compact), 60000);
}

Answer get_json(const QString& url, const QString& token) {
    QNetworkAccessManager nam;
    return samlabel::service::testing::http_call(nam, "GET", QUrl(url), token.toLatin1(), {}, 60000);
}

}  // namespace

class TestServeCli : public QObject {
    Q_OBJECT
    QProcess serve_;
    QString url_;
    const QString token_ = QStringLiteral("test-token-0123456789");
    QString serve_out_;

private Q_SLOTS:
    void initTestCase() {
        if (!QFile::exists(kCli)) QSKIP("samlabel-cli is not built");
        if (!std::filesystem::exists(std::filesystem::path(kTiny.toStdString()) / "model.safetensors")) QSKIP("no tiny checkpoint");
        serve_.setProcessChannelMode(QProcess::SeparateChannels);
        serve_.start(kCli, {QStringLiteral("serve"), QStringLiteral("--weights"), kTiny, QStringLiteral("--device"), QStringLiteral("cpu"),
                            QStringLiteral("--dtype"), QStringLiteral("fp32"), QStringLiteral("--port"), QStringLiteral("0"),
                            QStringLiteral("--token"), token_});
        QVERIFY(serve_.waitForStarted(10000));
        // Wait for "listening on http://127.0.0.1:PORT" and "ready".
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 60000 && !serve_out_.contains(QStringLiteral("ready"))) {
            serve_.waitForReadyRead(200);
            serve_out_ += QString::fromUtf8(serve_.readAllStandardOutput());
            if (serve_.state() == QProcess::NotRunning) break;
        }
        QVERIFY2(serve_out_.contains(QStringLiteral("ready")), qPrintable(serve_out_ + QString::fromUtf8(serve_.readAllStandardError())));
        const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)")).match(serve_out_);
        QVERIFY2(m.hasMatch(), qPrintable(serve_out_));
        url_ = m.captured(1);
    }
    void cleanupTestCase() {
        if (serve_.state() != QProcess::NotRunning) {
            serve_.kill();
            serve_.waitForFinished(5000);
        }
    }

    void healthUnloadHealth() {
        Run h = run_cli({QStringLiteral("health"), QStringLiteral("--url"), url_, QStringLiteral("--token"), token_});
        QCOMPARE(h.exit_code, 0);
        QVERIFY2(h.out.contains(QStringLiteral("model loaded")), qPrintable(h.out));
        QVERIFY(h.out.contains(QStringLiteral("on cpu, float32")));
        QVERIFY2(h.out.contains(QStringLiteral("parts click\n")), qPrintable(h.out));  // serve's default: click-to-segment

        // The token from the environment, as in the README snippet.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SAMLABEL_TOKEN"), token_);
        env.insert(QStringLiteral("SAMLABEL_URL"), url_);
        Run u = run_cli({QStringLiteral("unload")}, env);
        QCOMPARE(u.exit_code, 0);
        QVERIFY2(u.out.contains(QStringLiteral("unloaded in")), qPrintable(u.out + u.err));

        Run h2 = run_cli({QStringLiteral("health"), QStringLiteral("--json")}, env);
        QCOMPARE(h2.exit_code, 0);
        const QJsonObject j = QJsonDocument::fromJson(h2.out.toUtf8()).object();
        QCOMPARE(j.value("model_loaded").toBool(), false);
        QCOMPARE(j.value("state").toString(), QStringLiteral("unloaded"));

        Run again = run_cli({QStringLiteral("unload")}, env);
        QCOMPARE(again.exit_code, 0);
        QVERIFY(again.out.contains(QStringLiteral("nothing to free")));
    }

    void failuresExitNonZeroWithTheReason() {
        Run wrong = run_cli({QStringLiteral("unload"), QStringLiteral("--url"), url_, QStringLiteral("--token"), QStringLiteral("nope")});
        QCOMPARE(wrong.exit_code, 1);
        QVERIFY2(wrong.err.contains(QStringLiteral("HTTP 401")), qPrintable(wrong.err));
        QVERIFY(wrong.err.contains(QStringLiteral("wrong token")));

        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const QString nowhere = QStringLiteral("http://127.0.0.1:%1").arg(probe.serverPort());
        probe.close();
        Run down = run_cli({QStringLiteral("health"), QStringLiteral("--url"), nowhere, QStringLiteral("--token"), token_});
        QCOMPARE(down.exit_code, 1);
        QVERIFY2(down.err.contains(QStringLiteral("cannot reach")), qPrintable(down.err));

        Run usage = run_cli({QStringLiteral("health"), QStringLiteral("--url"), QStringLiteral("ftp://x"), QStringLiteral("--token"), token_});
        QCOMPARE(usage.exit_code, 2);
        Run no_weights = run_cli({QStringLiteral("serve")});
        QCOMPARE(no_weights.exit_code, 2);
        QVERIFY(no_weights.err.contains(QStringLiteral("--weights")));
    }

    void serveDetectParts() {
        Run help = run_cli({QStringLiteral("serve"), QStringLiteral("--help")});
        QCOMPARE(help.exit_code, 0);
        QVERIFY2(help.out.contains(QStringLiteral("--parts click|detect|click+detect")), qPrintable(help.out));
        QVERIFY(help.out.contains(QStringLiteral("/api/v1/detect")));
        Run bad = run_cli({QStringLiteral("serve"), QStringLiteral("--weights"), kDetect224, QStringLiteral("--parts"), QStringLiteral("text")});
        QCOMPARE(bad.exit_code, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("--parts")), qPrintable(bad.err));

        QVERIFY2(QFile::exists(kDetect224 + QStringLiteral("/model.safetensors")), "tests/data/sam3_detect/det224 is missing");
        QProcess serve;
        QString out;
        const QString url = start_serve(serve,
                                        {QStringLiteral("--weights"), kDetect224, QStringLiteral("--device"), QStringLiteral("cpu"),
                                         QStringLiteral("--dtype"), QStringLiteral("fp32"), QStringLiteral("--parts"), QStringLiteral("detect")},
                                        token_, &out);
        QVERIFY2(!url.isEmpty(), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("parts: detect")), qPrintable(out));
        QFile png(kDetect224 + QStringLiteral("/blobs_200x150.png"));
        QVERIFY(png.open(QIODevice::ReadOnly));
        const Answer a = post_json(url + QStringLiteral("/api/v1/detect"), token_,
                                   {{"image_base64", QString::fromLatin1(png.readAll().toBase64())}, {"text", "red car"}});
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json.value("width").toInt(), 200);
        QVERIFY(!a.json.value("detections").toArray().isEmpty());
        QVERIFY(!a.json.value("detections").toArray()[0].toObject().value("mask_png_base64").toString().isEmpty());
        // /api/v1/load keeps the parts: unload, load, detect again.
        QCOMPARE(post_json(url + QStringLiteral("/api/v1/unload"), token_, {}).status, 200);
        const Answer load = post_json(url + QStringLiteral("/api/v1/load"), token_, {});
        QCOMPARE(load.status, 200);
        QCOMPARE(load.json.value("parts").toString(), QStringLiteral("detect"));
        serve.terminate();
        QVERIFY(serve.waitForFinished(20000));
        QCOMPARE(serve.exitCode(), 0);
    }

    // POST /api/v1/runtime-settings on a real serve: refused without the flag;
    // with it, the new settings are what /health reads back from the model's
    // caches and idle timer, and the new idle delay unloads the model.
    void runtimeSettingsOfARunningServe() {
        const Answer refused = post_json(url_ + QStringLiteral("/api/v1/runtime-settings"), token_,
                                         {{"converted_weights", QJsonObject{{"dir", ""}, {"budget_mb", 1}}}});
        QCOMPARE(refused.status, 403);
        QVERIFY2(refused.json.value("message").toString().contains(QStringLiteral("--allow-runtime-settings")),
                 qPrintable(refused.json.value("message").toString()));
        Run help = run_cli({QStringLiteral("serve"), QStringLiteral("--help")});
        QVERIFY2(help.out.contains(QStringLiteral("--allow-runtime-settings")) && help.out.contains(QStringLiteral("/api/v1/runtime-settings")),
                 qPrintable(help.out));
        Run no_dir = run_cli({QStringLiteral("serve"), QStringLiteral("--no-load"), QStringLiteral("--converted-weights"), QString()});
        QCOMPARE(no_dir.exit_code, 2);
        QVERIFY2(no_dir.err.contains(QStringLiteral("--converted-weights wants a folder or 'off'")), qPrintable(no_dir.err));
        Run bad_budget = run_cli({QStringLiteral("serve"), QStringLiteral("--no-load"), QStringLiteral("--converted-weights-budget-mb"),
                                  QStringLiteral("-1")});
        QCOMPARE(bad_budget.exit_code, 2);
        QVERIFY2(bad_budget.err.contains(QStringLiteral("--converted-weights-budget-mb wants a whole number")), qPrintable(bad_budget.err));

        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        QProcess serve;
        QString out;
        const QString url = start_serve(serve,
                                        {QStringLiteral("--weights"), kTiny, QStringLiteral("--device"), QStringLiteral("cpu"),
                                         QStringLiteral("--dtype"), QStringLiteral("fp32"), QStringLiteral("--allow-runtime-settings"),
                                         QStringLiteral("--embedding-cache-mb"), QStringLiteral("100"), QStringLiteral("--converted-weights"),
                                         QStringLiteral("off"), QStringLiteral("--converted-weights-budget-mb"), QStringLiteral("64")},
                                        token_, &out);
        QVERIFY2(!url.isEmpty(), qPrintable(out));
        // The command line's settings, read back.
        const QJsonObject started = get_json(url + QStringLiteral("/health"), token_).json.value("settings").toObject();
        QCOMPARE(started.value("runtime").toObject().value("embedding_cache_mb").toInt(), 100);
        QCOMPARE(started.value("runtime").toObject().value("auto_unload_after_ms").toInt(), 0);
        QCOMPARE(started.value("converted_weights").toObject().value("dir").toString(), QString());
        QCOMPARE(started.value("converted_weights").toObject().value("budget_mb").toInt(), 64);

        const QString disk = tmp.filePath(QStringLiteral("embeddings"));
        const QString converted = tmp.filePath(QStringLiteral("converted"));
        const QJsonObject runtime{{"embedding_cache_mb", 300}, {"disk_cache_dir", disk}, {"auto_unload_after_ms", 1500},
                                  {"encode_keep_free_ram_mb", 0}, {"encode_max_vram_mb", 0}};
        const QJsonObject converted_settings{{"dir", converted}, {"budget_mb", 512}};
        const Answer bad = post_json(url + QStringLiteral("/api/v1/runtime-settings"), token_,
                                     {{"converted_weights", QJsonObject{{"dir", "relative/dir"}, {"budget_mb", 512}}}});
        QCOMPARE(bad.status, 400);
        QVERIFY2(bad.json.value("message").toString().contains(QStringLiteral("\"converted_weights.dir\"")),
                 qPrintable(bad.json.value("message").toString()));
        const Answer applied = post_json(url + QStringLiteral("/api/v1/runtime-settings"), token_,
                                         {{"runtime", runtime}, {"converted_weights", converted_settings}});
        QCOMPARE(applied.status, 200);
        const QJsonObject now = get_json(url + QStringLiteral("/health"), token_).json.value("settings").toObject();
        QCOMPARE(now.value("runtime").toObject(), runtime);
        QCOMPARE(now.value("converted_weights").toObject(), converted_settings);
        QCOMPARE(applied.json.value("settings").toObject(), now);

        // The new idle delay (none before) unloads the model by itself.
        QTRY_VERIFY_WITH_TIMEOUT(!get_json(url + QStringLiteral("/health"), token_).json.value("model_loaded").toBool(), 15000);
        serve.terminate();
        QVERIFY(serve.waitForFinished(20000));
        QCOMPARE(serve.exitCode(), 0);
    }

    void sigtermStopsServe() {
#ifdef Q_OS_UNIX
        serve_.terminate();
        QVERIFY(serve_.waitForFinished(20000));
        QCOMPARE(serve_.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve_.exitCode(), 0);
        const QString out = QString::fromUtf8(serve_.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("samlabel-cli serve: stopping (terminate)")), qPrintable(out));
#endif
    }

    // Ctrl+C in the terminal: a loaded server stops cleanly (the model is
    // unloaded on the way out), not killed by the signal.
    void sigintStopsServeCleanly() {
#ifdef Q_OS_UNIX
        QProcess serve;
        QString out;
        const QString url = start_serve(serve,
                                        {QStringLiteral("--weights"), kTiny, QStringLiteral("--device"), QStringLiteral("cpu"),
                                         QStringLiteral("--dtype"), QStringLiteral("fp32")},
                                        token_, &out);
        QVERIFY2(!url.isEmpty(), qPrintable(out));
        QCOMPARE(::kill(pid_t(serve.processId()), SIGINT), 0);
        QVERIFY(serve.waitForFinished(20000));
        QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.exitCode(), 0);
        out += QString::fromUtf8(serve.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("samlabel-cli serve: stopping (interrupt)")), qPrintable(out));
#endif
    }
};

QTEST_MAIN(TestServeCli)
#include "test_serve_cli.moc"

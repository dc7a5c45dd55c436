// samlabel-cli serve / health / unload as a script would use them: serve the
// tiny SAM3 checkpoint on a free loopback port, then health (loaded), unload
// (exit 0 once freed), health (not loaded), a wrong token (exit 1 with the
// reason), a server that is not there (exit 1), and SIGTERM stopping serve.
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QtTest>

#include <filesystem>

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const QString kTiny = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");

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

    void sigtermStopsServe() {
#ifdef Q_OS_UNIX
        serve_.terminate();
        QVERIFY(serve_.waitForFinished(20000));
        QCOMPARE(serve_.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve_.exitCode(), 0);
#endif
    }
};

QTEST_MAIN(TestServeCli)
#include "test_serve_cli.moc"

// Every samlabel-cli command with user paths that are not ASCII and hold
// spaces and an apostrophe ("données d'été 数据/..."), for its inputs and its
// outputs: each must succeed, read what it was given and write where it was
// asked, naming the paths intact (UTF-8) in what it prints.
//
// On Linux a path is bytes, so this proves the commands carry the bytes
// through unchanged; the Windows failure it guards against (path::string() /
// path(std::string) in the ANSI code page) is kept out by the helpers
// (core/io/utf8_path.h, core/engine/utf8_path.h), which the platform checks
// run under wine, and by test_no_narrow_path_strings (a source check).
// The last case compares the commands run here with `samlabel-cli --help`, so
// a new command without a case here fails this test.
#include "core/annotation/project.h"
#include "core/annotation/project_file.h"
#include "core/io/utf8_path.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <vector>

using namespace samlabel;

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const QString kTiny = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");
const QString kDetect = QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224");
const QString kToken = QStringLiteral("utf8-test-token-0123456789");

struct Run {
    int exit_code = -1;
    QString out, err;
    QString both() const { return out + QStringLiteral("\n--- stderr:\n") + err; }
};

QByteArray read_bytes(const QString& file) {
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void copy_files(const QString& from, const QString& to, const QStringList& names) {
    QVERIFY(QDir().mkpath(to));
    for (const QString& name : names) QVERIFY2(QFile::copy(from + "/" + name, to + "/" + name), qPrintable(from + "/" + name));
}

// Width and height of a PNG file, read through its bytes.
QSize png_size(const QString& file) {
    const QByteArray bytes = read_bytes(file);
    const cv::Mat m = cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())), cv::IMREAD_UNCHANGED);
    return m.empty() ? QSize() : QSize(m.cols, m.rows);
}

QStringList files_under(const QString& dir) {
    QStringList out;
    for (QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) out << it.next();
    return out;
}

}  // namespace

class TestCliUtf8Paths : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString root_;     // .../données d'été 数据
    QString tiny_;     // the click checkpoint there
    QString detect_;   // the detection checkpoint there
    QString images_;   // two images and the project file
    QString project_;  // images_/projet été.json
    QString cache_;    // SAMLABEL_CACHE: converted weights land here
    QSet<QString> covered_;
    QProcess serve_;

    QProcessEnvironment env() const {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("SAMLABEL_CACHE"), cache_);
        for (const char* v : {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT",
                              "SAMLABEL_TOKEN", "SAMLABEL_URL"})
            e.remove(QString::fromLatin1(v));
        e.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("2"));
        return e;
    }

    Run run(const QStringList& args, int timeout_ms = 180000) {
        covered_.insert(args.front());
        QProcess p;
        p.setProcessEnvironment(env());
        p.start(kCli, args);
        Run r;
        if (!p.waitForFinished(timeout_ms)) {
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

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built");
        QVERIFY(tmp_.isValid());
        root_ = tmp_.path() + QStringLiteral("/données d'été 数据");
        tiny_ = root_ + QStringLiteral("/poids sam3 été");
        detect_ = root_ + QStringLiteral("/détection 检测 模型");
        images_ = root_ + QStringLiteral("/images à l'ombre");
        project_ = images_ + QStringLiteral("/projet été.json");
        cache_ = root_ + QStringLiteral("/cache des poids");
        copy_files(kTiny, tiny_, {"config.json", "model.safetensors", "processor_config.json"});
        copy_files(kDetect, detect_, {"config.json", "model.safetensors", "processor_config.json", "tokenizer.json", "tokenizer_config.json"});
        if (QTest::currentTestFailed()) return;
        QVERIFY(QDir().mkpath(images_));
        QVERIFY(QFile::copy(kDetect + "/blobs_200x150.png", images_ + QStringLiteral("/photo été 1.png")));
        QVERIFY(QFile::copy(kDetect + "/stripes_173x260.png", images_ + QStringLiteral("/rayures 条纹 2.png")));

        // A project with one hand-drawn instance, so exports have labels.
        annotation::Project p;
        const auto car = p.add_class("car", 0xff0000);
        annotation::Instance mine;
        mine.id = p.allocate_instance_id();
        mine.class_id = car;
        mine.polygons = {annotation::PolygonWithHoles{{{20, 20}, {120, 20}, {120, 90}, {20, 90}}, {}}};
        mine.created_ms = mine.modified_ms = 1234;
        p.ensure_image("photo été 1.png").instances.push_back(mine);
        p.ensure_image("photo été 1.png").status = annotation::ImageStatus::Done;
        annotation::save_project_file(io::path_from_utf8(project_.toStdString()), p);
        QVERIFY(QFile::exists(project_));
    }

    void version() {
        const Run r = run({"version"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
    }

    void info() {
        const Run r = run({"info", tiny_});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
        QVERIFY2(r.out.contains(QStringLiteral("checkpoint ") + tiny_ + "\n"), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("file model.safetensors")), qPrintable(r.out));
    }

    void check_memory() {
        const Run r = run({"check-memory", detect_, "--device", "cpu", "--dtype", "fp32", "--parts", "click+detect"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
    }

    void load_writes_the_converted_weights_under_a_non_ascii_cache() {
        // bf16 on the CPU converts the fp32 file and caches the result under SAMLABEL_CACHE.
        const Run r = run({"load", tiny_, "--device", "cpu", "--dtype", "bf16", "--encode", "64x48"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
        QVERIFY2(r.out.contains(QStringLiteral("converted weights cached in ") + cache_ + "/converted-weights/"), qPrintable(r.out));
        QStringList cached;
        for (const QString& f : files_under(cache_))
            if (f.endsWith(QStringLiteral(".safetensors"))) cached << f;
        QCOMPARE(cached.size(), 1);
        // A second load maps that entry.
        const Run again = run({"load", tiny_, "--device", "cpu", "--dtype", "bf16"});
        QVERIFY2(again.exit_code == 0, qPrintable(again.both()));
        QVERIFY2(!again.out.contains(QStringLiteral("converting again")), qPrintable(again.out));
    }

    void segment() {
        const QString out_dir = root_ + QStringLiteral("/masques 掩码");
        QVERIFY(QDir().mkpath(out_dir));
        const QString mask = out_dir + QStringLiteral("/masque d'été.png");
        const Run r = run({"segment", tiny_, images_ + QStringLiteral("/photo été 1.png"), "--point", "100,75", "--device", "cpu",
                           "--dtype", "fp32", "--out", mask, "--json"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
        QCOMPARE(png_size(mask), QSize(200, 150));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object().value("mask").toString(), mask);
    }

    void detect() {
        const QString image = images_ + QStringLiteral("/photo été 1.png");
        const QString out_dir = root_ + QStringLiteral("/détections à voir");
        const Run r = run({"detect", detect_, image, "--text", "red car", "--threshold", "0.3", "--device", "cpu", "--dtype", "fp32",
                           "--out", out_dir});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
        QVERIFY2(r.out.contains(QStringLiteral("written to ") + out_dir), qPrintable(r.out));
        const QJsonObject report = QJsonDocument::fromJson(read_bytes(out_dir + "/detections.json")).object();
        QCOMPARE(report.value("image").toString(), image);
        const QJsonArray detections = report.value("prompts").toArray().at(0).toObject().value("detections").toArray();
        QVERIFY2(!detections.isEmpty(), "the fixture keeps four instances of \"red car\" at 0.3: the test would prove nothing");
        for (const QJsonValue& d : detections)
            QCOMPARE(png_size(out_dir + "/" + d.toObject().value("mask").toString()), QSize(200, 150));
    }

    void autolabel_and_merge() {
        const QString results_dir = root_ + QStringLiteral("/résultats 结果");
        QVERIFY(QDir().mkpath(results_dir));
        const QString results = results_dir + QStringLiteral("/tranche d'été.jsonl");
        const Run r = run({"autolabel", project_, "--weights", detect_, "--class", "car=red car", "--threshold", "0.3", "--device", "cpu",
                           "--dtype", "fp32", "--out", results});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
        QVERIFY2(r.err.contains(QStringLiteral("results ") + results), qPrintable(r.err));
        const QByteArray lines = read_bytes(results);
        QVERIFY2(lines.contains("photo été 1.png") && lines.contains("rayures 条纹 2.png"), lines.constData());

        const Run m = run({"merge", project_, results});
        QVERIFY2(m.exit_code == 0, qPrintable(m.both()));
        const QJsonObject project = QJsonDocument::fromJson(read_bytes(project_)).object();
        int proposals = 0, stamped = 0;
        for (const QJsonValue& image : project.value("images").toArray()) {
            stamped += image.toObject().contains("autolabel");
            for (const QJsonValue& inst : image.toObject().value("instances").toArray())
                proposals += inst.toObject().value("source").toString() == QStringLiteral("sam3-detect");
        }
        QCOMPARE(stamped, 2);
        QVERIFY2(proposals > 0, "nothing was merged: the test would prove nothing");
    }

    void export_and_import() {
        const QString out = root_ + QStringLiteral("/export d'été 导出");
        const Run r = run({"export", project_, "--format", "yolo-segment", "--out", out});
        QVERIFY2(r.exit_code == 0, qPrintable(r.both()));
        QVERIFY(QFile::exists(out + "/data.yaml"));
        QVERIFY(QFile::exists(out + "/report.json"));
        bool image = false, label = false;
        for (const QString& f : files_under(out)) {
            image |= f.endsWith(QStringLiteral("/photo été 1.png"));
            label |= f.endsWith(QStringLiteral("/photo été 1.txt")) && !read_bytes(f).isEmpty();
        }
        QVERIFY2(image && label, qPrintable(files_under(out).join("\n")));

        const QString imported = root_ + QStringLiteral("/importé 导入/projet importé.json");
        const Run i = run({"import", out, "--format", "yolo", "--out", imported});
        QVERIFY2(i.exit_code == 0, qPrintable(i.both()));
        QVERIFY2(i.out.contains(QStringLiteral("project written to ") + imported), qPrintable(i.out));
        const QJsonObject project = QJsonDocument::fromJson(read_bytes(imported)).object();
        // image_root is relative to the project file's folder and leads into the export.
        const QString image_root = QFileInfo(imported).dir().absoluteFilePath(project.value("image_root").toString());
        QVERIFY2(QDir(image_root).canonicalPath().startsWith(QDir(out).canonicalPath()), qPrintable(image_root));
        bool listed = false;
        for (const QJsonValue& img : project.value("images").toArray()) {
            const QString path = img.toObject().value("path").toString();
            if (!path.endsWith(QStringLiteral("photo été 1.png"))) continue;
            listed = true;
            QVERIFY2(QFile::exists(image_root + "/" + path), qPrintable(path));
            QVERIFY(!img.toObject().value("instances").toArray().isEmpty());
        }
        QVERIFY2(listed, qPrintable(QString::fromUtf8(read_bytes(imported))));
    }

    void serve_health_unload() {
        serve_.setProcessEnvironment(env());
        serve_.setProcessChannelMode(QProcess::SeparateChannels);
        covered_.insert(QStringLiteral("serve"));
        serve_.start(kCli, {"serve", "--weights", tiny_, "--device", "cpu", "--dtype", "fp32", "--port", "0", "--token", kToken});
        QVERIFY(serve_.waitForStarted(10000));
        QString out;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 120000 && !out.contains(QStringLiteral("ready"))) {
            serve_.waitForReadyRead(200);
            out += QString::fromUtf8(serve_.readAllStandardOutput());
            if (serve_.state() == QProcess::NotRunning) break;
        }
        QVERIFY2(out.contains(QStringLiteral("ready")), qPrintable(out + QString::fromUtf8(serve_.readAllStandardError())));
        QVERIFY2(out.contains(QStringLiteral("loading ") + tiny_ + " "), qPrintable(out));
        const QString url = QRegularExpression(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)")).match(out).captured(1);
        QVERIFY2(!url.isEmpty(), qPrintable(out));

        const Run h = run({"health", "--url", url, "--token", kToken});
        QVERIFY2(h.exit_code == 0, qPrintable(h.both()));
        QVERIFY2(h.out.contains(tiny_ + " on cpu"), qPrintable(h.out));  // the model's folder, intact
        const Run u = run({"unload", "--url", url, "--token", kToken});
        QVERIFY2(u.exit_code == 0, qPrintable(u.both()));
    }

    void every_command_of_help_is_covered() {
        QProcess p;
        p.start(kCli, {"--help"});
        QVERIFY(p.waitForFinished(30000));
        QSet<QString> listed;
        const QRegularExpression row(QStringLiteral("^  ([a-z][a-z-]*)\\s"), QRegularExpression::MultilineOption);
        for (auto it = row.globalMatch(QString::fromUtf8(p.readAllStandardOutput())); it.hasNext();) listed.insert(it.next().captured(1));
        QVERIFY2(listed.size() >= 13, qPrintable(QStringList(listed.values()).join(" ")));
        const QSet<QString> missing = listed - covered_;
        QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("commands without a UTF-8 path case: ") + QStringList(missing.values()).join(" ")));
    }

    void cleanupTestCase() {
        if (serve_.state() != QProcess::NotRunning) {
            serve_.terminate();
            if (!serve_.waitForFinished(10000)) {
                serve_.kill();
                serve_.waitForFinished();
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestCliUtf8Paths)
#include "test_cli_utf8_paths.moc"

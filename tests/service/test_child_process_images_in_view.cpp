// Encode-ahead with the model in a child process (ChildProcessModelBackend
// driving a real `samlabel-cli serve` with the tiny SAM3 checkpoint on the
// CPU): the images in view, given before the load, are encoded by the child
// once its model is loaded, the one on screen first, then the next ones in
// order, and the GUI hears of each (imageEncodeStarted / imageEncoded, through
// the child's encode events); a click on the image on screen then needs no
// encode (no image was sent, none is encoded again); a file that is missing
// is reported failed with its name; a new child gets the latest images in view
// again after its load.
#include "core/service/child_process_model_backend.h"
#include "tests/service/tiny_sam3_backend.h"
#include "tests/wait_future.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>

using namespace samlabel;
using namespace samlabel::service;

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const std::filesystem::path& kTiny = testing::kTinySam3Dir;

template <typename T>
T wait_result(QFuture<T> f, int timeout_ms = 60000) {
    return samlabel::future_wait::wait_result(std::move(f), timeout_ms);
}

// The test image and two others with other pixels (so each is a real encode, not a cache hit).
QStringList write_images(const QDir& dir) {
    const cv::Mat blobs = cv::imread((kTiny / "blobs_200x150.png").string(), cv::IMREAD_COLOR);
    QStringList paths;
    for (int i = 0; i < 3; ++i) {
        cv::Mat image;
        if (i == 0) image = blobs;
        else cv::flip(blobs, image, i - 1);  // upside down, mirrored
        const QString path = dir.filePath(QStringLiteral("image %1.png").arg(i));
        if (!cv::imwrite(path.toStdString(), image)) return {};
        paths << path;
    }
    return paths;
}

ChildProcessOptions test_options() {
    ChildProcessOptions options;
    options.cli_path = kCli;
    options.poll_interval_ms = 100;
    return options;
}

QStringList ids(const QSignalSpy& spy, int from = 0) {
    QStringList out;
    for (int i = from; i < spy.count(); ++i) out << spy.at(i).at(0).toString();
    return out;
}

}  // namespace

class TestChildProcessImagesInView : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built (the test depends on it)");
        QVERIFY2(std::filesystem::exists(kTiny / "blobs_200x150.png"), "tests/data/sam3/tiny224 is missing");
    }

    // The find bar with a model process: detect names the image by its file
    // path (no pixels sent), the child reads and encodes it, and what it finds
    // is what transformers finds (tests/data/sam3_detect/det224/cases.json,
    // case "text": "red car" on blobs_200x150 at threshold 0.3).
    void findByPathInTheChild() {
        const std::filesystem::path& det = testing::kDetect224Dir;
        QFile cases_file(QString::fromStdString((det / "cases.json").string()));
        QVERIFY(cases_file.open(QIODevice::ReadOnly));
        QJsonObject run;
        for (const QJsonValue c : QJsonDocument::fromJson(cases_file.readAll()).object().value(QStringLiteral("cases")).toArray())
            if (c.toObject().value(QStringLiteral("name")).toString() == QLatin1String("text"))
                run = c.toObject().value(QStringLiteral("runs")).toArray().first().toObject();
        QCOMPARE(run.value(QStringLiteral("text")).toString(), QStringLiteral("red car"));
        QTemporaryDir dir;
        const QString path = QDir(dir.path()).filePath(QStringLiteral("blobs copy.png"));
        QVERIFY(QFile::copy(QString::fromStdString((det / "blobs_200x150.png").string()), path));

        ChildProcessModelBackend backend(test_options());
        QVERIFY(backend.readsImageFiles());  // so the find bar sends the path, not the pixels
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(det, engine::PartSet::DetectOnly), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        engine::DetectPrompt prompt;
        prompt.text = "red car";
        engine::DetectOptions options;
        options.score_threshold = 0.3f;
        const DetectReply found = wait_result(backend.detect(path, prompt, options));
        QVERIFY2(found.ok(), qPrintable(found.message));
        QCOMPARE(found.width, 200);
        const QJsonArray scores = run.value(QStringLiteral("scores")).toArray();
        const QJsonArray boxes = run.value(QStringLiteral("boxes_px")).toArray();
        QCOMPARE(qsizetype(found.result.detections.size()), scores.size());
        for (std::size_t i = 0; i < found.result.detections.size(); ++i) {
            const engine::Detection& d = found.result.detections[i];
            QVERIFY2(std::abs(d.score - scores[qsizetype(i)].toDouble()) < 1e-3, qPrintable(QString::number(d.score)));
            const QJsonArray box = boxes[qsizetype(i)].toArray();
            const float got[4] = {d.box.x0, d.box.y0, d.box.x1, d.box.y1};
            for (int k = 0; k < 4; ++k) QVERIFY(std::abs(got[k] - box[k].toDouble()) < 0.5);
            QCOMPARE(int(d.mask.size()), 200 * 150);
        }
        (void)wait_result(backend.unload());
    }

    void childEncodesTheImagesInViewAhead() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QStringList images = write_images(QDir(dir.path()));
        QCOMPARE(images.size(), 3);
        ChildProcessModelBackend backend(test_options());
        QVERIFY(backend.readsImageFiles());
        QSignalSpy started(&backend, &ModelBackend::imageEncodeStarted);
        QSignalSpy encoded(&backend, &ModelBackend::imageEncoded);

        // Given before any child runs: kept for the child's model.
        backend.setImagesInView(images[0], {images[1], images[2]});
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        QElapsedTimer clock;
        clock.start();

        QTRY_VERIFY_WITH_TIMEOUT(encoded.count() >= 3, 60000);
        qInfo("three images encoded ahead and reported to the GUI %lld ms after the load answered", clock.elapsed());
        QCOMPARE(ids(encoded), images);  // on screen first, then ahead in order
        for (int i = 0; i < 3; ++i) QCOMPARE(encoded.at(i).at(1).toString(), QStringLiteral("encoded"));
        QVERIFY(encoded.at(0).at(2).toDouble() > 0.0);  // its duration
        QCOMPARE(ids(started), images);

        // A click on the image on screen: by its path, answered from its embedding.
        engine::ClickPrompt prompt;
        prompt.points.push_back({82.0f, 55.5f, engine::PointLabel::Positive});
        prompt.multimask = true;
        clock.restart();
        const SegmentReply click = wait_result(backend.segment(images[0], prompt));
        qInfo("a click on the image encoded ahead: %lld ms", clock.elapsed());
        QVERIFY2(click.ok(), qPrintable(click.message));
        QVERIFY(!click.result.candidates.empty());
        QCOMPARE(click.result.candidates.front().width, 200);
        QCOMPARE(click.result.candidates.front().height, 150);
        QTest::qWait(500);  // five polls: an encode for the click would show by now
        QCOMPARE(started.count(), 3);

        // A file that is not there: failed, and the message names it.
        const QString missing = QDir(dir.path()).filePath(QStringLiteral("gone.png"));
        backend.setImagesInView(missing, {});
        QTRY_VERIFY_WITH_TIMEOUT(encoded.count() >= 4, 30000);
        QCOMPARE(encoded.at(3).at(0).toString(), missing);
        QCOMPARE(encoded.at(3).at(1).toString(), QStringLiteral("failed"));
        QVERIFY2(encoded.at(3).at(3).toString().contains(QStringLiteral("gone.png")), qPrintable(encoded.at(3).at(3).toString()));

        // A new child (Unload ends this one) gets the latest images in view once
        // its model loads. (This child has images[1] encoded already: it says nothing.)
        backend.setImagesInView(images[1], {});
        const UnloadReply unload = wait_result(backend.unload());
        QVERIFY2(unload.ok(), qPrintable(unload.message));
        QCOMPARE(backend.childPid(), 0);
        QCOMPARE(encoded.count(), 4);
        const LoadReply again = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(again.ok(), qPrintable(again.message));
        QTRY_VERIFY_WITH_TIMEOUT(encoded.count() >= 5, 60000);
        QCOMPARE(encoded.at(4).at(0).toString(), images[1]);
        QCOMPARE(encoded.at(4).at(1).toString(), QStringLiteral("encoded"));  // a new process: encoded anew
        QVERIFY(wait_result(backend.unload()).ok());
    }
};

QTEST_GUILESS_MAIN(TestChildProcessImagesInView)
#include "test_child_process_images_in_view.moc"

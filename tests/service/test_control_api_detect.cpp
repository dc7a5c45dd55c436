// POST /api/v1/detect over the real model stack (ModelSession + ModelWorker
// thread + LocalModelBackend, as `samlabel-cli serve` runs it) with the tiny
// random-weight detection checkpoint tests/data/sam3_detect/det224:
// - the answer equals engine::Sam3Predictor::detect called directly on the
//   same image (query ids, scores, boxes, masks), and its kept set is the
//   transformers reference's (cases.json);
// - a second request on the same image re-uses the embedding (no encode on the
//   model thread) and the cached text;
// - a prompt over the text encoder's 32 tokens is 400 with the engine's message;
// - RemoteModelBackend::detect through this server gives the same DetectResult;
// - a click-only model answers 409 not_loaded naming `--parts`, and /load with
//   the detect parts added streams only those (partsAdded, no second load) and
//   re-encodes the image made before;
// - tests/data/sam3/tiny224 (no tokenizer files) loaded for detection fails
//   with the tokenizer message.
#include "core/engine/checkpoint.h"
#include "core/engine/model_session.h"
#include "core/engine/sam3_predictor.h"
#include "core/io/rgb_pixels.h"
#include "core/service/control_api_server.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"
#include "core/service/remote_model_backend.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/tiny_sam3_backend.h"
#include "tests/wait_future.h"

#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>

using namespace samlabel;
using namespace samlabel::service;
using namespace samlabel::service::testing;

namespace {

const std::filesystem::path kImage = kDetect224Dir / "blobs_200x150.png";

QByteArray read_all(const std::filesystem::path& p) {
    QFile f(QString::fromStdString(p.string()));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray json_bytes(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

// The image as the model sees it, read here with OpenCV alone (not through the wire's decoder).
engine::ImageRgb8 read_rgb(const std::filesystem::path& p) {
    const cv::Mat bgr = cv::imread(p.string(), cv::IMREAD_COLOR);
    return engine::ImageRgb8{bgr.cols, bgr.rows, io::packed_rgb_from_bgr(bgr)};
}

// tests/wait_future.h, with this test's time limit unless a call names another.
template <typename T>
T wait_result(QFuture<T> f, int timeout_ms = 60000) {
    return samlabel::future_wait::wait_result(std::move(f), timeout_ms);
}

// The kept queries of the transformers reference for `text` on blobs_200x150 (the fixture's "text" case).
QList<int> reference_kept(const QString& text) {
    const QJsonObject cases = QJsonDocument::fromJson(read_all(kDetect224Dir / "cases.json")).object();
    for (const QJsonValue& c : cases.value("cases").toArray())
        for (const QJsonValue& run : c.toObject().value("runs").toArray()) {
            const QJsonObject r = run.toObject();
            if (r.value("image").toString() == QLatin1String("blobs_200x150") && r.value("text").toString() == text &&
                c.toObject().value("name").toString() == QLatin1String("text")) {
                QList<int> kept;
                for (const QJsonValue& q : r.value("kept").toArray()) kept.push_back(q.toInt());
                return kept;
            }
        }
    return {};
}

engine::DetectPrompt prompt_of(const QJsonObject& body) {
    engine::DetectPrompt p;
    p.text = body.value("text").toString().toStdString();
    for (const char* field : {"boxes", "negative_boxes"})
        for (const QJsonValue& v : body.value(QLatin1String(field)).toArray()) {
            const QJsonArray b = v.toArray();
            p.boxes.push_back({float(b[0].toDouble()), float(b[1].toDouble()), float(b[2].toDouble()), float(b[3].toDouble()),
                               QLatin1String(field) == QLatin1String("boxes")});
        }
    return p;
}

// The request without the image, for messages.
QJsonObject prompt_of_json(QJsonObject body) {
    body.remove("image_base64");
    return body;
}

engine::DetectOptions options_of(const QJsonObject& body) {
    engine::DetectOptions o;
    if (body.contains("threshold")) o.score_threshold = float(body.value("threshold").toDouble());
    if (body.contains("mask_threshold")) o.mask_threshold = float(body.value("mask_threshold").toDouble());
    return o;
}

}  // namespace

class TestControlApiDetect : public QObject {
    Q_OBJECT

    std::shared_ptr<engine::ModelSession> session_;
    std::unique_ptr<ModelThread> thread_;
    std::unique_ptr<LocalModelBackend> backend_;
    std::unique_ptr<ControlApiServer> server_;
    std::unique_ptr<ControlApiTestClient> api_;
    QString token_;
    // The engine called directly, for the expectations.
    std::unique_ptr<engine::Sam3Predictor> predictor_;
    std::shared_ptr<const engine::ImageEmbedding> embedding_;
    QByteArray png_;

    // Compares an answer's detections with the predictor's on the same image and prompt.
    void compareWithPredictor(const QJsonObject& answer, const engine::DetectPrompt& prompt, const engine::DetectOptions& options) {
        const engine::DetectResult want = predictor_->detect(*embedding_, prompt, options);
        QCOMPARE(answer.value("width").toInt(), 200);
        QCOMPARE(answer.value("height").toInt(), 150);
        QCOMPARE(answer.value("prompt").toObject().value("token_count").toInt(), int(want.token_ids.size()));
        QVERIFY(std::abs(answer.value("presence_score").toDouble() - want.presence_score) <= 1e-6);
        const QJsonArray scores = answer.value("query_scores").toArray();
        QCOMPARE(scores.size(), qsizetype(want.query_scores.size()));
        for (qsizetype q = 0; q < scores.size(); ++q) QVERIFY(std::abs(scores[q].toDouble() - want.query_scores[std::size_t(q)]) <= 1e-6);
        const QJsonArray detections = answer.value("detections").toArray();
        QCOMPARE(detections.size(), qsizetype(want.detections.size()));
        for (qsizetype i = 0; i < detections.size(); ++i) {
            const QJsonObject d = detections[i].toObject();
            const engine::Detection& w = want.detections[std::size_t(i)];
            QCOMPARE(d.value("query").toInt(), w.query);
            QVERIFY2(std::abs(d.value("score").toDouble() - w.score) <= 1e-6, qPrintable(QString::number(d.value("score").toDouble() - w.score)));
            const QJsonArray box = d.value("box").toArray();
            const float wb[4] = {w.box.x0, w.box.y0, w.box.x1, w.box.y1};
            for (int k = 0; k < 4; ++k) QVERIFY(std::abs(box[k].toDouble() - wb[k]) <= 1e-4);
            const QByteArray png = QByteArray::fromBase64(d.value("mask_png_base64").toString().toLatin1());
            const cv::Mat mask = cv::imdecode(cv::Mat(1, int(png.size()), CV_8UC1, const_cast<char*>(png.constData())), cv::IMREAD_UNCHANGED);
            QCOMPARE(mask.channels(), 1);
            QCOMPARE(mask.cols, w.width);
            QCOMPARE(mask.rows, w.height);
            int differing = 0, area = 0;
            for (int y = 0; y < mask.rows; ++y)
                for (int x = 0; x < mask.cols; ++x) {
                    const std::uint8_t v = mask.at<std::uint8_t>(y, x);
                    differing += v != (w.mask[std::size_t(y) * w.width + x] ? 255 : 0);
                    area += v != 0;
                }
            QCOMPARE(differing, 0);
            QCOMPARE(d.value("area_px").toInt(), area);
            if (area > 0) QVERIFY(!d.value("polygons").toArray().isEmpty());
        }
    }

    HttpResult detect(const QJsonObject& body) { return api_->post(QStringLiteral("/api/v1/detect"), json_bytes(body)); }

private Q_SLOTS:
    void initTestCase() {
        // A missing fixture is a failure, not a skip.
        QVERIFY2(std::filesystem::exists(kDetect224Dir / "model.safetensors"), "tests/data/sam3_detect/det224 is missing");
        QVERIFY2(tiny_sam3_present(), "tests/data/sam3/tiny224 is missing");
        png_ = read_all(kImage);
        QVERIFY(!png_.isEmpty());

        const auto checkpoint = engine::Checkpoint::open(kDetect224Dir);
        engine::PredictorOptions options;
        options.device.kind = engine::DeviceKind::Cpu;
        options.dtype = engine::WeightDType::F32;
        options.parts = engine::PartSet::DetectOnly;
        predictor_ = engine::Sam3Predictor::load(*checkpoint, options);
        embedding_ = predictor_->encode(read_rgb(kImage));

        session_ = std::make_shared<engine::ModelSession>();
        thread_ = std::make_unique<ModelThread>(session_);
        // serve --weights det224 --device cpu --dtype fp32 --parts detect
        backend_ = make_tiny_sam3_backend(*thread_, kDetect224Dir, engine::PartSet::DetectOnly);
        server_ = std::make_unique<ControlApiServer>(backend_.get());
        QString error;
        token_ = start_with_random_token(*server_, ModelEndpoints::On, &error);
        QVERIFY2(!token_.isEmpty(), qPrintable(error));
        api_ = std::make_unique<ControlApiTestClient>(*server_, token_, 120000);
        const HttpResult load = api_->post(QStringLiteral("/api/v1/load"));
        QCOMPARE(load.status, 200);
        QCOMPARE(load.json.value("parts").toString(), QStringLiteral("detect"));
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value("parts").toString(), QStringLiteral("detect"));
    }
    void cleanupTestCase() {
        api_.reset();
        server_.reset();
        backend_.reset();
        thread_.reset();
        session_.reset();
    }

    void detectMatchesThePredictor() {
        const QString b64 = QString::fromLatin1(png_.toBase64());
        const QJsonObject prompts[] = {
            {{"text", "red car"}},
            {{"text", "red car"}, {"boxes", QJsonArray{QJsonArray{40, 30, 120, 100}}}, {"negative_boxes", QJsonArray{QJsonArray{0, 0, 30, 30}}},
             {"threshold", 0.2}, {"mask_threshold", 0.4}},
            {{"boxes", QJsonArray{QJsonArray{40, 30, 120, 100}}}},
        };
        bool first = true;
        for (QJsonObject body : prompts) {
            body["image_base64"] = b64;
            body["image_id"] = "blobs";
            const HttpResult r = detect(body);
            QVERIFY2(r.status == 200, r.body.constData());
            QCOMPARE(r.json.value("image_id").toString(), QStringLiteral("blobs"));
            QCOMPARE(r.json.value("prompt").toObject().value("text").toString(), body.value("text").toString());
            compareWithPredictor(r.json, prompt_of(body), options_of(body));
            if (QTest::currentTestFailed()) return;
            const qsizetype found = r.json.value("detections").toArray().size();
            qInfo("%s: %lld instance(s) of %lld queries", QJsonDocument(prompt_of_json(body)).toJson(QJsonDocument::Compact).constData(),
                  qlonglong(found), qlonglong(r.json.value("query_scores").toArray().size()));
            QVERIFY(found > 0);  // a comparison of two empty lists would prove little
            if (first) {
                // The same kept set as transformers' Sam3Model on this image (the fixture's reference).
                QList<int> kept;
                for (const QJsonValue& d : r.json.value("detections").toArray()) kept.push_back(d.toObject().value("query").toInt());
                const QList<int> reference = reference_kept(QStringLiteral("red car"));
                QVERIFY(!reference.isEmpty());
                QCOMPARE(kept, reference);
                first = false;
            }
        }
    }

    void secondRequestReusesEmbeddingAndText() {
        ModelWorker* worker = thread_->worker();
        QSignalSpy encode_started(worker, &ModelWorker::encodeStarted);
        QSignalSpy encoded(worker, &ModelWorker::encoded);
        QSignalSpy detected(worker, &ModelWorker::detected);
        // By id, the text of the earlier test: the embedding and the text encoding are both cached.
        HttpResult r = detect({{"image_id", "blobs"}, {"text", "red car"}});
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.json.value("text_cached").toBool(), true);
        // The spy, connected after the backend, may hear `detected` only after the answer went out.
        QTRY_COMPARE_WITH_TIMEOUT(detected.size(), 1, 5000);
        QCOMPARE(encode_started.size(), 0);  // the model thread did not encode again (it would have said so before `detected`)
        QCOMPARE(encoded.size(), 0);
        // The image sent again with a new text: the backend knows the pixels, no encode; the text is new.
        r = detect({{"image_base64", QString::fromLatin1(png_.toBase64())}, {"text", "blue truck"}});
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.json.value("text_cached").toBool(), false);
        QVERIFY(r.json.value("image_id").toString().startsWith(QStringLiteral("upload-")));
        QTRY_COMPARE_WITH_TIMEOUT(detected.size(), 2, 5000);
        QCOMPARE(encode_started.size(), 0);
        QCOMPARE(encoded.size(), 0);
        compareWithPredictor(r.json, {"blue truck", {}}, {});
    }

    void badPromptsAre400() {
        QStringList words;
        for (int i = 0; i < 40; ++i) words << QStringLiteral("word");
        const HttpResult overlong = detect({{"image_base64", QString::fromLatin1(png_.toBase64())}, {"image_id", "blobs"}, {"text", words.join(' ')}});
        QCOMPARE(overlong.status, 400);
        QCOMPARE(overlong.json.value("error").toString(), QStringLiteral("bad_request"));
        // The engine's message: how many tokens, and the limit.
        const QString message = overlong.json.value("message").toString();
        QVERIFY2(QRegularExpression(QStringLiteral("prompt is \\d+ tokens")).match(message).hasMatch() &&
                     message.contains(QStringLiteral("at most 32")),
                 qPrintable(message));
        const HttpResult empty = detect({{"image_id", "blobs"}, {"text", ""}});
        QCOMPARE(empty.status, 400);
        QVERIFY(empty.json.value("message").toString().contains(QStringLiteral("\"text\"")));
        const HttpResult unknown = detect({{"image_id", "never-sent"}, {"text", "car"}});
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.json.value("error").toString(), QStringLiteral("unknown_image"));
        // Still serving after the refusals.
        QCOMPARE(detect({{"image_id", "blobs"}, {"text", "car"}}).status, 200);
    }

    void remoteBackendGivesTheSameResult() {
        RemoteModelBackend remote(server_->url(), token_, 100);
        QTRY_VERIFY_WITH_TIMEOUT(remote.isReachable(), 10000);
        QCOMPARE(remote.status().parts, QStringLiteral("detect"));
        const engine::DetectPrompt prompt{"red car", {{40.f, 30.f, 120.f, 100.f, true}}};
        engine::DetectOptions options;
        options.score_threshold = 0.25f;
        const DetectReply over_http = wait_result(remote.detect(QStringLiteral("blobs"), prompt, options));
        QVERIFY2(over_http.ok(), qPrintable(over_http.message));
        const DetectReply local = wait_result(backend_->detect(QStringLiteral("blobs"), prompt, options));
        QVERIFY2(local.ok(), qPrintable(local.message));
        QVERIFY(!local.result.detections.empty());
        QCOMPARE(over_http.width, 200);
        QCOMPARE(over_http.height, 150);
        const engine::DetectResult &g = over_http.result, &w = local.result;
        QCOMPARE(g.detections.size(), w.detections.size());
        for (std::size_t i = 0; i < w.detections.size(); ++i) {
            QCOMPARE(g.detections[i].query, w.detections[i].query);
            QCOMPARE(g.detections[i].score, w.detections[i].score);
            QCOMPARE(g.detections[i].box.x0, w.detections[i].box.x0);
            QCOMPARE(g.detections[i].box.y0, w.detections[i].box.y0);
            QCOMPARE(g.detections[i].box.x1, w.detections[i].box.x1);
            QCOMPARE(g.detections[i].box.y1, w.detections[i].box.y1);
            QCOMPARE(g.detections[i].width, w.detections[i].width);
            QCOMPARE(g.detections[i].height, w.detections[i].height);
            QVERIFY2(g.detections[i].mask == w.detections[i].mask, "the mask changed on the way");
        }
        QVERIFY(g.query_scores == w.query_scores);
        QCOMPARE(g.query_boxes.size(), w.query_boxes.size());
        QCOMPARE(g.presence_score, w.presence_score);
        QVERIFY(g.token_ids == w.token_ids);
        QCOMPARE(g.text_from_cache, true);  // "red car" was encoded by the tests before
        // And the predictor agrees with both.
        const engine::DetectResult direct = predictor_->detect(*embedding_, prompt, options);
        QCOMPARE(direct.detections.size(), w.detections.size());
        for (std::size_t i = 0; i < w.detections.size(); ++i) QVERIFY(direct.detections[i].mask == g.detections[i].mask);
    }

    void clickOnlyModelThenAddParts() {
        QCOMPARE(api_->post(QStringLiteral("/api/v1/unload")).status, 200);
        backend_->setLoadRequest(tiny_load_request(kDetect224Dir, engine::PartSet::ClickToSegment), engine::BudgetSettings{});
        HttpResult load = api_->post(QStringLiteral("/api/v1/load"));
        QCOMPARE(load.status, 200);
        QCOMPARE(load.json.value("parts").toString(), QStringLiteral("click"));
        HttpResult enc = api_->post(QStringLiteral("/api/v1/encode"),
                                    json_bytes({{"image_base64", QString::fromLatin1(png_.toBase64())}, {"image_id", "blobs2"}}));
        QCOMPARE(enc.status, 200);

        const HttpResult refused = detect({{"image_id", "blobs2"}, {"text", "red car"}});
        QCOMPARE(refused.status, 409);
        QCOMPARE(refused.json.value("error").toString(), QStringLiteral("not_loaded"));
        QVERIFY2(refused.json.value("message").toString().contains(QStringLiteral("--parts")), qPrintable(refused.json.value("message").toString()));

        // /load with the detect parts added: only those are streamed (add_parts), no second load.
        ModelWorker* worker = thread_->worker();
        QSignalSpy load_finished(worker, &ModelWorker::loadFinished);
        QSignalSpy parts_added(worker, &ModelWorker::partsAdded);
        QSignalSpy unloaded(worker, &ModelWorker::unloaded);
        backend_->setLoadRequest(tiny_load_request(kDetect224Dir, engine::PartSet::ClickAndDetect), engine::BudgetSettings{});
        load = api_->post(QStringLiteral("/api/v1/load"));
        QCOMPARE(load.status, 200);
        QCOMPARE(load.json.value("parts").toString(), QStringLiteral("click+detect"));
        // The backend hears partsAdded (queued, connected first) possibly before the spy does: wait for it.
        QTRY_COMPARE_WITH_TIMEOUT(parts_added.size(), 1, 5000);
        QVERIFY2(parts_added.size() == 1 && load_finished.size() == 0 && unloaded.size() == 0,
                 qPrintable(QStringLiteral("partsAdded %1, loadFinished %2, unloaded %3")
                                .arg(parts_added.size())
                                .arg(load_finished.size())
                                .arg(unloaded.size())));

        // The image encoded before lacks the detector's features: encoded once more, then detected.
        QSignalSpy encode_started(worker, &ModelWorker::encodeStarted);
        const HttpResult found = detect({{"image_id", "blobs2"}, {"text", "red car"}});
        QVERIFY2(found.status == 200, found.body.constData());
        QCOMPARE(encode_started.size(), 1);
        compareWithPredictor(found.json, {"red car", {}}, {});
        // The click path is still there.
        const HttpResult seg = api_->post(QStringLiteral("/api/v1/segment"),
                                          json_bytes({{"image_id", "blobs2"}, {"points", QJsonArray{QJsonArray{82.0, 55.5, 1}}}}));
        QCOMPARE(seg.status, 200);
        QCOMPARE(encode_started.size(), 1);  // one encode serves both paths
    }

    void noTokenizerRefusesDetection() {
        auto session = std::make_shared<engine::ModelSession>();
        ModelThread thread(session);
        auto backend = make_tiny_sam3_backend(thread, kTinySam3Dir, engine::PartSet::DetectOnly);
        ControlApiServer server(backend.get());
        QString error;
        const QString token = start_with_random_token(server, ModelEndpoints::On, &error);
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        ControlApiTestClient api(server, token, 120000);
        const HttpResult load = api.post(QStringLiteral("/api/v1/load"));
        // The preflight refuses it (nothing is allocated): 409 refused, not a failed load.
        QCOMPARE(load.status, 409);
        QCOMPARE(load.json.value("error").toString(), QStringLiteral("refused"));
        const QString message = load.json.value("message").toString();
        QVERIFY2(message.contains(QStringLiteral("tokenizer.json")) && message.contains(QStringLiteral("merges.txt")), qPrintable(message));
        QCOMPARE(api.get(QStringLiteral("/health")).json.value("model_loaded").toBool(), false);
        backend.reset();
    }
};

QTEST_MAIN(TestControlApiDetect)
#include "test_control_api_detect.moc"

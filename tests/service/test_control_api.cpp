// The control API on loopback against a fake backend (same concurrency as the
// real worker, no weights): auth, errors, body caps, asynchronous unload and
// load, encode/segment and detect round trips, a burst of 200 connections
// during an encode, and an unload arriving in the middle of an encode.
#include "core/service/api_token.h"
#include "core/service/control_api_server.h"
#include "core/service/control_api_wire.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/fake_model_backend.h"

#include <QBuffer>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <memory>
#include <vector>

using namespace samlabel::service;
using namespace samlabel::service::testing;

namespace {

// A small PNG made independently of the code under test.
QByteArray png_bytes(int width, int height) {
    cv::Mat img(height, width, CV_8UC3, cv::Scalar(40, 90, 200));
    std::vector<std::uint8_t> png;
    cv::imencode(".png", img, png);
    return QByteArray(reinterpret_cast<const char*>(png.data()), qsizetype(png.size()));
}

QByteArray json_bytes(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

}  // namespace

class TestControlApi : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeModelBackend> backend_;
    std::unique_ptr<ControlApiServer> server_;
    std::unique_ptr<ControlApiTestClient> api_;

private Q_SLOTS:
    void init() {
        backend_ = std::make_unique<FakeModelBackend>();
        backend_->setLastModel(QStringLiteral("/models/sam3"));
        server_ = std::make_unique<ControlApiServer>(backend_.get());
        QString error;
        const QString token = start_with_random_token(*server_, ModelEndpoints::On, &error);
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        api_ = std::make_unique<ControlApiTestClient>(*server_, token);
        QVERIFY(server_->port() != 0);
        QCOMPARE(server_->url().host(), QStringLiteral("127.0.0.1"));
    }
    void cleanup() {
        api_.reset();
        server_.reset();
        backend_.reset();
    }

    void tokenIsRandomHexAndComparedExactly() {
        const QString a = generate_api_token(), b = generate_api_token();
        QCOMPARE(a.size(), 64);
        QVERIFY(a != b);
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{64}$")).match(a).hasMatch());
        QVERIFY(tokens_equal("abc", "abc"));
        QVERIFY(!tokens_equal("abd", "abc"));
        QVERIFY(!tokens_equal("ab", "abc"));
        QVERIFY(!tokens_equal("abcd", "abc"));
        QVERIFY(!tokens_equal("", ""));
        QCOMPARE(bearer_token("Bearer  xyz "), QByteArray("xyz"));
        QCOMPARE(bearer_token("bearer xyz"), QByteArray("xyz"));
        QVERIFY(bearer_token("Basic eHl6").isEmpty());
    }

    void startRefusesEmptyTokenAndBusyPort() {
        ControlApiServer other(backend_.get());
        QString error;
        ControlApiOptions no_token;
        QVERIFY(!other.start(no_token, &error));
        QVERIFY(error.contains(QStringLiteral("token")));
        ControlApiOptions same_port;
        same_port.token = QStringLiteral("t");
        same_port.port = server_->port();
        QVERIFY(!other.start(same_port, &error));
        QVERIFY2(error.contains(QString::number(server_->port())), qPrintable(error));
    }

    void healthLoadSegmentUnloadRoundTrip() {
        HttpResult h = api_->get(QStringLiteral("/health"));
        QCOMPARE(h.status, 200);
        QCOMPARE(h.json.value("status").toString(), QStringLiteral("ok"));
        QCOMPARE(h.json.value("model_loaded").toBool(), false);
        QCOMPARE(h.json.value("state").toString(), QStringLiteral("unloaded"));
        for (const char* key : {"device", "dtype", "model_path", "vram_used_mb", "vram_total_mb", "ram_rss_mb"})
            QVERIFY2(h.json.contains(QLatin1String(key)), key);

        HttpResult load = api_->post(QStringLiteral("/api/v1/load"));
        QCOMPARE(load.status, 200);
        QCOMPARE(load.json.value("status").toString(), QStringLiteral("loaded"));
        QCOMPARE(load.json.value("model_path").toString(), QStringLiteral("/models/sam3"));
        h = api_->get(QStringLiteral("/health"));
        QCOMPARE(h.json.value("model_loaded").toBool(), true);
        QCOMPARE(h.json.value("vram_used_mb").toDouble(), FakeModelBackend::kBaselineVramMb + FakeModelBackend::kModelVramMb);

        const QByteArray png = png_bytes(64, 48);
        HttpResult enc = api_->post(QStringLiteral("/api/v1/encode"),
                              json_bytes({{"image_base64", QString::fromLatin1(png.toBase64())}}));
        QCOMPARE(enc.status, 200);
        const QString image_id = enc.json.value("image_id").toString();
        QVERIFY(image_id.startsWith(QStringLiteral("upload-")));
        QCOMPARE(enc.json.value("width").toInt(), 64);
        QCOMPARE(enc.json.value("height").toInt(), 48);
        QCOMPARE(enc.json.value("cached").toBool(), false);
        // The same bytes again: the same id, and the cache answers.
        HttpResult again = api_->post(QStringLiteral("/api/v1/encode"),
                                json_bytes({{"image_base64", QString::fromLatin1(png.toBase64())}}));
        QCOMPARE(again.json.value("image_id").toString(), image_id);
        QCOMPARE(again.json.value("cached").toBool(), true);

        HttpResult seg = api_->post(QStringLiteral("/api/v1/segment"),
                              json_bytes({{"image_id", image_id}, {"points", QJsonArray{QJsonArray{20, 30, 1}}}, {"multimask", false}}));
        QCOMPARE(seg.status, 200);
        QCOMPARE(seg.json.value("width").toInt(), 64);
        const QJsonArray candidates = seg.json.value("candidates").toArray();
        QCOMPARE(candidates.size(), 1);
        const QJsonObject c = candidates[0].toObject();
        QCOMPARE(c.value("score").toDouble(), 0.875);
        // The mask PNG decodes to the fake's disc: count its pixels here independently.
        const QByteArray mask_png = QByteArray::fromBase64(c.value("mask_png_base64").toString().toLatin1());
        const cv::Mat mask = cv::imdecode(cv::Mat(1, int(mask_png.size()), CV_8UC1, const_cast<char*>(mask_png.constData())),
                                          cv::IMREAD_UNCHANGED);
        QCOMPARE(mask.cols, 64);
        QCOMPARE(mask.rows, 48);
        int expected = 0;
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 64; ++x) {
                const bool inside = std::hypot(x + 0.5 - 20, y + 0.5 - 30) <= FakeModelBackend::kDiscRadiusPx;
                expected += inside;
                QCOMPARE(mask.at<std::uint8_t>(y, x), std::uint8_t(inside ? 255 : 0));
            }
        QCOMPARE(c.value("area_px").toDouble(), double(expected));
        const QJsonArray polygons = c.value("polygons").toArray();
        QCOMPARE(polygons.size(), 1);
        const QJsonArray outer = polygons[0].toObject().value("outer").toArray();
        QVERIFY(outer.size() >= 4);
        for (const QJsonValue& v : outer) {  // vertices on boundary pixel centres of the disc
            const double x = v.toArray()[0].toDouble(), y = v.toArray()[1].toDouble();
            QVERIFY(std::hypot(x - 20, y - 30) <= FakeModelBackend::kDiscRadiusPx + 0.01);
        }

        // Segment with the image inline (encode + click in one call).
        HttpResult inline_seg = api_->post(QStringLiteral("/api/v1/segment"),
                                     json_bytes({{"image_base64", QString::fromLatin1(png_bytes(32, 32).toBase64())},
                                                 {"box", QJsonArray{4, 4, 20, 20}}}));
        QCOMPARE(inline_seg.status, 200);
        QCOMPARE(inline_seg.json.value("width").toInt(), 32);

        HttpResult mem = api_->get(QStringLiteral("/api/v1/memory"));
        QCOMPARE(mem.status, 200);
        QCOMPARE(mem.json.value("vram_process_mb").toDouble(), FakeModelBackend::kBaselineVramMb + FakeModelBackend::kModelVramMb);
        QVERIFY(mem.json.value("ram_total_mb").toDouble() > 0);

        HttpResult unload = api_->post(QStringLiteral("/api/v1/unload"));
        QCOMPARE(unload.status, 200);
        QCOMPARE(unload.json.value("status").toString(), QStringLiteral("unloaded"));
        QCOMPARE(unload.json.value("was_loaded").toBool(), true);
        QCOMPARE(unload.json.value("freed_vram_mb").toDouble(), FakeModelBackend::kModelVramMb);
        QCOMPARE(unload.json.value("freed_ram_mb").toDouble(), FakeModelBackend::kModelRssMb);

        h = api_->get(QStringLiteral("/health"));
        QCOMPARE(h.json.value("model_loaded").toBool(), false);
        QCOMPARE(h.json.value("vram_used_mb").toDouble(), FakeModelBackend::kBaselineVramMb);

        // A click after the unload: 409 with the reason.
        HttpResult late = api_->post(QStringLiteral("/api/v1/segment"),
                               json_bytes({{"image_id", image_id}, {"points", QJsonArray{QJsonArray{1, 1, 1}}}}));
        QCOMPARE(late.status, 409);
        QCOMPARE(late.json.value("error").toString(), QStringLiteral("not_loaded"));
    }

    void refusedLoadIs409WithTheReason() {
        backend_->refuseNextLoad(QStringLiteral("needs 9.1 GB of VRAM, 4.0 GB free; try bf16"));
        HttpResult r = api_->post(QStringLiteral("/api/v1/load"));
        QCOMPARE(r.status, 409);
        QCOMPARE(r.json.value("error").toString(), QStringLiteral("refused"));
        QVERIFY(r.json.value("message").toString().contains(QStringLiteral("9.1 GB")));
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value("model_loaded").toBool(), false);
    }

    void missingOrWrongTokenIs401() {
        HttpResult none = http_call(api_->nam(), "GET", api_->url(QStringLiteral("/health")), QByteArray());
        QCOMPARE(none.status, 401);
        QCOMPARE(none.json.value("error").toString(), QStringLiteral("unauthorized"));
        QVERIFY(none.json.value("message").toString().contains(QStringLiteral("Authorization")));
        HttpResult wrong = http_call(api_->nam(), "GET", api_->url(QStringLiteral("/health")), QByteArray("0123"));
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.json.value("message").toString(), QStringLiteral("wrong token"));
        HttpResult prefix = http_call(api_->nam(), "POST", api_->url(QStringLiteral("/api/v1/unload")), api_->token().left(63));
        QCOMPARE(prefix.status, 401);
        QCOMPARE(raw_request_status(server_->port(), "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " +
                                                         api_->token().toBase64() + "\r\n\r\n"),
                 401);
        // The 401 on unload did nothing.
        QCOMPARE(backend_->last_unload_finished_at_ms.load(), 0);
    }

    void malformedBodiesAre400() {
        HttpResult bad = api_->post(QStringLiteral("/api/v1/load"), "{\"a\": ");
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json.value("error").toString(), QStringLiteral("bad_request"));
        QVERIFY(bad.json.value("message").toString().contains(QStringLiteral("malformed JSON")));
        QCOMPARE(api_->post(QStringLiteral("/api/v1/unload"), "[1,2]").status, 400);
        api_->post(QStringLiteral("/api/v1/load"));
        HttpResult points = api_->post(QStringLiteral("/api/v1/segment"), json_bytes({{"image_id", "x"}, {"points", QJsonArray{QJsonArray{1, 2}}}}));
        QCOMPARE(points.status, 400);
        QVERIFY(points.json.value("message").toString().contains(QStringLiteral("\"points\"[0]")));
        QCOMPARE(api_->post(QStringLiteral("/api/v1/segment"), json_bytes({{"image_id", "x"}})).status, 400);
        QCOMPARE(api_->post(QStringLiteral("/api/v1/segment"), json_bytes({{"points", QJsonArray{QJsonArray{1, 2, 1}}}})).status, 400);
        QCOMPARE(api_->post(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", "@@@"}})).status, 400);
        HttpResult not_image = api_->post(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", QString::fromLatin1(QByteArray("hello world").toBase64())}}));
        QCOMPARE(not_image.status, 400);
        QVERIFY(!not_image.json.value("message").toString().isEmpty());
        HttpResult unknown = api_->post(QStringLiteral("/api/v1/segment"), json_bytes({{"image_id", "never-seen"}, {"points", QJsonArray{QJsonArray{1, 2, 1}}}}));
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.json.value("error").toString(), QStringLiteral("unknown_image"));
    }

    void oversizedBodiesAre413BeforeBuffering() {
        // 100 KB to a small-body endpoint.
        HttpResult small = api_->post(QStringLiteral("/api/v1/unload"), QByteArray(100 * 1024, ' '));
        QCOMPARE(small.status, 413);
        QCOMPARE(small.json.value("error").toString(), QStringLiteral("payload_too_large"));
        QCOMPARE(backend_->last_unload_finished_at_ms.load(), 0);  // not unloaded
        // Over the 64 MB upload cap: refused from the header, the body is discarded as it streams.
        HttpResult big = api_->post(QStringLiteral("/api/v1/segment"), QByteArray(wire::kMaxUploadBodyBytes + 1, 'a'));
        QCOMPARE(big.status, 413);
        QVERIFY(big.json.value("message").toString().contains(QString::number(wire::kMaxUploadBodyBytes)));
        // A declared length far over the cap is refused without sending anything.
        QCOMPARE(raw_request_status(server_->port(), "POST /api/v1/encode HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + api_->token() +
                                                         "\r\nContent-Length: 4000000000\r\n\r\n"),
                 413);
        QCOMPARE(raw_request_status(server_->port(), "POST /api/v1/load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), 411);
        QCOMPARE(raw_request_status(server_->port(), "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + QByteArray(70 * 1024, 'p') + "\r\n\r\n"), 431);
        // Still serving.
        QCOMPARE(api_->get(QStringLiteral("/health")).status, 200);
    }

    // POST /api/v1/runtime-settings: refused (403, naming the flag) unless the
    // server was started with allow_runtime_settings; then applied to the
    // backend; a bad field is a 400 naming it, and nothing is applied.
    void runtimeSettingsNeedTheFlag() {
        const QByteArray body = R"({"runtime": {"embedding_cache_mb": 300, "disk_cache_dir": "/tmp/embeddings",
            "auto_unload_after_ms": 1500, "encode_keep_free_ram_mb": 1024, "encode_max_vram_mb": 2048},
            "converted_weights": {"dir": "/tmp/converted", "budget_mb": 512}})";
        HttpResult refused = api_->post(QStringLiteral("/api/v1/runtime-settings"), body);
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.json.value("error").toString(), QStringLiteral("forbidden"));
        QVERIFY2(refused.json.value("message").toString().contains(QStringLiteral("--allow-runtime-settings")),
                 qPrintable(refused.json.value("message").toString()));
        QCOMPARE(backend_->runtime_settings_applied, 0);
        QCOMPARE(backend_->converted_weights_applied, 0);

        ControlApiServer allowing(backend_.get());
        ControlApiOptions options;
        options.token = QString::fromLatin1(api_->token());
        options.allow_runtime_settings = true;
        QVERIFY(allowing.start(options, nullptr));
        ControlApiTestClient api(allowing, options.token);
        HttpResult bad = api.post(QStringLiteral("/api/v1/runtime-settings"),
                                  R"({"runtime": {"embedding_cache_mb": -5, "disk_cache_dir": "", "auto_unload_after_ms": 0,
                                      "encode_keep_free_ram_mb": 0, "encode_max_vram_mb": 0}})");
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json.value("error").toString(), QStringLiteral("bad_request"));
        QVERIFY2(bad.json.value("message").toString().contains(QStringLiteral("\"runtime.embedding_cache_mb\"")),
                 qPrintable(bad.json.value("message").toString()));
        QCOMPARE(backend_->runtime_settings_applied, 0);

        HttpResult applied = api.post(QStringLiteral("/api/v1/runtime-settings"), body);
        QCOMPARE(applied.status, 200);
        QCOMPARE(applied.json.value("status").toString(), QStringLiteral("applied"));
        QCOMPARE(backend_->runtime_settings_applied, 1);
        QCOMPARE(backend_->runtime_settings.embedding_cache_bytes, std::uint64_t(300) << 20);
        QCOMPARE(backend_->runtime_settings.disk_cache_dir, QStringLiteral("/tmp/embeddings"));
        QCOMPARE(backend_->runtime_settings.auto_unload_after_ms, qint64(1500));
        QCOMPARE(backend_->runtime_settings.encode_budget.keep_free_ram_bytes, std::uint64_t(1) << 30);
        QCOMPARE(backend_->runtime_settings.encode_budget.max_vram_bytes, std::uint64_t(2) << 30);
        QCOMPARE(backend_->converted_weights_applied, 1);
        QCOMPARE(backend_->converted_weights.dir, std::filesystem::path("/tmp/converted"));
        QCOMPARE(backend_->converted_weights.budget_bytes, std::uint64_t(512) << 20);
        // A group left out is not touched.
        QCOMPARE(api.post(QStringLiteral("/api/v1/runtime-settings"), R"({"converted_weights": {"dir": "", "budget_mb": 1}})").status, 200);
        QCOMPARE(backend_->runtime_settings_applied, 1);
        QCOMPARE(backend_->converted_weights_applied, 2);
        QVERIFY(backend_->converted_weights.dir.empty());
        QCOMPARE(api.get(QStringLiteral("/api/v1/runtime-settings")).status, 405);
    }

    void unknownPathIs404AndWrongMethodIs405() {
        HttpResult missing = api_->get(QStringLiteral("/api/v1/nothing"));
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json.value("error").toString(), QStringLiteral("not_found"));
        QCOMPARE(api_->get(QStringLiteral("/health/extra")).status, 404);
        HttpResult method = api_->get(QStringLiteral("/api/v1/unload"));
        QCOMPARE(method.status, 405);
        QCOMPARE(method.json.value("error").toString(), QStringLiteral("method_not_allowed"));
        QCOMPARE(api_->post(QStringLiteral("/health")).status, 405);
        QCOMPARE(http_call(api_->nam(), "DELETE", api_->url(QStringLiteral("/api/v1/load")), api_->token()).status, 405);

        // The GUI's server has no upload endpoints.
        ControlApiServer gui(backend_.get());
        ControlApiOptions options;
        options.token = QString::fromLatin1(api_->token());
        QVERIFY(gui.start(options, nullptr));
        QUrl u = gui.url();
        u.setPath(QStringLiteral("/api/v1/segment"));
        HttpResult r = http_call(api_->nam(), "POST", u, api_->token(), "{}");
        QCOMPARE(r.status, 404);
        QVERIFY(r.json.value("message").toString().contains(QStringLiteral("samlabel-cli serve")));
        u.setPath(QStringLiteral("/api/v1/detect"));
        r = http_call(api_->nam(), "POST", u, api_->token(), R"({"image_id": "x", "text": "car"})");
        QCOMPARE(r.status, 404);
        QVERIFY(r.json.value("message").toString().contains(QStringLiteral("samlabel-cli serve")));
    }

    // /api/v1/detect against the fake: the answer's fields, masks (0/255 PNG of
    // the fake's rectangles, counted here), thresholds, include_masks, the text
    // cache flag, and an image sent inline.
    void detectRoundTrip() {
        QCOMPARE(api_->post(QStringLiteral("/api/v1/load")).status, 200);
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value("parts").toString(), QStringLiteral("click+detect"));
        HttpResult enc = api_->post(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", QString::fromLatin1(png_bytes(64, 48).toBase64())}}));
        QCOMPARE(enc.status, 200);
        const QString image_id = enc.json.value("image_id").toString();

        const QJsonObject body{{"image_id", image_id},
                               {"text", "car"},
                               {"boxes", QJsonArray{QJsonArray{10, 10, 20, 30}}},
                               {"negative_boxes", QJsonArray{QJsonArray{0, 0, 4, 4}}},
                               {"threshold", 0.4}};
        HttpResult r = api_->post(QStringLiteral("/api/v1/detect"), json_bytes(body));
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.json.value("image_id").toString(), image_id);
        QCOMPARE(r.json.value("width").toInt(), 64);
        QCOMPARE(r.json.value("height").toInt(), 48);
        QCOMPARE(r.json.value("prompt").toObject().value("text").toString(), QStringLiteral("car"));
        QCOMPARE(r.json.value("prompt").toObject().value("token_count").toInt(), 2);
        QCOMPARE(r.json.value("presence_score").toDouble(), double(FakeModelBackend::kPresenceScore));
        QCOMPARE(r.json.value("threshold").toDouble(), 0.4);
        QCOMPARE(r.json.value("text_cached").toBool(), false);
        for (const char* key : {"duration_ms", "text_ms", "detect_ms", "masks_ms", "mask_threshold"}) QVERIFY2(r.json.contains(QLatin1String(key)), key);
        // The fake scores: text 0.75, positive box 0.5, negative box 0: the negative one stays under 0.4.
        QCOMPARE(r.json.value("query_scores").toArray().size(), 3);
        const QJsonArray detections = r.json.value("detections").toArray();
        QCOMPARE(detections.size(), 2);
        struct Want {
            int query;
            float score;
            int x0, y0, x1, y1;
        } want[] = {{0, FakeModelBackend::kTextScore, 0, 0, 32, 24}, {1, FakeModelBackend::kBoxScore, 10, 10, 20, 30}};
        for (int i = 0; i < 2; ++i) {
            const QJsonObject d = detections[i].toObject();
            QCOMPARE(d.value("query").toInt(), want[i].query);
            QCOMPARE(d.value("score").toDouble(), double(want[i].score));
            QCOMPARE(d.value("box").toArray(), (QJsonArray{want[i].x0, want[i].y0, want[i].x1, want[i].y1}));
            const QByteArray png = QByteArray::fromBase64(d.value("mask_png_base64").toString().toLatin1());
            const cv::Mat mask = cv::imdecode(cv::Mat(1, int(png.size()), CV_8UC1, const_cast<char*>(png.constData())), cv::IMREAD_UNCHANGED);
            QCOMPARE(mask.channels(), 1);
            QCOMPARE(mask.cols, 64);
            QCOMPARE(mask.rows, 48);
            for (int y = 0; y < 48; ++y)
                for (int x = 0; x < 64; ++x) {
                    const bool inside = x >= want[i].x0 && x < want[i].x1 && y >= want[i].y0 && y < want[i].y1;
                    QCOMPARE(mask.at<std::uint8_t>(y, x), std::uint8_t(inside ? 255 : 0));
                }
            QCOMPARE(d.value("area_px").toInt(), (want[i].x1 - want[i].x0) * (want[i].y1 - want[i].y0));
            QCOMPARE(d.value("polygons").toArray().size(), 1);
        }

        // The same text again: cached; a higher threshold keeps the text's instance only; no masks asked.
        QJsonObject again = body;
        again["threshold"] = 0.6;
        again["include_masks"] = false;
        r = api_->post(QStringLiteral("/api/v1/detect"), json_bytes(again));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value("text_cached").toBool(), true);
        QCOMPARE(r.json.value("detections").toArray().size(), 1);
        const QJsonObject only = r.json.value("detections").toArray()[0].toObject();
        QVERIFY(!only.contains("mask_png_base64"));
        QVERIFY(!only.contains("polygons"));
        QCOMPARE(only.value("area_px").toInt(), 32 * 24);

        // The image inline (encoded first), boxes alone as the prompt.
        r = api_->post(QStringLiteral("/api/v1/detect"), json_bytes({{"image_base64", QString::fromLatin1(png_bytes(40, 30).toBase64())},
                                                                     {"boxes", QJsonArray{QJsonArray{1, 2, 9, 12}}}}));
        QVERIFY2(r.status == 200, r.body.constData());
        QVERIFY(r.json.value("image_id").toString().startsWith(QStringLiteral("upload-")));
        QCOMPARE(r.json.value("width").toInt(), 40);
        QCOMPARE(r.json.value("detections").toArray().size(), 1);
        QCOMPARE(r.json.value("detections").toArray()[0].toObject().value("query").toInt(), 1);
    }

    void detectErrors() {
        // 401 before anything else, even for a bad body.
        HttpResult none = http_call(api_->nam(), "POST", api_->url(QStringLiteral("/api/v1/detect")), QByteArray(), "{}");
        QCOMPARE(none.status, 401);
        QCOMPARE(http_call(api_->nam(), "GET", api_->url(QStringLiteral("/api/v1/detect")), api_->token()).status, 405);
        // Not loaded yet: 409 with the reason.
        HttpResult enc = api_->post(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", QString::fromLatin1(png_bytes(16, 16).toBase64())}}));
        HttpResult not_loaded = api_->post(QStringLiteral("/api/v1/detect"), json_bytes({{"image_id", "anything"}, {"text", "car"}}));
        QCOMPARE(not_loaded.status, 409);
        QCOMPARE(not_loaded.json.value("error").toString(), QStringLiteral("not_loaded"));

        QCOMPARE(api_->post(QStringLiteral("/api/v1/load")).status, 200);
        enc = api_->post(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", QString::fromLatin1(png_bytes(16, 16).toBase64())}}));
        QCOMPARE(enc.status, 200);
        const QString id = enc.json.value("image_id").toString();
        struct Bad {
            QJsonObject body;
            const char* names;
        } bad[] = {
            {{{"image_id", id}}, "\"text\""},                                  // no prompt
            {{{"image_id", id}, {"text", ""}}, "\"text\""},                    // empty prompt
            {{{"image_id", id}, {"text", "car"}, {"threshold", 2}}, "\"threshold\""},
            {{{"image_id", id}, {"text", "car"}, {"mask_threshold", "x"}}, "\"mask_threshold\""},
            {{{"image_id", id}, {"boxes", QJsonArray{QJsonArray{3, 3, 1, 1}}}}, "\"boxes\"[0]"},
            {{{"image_id", id}, {"text", "car"}, {"negative_boxes", 5}}, "\"negative_boxes\""},
            {{{"image_id", 5}, {"text", "car"}}, "\"image_id\""},
            {{{"text", "car"}}, "\"image_base64\""},
            {{{"image_id", id}, {"text", "car"}, {"include_masks", 1}}, "\"include_masks\""},
            {{{"image_id", id}, {"text", "car"}, {"thresold", 0.5}}, "\"thresold\""},
        };
        for (const Bad& b : bad) {
            const HttpResult r = api_->post(QStringLiteral("/api/v1/detect"), json_bytes(b.body));
            QCOMPARE(r.status, 400);
            QCOMPARE(r.json.value("error").toString(), QStringLiteral("bad_request"));
            QVERIFY2(r.json.value("message").toString().contains(QLatin1String(b.names)), qPrintable(r.json.value("message").toString()));
        }
        // The model refuses the prompt (the fake's stand-in for the 32-token limit): 400 bad_request with its message.
        QStringList words;
        for (int i = 0; i < 40; ++i) words << QStringLiteral("word");
        const HttpResult overlong = api_->post(QStringLiteral("/api/v1/detect"), json_bytes({{"image_id", id}, {"text", words.join(' ')}}));
        QCOMPARE(overlong.status, 400);
        QCOMPARE(overlong.json.value("error").toString(), QStringLiteral("bad_request"));
        QVERIFY2(overlong.json.value("message").toString().contains(QStringLiteral("42 tokens")), qPrintable(overlong.json.value("message").toString()));
        HttpResult unknown = api_->post(QStringLiteral("/api/v1/detect"), json_bytes({{"image_id", "never-seen"}, {"text", "car"}}));
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.json.value("error").toString(), QStringLiteral("unknown_image"));
        HttpResult not_image = api_->post(QStringLiteral("/api/v1/detect"),
                                          json_bytes({{"image_base64", QString::fromLatin1(QByteArray("hello").toBase64())}, {"text", "car"}}));
        QCOMPARE(not_image.status, 400);
        // A model loaded for clicks only.
        backend_->setDetectionLoaded(false);
        HttpResult click_only = api_->post(QStringLiteral("/api/v1/detect"), json_bytes({{"image_id", id}, {"text", "car"}}));
        QCOMPARE(click_only.status, 409);
        QCOMPARE(click_only.json.value("error").toString(), QStringLiteral("not_loaded"));
        QVERIFY(click_only.json.value("message").toString().contains(QStringLiteral("--parts")));
    }

    // /detect takes an image, so it has the upload cap (64 MB), not the 64 KB one.
    void detectBodyCaps() {
        QCOMPARE(raw_request_status(server_->port(), "POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + api_->token() +
                                                         "\r\nContent-Length: " + QByteArray::number(wire::kMaxUploadBodyBytes + 1) + "\r\n\r\n"),
                 413);
        // 100 KB is over the small cap but fine here: it reaches the handler (400 for its content, not 413).
        const QByteArray padded = json_bytes({{"image_id", "x"}, {"text", QString(100 * 1024, QLatin1Char('a'))}});
        HttpResult r = api_->post(QStringLiteral("/api/v1/detect"), padded);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.json.value("message").toString().contains(QStringLiteral("\"text\" is")), qPrintable(r.json.value("message").toString()));
    }

    // 200 connections at once while an encode holds the model: every one is
    // answered (200), and all before the encode finishes (the server thread
    // never waits on the model).
    void burstDuringEncodeLosesNothing() {
        QCOMPARE(api_->post(QStringLiteral("/api/v1/load")).status, 200);
        backend_->encode_ms = 3000;
        QNetworkReply* encode = api_->postInFlight(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", QString::fromLatin1(png_bytes(16, 16).toBase64())}}));
        QTRY_COMPARE_WITH_TIMEOUT(backend_->encodes_started.load(), 1, 5000);

        constexpr int kClients = 200;
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        std::vector<QByteArray> received(kClients);
        const QByteArray req = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " + api_->token() + "\r\n\r\n";
        for (int i = 0; i < kClients; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            QTcpSocket* raw = s.get();
            connect(raw, &QTcpSocket::connected, raw, [raw, req] { raw->write(req); });
            connect(raw, &QTcpSocket::readyRead, raw, [raw, &received, i] { received[i] += raw->readAll(); });
            raw->connectToHost(QHostAddress::LocalHost, server_->port());
            sockets.push_back(std::move(s));
        }
        auto complete = [&] {
            int n = 0;
            for (const QByteArray& r : received)
                if (samlabel::service::testing::response_complete(r)) ++n;
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(complete(), kClients, 20000);
        for (const QByteArray& r : received) {
            QVERIFY(r.startsWith("HTTP/1.1 200"));
            const QJsonObject body = QJsonDocument::fromJson(r.mid(r.indexOf("\r\n\r\n") + 4)).object();
            QCOMPARE(body.value("status").toString(), QStringLiteral("ok"));
            QCOMPARE(body.value("state").toString(), QStringLiteral("busy"));  // seen while the encode ran
        }
        QCOMPARE(backend_->encodes_finished.load(), 0);  // the encode was still running throughout
        QTRY_VERIFY_WITH_TIMEOUT(encode->isFinished(), 10000);
        QCOMPARE(encode->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        encode->deleteLater();
    }

    // Unload arrives while an encode runs: the encode completes, then the
    // unload answers with the memory returned; work queued behind the unload
    // is dropped with 409.
    void unloadDuringEncode() {
        QCOMPARE(api_->post(QStringLiteral("/api/v1/load")).status, 200);
        backend_->encode_ms = 800;
        QNetworkReply* encode = api_->postInFlight(QStringLiteral("/api/v1/encode"), json_bytes({{"image_base64", QString::fromLatin1(png_bytes(16, 16).toBase64())}}));
        QTRY_COMPARE_WITH_TIMEOUT(backend_->encodes_started.load(), 1, 5000);

        QNetworkReply* unload = api_->postInFlight(QStringLiteral("/api/v1/unload"));
        QTest::qWait(50);
        QNetworkReply* queued = api_->postInFlight(QStringLiteral("/api/v1/encode"),
                                                   json_bytes({{"image_base64", QString::fromLatin1(png_bytes(8, 8).toBase64())},
                                                               {"image_id", "queued"}}));
        QTRY_VERIFY_WITH_TIMEOUT(unload->isFinished() && encode->isFinished() && queued->isFinished(), 15000);
        QCOMPARE(encode->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(unload->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QJsonObject u = QJsonDocument::fromJson(unload->readAll()).object();
        QCOMPARE(u.value("freed_vram_mb").toDouble(), FakeModelBackend::kModelVramMb);
        // That the unload waited for the encode is the backend's doing (here the
        // fake's own lock): test_control_api_model::unloadWhileEncoding proves
        // it on the real worker and session.
        QCOMPARE(queued->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 409);
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value("model_loaded").toBool(), false);
        for (QNetworkReply* r : {encode, unload, queued}) r->deleteLater();
    }

    // A client that hangs up while its unload is pending must not crash the
    // server when the answer comes.
    void clientGoneBeforeAnswer() {
        QCOMPARE(api_->post(QStringLiteral("/api/v1/load")).status, 200);
        backend_->unload_ms = 400;
        {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, server_->port());
            QVERIFY(s.waitForConnected(5000));
            s.write("POST /api/v1/unload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nAuthorization: Bearer " + api_->token() + "\r\n\r\n");
            QVERIFY(s.waitForBytesWritten(5000));
            QTest::qWait(50);
            s.abort();
        }
        QTRY_VERIFY_WITH_TIMEOUT(backend_->last_unload_finished_at_ms.load() != 0, 5000);
        QTest::qWait(100);
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value("model_loaded").toBool(), false);
    }
};

QTEST_MAIN(TestControlApi)
#include "test_control_api.moc"

// What the control API reads from clients, without sockets or a model
// (core/service/control_api_requests.h): request framing before bodies are
// buffered, request bodies, and the segment/detect/load requests. Also the inputs
// the fuzzers (tests/fuzz/fuzz_control_api.cpp) found, as regression cases.
#include "core/service/control_api_requests.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace samlabel::service;

namespace {

qint64 cap_for(const QByteArray& path) { return path == "/api/v1/segment" ? 1000 : 100; }

QJsonObject object(const char* json) { return QJsonDocument::fromJson(json).object(); }

}  // namespace

class TestControlApiRequests : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void framerPassesRequestsWithinTheirCaps() {
        RequestFramer framer(cap_for);
        QVERIFY(!framer.feed("POST /api/v1/segment HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"));
        QCOMPARE(framer.method(), QByteArray("POST"));
        QCOMPARE(framer.path(), QByteArray("/api/v1/segment"));
        // A second request on the same connection, its header cut in two chunks.
        QVERIFY(!framer.feed("GET /health?x=1 HTTP/1.1\r\n\r"));
        QVERIFY(!framer.feed("\n"));
        QCOMPARE(framer.path(), QByteArray("/health"));
        QVERIFY(!framer.refused());
    }

    void framerRefusesFromTheHeaders() {
        {
            RequestFramer framer(cap_for);
            const auto refusal = framer.feed("POST /health HTTP/1.1\r\nContent-Length: 101\r\n\r\n0123456789");
            QVERIFY(refusal);
            QCOMPARE(refusal->status, 413);
            QCOMPARE(refusal->drain_bytes, qint64(91));  // the body bytes still to come
            QVERIFY(framer.refused());
            QVERIFY(!framer.feed("more body"));
        }
        {
            RequestFramer framer(cap_for);
            const auto refusal = framer.feed("POST /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
            QVERIFY(refusal);
            QCOMPARE(refusal->status, 411);
        }
        {
            RequestFramer framer(cap_for);
            QVERIFY(!framer.feed("GET / HTTP/1.1\r\n"));
            const auto refusal = framer.feed("X-Long: " + QByteArray(kMaxHeaderBytes, 'a'));
            QVERIFY(refusal);
            QCOMPARE(refusal->status, 431);
        }
    }

    void bodiesAreJsonObjects() {
        RequestError error;
        QVERIFY(parse_request_body("", true, 100, &error));
        QVERIFY(parse_request_body("not json", false, 100, &error));  // a GET's body is ignored
        QVERIFY(!parse_request_body("{\"a\": 1", true, 100, &error));
        QCOMPARE(error.status, 400);
        QVERIFY(error.message.startsWith("malformed JSON at byte"));
        QVERIFY(!parse_request_body("[1]", true, 100, &error));
        QCOMPARE(error.message, QString("the body must be a JSON object"));
        QVERIFY(!parse_request_body(QByteArray(101, ' '), true, 100, &error));
        QCOMPARE(error.status, 413);
        QCOMPARE(error.code, QString("payload_too_large"));
    }

    void segmentRequests() {
        QString error;
        const auto ok = wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1.5, 2, 1]], "box": [0, 0, 4, 4]})"), &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(ok->prompt.points.size(), std::size_t(1));
        QVERIFY(ok->prompt.box);
        QVERIFY(!wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1, 2, 3]]})"), &error));
        QVERIFY(error.contains("\"points\"[0]"));
    }

    // fuzz_control_api (corpus/fuzz_control_api/crash-point-beyond-float): a finite
    // double beyond FLT_MAX became an infinite float coordinate in the prompt.
    void coordinatesAFloatCannotHoldAreRefused() {
        QString error;
        QVERIFY(!wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1e300, 2, 1]]})"), &error));
        QVERIFY(error.contains("\"points\"[0]"));
        QVERIFY(!wire::parse_segment_request(object(R"({"image_id": "a", "box": [0, 0, 4, -1e39]})"), &error));
        QVERIFY(error.contains("\"box\""));
        QVERIFY(!wire::parse_detect_request(object(R"({"image_id": "a", "boxes": [[0, 0, 1e39, 4]]})"), &error));
        QVERIFY(error.contains("\"boxes\"[0]"));
        QVERIFY(wire::parse_segment_request(object(R"({"image_id": "a", "points": [[3.4e38, -3.4e38, 1]]})"), &error));
    }

    void segmentRequestsChooseHowMasksTravel() {
        QString error;
        const auto plain = wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1, 2, 1]]})"), &error);
        QVERIFY(plain && plain->masks == wire::MaskEncoding::Png && plain->include_polygons);
        const auto raw = wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1, 2, 1]], "masks": "raw", "polygons": false})"), &error);
        QVERIFY2(raw, qPrintable(error));
        QVERIFY(raw->masks == wire::MaskEncoding::Raw && !raw->include_polygons);
        const auto runs = wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1, 2, 1]], "masks": "runs"})"), &error);
        QVERIFY2(runs, qPrintable(error));
        QVERIFY(runs->masks == wire::MaskEncoding::Runs);
        QVERIFY(!wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1, 2, 1]], "masks": "jpeg"})"), &error));
        QVERIFY(error.contains("\"masks\""));
        QVERIFY(!wire::parse_segment_request(object(R"({"image_id": "a", "points": [[1, 2, 1]], "polygons": "no"})"), &error));
        QVERIFY(error.contains("\"polygons\""));
    }

    // POST /api/v1/load and /preflight: every field optional, each checked.
    void loadRequests() {
        QString error;
        const auto empty = wire::parse_load_request(object("{}"), &error);
        QVERIFY(empty);
        QVERIFY(empty->empty());  // no body: reload the last model

        const auto full = wire::parse_load_request(
            object(R"({"weights": "/models/sam3", "device": "cuda:1", "dtype": "bf16", "parts": "click+detect",
                       "keep_free_ram_mb": 2048, "max_vram_mb": 1.5})"),
            &error);
        QVERIFY2(full, qPrintable(error));
        QVERIFY(!full->empty());
        QCOMPARE(full->weights, QStringLiteral("/models/sam3"));
        QVERIFY(full->device && full->device->kind == samlabel::engine::DeviceKind::Cuda && full->device->index == 1);
        QVERIFY(full->dtype == samlabel::engine::WeightDType::BF16);
        QVERIFY(full->parts == samlabel::engine::PartSet::ClickAndDetect);
        QCOMPARE(*full->keep_free_ram_bytes, std::uint64_t(2048) << 20);
        QCOMPARE(*full->max_vram_bytes, std::uint64_t(1.5 * 1024 * 1024));

        const auto device_only = wire::parse_load_request(object(R"({"device": "cpu"})"), &error);
        QVERIFY(device_only && !device_only->empty() && device_only->weights.isEmpty());
    }

    void badLoadRequestsNameTheField() {
        const std::pair<const char*, const char*> cases[] = {
            {R"({"weights": "models/sam3"})", "absolute"},
            {R"({"weights": ""})", "\"weights\""},
            {R"({"weights": 7})", "\"weights\""},
            {R"({"device": "gpu"})", "\"device\""},
            {R"({"device": "cuda:99999"})", "\"device\""},
            {R"({"dtype": "int8"})", "\"dtype\""},
            {R"({"parts": "everything"})", "\"parts\""},
            {R"({"keep_free_ram_mb": -1})", "\"keep_free_ram_mb\""},
            {R"({"max_vram_mb": "8G"})", "\"max_vram_mb\""},
            {R"({"max_vram_mb": 1e300})", "\"max_vram_mb\""},
            {R"({"max_vram": 8000})", "unknown field \"max_vram\""},
        };
        for (const auto& [json, expected] : cases) {
            QString error;
            QVERIFY2(!wire::parse_load_request(object(json), &error), json);
            QVERIFY2(error.contains(QLatin1String(expected)), qPrintable(QStringLiteral("%1 -> %2").arg(QLatin1String(json), error)));
        }
        QString error;
        const QString long_path = QStringLiteral("/") + QString(wire::kMaxWeightsPathBytes, QLatin1Char('a'));
        QVERIFY(!wire::parse_load_request(QJsonObject{{QStringLiteral("weights"), long_path}}, &error));
        QVERIFY(error.contains(QStringLiteral("longer than")));
    }
};

QTEST_GUILESS_MAIN(TestControlApiRequests)
#include "test_control_api_requests.moc"

// What a control API client reads from a server's answers, without sockets or
// a model (core/service/control_api_replies.h): the inputs the fuzzer
// (tests/fuzz/fuzz_control_api_replies.cpp) found, as regression cases. The
// round trips through the server's side are test_control_api_wire (torch build).
#include "core/service/control_api_replies.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <vector>

using namespace samlabel;
using namespace samlabel::service;

namespace {

QJsonObject object(const char* json) { return QJsonDocument::fromJson(json).object(); }

// A 0/255 PNG of `width` x `height`, its left column set.
QString mask_png_base64(int width, int height) {
    cv::Mat mask(height, width, CV_8UC1, cv::Scalar(0));
    mask.col(0).setTo(255);
    std::vector<std::uint8_t> png;
    cv::imencode(".png", mask, png);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char*>(png.data()), qsizetype(png.size())).toBase64());
}

// Bytes OpenCV hands to its DICOM reader (GDCM), which asserts on them: the
// input fuzz_image_header once found (corpus/fuzz_image_header/crash-webp-with-dicom-signature).
QString dicom_base64() {
    QFile f(QStringLiteral(SAMLABEL_SOURCE_DIR "/tests/fuzz/corpus/fuzz_image_header/crash-webp-with-dicom-signature"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QString::fromLatin1(f.readAll().toBase64());
}

QJsonObject segment_answer(const QString& mask, int width, int height) {
    return QJsonObject{{"width", width}, {"height", height},
                       {"candidates", QJsonArray{QJsonObject{{"score", 0.9}, {"mask_png_base64", mask}}}}};
}

QJsonObject detect_answer(const QString& mask, int width, int height) {
    return QJsonObject{{"width", width}, {"height", height},
                       {"detections", QJsonArray{QJsonObject{{"query", 0}, {"score", 0.9}, {"box", QJsonArray{0, 0, 1, 1}},
                                                             {"mask_png_base64", mask}}}}};
}

}  // namespace

class TestControlApiReplies : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // crash-byte-count-beyond-uint64, crash-sampled-at-beyond-int64: a number
    // beyond the integer it becomes was converted anyway (undefined behaviour).
    // It reads as unknown (0), as when it is absent, negative or not a number.
    void numbersBeyondTheirTypeReadAsUnknown() {
        const PreflightReply preflight = wire::preflight_reply_from_json(
            object(R"({"fits": true, "needed_bytes": 1e300, "available_bytes": 4096,
                       "estimate": {"parts": "click", "staging_bytes": 6.7e31, "weight_bytes": 18446744073709551616}})"));
        QVERIFY(preflight.report);
        QCOMPARE(preflight.report->verdict.needed_bytes, std::uint64_t(0));
        QCOMPARE(preflight.report->verdict.available_bytes, std::uint64_t(4096));
        QCOMPARE(preflight.report->estimate.staging_bytes, std::uint64_t(0));
        QCOMPARE(preflight.report->estimate.weight_bytes, std::uint64_t(0));  // 2^64
        QCOMPARE(wire::preflight_reply_from_json(object(R"({"estimate": {"weight_bytes": 9007199254740992}})")).report->estimate.weight_bytes,
                 std::uint64_t(9007199254740992));  // 2^53

        QCOMPARE(wire::memory_from_json(object(R"({"sampled_at_ms": 1e300})")).sampled_at_ms, qint64(0));
        QCOMPARE(wire::memory_from_json(object(R"({"sampled_at_ms": -1e300})")).sampled_at_ms, qint64(0));
        QCOMPARE(wire::memory_from_json(object(R"({"sampled_at_ms": 1764118000000})")).sampled_at_ms, qint64(1764118000000));

        const auto progress = wire::load_progress_from_json(object(R"({"p": {"bytes_done": 1e300, "bytes_total": 3.4e9}})").value("p"));
        QVERIFY(progress);
        QCOMPARE(progress->bytes_done, quint64(0));
        QCOMPARE(progress->bytes_total, quint64(3400000000));
    }

    // GPU sizes in MB beyond 2^63 bytes went through llround(), whose answer
    // is unspecified there (x86: the lowest long long, read as 8 EB).
    // Windows samples a load's RAM peak (the OS cannot reset its counter):
    // the client must learn so, and an older server's answer never claims it.
    void loadPeakSaysWhetherItWasSampled() {
        const LoadReply sampled = wire::load_reply_from_json(object(R"({"status": "loaded", "peak_rss_mb": 900, "peak_rss_sampled": true})"));
        QCOMPARE(sampled.peak_rss_mb, 900.0);
        QVERIFY(sampled.peak_rss_sampled);
        QVERIFY(!wire::load_reply_from_json(object(R"({"status": "loaded", "peak_rss_mb": 900})")).peak_rss_sampled);
    }

    void gpuSizesBeyondTheirTypeReadAsUnknown() {
        const std::vector<engine::GpuMemory> gpus = wire::gpus_from_json(
            object(R"({"g": [{"index": 0, "total_mb": 1e300, "free_mb": 12900.5, "process_mb": -3, "others_mb": 1.8e13}]})")
                .value("g").toArray());
        QCOMPARE(int(gpus.size()), 1);
        QCOMPARE(gpus[0].total_bytes, std::uint64_t(0));
        QCOMPARE(gpus[0].free_bytes, std::uint64_t(std::llround(12900.5 * 1024 * 1024)));
        QCOMPARE(gpus[0].used_by_this_process_bytes, std::uint64_t(0));
        QCOMPARE(gpus[0].used_by_others_bytes, std::uint64_t(0));  // 1.8e13 MB is past 2^64 bytes
    }

    // crash-segment-mask-dicom, crash-detect-mask-dicom: a "mask_png_base64"
    // that was not a PNG went to whichever OpenCV decoder claimed it; GDCM
    // asserted on this one and aborted the GUI. Only a PNG is decoded now.
    void maskThatIsNotAPngIsRefused() {
        const QString dicom = dicom_base64();
        QVERIFY(!dicom.isEmpty());
        QString error;
        QVERIFY(!wire::segment_result_from_json(segment_answer(dicom, 5, 3), &error));
        QCOMPARE(error, QStringLiteral("candidates[0]: the mask is not a PNG"));
        QVERIFY(!wire::detect_reply_from_json(detect_answer(dicom, 5, 3), &error));
        QCOMPARE(error, QStringLiteral("detections[0]: the mask is not a PNG"));
    }

    // A mask PNG must be the answer's size, checked from its header before it
    // is decoded (a PNG's header size is allocated before its data is read).
    void maskOfAnotherSizeIsRefusedBeforeDecoding() {
        QString error;
        QVERIFY(!wire::segment_result_from_json(segment_answer(mask_png_base64(4, 3), 5, 3), &error));
        QCOMPARE(error, QStringLiteral("candidates[0]: the mask is 4x3, the image 5x3"));
        QVERIFY(!wire::detect_reply_from_json(detect_answer(mask_png_base64(4, 3), 4, 30000), &error));
        QCOMPARE(error, QStringLiteral("detections[0]: the mask is 4x3, the image 4x30000"));

        const auto segment = wire::segment_result_from_json(segment_answer(mask_png_base64(4, 3), 4, 3), &error);
        QVERIFY2(segment, qPrintable(error));
        QCOMPARE(int(segment->candidates.size()), 1);
        const engine::MaskCandidate& c = segment->candidates[0];
        QCOMPARE(c.width, 4);
        QCOMPARE(c.height, 3);
        QCOMPARE(c.mask, (std::vector<std::uint8_t>{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}));
        const auto detect = wire::detect_reply_from_json(detect_answer(mask_png_base64(4, 3), 4, 3), &error);
        QVERIFY2(detect, qPrintable(error));
        QCOMPARE(detect->result.detections[0].mask, c.mask);
    }
};

QTEST_GUILESS_MAIN(TestControlApiReplies)
#include "test_control_api_replies.moc"

// Image reading: EXIF orientations 1..8 against PIL's ImageOps.exif_transpose
// (and the venv's cv2.imread, which Ultralytics uses), grayscale, 16-bit,
// alpha, broken files, awkward file names, and the pixel limit checked from
// the header before any decoding.
#include "core/io/image_reader.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace samlabel::io;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<std::uint8_t> encode(const std::string& ext, const cv::Mat& m) {
    std::vector<std::uint8_t> buf;
    if (!cv::imencode(ext, m, buf)) throw std::runtime_error("imencode failed");
    return buf;
}

// An asymmetric test picture: every rotation/flip of it differs strongly.
cv::Mat asymmetric(int w, int h) {
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::rectangle(m, cv::Rect(0, 0, w / 3, h / 4), cv::Scalar(0, 0, 255), -1);            // red top-left
    cv::rectangle(m, cv::Rect(w - w / 4, h / 2, w / 4, h / 2), cv::Scalar(255, 0, 0), -1);  // blue right-bottom
    cv::rectangle(m, cv::Rect(w / 3, h - h / 5, w / 5, h / 5), cv::Scalar(0, 255, 0), -1);  // green bottom
    return m;
}

// Writes the picture with EXIF orientation o for each format, plus PIL's
// exif_transpose and cv2.imread results as raw BGR bytes.
const char* kPyScript = R"(
import json, sys, numpy as np, cv2
from PIL import Image, ImageOps
src = sys.argv[1]; outdir = sys.argv[2]
base = Image.open(src).convert("RGB")
cases = []
for ext in ["jpg", "png", "webp", "tif"]:
    for o in range(1, 9):
        im = base.copy(); ex = im.getexif(); ex[0x0112] = o
        fn = f"{outdir}/orient{o}.{ext}"
        kw = {"quality": 95} if ext == "jpg" else ({"lossless": True} if ext == "webp" else {})
        im.save(fn, exif=ex, **kw)
        pil = np.asarray(ImageOps.exif_transpose(Image.open(fn)).convert("RGB"))[:, :, ::-1].copy()
        pil.tofile(fn + ".pil.raw")
        cv = cv2.imread(fn, cv2.IMREAD_COLOR)  # None: this cv2 cannot read it (some TIFFs)
        if cv is not None: cv.tofile(fn + ".cv2.raw")
        cases.append({"file": fn, "ext": ext, "orientation": o, "h": pil.shape[0], "w": pil.shape[1],
                      "cv_h": 0 if cv is None else cv.shape[0], "cv_w": 0 if cv is None else cv.shape[1]})
json.dump(cases, open(f"{outdir}/cases.json", "w"))
)";

cv::Mat read_raw(const std::string& file, int h, int w) {
    cv::Mat m(h, w, CV_8UC3);
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(m.data), std::streamsize(m.total() * 3));
    return m;
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat d;
    cv::absdiff(a, b, d);
    const cv::Scalar s = cv::mean(d);
    return (s[0] + s[1] + s[2]) / 3.0;
}

}  // namespace

class TestImageReader : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path tmp() const { return fs::path(dir_.path().toStdString()); }

private slots:
    void exif_orientations_match_pil_and_cv2() {
        const QString python = QStringLiteral(SAMLABEL_PYTHON);
        if (python.isEmpty()) QSKIP("SAMLABEL_PYTHON not configured");
        const fs::path src = tmp() / "base.png";
        write_bytes(src, encode(".png", asymmetric(48, 30)));
        QProcess py;
        py.start(python, {"-c", kPyScript, QString::fromStdString(src.string()), dir_.path()});
        QVERIFY(py.waitForFinished(60000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        std::ifstream cases_file(tmp() / "cases.json");
        const nlohmann::json cases = nlohmann::json::parse(cases_file);
        QCOMPARE(cases.size(), std::size_t(32));
        int cv2_unreadable = 0;
        for (const auto& c : cases) {
            const std::string file = c["file"];
            const int o = c["orientation"];
            const ImageReadResult r = read_image(file);
            QVERIFY2(r.ok(), r.error.c_str());
            const std::string label = file + " orientation " + std::to_string(o);
            QCOMPARE(r.exif_orientation, o);
            const cv::Mat pil = read_raw(file + ".pil.raw", c["h"], c["w"]);
            QVERIFY2(r.bgr8.size() == pil.size(), label.c_str());
            const double tolerance = c["ext"] == "jpg" ? 3.0 : 0.0;  // JPEG: lossy, decoders differ slightly
            const double d = mean_abs_diff(r.bgr8, pil);
            QVERIFY2(d <= tolerance, (label + ": mean abs diff vs PIL " + std::to_string(d)).c_str());
            // What Ultralytics loads (cv2.imread) agrees too.
            if (c["cv_h"] == 0) {
                qInfo("%s: the venv's cv2.imread cannot read it; compared with PIL only", label.c_str());
                ++cv2_unreadable;
            } else {
            const cv::Mat cv2img = read_raw(file + ".cv2.raw", c["cv_h"], c["cv_w"]);
            QVERIFY2(r.bgr8.size() == cv2img.size(), (label + " vs cv2.imread").c_str());
            QVERIFY2(mean_abs_diff(r.bgr8, cv2img) <= tolerance, (label + " vs cv2.imread").c_str());
            }
            // The header alone gives the same oriented size.
            const auto header = read_image_header(file);
            QVERIFY(header);
            QCOMPARE(header->exif_orientation, o);
            QCOMPARE(header->width, r.width);
            QCOMPARE(header->height, r.height);
            QCOMPARE(header->stored_width, 48);
        }
        QVERIFY(cv2_unreadable <= 8);  // only TIFF variants, and JPEG/PNG/WebP always compared
    }

    void orientation_off_keeps_stored_layout() {
        // Built by hand: a JPEG with an APP1 EXIF orientation 6 inserted after SOI.
        std::vector<std::uint8_t> jpeg = encode(".jpg", asymmetric(40, 20));
        const std::vector<std::uint8_t> app1 = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
                                                'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // big-endian TIFF, IFD at 8
                                                0x00, 0x01,                                    // one entry
                                                0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,  // orientation = 6
                                                0x00, 0x00, 0x00, 0x00};
        jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
        const fs::path p = tmp() / "hand.JPG";
        write_bytes(p, jpeg);
        const ImageReadResult r = read_image(p);
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.exif_orientation, 6);
        QCOMPARE(r.width, 20);  // rotated 90 degrees clockwise
        QCOMPARE(r.height, 40);
        // Red block (stored top-left) is now at the top-right.
        QVERIFY(r.bgr8.at<cv::Vec3b>(1, 18)[2] > 200);
        ImageReadOptions raw;
        raw.apply_exif_orientation = false;
        const ImageReadResult s = read_image(p, raw);
        QCOMPARE(s.width, 40);
        QCOMPARE(s.exif_orientation, 1);
    }

    void grayscale_16bit_and_alpha() {
        cv::Mat gray(10, 12, CV_8UC1, cv::Scalar(77));
        write_bytes(tmp() / "gray.png", encode(".png", gray));
        ImageReadResult r = read_image(tmp() / "gray.png");
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.channels, 1);
        QCOMPARE(r.bit_depth, 8);
        QCOMPARE(r.bgr8.type(), CV_8UC3);
        QCOMPARE(r.bgr8.at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));

        cv::Mat deep(8, 9, CV_16UC1, cv::Scalar(257 * 100));
        deep.at<std::uint16_t>(0, 0) = 65535;
        write_bytes(tmp() / "deep.png", encode(".png", deep));
        r = read_image(tmp() / "deep.png");
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.bit_depth, 16);
        QCOMPARE(r.channels, 1);
        QCOMPARE(r.bgr8.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
        QCOMPARE(r.bgr8.at<cv::Vec3b>(4, 4), cv::Vec3b(100, 100, 100));  // full-range scaling, as cv2.imread
        QCOMPARE(read_image_header(tmp() / "deep.png")->bit_depth, 16);

        cv::Mat rgba(16, 16, CV_8UC4, cv::Scalar(0, 0, 200, 255));  // opaque red
        rgba.at<cv::Vec4b>(0, 0) = {0, 0, 200, 0};                  // fully transparent
        rgba.at<cv::Vec4b>(0, 8) = {0, 0, 200, 0};                  // transparent, other checker cell
        rgba.at<cv::Vec4b>(5, 5) = {0, 0, 200, 128};                // half
        write_bytes(tmp() / "alpha.png", encode(".png", rgba));
        r = read_image(tmp() / "alpha.png");
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.channels, 4);
        QVERIFY(r.has_alpha());
        QCOMPARE(r.bgr8.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 0, 200));
        QCOMPARE(r.bgr8.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));  // light checker cell
        QCOMPARE(r.bgr8.at<cv::Vec3b>(0, 8), cv::Vec3b(204, 204, 204));  // dark checker cell
        // (200*128 + 255*127 + 127) / 255 = 227 for red; (0*128 + 255*127 + 127)/255 = 127 for blue/green.
        QCOMPARE(r.bgr8.at<cv::Vec3b>(5, 5), cv::Vec3b(127, 127, 227));
        ImageReadOptions white;
        white.alpha_background = AlphaBackground::White;
        QCOMPARE(read_image(tmp() / "alpha.png", white).bgr8.at<cv::Vec3b>(0, 8), cv::Vec3b(255, 255, 255));
    }

    void every_format_header_and_decode() {
        const cv::Mat pic = asymmetric(37, 23);
        for (const char* ext : {".jpg", ".png", ".bmp", ".tiff", ".webp"}) {
            const fs::path p = tmp() / (std::string("fmt") + ext);
            write_bytes(p, encode(ext, pic));
            const auto header = read_image_header(p);
            QVERIFY2(header, ext);
            QCOMPARE(header->width, 37);
            QCOMPARE(header->height, 23);
            QCOMPARE(header->channels, 3);
            const ImageReadResult r = read_image(p);
            QVERIFY2(r.ok(), r.error.c_str());
            QCOMPARE(r.bgr8.size(), cv::Size(37, 23));
            const double d = mean_abs_diff(r.bgr8, pic);
            QVERIFY2(d < (std::string(ext) == ".jpg" ? 8.0 : 0.001), (std::string(ext) + " differs by " + std::to_string(d)).c_str());
        }
        QCOMPARE(read_image_header(tmp() / "fmt.webp")->format, ImageFormat::WebP);
        QCOMPARE(read_image_header(tmp() / "fmt.bmp")->format, ImageFormat::Bmp);
        QVERIFY(is_supported_image_extension("a/B.JPEG"));
        QVERIFY(is_supported_image_extension("x.TiF"));
        QVERIFY(!is_supported_image_extension("x.gif"));
        QVERIFY(!is_supported_image_extension("jpg"));
    }

    void broken_files_give_errors_not_crashes() {
        std::vector<std::uint8_t> jpeg = encode(".jpg", asymmetric(200, 150));
        jpeg.resize(jpeg.size() * 6 / 10);
        write_bytes(tmp() / "truncated.jpg", jpeg);
        ImageReadResult r = read_image(tmp() / "truncated.jpg");
        QVERIFY(!r.ok());
        QVERIFY(r.bgr8.empty());
        QVERIFY2(r.error.find("truncated.jpg: truncated JPEG") != std::string::npos, r.error.c_str());

        std::vector<std::uint8_t> png = encode(".png", asymmetric(200, 150));
        png.resize(png.size() / 2);
        write_bytes(tmp() / "truncated.png", png);
        r = read_image(tmp() / "truncated.png");
        QVERIFY2(r.error.find("truncated.png: cannot decode the PNG data") != std::string::npos, r.error.c_str());

        write_bytes(tmp() / "garbage.png", std::vector<std::uint8_t>(500, 0x5a));
        r = read_image(tmp() / "garbage.png");
        QVERIFY2(r.error.find("garbage.png: not a supported image") != std::string::npos, r.error.c_str());

        std::vector<std::uint8_t> bad_header = encode(".png", asymmetric(20, 20));
        bad_header[12] = 'X';  // IHDR chunk type mangled
        write_bytes(tmp() / "badheader.png", bad_header);
        r = read_image(tmp() / "badheader.png");
        QVERIFY2(r.error.find("corrupt PNG header") != std::string::npos, r.error.c_str());

        write_bytes(tmp() / "empty.jpg", {});
        QVERIFY(read_image(tmp() / "empty.jpg").error.find("empty.jpg: the file is empty") != std::string::npos);
        QVERIFY(read_image(tmp() / "missing.jpg").error.find("missing.jpg: file not found") != std::string::npos);
        QVERIFY(!read_image_header(tmp() / "garbage.png"));
    }

    void awkward_file_names() {
        const fs::path folder = tmp() / path_from_utf8("dir with spaces/ünïcødé ñame");
        fs::create_directories(folder);
        const fs::path p = folder / path_from_utf8("my ïmage 画像.PNG");
        write_bytes(p, encode(".png", asymmetric(30, 20)));
        const ImageReadResult r = read_image(p);
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.width, 30);
        QVERIFY(path_to_utf8(p).find("画像") != std::string::npos);
        const ImageReadResult missing = read_image(folder / path_from_utf8("nø.png"));
        QVERIFY(missing.error.find("nø.png") != std::string::npos);  // names the file in UTF-8
    }

    void pixel_limit_refused_before_decoding() {
        // A PNG that claims 30000x30000 but holds no pixel data at all: if the
        // reader tried to decode it, the error would be a decode failure (and a
        // 2.7 GB allocation attempt), not the limit message.
        std::vector<std::uint8_t> png = encode(".png", cv::Mat(1, 1, CV_8UC3, cv::Scalar(0)));
        auto put_be32 = [&](std::size_t at, std::uint32_t v) {
            for (int i = 0; i < 4; ++i) png[at + i] = std::uint8_t(v >> (24 - 8 * i));
        };
        put_be32(16, 30000);
        put_be32(20, 30000);
        png.resize(33);
        write_bytes(tmp() / "huge.png", png);
        QElapsedTimer t;
        t.start();
        ImageReadResult r = read_image(tmp() / "huge.png");
        QVERIFY2(r.error.find("huge.png: 30000x30000 = 900.0 MP exceeds the pixel limit of 200.0 MP") != std::string::npos, r.error.c_str());
        QVERIFY(t.elapsed() < 1000);
        QCOMPARE(read_image_header(tmp() / "huge.png")->pixel_count(), std::uint64_t(900000000));
        // The setting is honoured on a real image too.
        write_bytes(tmp() / "small.jpg", encode(".jpg", asymmetric(100, 100)));
        ImageReadOptions tight;
        tight.max_pixels = 9999;
        r = read_image(tmp() / "small.jpg", tight);
        QVERIFY2(r.error.find("100x100 = 0.0 MP exceeds the pixel limit") != std::string::npos, r.error.c_str());
        tight.max_pixels = 10000;
        QVERIFY(read_image(tmp() / "small.jpg", tight).ok());
    }
};

QTEST_APPLESS_MAIN(TestImageReader)
#include "test_image_reader.moc"

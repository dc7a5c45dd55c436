#include "tests/io/export_fixture.h"

#include "core/annotation/rle.h"
#include "core/io/image_reader.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <stdexcept>

namespace samlabel::testing {
namespace {

namespace fs = std::filesystem;
using annotation::Instance;
using annotation::Point;
using annotation::PolygonWithHoles;

std::vector<unsigned char> encode(const std::string& ext, const cv::Mat& image) {
    std::vector<unsigned char> bytes;
    if (!cv::imencode(ext, image, bytes)) throw std::runtime_error("imencode " + ext);
    return bytes;
}

Instance polygon_instance(annotation::ClassId cls, std::vector<PolygonWithHoles> polygons) {
    Instance i;
    i.class_id = cls;
    i.polygons = std::move(polygons);
    return i;
}

Instance mask_instance(annotation::ClassId cls, const cv::Mat& mask) {
    Instance i;
    i.class_id = cls;
    i.mask = annotation::encode_rle(mask);
    i.source = annotation::InstanceSource::Sam3;
    return i;
}

PolygonWithHoles rect(double x0, double y0, double x1, double y1) { return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, {}}; }

void add(annotation::Project& p, const std::string& rel, int w, int h, std::vector<Instance> instances) {
    annotation::ImageAnnotations& img = p.ensure_image(rel, w, h);
    img.status = annotation::ImageStatus::Done;
    for (Instance& i : instances) {
        i.id = p.allocate_instance_id();
        img.instances.push_back(std::move(i));
    }
}

}  // namespace

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + io::path_to_utf8(path));
}

std::vector<unsigned char> jpeg_with_exif_orientation(const cv::Mat& bgr, int orientation) {
    std::vector<unsigned char> jpeg = encode(".jpg", bgr);
    // APP1: "Exif\0\0" + little-endian TIFF header + IFD0 with one entry
    // (0x0112 Orientation, SHORT, count 1) + next-IFD offset 0.
    const std::vector<unsigned char> tiff = {'I', 'I', 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00,  // header, IFD0 at 8
                                             0x01, 0x00,                                      // 1 entry
                                             0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,  // tag, type, count
                                             static_cast<unsigned char>(orientation), 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x00, 0x00};  // next IFD
    std::vector<unsigned char> app1 = {0xff, 0xe1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
    app1.insert(app1.end(), tiff.begin(), tiff.end());
    const std::size_t len = app1.size() - 2;
    app1[2] = static_cast<unsigned char>(len >> 8);
    app1[3] = static_cast<unsigned char>(len & 0xff);
    jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
    return jpeg;
}

ExportFixture make_export_fixture(const fs::path& root) {
    ExportFixture fx;
    fx.image_root = root;
    annotation::Project& p = fx.project;
    // Stable ids with gaps, display order differing from id order.
    p.insert_class(0, {7, "dog ü", 0x00ff00});
    p.insert_class(1, {3, "cat: \"tabby\"", 0xff0000});
    p.insert_class(2, {11, "unused class", 0x0000ff});
    p.insert_class(3, {12, "bird", 0xffff00});
    const annotation::ClassId dog = 7, cat = 3, bird = 12;

    // 1. EXIF-rotated JPEG: stored 320x200, orientation 6 (90 deg CW) -> 200x320 upright.
    {
        cv::Mat stored(200, 320, CV_8UC3, cv::Scalar(40, 90, 160));
        cv::rectangle(stored, cv::Rect(10, 10, 60, 30), cv::Scalar(255, 255, 255), cv::FILLED);
        write_bytes(root / "street scene ä.JPG", jpeg_with_exif_orientation(stored, 6));
        cv::Mat ring(320, 200, CV_8UC1, cv::Scalar(0));  // upright frame: 200 wide, 320 tall
        cv::circle(ring, {100, 160}, 70, 255, cv::FILLED);
        cv::circle(ring, {100, 160}, 30, 0, cv::FILLED);  // a hole
        add(p, "street scene ä.JPG", 200, 320,
            {polygon_instance(cat, {{{{20, 20}, {180, 30}, {100, 300}}, {}}}), mask_instance(dog, ring)});
    }
    // 2. Grayscale PNG, 8-bit: multi-part polygon and a polygon with a hole.
    {
        cv::Mat gray(240, 320, CV_8UC1, cv::Scalar(128));
        write_bytes(root / "gray image.png", encode(".png", gray));
        PolygonWithHoles with_hole = rect(20, 20, 300, 220);
        with_hole.holes.push_back({{100, 80}, {220, 80}, {220, 160}, {100, 160}});
        add(p, "gray image.png", 320, 240,
            {polygon_instance(bird, {rect(10, 10, 150, 120), rect(170, 130, 310, 230)}),
             polygon_instance(dog, {with_hole})});
    }
    // 3. 16-bit PNG, upper-case extension: multi-part mask; plus skipped instances.
    {
        cv::Mat deep(200, 260, CV_16UC3, cv::Scalar(1000, 30000, 65000));
        write_bytes(root / "deep 16bit.PNG", encode(".png", deep));
        cv::Mat parts(200, 260, CV_8UC1, cv::Scalar(0));
        cv::rectangle(parts, cv::Rect(10, 10, 100, 80), 255, cv::FILLED);
        cv::circle(parts, {190, 140}, 50, 255, cv::FILLED);
        Instance unassigned = polygon_instance(annotation::kNoClass, {rect(5, 5, 50, 50)});
        Instance degenerate = polygon_instance(cat, {{{{10, 10}, {50, 50}}, {}}});
        Instance outside = polygon_instance(cat, {rect(300, 10, 400, 50)});
        Instance unknown_class = polygon_instance(99, {rect(5, 5, 50, 50)});
        add(p, "deep 16bit.PNG", 260, 200,
            {mask_instance(bird, parts), unassigned, degenerate, outside, unknown_class,
             polygon_instance(cat, {rect(-20, 150, 100, 260)})});  // partly outside: clamped
        fx.expected_skips += 4;
    }
    // 4. An image without instances.
    {
        cv::Mat plain(120, 160, CV_8UC3, cv::Scalar(0, 0, 255));
        write_bytes(root / "empty one.jpg", encode(".jpg", plain));
        add(p, "empty one.jpg", 160, 120, {});
    }
    // 5. Nested folder, non-ASCII name, .jpeg; a name stem shared with a PNG.
    {
        cv::Mat img(180, 240, CV_8UC3, cv::Scalar(10, 200, 10));
        write_bytes(root / "sub dir" / "naïve café.jpeg", encode(".jpg", img));
        write_bytes(root / "sub dir" / "naïve café.png", encode(".png", img));
        add(p, "sub dir/naïve café.jpeg", 240, 180, {polygon_instance(dog, {rect(30, 20, 200, 170)})});
        add(p, "sub dir/naïve café.png", 240, 180,
            {polygon_instance(cat, {{{{20, 30}, {220, 40}, {200, 170}, {60, 160}, {30, 100}}, {}}})});
    }
    return fx;
}

}  // namespace samlabel::testing

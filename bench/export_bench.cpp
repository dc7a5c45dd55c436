// Export throughput: 1,000 1920x1080 images with 10 mask instances each,
// YOLO segment and COCO, images hard-linked (pixel I/O excluded: only the
// header is read). Prints figures; asserts nothing. Target (issue 3):
// >= 300 images/s for YOLO segment.
//   samlabel-bench-export [--images N] [--dir TMP]
#include "core/annotation/project.h"
#include "core/annotation/rle.h"
#include "core/io/dataset_export.h"
#include "core/io/image_reader.h"
#include "core/io/yolo_export.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace fs = std::filesystem;
using namespace samlabel;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    int n_images = 1000;
    fs::path dir = fs::temp_directory_path() / "samlabel-export-bench";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::string(argv[i]) == "--images") n_images = std::stoi(argv[i + 1]);
        else if (std::string(argv[i]) == "--dir") dir = argv[i + 1];
    }
    constexpr int kW = 1920, kH = 1080, kPerImage = 10;
    fs::remove_all(dir);
    fs::create_directories(dir / "src");

    // One real JPEG, hard-linked n times (the export reads only its header).
    std::vector<unsigned char> jpeg;
    cv::imencode(".jpg", cv::Mat(kH, kW, CV_8UC3, cv::Scalar(80, 120, 160)), jpeg);
    std::ofstream(dir / "src" / "base.jpg", std::ios::binary).write(reinterpret_cast<const char*>(jpeg.data()), jpeg.size());

    // 40 distinct masks (blobs of 60-400 px, some with holes, some two-part), reused.
    std::mt19937 rng(7);
    std::vector<annotation::RleMask> masks;
    for (int m = 0; m < 40; ++m) {
        cv::Mat mask(kH, kW, CV_8UC1, cv::Scalar(0));
        const cv::Point c(100 + rng() % (kW - 400), 100 + rng() % (kH - 400));
        const cv::Size axes(30 + rng() % 170, 30 + rng() % 170);
        cv::ellipse(mask, c, axes, double(rng() % 180), 0, 360, 255, cv::FILLED);
        if (m % 3 == 0) cv::circle(mask, c, std::min(axes.width, axes.height) / 3, 0, cv::FILLED);
        if (m % 4 == 1) cv::circle(mask, c + cv::Point(axes.width + 60, 0), 40, 255, cv::FILLED);
        masks.push_back(annotation::encode_rle(mask));
    }
    annotation::Project project;
    project.add_class("thing", 0xff0000);
    project.add_class("other", 0x00ff00);
    for (int i = 0; i < n_images; ++i) {
        const std::string rel = "img_" + std::to_string(i) + ".jpg";
        fs::create_hard_link(dir / "src" / "base.jpg", dir / "src" / rel);
        annotation::ImageAnnotations& img = project.ensure_image(rel, kW, kH);
        for (int k = 0; k < kPerImage; ++k) {
            annotation::Instance inst;
            inst.id = project.allocate_instance_id();
            inst.class_id = k % 2;
            inst.mask = masks[(i * kPerImage + k) % masks.size()];
            img.instances.push_back(std::move(inst));
        }
    }
    std::printf("export bench: %d images %dx%d, %d mask instances each, hard links\n", n_images, kW, kH, kPerImage);

    // In-memory label generation only (no files): where the time goes.
    {
        const io::DenseClassMap classes(project);
        io::ExportReport report;
        std::string text;
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& [rel, img] : project.images()) {
            text.clear();
            io::write_yolo_labels(text, img, kW, kH, classes, io::YoloTask::Segment, {}, report);
        }
        const double s = seconds_since(t0);
        std::printf("  yolo-segment labels in memory : %8.1f images/s  (%.2f s)\n", n_images / s, s);
    }
    for (io::ExportFormat format : {io::ExportFormat::YoloSegment, io::ExportFormat::YoloDetect, io::ExportFormat::Coco}) {
        io::ExportOptions o;
        o.format = format;
        o.output_dir = dir / (std::string("out-") + io::export_format_name(format));
        o.image_transfer = io::ImageTransfer::HardLink;
        if (format != io::ExportFormat::Coco) o.split = io::SplitFractions{0.8, 0.2, 0.0};
        const auto t0 = std::chrono::steady_clock::now();
        const io::ExportReport r = io::export_dataset(project, dir / "src", o);
        const double s = seconds_since(t0);
        std::printf("  %-12s full export      : %8.1f images/s  (%.2f s, %zu instances, %zu linked, %zu skipped)\n",
                    io::export_format_name(format), n_images / s, s, r.instances_written, r.image_files_linked,
                    r.skipped.size());
    }
    fs::remove_all(dir);
    return 0;
}

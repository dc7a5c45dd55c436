#include "core/annotation/grabcut_segmenter.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>

namespace samlabel::annotation {
namespace {

cv::Mat toBgr8(const cv::Mat& image) {
    cv::Mat bgr;
    if (image.channels() == 1) cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
    else if (image.channels() == 4) cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
    else bgr = image;
    return bgr;
}

// The region GrabCut looks at: the box plus a margin that supplies background
// samples, or (points only) a generous area around the positive points.
cv::Rect workRegion(const GrabCutSeeds& seeds, cv::Size image_size) {
    const cv::Rect image_rect({0, 0}, image_size);
    cv::Rect region;
    int margin = 0;
    if (seeds.box) {
        region = *seeds.box & image_rect;
        // Points outside the box count too: the region grows to hold them.
        for (const auto& p : seeds.positive_points) region |= cv::Rect(p.x, p.y, 1, 1);
        for (const auto& p : seeds.negative_points) region |= cv::Rect(p.x, p.y, 1, 1);
        margin = std::max(8, std::max(region.width, region.height) / 8);
    } else {
        int x0 = image_size.width, y0 = image_size.height, x1 = 0, y1 = 0;
        for (const auto& p : seeds.positive_points) {
            x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
        }
        region = cv::Rect(x0, y0, std::max(1, x1 - x0 + 1), std::max(1, y1 - y0 + 1));
        margin = std::max(48, std::max(image_size.width, image_size.height) / 5);
    }
    region = cv::Rect(region.x - margin, region.y - margin, region.width + 2 * margin, region.height + 2 * margin);
    return region & image_rect;
}

}  // namespace

GrabCutResult run_grabcut(const cv::Mat& image, const GrabCutSeeds& seeds, int iterations, int work_side_px) {
    const auto start = std::chrono::steady_clock::now();
    GrabCutResult result;
    if (image.empty() || image.depth() != CV_8U) {
        result.error = "GrabCut needs a decoded 8-bit image";
        return result;
    }
    if (seeds.empty()) {
        result.error = "GrabCut needs a box or at least one positive point";
        return result;
    }
    const cv::Rect region = workRegion(seeds, image.size());
    if (region.width < 4 || region.height < 4) {
        result.error = "the box is too small for GrabCut";
        return result;
    }
    const double scale = std::min(1.0, double(work_side_px) / std::max(region.width, region.height));
    cv::Mat work;
    cv::resize(toBgr8(image)(region), work, cv::Size(), scale, scale, cv::INTER_AREA);
    auto toWork = [&](cv::Point p) {
        return cv::Point(int((p.x - region.x + 0.5) * scale), int((p.y - region.y + 0.5) * scale));
    };

    cv::Mat1b seed_mask(work.size(), cv::GC_PR_BGD);
    if (seeds.box) {
        const cv::Rect box = *seeds.box & cv::Rect({0, 0}, image.size());
        const bool positive_outside = std::any_of(seeds.positive_points.begin(), seeds.positive_points.end(),
                                                  [&](const cv::Point& p) { return !box.contains(p); });
        if (positive_outside) {
            // The user says the object reaches beyond the box: outside it is
            // only probably background, and the region's rim is definitely.
            seed_mask.setTo(cv::GC_PR_BGD);
            const int rim = std::max(2, std::min(work.cols, work.rows) / 40);
            cv::rectangle(seed_mask, cv::Rect(0, 0, work.cols, work.rows), cv::GC_BGD, rim);
        } else {
            seed_mask.setTo(cv::GC_BGD);
        }
        cv::Point tl = toWork(box.tl()), br = toWork(box.br());
        cv::rectangle(seed_mask, cv::Rect(tl, br), cv::GC_PR_FGD, cv::FILLED);
    } else {
        // Points only: the object probably extends a bit around each click.
        const int radius = std::max(6, int(0.12 * std::min(work.cols, work.rows)));
        for (const auto& p : seeds.positive_points) cv::circle(seed_mask, toWork(p), radius, cv::GC_PR_FGD, cv::FILLED);
    }
    const int point_radius = std::max(2, int(0.015 * std::max(work.cols, work.rows)));
    for (const auto& p : seeds.positive_points) cv::circle(seed_mask, toWork(p), point_radius, cv::GC_FGD, cv::FILLED);
    for (const auto& p : seeds.negative_points) cv::circle(seed_mask, toWork(p), point_radius, cv::GC_BGD, cv::FILLED);

    const bool has_background = cv::countNonZero(seed_mask == cv::GC_BGD) + cv::countNonZero(seed_mask == cv::GC_PR_BGD) > 0;
    if (!has_background) {
        result.error = "the box covers the whole image: GrabCut needs some background around the object";
        return result;
    }
    try {
        cv::Mat bgd_model, fgd_model;
        cv::grabCut(work, seed_mask, cv::Rect(), bgd_model, fgd_model, iterations, cv::GC_INIT_WITH_MASK);
    } catch (const cv::Exception& e) {
        result.error = std::string("GrabCut failed: ") + e.what();
        return result;
    }
    cv::Mat1b object = (seed_mask == cv::GC_FGD) | (seed_mask == cv::GC_PR_FGD);

    // Keep the components the user pointed at (or the largest one): GrabCut
    // often adds specks of similar colour elsewhere in the region.
    cv::Mat1i labels, stats;
    cv::Mat centroids;
    const int count = cv::connectedComponentsWithStats(object, labels, stats, centroids, 8);
    std::vector<bool> keep(count, false);
    for (const auto& p : seeds.positive_points) {
        const cv::Point q = toWork(p);
        if (q.inside(cv::Rect({0, 0}, labels.size())) && labels(q) > 0) keep[labels(q)] = true;
    }
    if (std::none_of(keep.begin(), keep.end(), [](bool k) { return k; })) {
        int best = 0;
        for (int i = 1; i < count; ++i)
            if (best == 0 || stats(i, cv::CC_STAT_AREA) > stats(best, cv::CC_STAT_AREA)) best = i;
        if (best > 0) keep[best] = true;
    }
    cv::Mat1b kept(object.size(), uchar(0));
    for (int y = 0; y < labels.rows; ++y)
        for (int x = 0; x < labels.cols; ++x)
            if (keep[labels(y, x)]) kept(y, x) = 255;
    if (cv::countNonZero(kept) == 0) {
        result.error = "GrabCut found no object there";
        return result;
    }

    cv::Mat1b region_mask;
    cv::resize(kept, region_mask, region.size(), 0, 0, cv::INTER_LINEAR);
    cv::threshold(region_mask, region_mask, 127, 255, cv::THRESH_BINARY);
    result.mask = cv::Mat1b(image.size(), uchar(0));
    region_mask.copyTo(result.mask(region));
    result.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace samlabel::annotation

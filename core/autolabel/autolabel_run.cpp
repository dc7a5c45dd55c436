#include "core/autolabel/autolabel_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace samlabel::autolabel {

std::string format_progress(const RunProgress& p) {
    char buf[256];
    std::string eta = "ETA --";
    if (p.eta_s >= 0) {
        const long s = std::lround(p.eta_s);
        if (s >= 3600) std::snprintf(buf, sizeof buf, "ETA %ld h %02ld min", s / 3600, (s % 3600) / 60);
        else if (s >= 60) std::snprintf(buf, sizeof buf, "ETA %ld min %02ld s", s / 60, s % 60);
        else std::snprintf(buf, sizeof buf, "ETA %ld s", s);
        eta = buf;
    }
    std::snprintf(buf, sizeof buf, "%zu/%zu images, %.2f images/s, %s, %zu detections", p.done, p.to_do, p.images_per_s, eta.c_str(),
                  p.detections);
    std::string out = buf;
    if (p.done_before || p.failed) {
        out += " (";
        if (p.done_before) out += std::to_string(p.done_before) + " done before";
        if (p.done_before && p.failed) out += ", ";
        if (p.failed) out += std::to_string(p.failed) + " failed";
        out += ")";
    }
    return out;
}

RunSummary run_autolabel(const std::vector<std::string>& images, const std::set<std::string>& done_before, ResultsWriter& out,
                         const ImageDetector& detect, const std::function<void(const RunProgress&)>& on_progress,
                         const std::atomic<bool>* cancel) {
    RunSummary summary;
    RunProgress& p = summary.last;
    std::vector<const std::string*> to_do;
    for (const std::string& image : images) {
        if (done_before.count(image)) ++p.done_before;
        else to_do.push_back(&image);
    }
    p.to_do = to_do.size();
    const auto t0 = std::chrono::steady_clock::now();
    for (const std::string* image : to_do) {
        if (cancel && cancel->load()) {
            summary.cancelled = true;
            break;
        }
        p.image = *image;
        try {
            const ImageDetections found = detect(*image);
            out.append(found);  // on the disk before the image counts as done
            ++p.done;
            p.detections += found.detections.size();
        } catch (const ResultsFileError&) {
            throw;  // the results cannot be kept: stop rather than work for nothing
        } catch (const std::exception& e) {
            ++p.failed;
            summary.failures.push_back(e.what());
        }
        p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        p.images_per_s = p.elapsed_s > 0 ? double(p.done) / p.elapsed_s : 0.0;
        const std::size_t left = p.to_do - p.done - p.failed;
        p.eta_s = p.images_per_s > 0 ? double(left) / p.images_per_s : -1.0;
        if (on_progress) on_progress(p);
    }
    return summary;
}

}  // namespace samlabel::autolabel

// libFuzzer target: one YOLO label file (detect or segment rows) through
// parse_yolo_labels and yolo_row_to_instance, as import_yolo_dataset reads
// them. Bad lines go to the problems list ("<file>: line N: <reason>"), never an
// exception; accepted rows become instances with finite coordinates.
#include "core/io/yolo_import.h"
#include "tests/fuzz/fuzz_support.h"

#include <cmath>

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> problems;
    const std::vector<io::YoloLabelRow> rows = io::parse_yolo_labels(text, "labels/a.txt", problems);
    for (const std::string& problem : problems)
        if (problem.rfind("labels/a.txt: ", 0) != 0) fuzz::invariant_failed("a problem does not name the file");
    for (const io::YoloLabelRow& row : rows) {
        if (row.class_index < 0) fuzz::invariant_failed("a negative class index was accepted");
        const annotation::Instance instance = io::yolo_row_to_instance(row, 0, 640, 480);
        for (const auto& polygon : instance.polygons)
            for (const auto& p : polygon.outer)
                if (!std::isfinite(p.x) || !std::isfinite(p.y)) fuzz::invariant_failed("a non-finite vertex");
    }
    return 0;
}

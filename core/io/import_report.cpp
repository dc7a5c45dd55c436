#include "core/io/import_report.h"

namespace samlabel::io {

std::string import_report_text(const ImportReport& report) {
    std::string out = "imported " + std::to_string(report.images) + " images, " + std::to_string(report.instances) +
                      " instances, " + std::to_string(report.classes) + " classes\n";
    for (const std::string& n : report.notes) out += "note: " + n + "\n";
    if (!report.problems.empty()) {
        out += std::to_string(report.problems.size()) + " problem(s), not imported:\n";
        for (const std::string& p : report.problems) out += "  " + p + "\n";
    }
    return out;
}

}  // namespace samlabel::io

#pragma once
// What an import read and what it could not: every label line or annotation
// that was not imported is listed with its file and reason.
#include <cstddef>
#include <string>
#include <vector>

namespace samlabel::io {

struct ImportReport {
    std::size_t images = 0;      // images added to the project
    std::size_t instances = 0;   // instances imported
    std::size_t classes = 0;     // classes created
    std::vector<std::string> problems;  // "<file>: line N: <reason>" / "<file>: annotations[i]: <reason>"
    std::vector<std::string> notes;     // harmless observations (e.g. classes.txt used instead of data.yaml)
};

// Human-readable summary (the CLI prints it).
std::string import_report_text(const ImportReport& report);

}  // namespace samlabel::io

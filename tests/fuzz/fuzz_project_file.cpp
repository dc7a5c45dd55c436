// libFuzzer target: the project file (docs/project-format.md) through
// annotation::parse, which load_project_file uses. Malformed files must give a
// ProjectFileError (file + JSON path + reason); a file that parses must
// serialize and parse again to the same bytes.
#include "core/annotation/project_file.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const annotation::Project project = annotation::parse(text, "fuzz.json");
        const std::string once = annotation::serialize(project);
        std::string twice;
        try {
            twice = annotation::serialize(annotation::parse(once, "fuzz-serialized.json"));
        } catch (const annotation::ProjectFileError& e) {
            std::fprintf(stderr, "%s\n", e.what());
            fuzz::invariant_failed("a parsed project does not parse again after serialize()");
        }
        if (once != twice) fuzz::invariant_failed("serialize(parse(serialize(p))) differs from serialize(p)");
    } catch (const annotation::ProjectFileError&) {
    }
    return 0;
}

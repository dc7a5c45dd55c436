// libFuzzer target: Ultralytics' data.yaml through parse_data_yaml, as
// import_yolo_dataset reads it. Malformed files must give std::runtime_error
// "<file>: line N: ..."; an accepted file must write and read back the same.
#include "core/io/yolo_data_yaml.h"
#include "tests/fuzz/fuzz_support.h"

#include <sstream>
#include <stdexcept>

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const io::YoloDataYaml yaml = io::parse_data_yaml(text, "data.yaml");
        std::ostringstream written;
        io::write_data_yaml(yaml, written);
        io::YoloDataYaml again;
        try {
            again = io::parse_data_yaml(written.str(), "written.yaml");
        } catch (const std::runtime_error& e) {
            std::fprintf(stderr, "%s\n---\n%s\n", e.what(), written.str().c_str());
            fuzz::invariant_failed("write_data_yaml's output does not parse");
        }
        if (again.names != yaml.names) fuzz::invariant_failed("names differ after write + parse");
    } catch (const std::runtime_error& e) {
        if (std::string_view(e.what()).rfind("data.yaml", 0) != 0) fuzz::invariant_failed("the error does not name the file");
    }
    return 0;
}

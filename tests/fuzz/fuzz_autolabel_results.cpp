// libFuzzer target: an auto-label results file (JSON Lines: a header line,
// then one line per image) through read_results_file, as `samlabel-cli merge`
// and resuming runs read shard files from other machines. Malformed files must
// give ResultsFileError "<file>: line N: <problem>".
#include "core/autolabel/results_file.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::ScratchFolder folder;
    const auto path = folder.write("shard.jsonl", {reinterpret_cast<const char*>(data), size});
    try {
        const autolabel::ResultsContent content = autolabel::read_results_file(path);
        if (content.complete_bytes > size) fuzz::invariant_failed("complete_bytes beyond the file");
    } catch (const autolabel::ResultsFileError& e) {
        if (std::string_view(e.what()).find("shard.jsonl") == std::string_view::npos) fuzz::invariant_failed("the error does not name the file");
    }
    return 0;
}

// libFuzzer target: a sharded checkpoint folder as Checkpoint::open reads it:
// model.safetensors.index.json, two shards and config.json (the input's parts,
// fuzz_support.h's separator; an empty part is a missing file). Malformed
// folders must give a CheckpointError naming the file at fault.
#include "core/engine/checkpoint.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::ScratchFolder folder;
    folder.clear();
    const auto parts = fuzz::split_files(data, size, 4);
    const char* names[] = {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                           "model-00002-of-00002.safetensors", "config.json"};
    for (int i = 0; i < 4; ++i)
        if (!parts[i].empty()) folder.write(names[i], parts[i]);
    try {
        const auto checkpoint = engine::Checkpoint::open(folder.path());
        std::uint64_t total = 0;
        for (const auto& ref : checkpoint->tensors()) {
            if (!ref.file || !ref.entry) fuzz::invariant_failed("a null tensor reference");
            if (checkpoint->find(ref.entry->name)->entry != ref.entry) fuzz::invariant_failed("find() misses a tensor");
            total += ref.entry->byte_size();
        }
        if (total != checkpoint->tensor_bytes()) fuzz::invariant_failed("tensor_bytes() differs from the sum");
        if (!checkpoint->config().is_object()) fuzz::invariant_failed("config() is not an object");
    } catch (const engine::CheckpointError& e) {
        if (e.file().empty()) fuzz::invariant_failed("the error names no file");
    }
    return 0;
}

// libFuzzer target: one safetensors file (8-byte header length, JSON header,
// data section) opened as the engine opens every checkpoint file. Malformed
// input must give a CheckpointError naming the file; an accepted file must
// keep every tensor's bytes inside the mapped file.
#include "core/engine/safetensors_file.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::ScratchFolder folder;
    const auto path = folder.write("model.safetensors", {reinterpret_cast<const char*>(data), size});
    try {
        const auto file = engine::SafetensorsFile::open(path);
        std::uint64_t previous_end = 0;
        for (const engine::TensorEntry& entry : file->tensors()) {
            if (entry.data_end < entry.data_begin || file->data_section_offset() + entry.data_end > file->file_size())
                fuzz::invariant_failed("a tensor's bytes reach outside the file");
            const auto bytes = file->bytes(entry);
            if (bytes.size() != entry.byte_size()) fuzz::invariant_failed("bytes() size differs from the entry");
            if (!bytes.empty()) {
                volatile std::byte first = bytes.front(), last = bytes.back();  // touches the mapped pages
                (void)first;
                (void)last;
            }
            if (entry.element_count() * engine::tensor_dtype_size(entry.dtype) != entry.byte_size())
                fuzz::invariant_failed("shape x dtype differs from the byte size");
            if (file->find(entry.name) != &entry) fuzz::invariant_failed("find() misses a tensor");
            previous_end = entry.data_end;
        }
        (void)previous_end;
    } catch (const engine::CheckpointError& e) {
        if (e.file() != path) fuzz::invariant_failed("the error does not name the file");
    }
    return 0;
}

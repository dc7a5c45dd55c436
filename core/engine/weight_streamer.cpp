#include "core/engine/weight_streamer.h"
#include "core/engine/utf8_path.h"

#include "core/engine/mapped_file.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

namespace samlabel::engine {

namespace {

std::string shape_text(c10::IntArrayRef shape) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
    out << ']';
    return out.str();
}

struct CopyJob {
    const WeightBinding* binding;
    Checkpoint::TensorRef source;
};

// Copies one tensor from the map into its destination in slices of at most
// kStreamSliceBytes, giving back each slice's mapped pages right after use.
//  - CPU destination: copy_ casts while it copies, no temporary at all.
//  - Other devices, same dtype: the slice goes straight from the map.
//  - Other devices, dtype cast: ATen's cross-device copy_ would first make a
//    full-size CPU temporary in the target dtype; casting slice by slice into
//    a small CPU staging buffer keeps that temporary at one slice.
//  - A source not aligned to its element size (legal in the format, never
//    written by the reference writers) is first memcpy'd into an aligned slice.
void copy_tensor(const CopyJob& job) {
    const SafetensorsFile& file = *job.source.file;
    const TensorEntry& entry = *job.source.entry;
    torch::Tensor destination = job.binding->destination;
    const std::int64_t count_total = static_cast<std::int64_t>(entry.element_count());
    if (count_total == 0) return;

    const std::span<const std::byte> bytes = file.bytes(entry);
    const torch::Dtype source_dtype = torch_dtype_of(entry.dtype);
    const std::size_t source_element_bytes = tensor_dtype_size(entry.dtype);
    const bool aligned = reinterpret_cast<std::uintptr_t>(bytes.data()) % source_element_bytes == 0;
    const bool cast = destination.scalar_type() != source_dtype;
    const bool to_cpu = destination.device().is_cpu();
    const auto source_options = torch::TensorOptions().dtype(source_dtype).device(torch::kCPU);
    file.prefetch(entry);

    if (!destination.is_contiguous()) {
        // Rare (a caller's strided view): one whole-tensor copy.
        torch::Tensor source = torch::empty(destination.sizes(), source_options);
        std::memcpy(source.data_ptr(), bytes.data(), bytes.size());
        file.release(entry);
        destination.copy_(source);
        return;
    }

    const std::size_t widest_element =
        std::max<std::size_t>(source_element_bytes, static_cast<std::size_t>(destination.element_size()));
    const std::int64_t slice_elements =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(kStreamSliceBytes / widest_element));
    const std::int64_t staging_elements = std::min(slice_elements, count_total);
    torch::Tensor flat_destination = destination.view({-1});
    torch::Tensor aligned_staging;  // source dtype, CPU
    torch::Tensor cast_staging;     // destination dtype, CPU

    for (std::int64_t offset = 0; offset < count_total; offset += slice_elements) {
        const std::int64_t count = std::min(slice_elements, count_total - offset);
        const std::uint64_t byte_offset = static_cast<std::uint64_t>(offset) * source_element_bytes;
        const std::uint64_t byte_count = static_cast<std::uint64_t>(count) * source_element_bytes;
        const std::byte* slice_bytes = bytes.data() + byte_offset;

        torch::Tensor source;
        if (aligned) {
            // The map is read-only; from_blob wants a non-const pointer but copy_ only reads it.
            source = torch::from_blob(const_cast<std::byte*>(slice_bytes), {count}, source_options);
        } else {
            if (!aligned_staging.defined()) aligned_staging = torch::empty({staging_elements}, source_options);
            std::memcpy(aligned_staging.data_ptr(), slice_bytes, byte_count);
            source = aligned_staging.narrow(0, 0, count);
        }

        torch::Tensor target = flat_destination.narrow(0, offset, count);
        if (to_cpu || !cast) {
            target.copy_(source);
        } else {
            if (!cast_staging.defined())
                cast_staging = torch::empty({staging_elements}, destination.options().device(torch::kCPU));
            torch::Tensor converted = cast_staging.narrow(0, 0, count);
            converted.copy_(source);
            target.copy_(converted);  // blocking: the staging slice is free again afterwards
        }
        file.release(entry, byte_offset, byte_count);
    }
}

// Binds the destination to the mapped bytes when it can (see stream_weights);
// false when the tensor must be copied instead.
bool map_tensor(const CopyJob& job) {
    const SafetensorsFile& file = *job.source.file;
    const TensorEntry& entry = *job.source.entry;
    torch::Tensor destination = job.binding->destination;
    const torch::Dtype stored = torch_dtype_of(entry.dtype);
    const std::span<const std::byte> bytes = file.bytes(entry);
    if (!destination.device().is_cpu() || destination.scalar_type() != stored || !destination.is_contiguous() ||
        entry.element_count() == 0 || reinterpret_cast<std::uintptr_t>(bytes.data()) % tensor_dtype_size(entry.dtype) != 0)
        return false;
    // The deleter keeps the whole mapping alive for as long as this storage is.
    std::shared_ptr<const MappedFile> mapping = file.mapping();
    const torch::Tensor view = torch::from_blob(
        const_cast<std::byte*>(bytes.data()), destination.sizes(), [mapping](void*) mutable { mapping.reset(); },
        torch::TensorOptions().dtype(stored).device(torch::kCPU));
    destination.set_(view);
    // The first forward pass would otherwise fault these pages in one by one.
    file.map_in(entry);
    return true;
}

}  // namespace

torch::Dtype torch_dtype_of(TensorDType dtype) {
    switch (dtype) {
        case TensorDType::F64: return torch::kFloat64;
        case TensorDType::F32: return torch::kFloat32;
        case TensorDType::F16: return torch::kFloat16;
        case TensorDType::BF16: return torch::kBFloat16;
        case TensorDType::I64: return torch::kInt64;
        case TensorDType::I32: return torch::kInt32;
        case TensorDType::I16: return torch::kInt16;
        case TensorDType::I8: return torch::kInt8;
        case TensorDType::U8: return torch::kUInt8;
        case TensorDType::Bool: return torch::kBool;
        case TensorDType::F8_E4M3: return torch::kFloat8_e4m3fn;
        case TensorDType::F8_E5M2: return torch::kFloat8_e5m2;
    }
    throw std::invalid_argument("unknown TensorDType");
}

StreamStats stream_weights(const Checkpoint& checkpoint, const std::vector<WeightBinding>& bindings,
                           const std::function<bool(const LoadProgress&)>& progress, WeightPlacement placement) {
    const auto started = std::chrono::steady_clock::now();

    // 1. Validate every binding before touching any destination.
    std::vector<CopyJob> jobs;
    std::vector<std::pair<std::string, std::string>> problems;  // tensor, problem
    for (const WeightBinding& binding : bindings) {
        const auto source = checkpoint.find(binding.checkpoint_key);
        std::string problem;
        if (!source) {
            problem = "not in the checkpoint";
        } else if (!binding.destination.defined()) {
            problem = "the model gave no destination tensor for it";
        } else {
            const auto& shape = source->entry->shape;
            if (!std::equal(shape.begin(), shape.end(), binding.destination.sizes().begin(),
                            binding.destination.sizes().end()))
                problem = "has shape " + shape_text(shape) + " in " + path_to_utf8(source->file->path().filename()) +
                          " but the model expects " + shape_text(binding.destination.sizes());
        }
        if (problem.empty()) {
            jobs.push_back({&binding, *source});
        } else {
            problems.emplace_back(binding.checkpoint_key, problem);
        }
    }
    if (!problems.empty()) {
        if (problems.size() == 1)
            throw CheckpointError(checkpoint.directory(), problems.front().first, problems.front().second);
        std::string text = std::to_string(problems.size()) + " tensors do not match the model:";
        for (const auto& [tensor, problem] : problems) text += "\n  tensor '" + tensor + "': " + problem;
        throw CheckpointError(checkpoint.directory(), "", text);
    }

    // 2. Read in file order: the map is then read front to back, which suits
    //    the OS readahead (and spinning disks).
    std::stable_sort(jobs.begin(), jobs.end(), [](const CopyJob& a, const CopyJob& b) {
        if (a.source.file != b.source.file) return a.source.file->path() < b.source.file->path();
        return a.source.entry->data_begin < b.source.entry->data_begin;
    });
    LoadProgress state;
    for (const CopyJob& job : jobs) state.bytes_total += job.source.entry->byte_size();

    // 3. Copy. Destinations are usually parameters: no autograd history wanted.
    torch::NoGradGuard no_grad;
    StreamStats stats;
    for (const CopyJob& job : jobs) {
        if (placement == WeightPlacement::MapWhereSame && map_tensor(job)) {
            stats.bytes_mapped += job.source.entry->byte_size();
            ++stats.tensors_mapped;
        } else {
            copy_tensor(job);
        }
        stats.bytes_read += job.source.entry->byte_size();
        ++stats.tensors;
        state.bytes_done = stats.bytes_read;
        state.current_tensor = job.binding->checkpoint_key;
        if (progress && !progress(state)) throw LoadCancelled();
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return stats;
}

}  // namespace samlabel::engine

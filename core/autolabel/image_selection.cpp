#include "core/autolabel/image_selection.h"

#include "core/io/dataset_split.h"

#include <charconv>
#include <stdexcept>

namespace samlabel::autolabel {

namespace {

std::optional<long long> to_integer(std::string_view text) {
    long long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

long long env_integer(const GetEnv& getenv, const char* name) {
    const char* value = getenv(name);
    const auto v = to_integer(value ? std::string_view(value) : std::string_view());
    if (!v) throw std::invalid_argument(std::string(name) + "='" + (value ? value : "") + "' is not an integer");
    return *v;
}

}  // namespace

ShardSpec parse_shard(std::string_view text) {
    const auto slash = text.find('/');
    const auto i = slash == std::string_view::npos ? std::nullopt : to_integer(text.substr(0, slash));
    const auto n = slash == std::string_view::npos ? std::nullopt : to_integer(text.substr(slash + 1));
    if (!i || !n) throw std::invalid_argument("--shard '" + std::string(text) + "' is not I/N (e.g. 0/4)");
    if (*n < 1 || *n > 1000000) throw std::invalid_argument("--shard '" + std::string(text) + "': the shard count must be 1 or more");
    if (*i < 0 || *i >= *n)
        throw std::invalid_argument("--shard '" + std::string(text) + "': the index must lie in 0.." + std::to_string(*n - 1));
    return {static_cast<int>(*i), static_cast<int>(*n)};
}

std::optional<ShardSpec> shard_from_environment(std::optional<int> shard_count, const GetEnv& getenv) {
    if (shard_count && *shard_count < 1) throw std::invalid_argument("--shard-count must be 1 or more");
    auto checked = [](long long index, long long count, const std::string& what) {
        if (count < 1) throw std::invalid_argument(what + ": the shard count " + std::to_string(count) + " must be 1 or more");
        if (index < 0 || index >= count)
            throw std::invalid_argument(what + ": index " + std::to_string(index) + " is outside 0.." + std::to_string(count - 1));
        return ShardSpec{static_cast<int>(index), static_cast<int>(count)};
    };
    if (getenv("JOB_COMPLETION_INDEX")) {
        const long long index = env_integer(getenv, "JOB_COMPLETION_INDEX");
        if (!shard_count)
            throw std::invalid_argument(
                "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but --shard-count is not: give the Job's completions");
        return checked(index, *shard_count, "JOB_COMPLETION_INDEX");
    }
    if (getenv("SLURM_ARRAY_TASK_ID")) {
        const long long id = env_integer(getenv, "SLURM_ARRAY_TASK_ID");
        const long long min = getenv("SLURM_ARRAY_TASK_MIN") ? env_integer(getenv, "SLURM_ARRAY_TASK_MIN") : 0;
        long long count = 0;
        if (shard_count) count = *shard_count;
        else if (getenv("SLURM_ARRAY_TASK_COUNT")) count = env_integer(getenv, "SLURM_ARRAY_TASK_COUNT");
        else throw std::invalid_argument("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor --shard-count is");
        return checked(id - min, count, "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN");
    }
    return std::nullopt;
}

int shard_of(std::string_view relative_path_utf8, int shard_count) {
    if (shard_count <= 1) return 0;
    return static_cast<int>(io::fnv1a_64(relative_path_utf8) % static_cast<std::uint64_t>(shard_count));
}

bool is_unlabeled(const annotation::ImageAnnotations& image) {
    return image.instances.empty() && image.status != annotation::ImageStatus::Done;
}

std::vector<std::string> select_images(const std::vector<std::string>& all_paths, const annotation::Project& project, Scope scope,
                                       const std::set<std::string>& selected, const ShardSpec& shard) {
    std::vector<std::string> out;
    for (const std::string& path : all_paths) {
        if (shard_of(path, shard.count) != shard.index) continue;
        if (scope == Scope::Selected && !selected.count(path)) continue;
        if (scope == Scope::Unlabeled) {
            const annotation::ImageAnnotations* image = project.find_image(path);
            if (image && !is_unlabeled(*image)) continue;
        }
        out.push_back(path);
    }
    return out;
}

}  // namespace samlabel::autolabel

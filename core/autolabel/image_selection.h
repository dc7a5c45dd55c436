#pragma once
// Which images an auto-label run takes: the scope (all, never-annotated only,
// a selection) and, across machines, the shard. A shard is fixed by a stable
// hash of the image's relative path (FNV-1a 64 modulo the shard count), so N
// machines given the same project and the same N split the images without
// talking to each other, and the split never depends on the order or the
// number of images.
#include "core/annotation/project.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::autolabel {

enum class Scope { All = 1, Unlabeled, Selected };

struct ShardSpec {
    int index = 0;  // 0-based
    int count = 1;
    bool operator==(const ShardSpec&) const = default;
};

// "I/N" with 0 <= I < N. Throws std::invalid_argument quoting the text.
ShardSpec parse_shard(std::string_view text);

// The shard a batch scheduler gives this process when --shard is absent:
//   Kubernetes Indexed Job: JOB_COMPLETION_INDEX, with the count from
//     --shard-count (the Job's completions; Kubernetes does not export it);
//   Slurm job array: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (0 when unset)
//     and SLURM_ARRAY_TASK_COUNT (--shard-count, when given, wins).
// nullopt when neither is set (one process takes every image). Throws
// std::invalid_argument naming the variable when a value is not a number,
// is out of range, or JOB_COMPLETION_INDEX comes without --shard-count.
using GetEnv = std::function<const char*(const char*)>;
std::optional<ShardSpec> shard_from_environment(std::optional<int> shard_count, const GetEnv& getenv);

int shard_of(std::string_view relative_path_utf8, int shard_count);

// Never annotated: no instance and never marked done (as the exporters count it).
bool is_unlabeled(const annotation::ImageAnnotations& image);

// The images of `all_paths` (in their order) that the run takes.
std::vector<std::string> select_images(const std::vector<std::string>& all_paths, const annotation::Project& project, Scope scope,
                                       const std::set<std::string>& selected, const ShardSpec& shard);

}  // namespace samlabel::autolabel

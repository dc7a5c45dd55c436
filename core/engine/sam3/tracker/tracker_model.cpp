#include "core/engine/sam3/tracker/tracker_model.h"

#include "core/engine/sam3_parts.h"

#include <ATen/record_function.h>

#include <algorithm>

namespace samlabel::engine::sam3 {

// The preflight's part table (sam3_parts) counts exactly the neck levels built here.
static_assert(TrackerConfig::kUsedNeckLevels == kTrackerNeckLevelsUsed);

TrackerHeadsImpl::TrackerHeadsImpl(const TrackerConfig& c, const torch::TensorOptions& o) {
    shared_image_embedding = register_module("shared_image_embedding", FourierPositionalEmbedding(c.prompt_encoder.hidden_size, o));
    prompt_encoder = register_module("prompt_encoder", PromptEncoder(c.prompt_encoder, o));
    mask_decoder = register_module("mask_decoder", MaskDecoder(c.mask_decoder, o));
    no_memory_embedding = register_parameter("no_memory_embedding", torch::empty({1, 1, c.neck.fpn_hidden_size}, o), false);
}

TrackerModel::TrackerModel(const TrackerConfig& config, const torch::TensorOptions& options,
                           const torch::TensorOptions& heads_options)
    : config_(config), options_(options), heads_options_(heads_options) {
    neck_ = VisionNeck(config.trunk, config.neck, TrackerConfig::kUsedNeckLevels, options);
    heads_ = TrackerHeads(config, heads_options);
}

std::vector<std::pair<std::string, torch::Tensor>> TrackerModel::named_tensors() const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    auto add = [&out](const torch::nn::Module& module, const std::string& prefix) {
        for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(prefix + p.key(), p.value());
        for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(prefix + b.key(), b.value());
    };
    add(*neck_, kNeckPrefix);
    add(*heads_, kHeadsPrefix);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

void TrackerModel::weights_loaded() {
    // Sam3TrackerModel.get_image_wide_positional_embeddings: pixel-centre grid
    // in [0, 1], computed in the embedding's dtype.
    const int64_t g = config_.prompt_encoder.embedding_size();
    const torch::Tensor& pe = heads_->shared_image_embedding->positional_embedding;
    const torch::Tensor grid = torch::ones({g, g}, pe.options());
    const torch::Tensor y = (grid.cumsum(0) - 0.5) / g;
    const torch::Tensor x = (grid.cumsum(1) - 0.5) / g;
    // [g, g, C] is already the token-major [g*g, C] the decoder reads.
    image_pe_ = heads_->shared_image_embedding->forward(torch::stack({x, y}, -1)).reshape({g * g, -1}).contiguous();
    heads_->mask_decoder->weights_loaded();
}

TrackerImage TrackerModel::prepare_image(const torch::Tensor& features) const {
    // The named scopes cost nothing unless a profiler runs (bench --profile-*).
    RECORD_USER_SCOPE("sam3.neck_and_features");
    std::vector<torch::Tensor> levels = neck_->forward(features);
    const auto& decoder = heads_->mask_decoder;
    const auto heads_dtype = heads_options_.dtype();
    TrackerImage out;
    out.feat_s0 = decoder->conv_s0->forward(levels[0].to(heads_dtype)).contiguous();
    out.feat_s1 = decoder->conv_s1->forward(levels[1].to(heads_dtype)).contiguous();
    out.image_embedding = levels[2].to(heads_dtype);
    if (config_.no_memory_embedding_applies())
        out.image_embedding = out.image_embedding + heads_->no_memory_embedding.view({1, -1, 1, 1});
    out.image_embedding = out.image_embedding.contiguous();
    project_for_clicks(out);
    return out;
}

void TrackerModel::project_for_clicks(TrackerImage& image) const {
    RECORD_USER_SCOPE("sam3.project_for_clicks");
    const torch::Tensor no_mask_dense = heads_->prompt_encoder->forward({}, {}, {}, {}).dense;
    image.click_cache = heads_->mask_decoder->prepare_image(image.image_embedding, no_mask_dense, image_pe_,
                                                                    image.feat_s0, image.feat_s1);
}

DecoderOutput TrackerModel::decode(const TrackerImage& image, const ModelPrompt& prompt) const {
    torch::Tensor points = prompt.points, labels = prompt.labels;
    if (!points.defined() && !prompt.box.defined()) {
        // Sam3TrackerModel.forward: no prompt at all becomes one not-a-point.
        points = torch::zeros({1, 1, 1, 2}, torch::TensorOptions().dtype(torch::kFloat).device(options_.device()));
        labels = torch::full({1, 1, 1}, kLabelNotAPoint, torch::TensorOptions().dtype(torch::kLong).device(options_.device()));
    }
    torch::Tensor mask = prompt.mask;
    if (mask.defined()) {
        const int64_t size = config_.prompt_encoder.mask_input_size();
        if (mask.size(-2) != size || mask.size(-1) != size)
            mask = torch::nn::functional::interpolate(
                mask.to(torch::kFloat),
                torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{size, size}).mode(torch::kBilinear)
                    .align_corners(false).antialias(true));
        mask = mask.to(heads_options_.dtype());
    }
    PromptEmbeddings prompts;
    {
        RECORD_USER_SCOPE("sam3.prompt_encoder");
        prompts = heads_->prompt_encoder->forward(points, labels, prompt.box, mask);
    }
    const torch::Tensor sparse = prompts.sparse.flatten(0, 1);  // [1, T, C]
    RECORD_USER_SCOPE("sam3.mask_decoder");
    const auto& decoder = heads_->mask_decoder;
    // Features read back without project_for_clicks: derive the layouts for this click only.
    DecoderImageCache derived;
    if (!image.click_cache.defined()) {
        const torch::Tensor no_mask_dense = heads_->prompt_encoder->forward({}, {}, {}, {}).dense;
        derived = decoder->prepare_image(image.image_embedding, no_mask_dense, image_pe_, image.feat_s0, image.feat_s1);
    }
    const DecoderImageCache& cache = image.click_cache.defined() ? image.click_cache : derived;
    // Without a mask prompt the dense embedding is the no-mask one, already in the cache.
    return decoder->forward(cache, image_pe_, sparse, mask.defined() ? prompts.dense : torch::Tensor(), prompt.multimask);
}

}  // namespace samlabel::engine::sam3

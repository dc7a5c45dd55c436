#pragma once
// INTERNAL (torch). The click-to-segment path on top of the shared vision
// trunk (sam3_model.h runs the trunk): the tracker neck and the tracker heads
// (prompt encoder, mask decoder, image-wide positional embedding, no-memory
// embedding), each a module whose parameter names are the checkpoint's below
// its hub prefix, so binding a parameter is a prefix join. Mirrors
// transformers' Sam3TrackerModel on one image.
#include "core/engine/sam3/tracker/mask_decoder.h"
#include "core/engine/sam3/tracker/prompt_encoder.h"
#include "core/engine/sam3/common/sam3_config.h"
#include "core/engine/sam3/trunk/vision_neck.h"

#include <string>
#include <utility>
#include <vector>

namespace samlabel::engine::sam3 {

inline constexpr const char* kNeckPrefix = "tracker_neck.";
inline constexpr const char* kHeadsPrefix = "tracker_model.";

// The tracker's own tensors (hub prefix tracker_model.): only what a click uses.
struct TrackerHeadsImpl : torch::nn::Module {
    TrackerHeadsImpl(const TrackerConfig& config, const torch::TensorOptions& options);
    FourierPositionalEmbedding shared_image_embedding{nullptr};
    PromptEncoder prompt_encoder{nullptr};
    MaskDecoder mask_decoder{nullptr};
    torch::Tensor no_memory_embedding;  // [1, 1, C]
};
TORCH_MODULE(TrackerHeads);

// Per-image features, in the heads' dtype on the model's device.
struct TrackerImage {
    torch::Tensor image_embedding;  // [1, C, g, g], no-memory embedding applied when the config says so
    torch::Tensor feat_s0;          // [1, C/8, 4g, 4g]  (conv_s0 of the 4x level)
    torch::Tensor feat_s1;          // [1, C/4, 2g, 2g]  (conv_s1 of the 2x level)
    // Derived, not serialised: the decoder's per-image work and layouts for
    // clicks (TrackerModel::project_for_clicks); the transformer's first-block
    // projections in it serve clicks without a mask prompt.
    DecoderImageCache click_cache;
};

struct ModelPrompt {
    torch::Tensor points;  // [1, 1, N, 2] fp32, model-input pixels; undefined: none
    torch::Tensor labels;  // [1, 1, N] int64
    torch::Tensor box;     // [1, 1, 4] fp32, model-input pixels; undefined: none
    torch::Tensor mask;    // [1, 1, h, w] low-res logits; undefined: none
    bool multimask = true;
};

class TrackerModel {
public:
    // Builds every module with torch::empty parameters (options may be the
    // meta device: nothing is allocated then). The neck uses `options`; the tracker heads (4 M parameters, run on every click) use
    // `heads_options`, which may be a wider dtype: on CPUs without native
    // bf16 matmul libtorch's bf16 GEMMs are several times slower than fp32,
    // so the predictor keeps the heads in fp32 there.
    TrackerModel(const TrackerConfig& config, const torch::TensorOptions& options,
                 const torch::TensorOptions& heads_options);
    TrackerModel(const TrackerConfig& config, const torch::TensorOptions& options)
        : TrackerModel(config, options, options) {}

    // (checkpoint key, tensor) for every parameter and buffer, sorted by key.
    std::vector<std::pair<std::string, torch::Tensor>> named_tensors() const;

    // Call once the weights are in: precomputes the image-wide positional
    // encoding and the decoder's weight layouts.
    void weights_loaded();

    // trunk features [1, D, g, g] -> the click path's per-image features.
    TrackerImage prepare_image(const torch::Tensor& trunk_features) const;
    DecoderOutput decode(const TrackerImage& image, const ModelPrompt& prompt) const;
    // Fills image.click_cache from image.image_embedding (encode does it;
    // call it on features read back from a cache).
    void project_for_clicks(TrackerImage& image) const;

    const TrackerConfig& config() const { return config_; }
    const torch::TensorOptions& options() const { return options_; }
    const torch::TensorOptions& heads_options() const { return heads_options_; }

private:
    TrackerConfig config_;
    torch::TensorOptions options_, heads_options_;
    VisionNeck neck_{nullptr};
    TrackerHeads heads_{nullptr};
    torch::Tensor image_pe_;  // [g*g, C] token-major
};

}  // namespace samlabel::engine::sam3

#include "core/engine/sam3/mask_decoder.h"

#include <ATen/record_function.h>

namespace samlabel::engine::sam3 {
namespace {
constexpr double kUpscaleLayerNormEps = 1e-6;  // Sam3TrackerLayerNorm's default, not from the config
}

MaskDecoderImpl::MaskDecoderImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o) : config_(c) {
    const int64_t h = c.hidden_size;
    iou_token = register_module("iou_token", TokenTable(1, h, o));
    mask_tokens = register_module("mask_tokens", TokenTable(c.num_mask_tokens(), h, o));
    obj_score_token = register_module("obj_score_token", TokenTable(1, h, o));
    transformer = register_module("transformer", TwoWayTransformer(c, o));
    upscale_conv1 = register_module("upscale_conv1", ConvTranspose2d(h, h / 4, 2, 2, o));
    upscale_conv2 = register_module("upscale_conv2", ConvTranspose2d(h / 4, h / 8, 2, 2, o));
    upscale_layer_norm = register_module("upscale_layer_norm", LayerNorm(h / 4, kUpscaleLayerNormEps, o));
    output_hypernetworks_mlps = register_module("output_hypernetworks_mlps", torch::nn::ModuleList());
    for (int i = 0; i < c.num_mask_tokens(); ++i) output_hypernetworks_mlps->push_back(FeedForward(h, h, h / 8, 3, false, o));
    iou_prediction_head = register_module(
        "iou_prediction_head", FeedForward(h, c.iou_head_hidden_dim, c.num_mask_tokens(), c.iou_head_depth, true, o));
    conv_s0 = register_module("conv_s0", Conv2d(h, h / 8, 1, 1, 0, o));
    conv_s1 = register_module("conv_s1", Conv2d(h, h / 4, 1, 1, 0, o));
    pred_obj_score_head = register_module("pred_obj_score_head", FeedForward(h, h, 1, 3, false, o));
}

DecoderOutput MaskDecoderImpl::forward(const torch::Tensor& image_embedding, const torch::Tensor& image_pe,
                                       const torch::Tensor& sparse, const torch::Tensor& dense, const torch::Tensor& feat_s0,
                                       const torch::Tensor& feat_s1, bool multimask_output,
                                       const FirstBlockImageProjections* image_only) const {
    const int64_t c = image_embedding.size(1), g_h = image_embedding.size(2), g_w = image_embedding.size(3);
    const int64_t n_masks = config_.num_mask_tokens();
    torch::Tensor tokens = torch::cat({obj_score_token->weight, iou_token->weight, mask_tokens->weight}, 0).unsqueeze(0);
    tokens = torch::cat({tokens, sparse.to(tokens.scalar_type())}, 1);

    torch::Tensor out_tokens, image_tokens;
    {
        RECORD_USER_SCOPE("two_way_transformer");
        std::tie(out_tokens, image_tokens) = image_only ? transformer->forward(tokens, {}, image_pe, image_only)
                                                         : transformer->forward(tokens, image_embedding + dense, image_pe);
    }
    RECORD_USER_SCOPE("upscale_and_heads");
    const torch::Tensor iou_token_out = out_tokens.select(1, 1);
    const torch::Tensor mask_tokens_out = out_tokens.slice(1, 2, 2 + n_masks);

    const torch::Tensor image = image_tokens.transpose(1, 2).view({1, c, g_h, g_w});
    torch::Tensor up = upscale_conv1->forward(image) + feat_s1;
    up = gelu_exact(upscale_layer_norm->forward_channels_first(up));
    up = gelu_exact(upscale_conv2->forward(up) + feat_s0);

    std::vector<torch::Tensor> hyper;
    int64_t token = 0;
    for (const auto& mlp : *output_hypernetworks_mlps)
        hyper.push_back(mlp->as<FeedForwardImpl>()->forward(mask_tokens_out.select(1, token++)));
    const torch::Tensor hyper_in = torch::stack(hyper, 1);  // [1, M, C/8]
    const int64_t uc = up.size(1), uh = up.size(2), uw = up.size(3);
    const torch::Tensor masks = torch::matmul(hyper_in, up.view({1, uc, uh * uw})).view({1, n_masks, uh, uw});

    const torch::Tensor iou = iou_prediction_head->forward(iou_token_out);                   // [1, M]
    const torch::Tensor object_score = pred_obj_score_head->forward(out_tokens.select(1, 0));  // [1, 1]

    if (multimask_output) return {masks.slice(1, 1), iou.slice(1, 1), object_score};
    if (config_.dynamic_multimask_via_stability) {
        DecoderOutput out = select_stable(masks, iou);
        out.object_score_logits = object_score;
        return out;
    }
    return {masks.slice(1, 0, 1), iou.slice(1, 0, 1), object_score};
}

// Single-mask output: keep token 0 when its mask is stable under a +-delta
// logit threshold shift, else the multimask candidate with the best predicted IoU.
DecoderOutput MaskDecoderImpl::select_stable(const torch::Tensor& masks, const torch::Tensor& iou) const {
    const torch::Tensor multi_iou = iou.slice(1, 1);
    const int64_t best = multi_iou.argmax(1).item<int64_t>();
    const torch::Tensor single = masks.slice(1, 0, 1);
    const double delta = config_.dynamic_multimask_stability_delta;
    const torch::Tensor flat = single.flatten(-2);
    const torch::Tensor area_i = (flat > delta).sum(-1).to(torch::kFloat);
    const torch::Tensor area_u = (flat > -delta).sum(-1).to(torch::kFloat);
    const torch::Tensor stability = torch::where(area_u > 0, area_i / area_u, torch::ones_like(area_i));
    // Compared in fp32 like the reference's tensor-vs-scalar comparison.
    const bool stable = stability.item<float>() >= static_cast<float>(config_.dynamic_multimask_stability_thresh);
    if (stable) return {single, iou.slice(1, 0, 1), {}};
    return {masks.slice(1, 1 + best, 2 + best), multi_iou.slice(1, best, best + 1), {}};
}

}  // namespace samlabel::engine::sam3

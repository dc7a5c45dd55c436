#include "core/engine/sam3/tracker/mask_decoder.h"

#include <ATen/record_function.h>

namespace samlabel::engine::sam3 {
namespace {
constexpr double kUpscaleLayerNormEps = 1e-6;  // Sam3TrackerLayerNorm's default, not from the config

// [1, C, h, w] -> [h*w, C] rows, contiguous.
torch::Tensor token_major(const torch::Tensor& x) {
    return x.flatten(2)[0].t().contiguous();
}

// ConvTranspose2d weight [Cin, Cout, 2, 2] -> [Cin, (dy, dx, Cout)]: output
// pixel (2y + dy, 2x + dx) of input pixel (y, x) is x_row @ matrix[:, dy, dx, :].
torch::Tensor conv_transpose_2x2_matrix(const torch::Tensor& weight) {
    return weight.permute({0, 2, 3, 1}).reshape({weight.size(0), -1}).contiguous();
}
}  // namespace

std::uint64_t DecoderImageCache::byte_size() const {
    std::uint64_t bytes = no_mask.byte_size();
    for (const torch::Tensor* t : {&image_tokens, &feat_s1, &feat_s0})
        if (t->defined()) bytes += t->nbytes();
    return bytes;
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

void MaskDecoderImpl::weights_loaded() {
    upscale_conv1_matrix_ = conv_transpose_2x2_matrix(upscale_conv1->weight);
    upscale_conv2_matrix_ = conv_transpose_2x2_matrix(upscale_conv2->weight);
}

DecoderImageCache MaskDecoderImpl::prepare_image(const torch::Tensor& image_embedding, const torch::Tensor& no_mask_dense,
                                                 const torch::Tensor& image_pe, const torch::Tensor& feat_s0,
                                                 const torch::Tensor& feat_s1) const {
    DecoderImageCache out;
    out.grid_h = image_embedding.size(2);
    out.grid_w = image_embedding.size(3);
    const int64_t gh = out.grid_h, gw = out.grid_w;
    out.image_tokens = token_major(image_embedding);
    out.no_mask = transformer->project_image(token_major(image_embedding + no_mask_dense), image_pe);
    // feat_s1[c, 2y + dy, 2x + dx] -> row (y, x), column (dy, dx, c); the bias
    // of the convolution whose output it is added to rides along.
    const int64_t c1 = feat_s1.size(1);
    out.feat_s1 = (feat_s1[0].view({c1, gh, 2, gw, 2}).permute({1, 3, 2, 4, 0}) + upscale_conv1->bias)
                      .reshape({gh * gw, 4 * c1})
                      .contiguous();
    // feat_s0[c, 4y + 2dy1 + dy2, 4x + 2dx1 + dx2] -> row (y, x, dy1, dx1), column (dy2, dx2, c).
    const int64_t c0 = feat_s0.size(1);
    out.feat_s0 = (feat_s0[0].view({c0, gh, 2, 2, gw, 2, 2}).permute({1, 4, 2, 5, 3, 6, 0}) + upscale_conv2->bias)
                      .reshape({gh * gw * 4, 4 * c0})
                      .contiguous();
    return out;
}

torch::Tensor MaskDecoderImpl::upscale_masks(const torch::Tensor& image_tokens, const DecoderImageCache& image,
                                             const torch::Tensor& hyper_in, int64_t gh, int64_t gw) const {
    // upscale_conv1 + feat_s1: rows (y, x), columns (dy1, dx1, c) -> one row per 2x pixel.
    torch::Tensor up = torch::addmm(image.feat_s1, image_tokens, upscale_conv1_matrix_);
    up = up.view({-1, upscale_conv1_matrix_.size(1) / 4});
    // GELUs in place: these are the click's largest tensors (1.3 M and 2.7 M values).
    up = upscale_layer_norm->forward(up);
    at::gelu_(up);
    // upscale_conv2 + feat_s0: rows (y, x, dy1, dx1), columns (dy2, dx2, c) -> one row per 4x pixel.
    up = torch::addmm(image.feat_s0, up, upscale_conv2_matrix_);
    up = up.view({-1, upscale_conv2_matrix_.size(1) / 4});
    at::gelu_(up);  // exact (erf) GELU, as gelu_exact
    // Hypernetwork masks per 4x pixel, then the pixels back to image order:
    // (y, x, dy1, dx1, dy2, dx2) -> (4y + 2dy1 + dy2, 4x + 2dx1 + dx2).
    const int64_t n_masks = hyper_in.size(0);
    const torch::Tensor masks = torch::mm(hyper_in, up.t());  // [masks, pixels]
    return masks.view({n_masks, gh, gw, 2, 2, 2, 2}).permute({0, 1, 3, 5, 2, 4, 6}).reshape({1, n_masks, 4 * gh, 4 * gw});
}

DecoderOutput MaskDecoderImpl::forward(const DecoderImageCache& image, const torch::Tensor& image_pe,
                                       const torch::Tensor& sparse, const torch::Tensor& dense, bool multimask_output) const {
    const int64_t n_masks = config_.num_mask_tokens();
    torch::Tensor tokens = torch::cat({obj_score_token->weight, iou_token->weight, mask_tokens->weight}, 0);
    tokens = torch::cat({tokens, sparse[0].to(tokens.scalar_type())}, 0);  // [T, C]

    torch::Tensor out_tokens, image_tokens;
    {
        RECORD_USER_SCOPE("two_way_transformer");
        if (dense.defined()) {
            // A mask prompt: its own dense embedding, no cached projections.
            FirstBlockImageProjections with_mask;
            with_mask.keys = image.image_tokens + token_major(dense);
            std::tie(out_tokens, image_tokens) = transformer->forward(tokens, with_mask, image_pe);
        } else {
            std::tie(out_tokens, image_tokens) = transformer->forward(tokens, image.no_mask, image_pe);
        }
    }
    RECORD_USER_SCOPE("upscale_and_heads");
    std::vector<torch::Tensor> hyper;
    int64_t token = 0;
    for (const auto& mlp : *output_hypernetworks_mlps)
        hyper.push_back(mlp->as<FeedForwardImpl>()->forward(out_tokens[2 + token++]));
    const torch::Tensor hyper_in = torch::stack(hyper, 0);  // [M, C/8]
    const torch::Tensor masks = upscale_masks(image_tokens, image, hyper_in, image.grid_h, image.grid_w);

    const torch::Tensor iou = iou_prediction_head->forward(out_tokens.slice(0, 1, 2));               // [1, M]
    const torch::Tensor object_score = pred_obj_score_head->forward(out_tokens.slice(0, 0, 1));  // [1, 1]

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

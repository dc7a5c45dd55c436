#include "core/engine/sam3/detector/detector_model.h"

#include "core/engine/sam3/common/sine_position_encoding.h"

#include <ATen/record_function.h>

#include <algorithm>

namespace samlabel::engine::sam3 {

std::uint64_t DetectorImage::byte_size() const { return (tokens.defined() ? tokens.nbytes() : 0) + mask_head.byte_size(); }

DetectorModulesImpl::DetectorModulesImpl(const DetectorConfig& c, const TrunkConfig& trunk, const torch::TensorOptions& o,
                                         const torch::TensorOptions& heads) {
    vision_encoder = register_module("vision_encoder", std::make_shared<torch::nn::Module>());
    neck = vision_encoder->register_module("neck", VisionNeck(trunk, c.neck, DetectorConfig::kUsedNeckLevels, o));
    text_encoder = register_module("text_encoder", TextEncoder(c.text, o));
    text_projection = register_module("text_projection", Linear(c.text.hidden_size, c.detr_encoder.hidden_size, o));
    geometry_encoder = register_module("geometry_encoder", GeometryEncoder(c.geometry, o));
    detr_encoder = register_module("detr_encoder", DetrEncoder(c.detr_encoder, o));
    detr_decoder = register_module("detr_decoder", DetrDecoder(c.detr_decoder, heads));
    dot_product_scoring = register_module("dot_product_scoring", DotProductScoring(c.detr_decoder, heads));
    mask_decoder = register_module("mask_decoder", DetectorMaskHead(c.mask_decoder, o));
}

DetectorModel::DetectorModel(const DetectorConfig& config, const torch::TensorOptions& options,
                             const torch::TensorOptions& heads_options)
    : config_(config), options_(options), heads_options_(heads_options) {
    modules_ = DetectorModules(config, config.trunk, options, heads_options);
}

std::vector<std::pair<std::string, torch::Tensor>> DetectorModel::named_tensors() const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : modules_->named_parameters(/*recurse=*/true)) out.emplace_back(kDetectorPrefix + p.key(), p.value());
    for (const auto& b : modules_->named_buffers(/*recurse=*/true)) out.emplace_back(kDetectorPrefix + b.key(), b.value());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

void DetectorModel::weights_loaded() {
    const int64_t g = config_.trunk.grid_size(), c = config_.width();
    const torch::Tensor position = sine_grid_encoding(c / 2, g, g, options_.device()).view({c, g * g}).t().contiguous();
    position_ = position.to(options_.dtype());
    heads_position_ = position.to(heads_options_.dtype());
}

DetectorImage DetectorModel::prepare_image(const torch::Tensor& trunk_features) const {
    RECORD_USER_SCOPE("sam3.detector_image");
    const std::vector<torch::Tensor> levels = modules_->neck->forward(trunk_features);  // 4x, 2x, 1x
    DetectorImage image;
    const torch::Tensor& level = levels[2];
    image.grid_height = level.size(2);
    image.grid_width = level.size(3);
    image.tokens = level[0].flatten(1).t().contiguous();
    image.mask_head = modules_->mask_decoder->prepare_image({levels[0], levels[1]});
    return image;
}

torch::Tensor DetectorModel::encode_text(const torch::Tensor& ids) const {
    RECORD_USER_SCOPE("sam3.text_encoder");
    return modules_->text_projection->forward(modules_->text_encoder->text_model->forward(ids)).contiguous();
}

DetectorOutput DetectorModel::detect(const DetectorImage& image, const torch::Tensor& text, const torch::Tensor& boxes,
                                     const torch::Tensor& labels) const {
    DetectorOutput out;
    const torch::Tensor image_keys = image.tokens + position_;
    torch::Tensor prompt = text.to(options_.dtype());
    if (boxes.defined() && boxes.size(0) > 0) {
        RECORD_USER_SCOPE("sam3.geometry_encoder");
        const torch::Tensor geometry = modules_->geometry_encoder->forward(boxes, labels, image.tokens, image_keys,
                                                                           image.grid_height, image.grid_width);
        prompt = torch::cat({prompt, geometry}, 0);
    }
    {
        RECORD_USER_SCOPE("sam3.detr_encoder");
        out.encoded = modules_->detr_encoder->forward(image.tokens, position_, prompt);
    }
    DetrDecoderOutput decoded;
    {
        RECORD_USER_SCOPE("sam3.detr_decoder");
        const auto heads = heads_options_.dtype();
        decoded = modules_->detr_decoder->forward(out.encoded.to(heads), heads_position_, prompt.to(heads), image.grid_height,
                                                  image.grid_width);
    }
    RECORD_USER_SCOPE("sam3.scoring");
    out.logits = modules_->dot_product_scoring->forward(decoded.queries, prompt.to(heads_options_.dtype()));
    out.boxes = box_cxcywh_to_xyxy(decoded.boxes);
    out.presence_logit = decoded.presence_logit;
    out.queries = decoded.queries;
    out.prompt = prompt;
    return out;
}

torch::Tensor DetectorModel::mask_logits(const DetectorImage& image, const DetectorOutput& output,
                                         const torch::Tensor& indices) const {
    RECORD_USER_SCOPE("sam3.detector_masks");
    const auto& head = modules_->mask_decoder;
    const torch::Tensor pixels = head->pixel_features(output.encoded, output.prompt, image.mask_head, image.grid_height,
                                                      image.grid_width);
    return head->mask_logits(output.queries.index_select(0, indices.to(output.queries.device())), pixels);
}

}  // namespace samlabel::engine::sam3

#include "core/engine/sam3/detector/detector_model.h"

#include "core/engine/sam3/common/sine_position_encoding.h"

#include <ATen/record_function.h>

#include <algorithm>

namespace samlabel::engine::sam3 {

std::uint64_t DetectorImage::byte_size() const {
    return (tokens.defined() ? tokens.nbytes() : 0) + (detr_start.defined() ? detr_start.nbytes() : 0) + mask_head.byte_size();
}

DetectorModulesImpl::DetectorModulesImpl(const DetectorConfig& c, const TrunkConfig& trunk, const DetectorPrecision& p) {
    vision_encoder = register_module("vision_encoder", std::make_shared<torch::nn::Module>());
    neck = vision_encoder->register_module("neck", VisionNeck(trunk, c.neck, DetectorConfig::kUsedNeckLevels, p.weights));
    text_encoder = register_module("text_encoder", TextEncoder(c.text, p.weights));
    text_projection = register_module("text_projection", Linear(c.text.hidden_size, c.detr_encoder.hidden_size, p.weights));
    geometry_encoder = register_module("geometry_encoder", GeometryEncoder(c.geometry, p.prompt));
    detr_encoder = register_module("detr_encoder", DetrEncoder(c.detr_encoder, p.prompt));
    detr_decoder = register_module("detr_decoder", DetrDecoder(c.detr_decoder, p.decoder));
    dot_product_scoring = register_module("dot_product_scoring", DotProductScoring(c.detr_decoder, p.decoder));
    mask_decoder = register_module("mask_decoder", DetectorMaskHead(c.mask_decoder, p.prompt));
}

DetectorModel::DetectorModel(const DetectorConfig& config, const DetectorPrecision& precision)
    : config_(config), precision_(precision) {
    modules_ = DetectorModules(config, config.trunk, precision);
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
    const torch::Tensor position =
        sine_grid_encoding(c / 2, g, g, precision_.weights.device()).view({c, g * g}).t().contiguous();
    prompt_position_ = position.to(precision_.prompt.dtype());
    decoder_position_ = position.to(precision_.decoder.dtype());
    modules_->mask_decoder->weights_loaded();
}

DetectorImage DetectorModel::prepare_image(const torch::Tensor& trunk_features) const {
    RECORD_USER_SCOPE("sam3.detector_image");
    std::vector<torch::Tensor> levels = modules_->neck->forward(trunk_features);  // 4x, 2x, 1x
    for (auto& level : levels) level = level.to(precision_.prompt.dtype());
    DetectorImage image;
    const torch::Tensor& level = levels[2];
    image.grid_height = level.size(2);
    image.grid_width = level.size(3);
    image.tokens = level[0].flatten(1).t().contiguous();
    {
        // Prompt-free: done once here rather than once per prompt.
        RECORD_USER_SCOPE("sam3.detr_encoder_image");
        image.detr_start = modules_->detr_encoder->prepare_image(image.tokens, prompt_position_);
    }
    image.mask_head = modules_->mask_decoder->prepare_image({levels[0], levels[1]});
    return image;
}

torch::Tensor DetectorModel::encode_text(const torch::Tensor& ids) const {
    RECORD_USER_SCOPE("sam3.text_encoder");
    // CPU kernels (oneDNN) are prepared per input shape, and the first call
    // with a new token count costs several times the encode itself (measured:
    // 0.3-1.9 s against 90 ms warm for the full-size model). Running on a few
    // padded lengths (8, 16, 32) keeps the shapes to three; under causal
    // attention the tokens after the end never reach the real ones.
    const int64_t length = ids.size(0);
    const int64_t context = config_.text.max_position_embeddings;
    int64_t padded = 8;
    while (padded < length) padded *= 2;
    padded = std::min(std::max(padded, length), context);
    torch::Tensor input = ids;
    if (padded > length)
        input = torch::cat({ids, ids.new_full({padded - length}, ids[length - 1].item<int64_t>())});
    const torch::Tensor states = modules_->text_encoder->text_model->forward(input).slice(0, 0, length);
    return modules_->text_projection->forward(states).contiguous();
}

DetectorOutput DetectorModel::detect(const DetectorImage& image, const torch::Tensor& text, const torch::Tensor& boxes,
                                     const torch::Tensor& labels) const {
    DetectorOutput out;
    const torch::Tensor image_keys = image.tokens + prompt_position_;
    torch::Tensor prompt = text.to(precision_.prompt.dtype());
    if (boxes.defined() && boxes.size(0) > 0) {
        RECORD_USER_SCOPE("sam3.geometry_encoder");
        const torch::Tensor geometry = modules_->geometry_encoder->forward(boxes, labels, image.tokens, image_keys,
                                                                           image.grid_height, image.grid_width);
        prompt = torch::cat({prompt, geometry}, 0);
    }
    {
        RECORD_USER_SCOPE("sam3.detr_encoder");
        out.encoded = modules_->detr_encoder->forward(image.detr_start, prompt_position_, prompt);
    }
    DetrDecoderOutput decoded;
    {
        RECORD_USER_SCOPE("sam3.detr_decoder");
        const auto dtype = precision_.decoder.dtype();
        decoded = modules_->detr_decoder->forward(out.encoded.to(dtype), decoder_position_, prompt.to(dtype), image.grid_height,
                                                  image.grid_width);
    }
    RECORD_USER_SCOPE("sam3.scoring");
    out.logits = modules_->dot_product_scoring->forward(decoded.queries, prompt.to(precision_.decoder.dtype()));
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

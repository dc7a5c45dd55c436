#include "core/engine/sam3/trunk/vision_neck.h"

#include <stdexcept>

namespace samlabel::engine::sam3 {

FpnLayerImpl::FpnLayerImpl(int64_t in, int64_t fpn_dim, double scale, const torch::TensorOptions& o) : scale_factor(scale) {
    scale_layers = register_module("scale_layers", torch::nn::ModuleList());
    int64_t intermediate = in;
    if (scale == 4.0) {
        scale_layers->push_back(ConvTranspose2d(in, in / 2, 2, 2, o));
        scale_layers->push_back(torch::nn::GELU());
        scale_layers->push_back(ConvTranspose2d(in / 2, in / 4, 2, 2, o));
        intermediate = in / 4;
    } else if (scale == 2.0) {
        scale_layers->push_back(ConvTranspose2d(in, in / 2, 2, 2, o));
        intermediate = in / 2;
    } else if (scale == 0.5) {
        scale_layers->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
    } else if (scale != 1.0) {
        throw std::invalid_argument("FPN scale factor " + std::to_string(scale) + " is not supported");
    }
    proj1 = register_module("proj1", Conv2d(intermediate, fpn_dim, 1, 1, 0, o));
    proj2 = register_module("proj2", Conv2d(fpn_dim, fpn_dim, 3, 1, 1, o));
}

torch::Tensor FpnLayerImpl::forward(torch::Tensor x) const {
    x = x.to(proj1->weight.scalar_type());
    for (const auto& layer : *scale_layers) {
        if (const auto* up = layer->as<ConvTranspose2dImpl>())
            x = up->forward(x);
        else if (layer->as<torch::nn::GELUImpl>())
            x = gelu_exact(x);
        else
            x = torch::max_pool2d(x, {2, 2}, {2, 2});
    }
    return proj2->forward(proj1->forward(x));
}

VisionNeckImpl::VisionNeckImpl(const TrunkConfig& trunk, const NeckConfig& neck, int levels, const torch::TensorOptions& o) {
    fpn_layers = register_module("fpn_layers", torch::nn::ModuleList());
    for (int i = 0; i < levels; ++i) fpn_layers->push_back(FpnLayer(trunk.hidden_size, neck.fpn_hidden_size, neck.scale_factors.at(i), o));
}

std::vector<torch::Tensor> VisionNeckImpl::forward(const torch::Tensor& features) const {
    std::vector<torch::Tensor> out;
    for (const auto& layer : *fpn_layers) out.push_back(layer->as<FpnLayerImpl>()->forward(features));
    return out;
}

}  // namespace samlabel::engine::sam3

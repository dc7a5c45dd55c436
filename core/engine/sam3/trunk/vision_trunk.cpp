#include "core/engine/sam3/trunk/vision_trunk.h"

#include <algorithm>
#include <cmath>

namespace samlabel::engine::sam3 {
namespace {

// [B, H, W, C] -> [B * nW, ws, ws, C], zero-padding H and W up to multiples of
// ws (the padded tokens take part in the window's attention, as upstream).
torch::Tensor window_partition(const torch::Tensor& x, int64_t ws) {
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
    const int64_t ph = (ws - h % ws) % ws, pw = (ws - w % ws) % ws;
    torch::Tensor padded = (ph || pw) ? torch::constant_pad_nd(x, {0, 0, 0, pw, 0, ph}) : x;
    return padded.view({b, (h + ph) / ws, ws, (w + pw) / ws, ws, c})
        .permute({0, 1, 3, 2, 4, 5})
        .contiguous()
        .view({-1, ws, ws, c});
}

torch::Tensor window_unpartition(const torch::Tensor& windows, int64_t ws, int64_t b, int64_t h, int64_t w) {
    const int64_t hp = h + (ws - h % ws) % ws, wp = w + (ws - w % ws) % ws;
    torch::Tensor x = windows.view({b, hp / ws, wp / ws, ws, ws, -1}).permute({0, 1, 3, 2, 4, 5}).contiguous().view({b, hp, wp, -1});
    if (hp != h || wp != w) x = x.slice(1, 0, h).slice(2, 0, w).contiguous();
    return x;
}

}  // namespace

PatchEmbeddingsImpl::PatchEmbeddingsImpl(const TrunkConfig& c, const torch::TensorOptions& o) {
    projection = register_module("projection", Conv2d(c.num_channels, c.hidden_size, c.patch_size, c.patch_size, 0, o, false));
}

ViTEmbeddingsImpl::ViTEmbeddingsImpl(const TrunkConfig& c, const torch::TensorOptions& o) : patch_size(c.patch_size) {
    patch_embeddings = register_module("patch_embeddings", PatchEmbeddings(c, o));
    const int64_t p = c.pretrain_grid_size();
    position_embeddings = register_parameter("position_embeddings", torch::empty({1, p * p, c.hidden_size}, o), false);
}

torch::Tensor ViTEmbeddingsImpl::forward(const torch::Tensor& pixels) const {
    const auto& proj = patch_embeddings->projection;
    torch::Tensor x = proj->forward(pixels.to(proj->weight.scalar_type())).flatten(2).transpose(1, 2);
    const int64_t h = pixels.size(2) / patch_size, w = pixels.size(3) / patch_size;
    const int64_t c = position_embeddings.size(2);
    const auto pretrain = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(position_embeddings.size(1)))));
    torch::Tensor pos;
    if (pretrain == h && pretrain == w) {
        pos = position_embeddings.reshape({1, h * w, c});
    } else {  // tile (not interpolate) the pretrained grid, then crop
        pos = position_embeddings.reshape({1, pretrain, pretrain, c})
                  .permute({0, 3, 1, 2})
                  .tile({1, 1, h / pretrain + 1, w / pretrain + 1})
                  .slice(2, 0, h)
                  .slice(3, 0, w)
                  .permute({0, 2, 3, 1})
                  .reshape({1, h * w, c});
    }
    return x + pos;
}

RopeAttentionImpl::RopeAttentionImpl(const TrunkConfig& c, const torch::TensorOptions& o)
    : heads(c.num_attention_heads), head_dim(c.head_dim()) {
    q_proj = register_module("q_proj", Linear(c.hidden_size, c.hidden_size, o));
    k_proj = register_module("k_proj", Linear(c.hidden_size, c.hidden_size, o));
    v_proj = register_module("v_proj", Linear(c.hidden_size, c.hidden_size, o));
    o_proj = register_module("o_proj", Linear(c.hidden_size, c.hidden_size, o));
}

torch::Tensor RopeAttentionImpl::forward(const torch::Tensor& x, const RopeTables& rope) const {
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2);
    const bool in_fp32 = attends_in_fp32(x);
    auto tokens = [&](const Linear& proj) { return proj->forward(x).view({b, h * w, heads * head_dim}); };
    auto rotated = [&](const Linear& proj) {
        return in_fp32 ? apply_rope_to_fp32(tokens(proj), rope, heads) : apply_rope(tokens(proj), rope, heads);
    };
    auto split = [&](const torch::Tensor& t) { return t.view({b, h * w, heads, head_dim}).transpose(1, 2); };
    const torch::Tensor q = split(rotated(q_proj));
    const torch::Tensor k = split(rotated(k_proj));
    const torch::Tensor v = split(in_fp32 ? tokens(v_proj).to(torch::kFloat) : tokens(v_proj));
    const torch::Tensor out = at::scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape({b, h, w, heads * head_dim});
    return o_proj->forward(out.to(x.scalar_type()));
}

torch::Tensor RopeAttentionImpl::forward_in_blocks(const torch::Tensor& x, const RopeTables& rope, int64_t query_blocks,
                                                 const std::function<void()>& pause) const {
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2), n = h * w, c = heads * head_dim;
    const torch::Tensor tokens = x.reshape({b, n, c});
    const bool in_fp32 = attends_in_fp32(x);
    auto split = [&](const torch::Tensor& t, int64_t rows) { return t.view({b, rows, heads, head_dim}).transpose(1, 2); };
    auto rotate = [&](const torch::Tensor& t, const RopeTables& r) {
        return in_fp32 ? apply_rope_to_fp32(t, r, heads) : apply_rope(t, r, heads);
    };
    const torch::Tensor k = split(rotate(k_proj->forward(tokens), rope), n);
    pause();
    const torch::Tensor v = split(in_fp32 ? v_proj->forward(tokens).to(torch::kFloat) : v_proj->forward(tokens), n);
    pause();
    torch::Tensor out = torch::empty({b, n, c}, x.options());
    const int64_t block = (n + query_blocks - 1) / query_blocks;
    for (int64_t start = 0; start < n; start += block) {
        const int64_t end = std::min(n, start + block), rows = end - start;
        // The rope tables are [1, n, head_dim]: a slice of rows is contiguous.
        const RopeTables rows_rope{rope.cos.slice(1, start, end), rope.sin.slice(1, start, end)};
        const torch::Tensor q = split(rotate(q_proj->forward(tokens.slice(1, start, end)), rows_rope), rows);
        const torch::Tensor attended = at::scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape({b, rows, c});
        out.slice(1, start, end).copy_(o_proj->forward(attended.to(x.scalar_type())));
        pause();
    }
    // A block count above n leaves trailing blocks empty: pause for them too,
    // so every layer pauses exactly as often as pause_count() says.
    for (int64_t empty = (n + block - 1) / block; empty < query_blocks; ++empty) pause();
    return out.view({b, h, w, c});
}

ViTMlpImpl::ViTMlpImpl(const TrunkConfig& c, const torch::TensorOptions& o) {
    fc1 = register_module("fc1", Linear(c.hidden_size, c.intermediate_size, o));
    fc2 = register_module("fc2", Linear(c.intermediate_size, c.hidden_size, o));
}

ViTLayerImpl::ViTLayerImpl(const TrunkConfig& c, int window, const torch::TensorOptions& o) : window_size(window), config_window_size(c.window_size) {
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    attention = register_module("attention", RopeAttention(c, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    mlp = register_module("mlp", ViTMlp(c, o));
    attention->fp32_attention_on_cpu = window_size == 0;
}

int64_t ViTLayerImpl::attention_blocks(int64_t grid_tokens) const {
    if (window_size > 0) return kPauseWindowQueryBlocks;
    const int64_t window_tokens = int64_t(config_window_size) * config_window_size;
    return kPauseWindowQueryBlocks * std::max<int64_t>(1, (grid_tokens + window_tokens - 1) / window_tokens);
}

torch::Tensor ViTLayerImpl::forward(torch::Tensor x, const RopeTables& rope, const std::function<void()>& pause) const {
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2);
    torch::Tensor y = layer_norm1->forward(x);
    if (window_size > 0) y = window_partition(y, window_size);
    y = pause ? attention->forward_in_blocks(y, rope, attention_blocks(h * w), pause) : attention->forward(y, rope);
    if (window_size > 0) y = window_unpartition(y, window_size, b, h, w);
    // The residual adds go into x itself: x is this layer's own (moved in), and
    // a fresh 10 MB output per add cost more than the add (page faults).
    x.add_(y);
    // The MLP acts on each token alone: row blocks of it give the same values,
    // and keep its largest activation (fc1's output, and on the CPU's fp32 GEMM
    // route its fp32 copies) to a block's size.
    const int blocks = pause ? kPauseMlpChunks : kMlpBlocks;
    const torch::Tensor tokens = layer_norm2->forward(x).view({-1, x.size(3)});
    torch::Tensor out = x.view({-1, x.size(3)});
    const int64_t rows = tokens.size(0), block = (rows + blocks - 1) / blocks;
    int done = 0;
    for (int64_t start = 0; start < rows; start += block, ++done) {
        const int64_t end = std::min(rows, start + block);
        out.slice(0, start, end).add_(mlp->forward(tokens.slice(0, start, end)));
        if (pause) pause();
    }
    if (pause)
        for (; done < kPauseMlpChunks; ++done) pause();  // fewer rows than blocks (tiny grids)
    return out.view_as(x);
}

VisionTrunkImpl::VisionTrunkImpl(const TrunkConfig& c, const torch::TensorOptions& o) : config_(c) {
    embeddings = register_module("embeddings", ViTEmbeddings(c, o));
    layer_norm = register_module("layer_norm", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_hidden_layers; ++i) layers->push_back(ViTLayer(c, c.is_global(i) ? 0 : c.window_size, o));
}

torch::Tensor VisionTrunkImpl::forward(const torch::Tensor& pixels, const std::function<void(int, int)>& between_steps) {
    const torch::Device device = embeddings->position_embeddings.device();
    if (!global_rope_.cos.defined()) {
        window_rope_ = make_rope_tables(config_, config_.window_size, device);
        global_rope_ = make_rope_tables(config_, config_.grid_size(), device);
    }
    const int64_t b = pixels.size(0), g = pixels.size(2) / config_.patch_size, gw = pixels.size(3) / config_.patch_size;
    torch::Tensor x = embeddings->forward(pixels).view({b, g, gw, -1});
    x = layer_norm->forward(x);
    int steps = 0;
    for (const auto& module : *layers) steps += static_cast<int>(module->as<ViTLayerImpl>()->pause_count(g * gw));
    int done = 0;
    std::function<void()> pause;
    if (between_steps) pause = [&] { between_steps(++done, steps); };
    for (const auto& module : *layers) {
        const auto* layer = module->as<ViTLayerImpl>();
        // Moved in: the layer's first residual add then frees its input.
        x = layer->forward(std::move(x), layer->window_size > 0 ? window_rope_ : global_rope_, pause);
    }
    return x.permute({0, 3, 1, 2});
}

}  // namespace samlabel::engine::sam3

#pragma once
// A model backend that forwards to a real one and counts the calls, so a
// test can prove the find bar's threshold slider never calls the model.
#include "core/service/model_backend.h"

#include <QPointer>

namespace samlabel::ui::test {

class CountingBackend : public service::ModelBackend {
public:
    explicit CountingBackend(service::ModelBackend* real, QObject* parent = nullptr) : ModelBackend(parent), real_(real) {
        connect(real, &ModelBackend::statusChanged, this, &ModelBackend::statusChanged);
        connect(real, &ModelBackend::loadFinished, this, &ModelBackend::loadFinished);
        connect(real, &ModelBackend::unloaded, this, &ModelBackend::unloaded);
    }
    int detectCalls() const { return detect_calls_; }
    int segmentCalls() const { return segment_calls_; }

    service::BackendStatus status() const override { return real_->status(); }
    service::BackendMemory memory() const override { return real_->memory(); }
    std::vector<engine::GpuMemory> gpus() const override { return real_->gpus(); }
    QString whereText() const override { return real_->whereText(); }
    QFuture<service::PreflightReply> preflight(const engine::LoadRequest& r, const engine::BudgetSettings& b) override {
        return real_->preflight(r, b);
    }
    QFuture<service::LoadReply> load(const engine::LoadRequest& r, const engine::BudgetSettings& b) override { return real_->load(r, b); }
    void cancelLoad() override { real_->cancelLoad(); }
    void applyRuntimeSettings(const service::RuntimeSettings& s) override { real_->applyRuntimeSettings(s); }
    void applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& s) override { real_->applyConvertedWeightsSettings(s); }
    void setImagesInView(const QString& on_screen, const QStringList& ahead) override { real_->setImagesInView(on_screen, ahead); }
    QFuture<service::LoadReply> reload() override { return real_->reload(); }
    QFuture<service::UnloadReply> unload() override { return real_->unload(); }
    QFuture<service::EncodeReply> encode(const engine::ImageRgb8& image, const QString& id) override { return real_->encode(image, id); }
    QFuture<service::SegmentReply> segment(const QString& id, const engine::ClickPrompt& prompt) override {
        ++segment_calls_;
        return real_->segment(id, prompt);
    }
    QFuture<service::DetectReply> detect(const QString& id, const engine::DetectPrompt& prompt, const engine::DetectOptions& options) override {
        ++detect_calls_;
        return real_->detect(id, prompt, options);
    }

private:
    QPointer<service::ModelBackend> real_;
    int detect_calls_ = 0;
    int segment_calls_ = 0;
};

}  // namespace samlabel::ui::test

#pragma once
// A ModelBackend for the control API's tests: no weights, but the same
// concurrency as the real thing. Work runs on its own thread pool; encodes
// take a configurable time and hold the "model" like the worker does, so an
// unload really has to wait for them; memory figures move like a model's
// (VRAM and RSS go up on load and come back on unload).
#include "core/service/model_backend.h"

#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QMetaObject>
#include <QPromise>
#include <QSize>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>

namespace samlabel::service::testing {

// An image of w x h with varied pixels, for the fake model to encode.
inline engine::ImageRgb8 gradient(int w, int h) {
    engine::ImageRgb8 img;
    img.width = w;
    img.height = h;
    img.pixels.resize(std::size_t(w) * h * 3);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t(i * 7 % 251);
    return img;
}

class FakeModelBackend : public ModelBackend {
public:
    static constexpr double kBaselineVramMb = 300.0;   // a CUDA context
    static constexpr double kModelVramMb = 1800.0;     // the "weights"
    static constexpr double kBaselineRssMb = 150.0;
    static constexpr double kModelRssMb = 90.0;
    static constexpr int kDiscRadiusPx = 6;            // segment(): a disc around the first point
    // detect(): a text finds the image's top-left quarter (query 0); each
    // positive exemplar box finds itself (queries 1, 2, ...). Scores below.
    static constexpr float kTextScore = 0.75f;
    static constexpr float kBoxScore = 0.5f;
    static constexpr float kPresenceScore = 0.875f;
    static constexpr int kMaxPromptWords = 30;  // a stand-in for the tokenizer's 32 tokens

    FakeModelBackend() { pool_.setMaxThreadCount(8); }
    ~FakeModelBackend() override { pool_.waitForDone(); }

    std::atomic<int> encode_ms{200};
    std::atomic<int> unload_ms{50};
    std::atomic<int> segment_ms{0};        // how long a click takes
    std::atomic<int> segments_started{0};  // segment() calls
    std::atomic<int> encodes_started{0};
    std::atomic<int> encodes_finished{0};
    std::atomic<qint64> last_encode_finished_at_ms{0};
    std::atomic<qint64> last_unload_finished_at_ms{0};

    void setLastModel(const QString& path) {
        std::lock_guard lock(mutex_);
        last_model_ = path;
    }
    // VRAM the next unloads "fail to return" (a leak the launcher must catch).
    void leakOnUnload(double mb) {
        std::lock_guard lock(mutex_);
        leaked_vram_mb_ = mb;
    }
    // This process's VRAM cannot be measured (Windows without DXGI).
    void setVramUnmeasurable(bool unmeasurable) {
        std::lock_guard lock(mutex_);
        vram_unmeasurable_ = unmeasurable;
    }
    // A model loaded for click-to-segment only: detect() answers NotLoaded.
    void setDetectionLoaded(bool loaded) {
        std::lock_guard lock(mutex_);
        detection_loaded_ = loaded;
    }
    void refuseNextLoad(const QString& message) {
        std::lock_guard lock(mutex_);
        refuse_message_ = message;
    }

    BackendStatus status() const override {
        std::lock_guard lock(mutex_);
        BackendStatus s;
        s.model_loaded = loaded_;
        s.state = state_;
        s.device = loaded_ ? QStringLiteral("cuda:0") : QString();
        s.dtype = loaded_ ? QStringLiteral("bfloat16") : QString();
        s.model_path = last_model_;
        s.parts = loaded_ ? (detection_loaded_ ? QStringLiteral("click+detect") : QStringLiteral("click")) : QString();
        s.vram_total_mb = 16000.0;
        s.vram_used_mb = vram_unmeasurable_ ? 0.0 : kBaselineVramMb + (loaded_ ? kModelVramMb : leaked_vram_mb_);
        s.vram_used_known = !vram_unmeasurable_;
        s.ram_rss_mb = kBaselineRssMb + (loaded_ ? kModelRssMb : 0.0);
        return s;
    }

    BackendMemory memory() const override {
        const BackendStatus s = status();
        BackendMemory m;
        m.ram_total_mb = 24000.0;
        m.ram_available_mb = 20000.0 - s.ram_rss_mb;
        m.ram_rss_mb = s.ram_rss_mb;
        m.ram_peak_rss_mb = kBaselineRssMb + kModelRssMb;
        m.vram_known = true;
        m.vram_device = QStringLiteral("cuda:0 Fake GPU");
        m.vram_total_mb = s.vram_total_mb;
        m.vram_process_mb = s.vram_used_mb;
        m.vram_others_mb = 0.0;
        m.vram_free_mb = m.vram_total_mb - m.vram_process_mb;
        m.sampled_at_ms = QDateTime::currentMSecsSinceEpoch();
        return m;
    }

    // ---- the one door's model-panel side ----
    std::atomic<int> preflights{0};
    std::atomic<int> loads{0};
    std::atomic<int> cancels{0};
    RuntimeSettings runtime_settings;
    int runtime_settings_applied = 0;
    engine::ConvertedWeightsSettings converted_weights;
    int converted_weights_applied = 0;
    QString on_screen;
    QStringList ahead;
    // What the next preflight answers: fits by default.
    bool preflight_fits = true;
    QString preflight_blocker;

    std::vector<engine::GpuMemory> gpus() const override {
        engine::GpuMemory g;
        g.index = 0;
        g.name = "Fake GPU";
        g.total_bytes = 24ull << 30;
        g.free_bytes = 20ull << 30;
        return {g};
    }
    QString whereText() const override { return QStringLiteral("a fake model"); }
    QFuture<PreflightReply> preflight(const engine::LoadRequest& request, const engine::BudgetSettings&) override {
        ++preflights;
        PreflightReply r;
        engine::PreflightReport report;
        report.estimate.parts = request.parts;
        report.estimate.device = engine::DeviceSpec{engine::DeviceKind::Cuda, 0};
        report.estimate.weight_bytes = std::uint64_t(kModelVramMb) << 20;
        report.verdict.fits = preflight_fits;
        report.verdict.message = preflight_fits ? "Fits: the fake model fits." : "Refused: the fake model does not fit.";
        r.report = report;
        r.blocker = preflight_blocker;
        return QtConcurrent::run(&pool_, [r] { return r; });
    }
    QFuture<LoadReply> load(const engine::LoadRequest& request, const engine::BudgetSettings&) override {
        ++loads;
        setLastModel(QString::fromStdString(request.checkpoint_dir.string()));
        return reload();
    }
    void cancelLoad() override { ++cancels; }
    void applyRuntimeSettings(const RuntimeSettings& settings) override {
        runtime_settings = settings;
        ++runtime_settings_applied;
    }
    void applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& settings) override {
        converted_weights = settings;
        ++converted_weights_applied;
    }
    void setImagesInView(const QString& image, const QStringList& next) override {
        on_screen = image;
        ahead = next;
    }

    QFuture<LoadReply> reload() override {
        return QtConcurrent::run(&pool_, [this] {
            std::lock_guard model(model_mutex_);
            LoadReply r;
            {
                std::lock_guard lock(mutex_);
                r.model_path = last_model_;
                if (last_model_.isEmpty()) {
                    r.error = BackendError::NoLastModel;
                    r.message = QStringLiteral("no model was loaded before");
                    return r;
                }
                if (!refuse_message_.isEmpty()) {
                    r.error = BackendError::Refused;
                    r.message = refuse_message_;
                    refuse_message_.clear();
                    QMetaObject::invokeMethod(this, [this, r] { Q_EMIT loadFinished(r); }, Qt::QueuedConnection);
                    return r;
                }
                if (loaded_) return withModel(r);
                state_ = QStringLiteral("loading");
            }
            notify();
            QThread::msleep(30);
            {
                std::lock_guard lock(mutex_);
                loaded_ = true;
                state_ = QStringLiteral("ready");
            }
            notify();
            r = withModel(r);
            QMetaObject::invokeMethod(this, [this, r] { Q_EMIT loadFinished(r); }, Qt::QueuedConnection);
            return r;
        });
    }

    QFuture<UnloadReply> unload() override {
        {
            std::lock_guard lock(mutex_);
            unload_pending_ = true;  // queued encodes behind it are dropped
        }
        return QtConcurrent::run(&pool_, [this] {
            std::lock_guard model(model_mutex_);  // waits for a running encode
            UnloadReply r;
            const BackendStatus before = status();
            {
                std::lock_guard lock(mutex_);
                r.was_loaded = loaded_;
                if (loaded_) state_ = QStringLiteral("unloading");
            }
            notify();
            QThread::msleep(unload_ms.load());
            {
                std::lock_guard lock(mutex_);
                loaded_ = false;
                unload_pending_ = false;
                state_ = QStringLiteral("unloaded");
                images_.clear();
                texts_.clear();
            }
            const BackendStatus after = status();
            r.freed_vram_mb = before.vram_used_mb - after.vram_used_mb;
            r.freed_ram_mb = before.ram_rss_mb - after.ram_rss_mb;
            r.vram_after_mb = after.vram_used_mb;
            r.vram_measured = after.vram_used_known;
            r.ram_rss_after_mb = after.ram_rss_mb;
            r.duration_ms = unload_ms.load();
            last_unload_finished_at_ms = QDateTime::currentMSecsSinceEpoch();
            notify();
            QMetaObject::invokeMethod(this, [this, r] { Q_EMIT unloaded(r); }, Qt::QueuedConnection);
            return r;
        });
    }

    QFuture<EncodeReply> encode(const engine::ImageRgb8& image, const QString& image_id) override {
        const int width = image.width, height = image.height;
        return QtConcurrent::run(&pool_, [this, width, height, image_id] {
            EncodeReply r;
            r.image_id = image_id;
            r.width = width;
            r.height = height;
            {
                std::lock_guard lock(mutex_);
                if (unload_pending_) {
                    r.error = BackendError::Cancelled;
                    r.message = QStringLiteral("an unload was requested");
                    return r;
                }
            }
            std::lock_guard model(model_mutex_);
            {
                std::lock_guard lock(mutex_);
                if (!loaded_) {
                    r.error = BackendError::NotLoaded;
                    r.message = QStringLiteral("no model is loaded");
                    return r;
                }
                if (images_.contains(image_id)) {
                    r.cached = true;
                    return r;
                }
                state_ = QStringLiteral("busy");
            }
            ++encodes_started;
            notify();
            QThread::msleep(encode_ms.load());
            {
                std::lock_guard lock(mutex_);
                images_.insert(image_id, QSize(width, height));
                state_ = QStringLiteral("ready");
            }
            ++encodes_finished;
            last_encode_finished_at_ms = QDateTime::currentMSecsSinceEpoch();
            r.duration_ms = encode_ms.load();
            notify();
            return r;
        });
    }

    QFuture<SegmentReply> segment(const QString& image_id, const engine::ClickPrompt& prompt) override {
        ++segments_started;
        return QtConcurrent::run(&pool_, [this, image_id, prompt] {
            SegmentReply r;
            std::lock_guard model(model_mutex_);
            QThread::msleep(std::uint64_t(segment_ms.load()));
            QSize size;
            {
                std::lock_guard lock(mutex_);
                if (!loaded_) {
                    r.error = BackendError::NotLoaded;
                    r.message = QStringLiteral("no model is loaded");
                    return r;
                }
                if (!images_.contains(image_id)) {
                    r.error = BackendError::UnknownImage;
                    r.message = QStringLiteral("image %1 was not encoded").arg(image_id);
                    return r;
                }
                size = images_.value(image_id);
            }
            const float cx = prompt.points.empty() ? prompt.box->x0 : prompt.points[0].x;
            const float cy = prompt.points.empty() ? prompt.box->y0 : prompt.points[0].y;
            engine::MaskCandidate c;
            c.width = size.width();
            c.height = size.height();
            c.predicted_iou = 0.875f;
            c.mask.assign(std::size_t(c.width) * c.height, 0);
            for (int y = 0; y < c.height; ++y)
                for (int x = 0; x < c.width; ++x)
                    if (std::hypot(x + 0.5 - cx, y + 0.5 - cy) <= kDiscRadiusPx) c.mask[std::size_t(y) * c.width + x] = 1;
            r.result.candidates.push_back(std::move(c));
            r.result.object_score_logit = 4.0f;
            return r;
        });
    }

    QFuture<DetectReply> detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                const engine::DetectOptions& options) override {
        return QtConcurrent::run(&pool_, [this, image_id, prompt, options] {
            DetectReply r;
            std::lock_guard model(model_mutex_);
            QSize size;
            bool text_seen = false;
            {
                std::lock_guard lock(mutex_);
                if (!loaded_) return fail(r, BackendError::NotLoaded, QStringLiteral("no model is loaded"));
                if (!detection_loaded_)
                    return fail(r, BackendError::NotLoaded, QStringLiteral("concept detection is not loaded: serve --parts detect"));
                if (!images_.contains(image_id)) return fail(r, BackendError::UnknownImage, QStringLiteral("image %1 was not encoded").arg(image_id));
                const qsizetype words = QString::fromStdString(prompt.text).split(QLatin1Char(' '), Qt::SkipEmptyParts).size();
                if (words > kMaxPromptWords)
                    return fail(r, BackendError::BadInput, QStringLiteral("prompt is %1 tokens; at most %2").arg(words + 2).arg(kMaxPromptWords + 2));
                size = images_.value(image_id);
                text_seen = texts_.contains(QString::fromStdString(prompt.text));
                texts_.insert(QString::fromStdString(prompt.text));
            }
            r.width = size.width();
            r.height = size.height();
            auto add = [&](int query, float score, float x0, float y0, float x1, float y1) {
                r.result.query_scores.push_back(score);
                r.result.query_boxes.push_back({x0, y0, x1, y1});
                if (!(score > options.score_threshold)) return;
                engine::Detection d;
                d.query = query;
                d.score = score;
                d.box = {x0, y0, x1, y1};
                d.width = r.width;
                d.height = r.height;
                d.mask.assign(std::size_t(d.width) * d.height, 0);
                for (int y = 0; y < d.height; ++y)
                    for (int x = 0; x < d.width; ++x)
                        if (x + 0.5f >= x0 && x + 0.5f < x1 && y + 0.5f >= y0 && y + 0.5f < y1) d.mask[std::size_t(y) * d.width + x] = 1;
                r.result.detections.push_back(std::move(d));
            };
            add(0, prompt.text.empty() ? 0.f : kTextScore, 0.f, 0.f, r.width / 2.f, r.height / 2.f);
            int query = 1;
            for (const engine::ExemplarBox& b : prompt.boxes) add(query++, b.positive ? kBoxScore : 0.f, b.x0, b.y0, b.x1, b.y1);
            r.result.presence_score = kPresenceScore;
            r.result.token_ids = {49406, 49407};
            r.result.text_from_cache = text_seen;
            return r;
        });
    }

private:
    template <typename Reply>
    static Reply fail(Reply r, BackendError error, const QString& message) {
        r.error = error;
        r.message = message;
        return r;
    }
    LoadReply withModel(LoadReply r) const {
        r.device = QStringLiteral("cuda:0");
        r.dtype = QStringLiteral("bfloat16");
        return r;
    }
    void notify() {
        QMetaObject::invokeMethod(this, [this] { Q_EMIT statusChanged(); }, Qt::QueuedConnection);
    }

    QThreadPool pool_;
    mutable std::mutex mutex_;   // the fields below
    std::mutex model_mutex_;     // held by the operation using the "model"
    bool loaded_ = false;
    bool detection_loaded_ = true;
    bool unload_pending_ = false;
    QString state_ = QStringLiteral("unloaded");
    QString last_model_;
    QString refuse_message_;
    double leaked_vram_mb_ = 0.0;
    bool vram_unmeasurable_ = false;
    QHash<QString, QSize> images_;
    QSet<QString> texts_;  // text_cached on the second use
};

}  // namespace samlabel::service::testing

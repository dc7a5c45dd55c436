#include "ui/model/model_ui.h"
#include "ui/settings/app_settings.h"

#include "core/engine/model_session.h"
#include "core/service/child_process_model_backend.h"
#include "core/service/local_model_backend.h"
#include "core/service/memory_sampler.h"
#include "core/service/model_runtime.h"
#include "core/service/model_worker.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/docks/memory_gauge_dock.h"
#include "ui/docks/model_panel.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"

#include <QAction>
#include <QKeyEvent>
#include <QLabel>
#include <QMainWindow>
#include <QStatusBar>
#include <QToolBar>

namespace samlabel::ui {

namespace {
// Images encoded ahead of the one on screen (the next ones in the folder).
constexpr int kEncodeAheadImages = 2;
constexpr double kMiB = 1024.0 * 1024.0;
}  // namespace

ModelUi::ModelUi(QMainWindow* window, AnnotationDocument* document, ToolBox* tools, QStatusBar* status_bar)
    : QObject(window), window_(window), document_(document), tools_(tools) {
    service::ModelRuntimeOptions options;
    options.local_files_allowed = true;  // the GUI's encodes name image files
    options.sample_interval_ms = 250;    // the gauge's 4 Hz
    options.converted_weights = AppSettings::convertedWeightsSettings();
    runtime_ = std::make_unique<service::ModelRuntime>(options);
    backend_ = runtime_->backend();
    panel_ = new ModelPanel(runtime_->backend(), window);
    gauge_ = new MemoryGaugeDock(window);
    sam_tool_ = new SamTool(runtime_->backend());
    if (tools_) tools_->addTool(sam_tool_);
    if (auto* main = qobject_cast<MainWindow*>(window); main && main->canvas()) main->canvas()->installEventFilter(this);

    connect(runtime_->sampler(), &service::MemorySampler::sampled, gauge_, &MemoryGaugeDock::addSample, Qt::QueuedConnection);
    connect(panel_, &ModelPanel::expectedFootprintChanged, gauge_, &MemoryGaugeDock::setExpectedFootprint);
    connect(panel_, &ModelPanel::budgetChanged, gauge_, &MemoryGaugeDock::setBudget);
    gauge_->setBudget(panel_->budget().keep_free_ram_bytes, panel_->budget().max_vram_bytes);
    connect(panel_, &ModelPanel::loadStarted, this, [this] { gauge_->markEvent(tr("Load"), QColor(20, 120, 200)); });
    connect(panel_, &ModelPanel::loadReported, this, [this](const service::LoadReply& reply) {
        if (reply.ok()) {
            gauge_->markEvent(tr("Loaded %1 s").arg(reply.duration_ms / 1000.0, 0, 'f', 1), QColor(20, 120, 200));
            // With a model, the prompt keys (Q/E) drive SAM rather than GrabCut.
            if (tools_ && tools_->promptTool() != sam_tool_) {
                previous_prompt_tool_ = tools_->promptTool();
                tools_->setPromptTool(sam_tool_);
            }
            encode_state_.clear();
            encode_progress_.clear();
            requestEncodes();
            if (uploads_images_) sam_tool_->prepareImage();
        } else if (reply.error == service::BackendError::Cancelled) {
            gauge_->markEvent(tr("Cancelled"), QColor(120, 120, 120));
        }
    });
    connect(panel_, &ModelPanel::unloadReported, this, [this](const service::UnloadReply& r) {
        QString label = tr("Unload -%1 MiB").arg(r.freed_ram_mb, 0, 'f', 0);
        if (r.freed_vram_mb > 0) label += tr(" / VRAM -%1 MiB").arg(r.freed_vram_mb, 0, 'f', 0);
        gauge_->markEvent(label, QColor(200, 40, 40));
        if (tools_ && previous_prompt_tool_) tools_->setPromptTool(previous_prompt_tool_);
        encode_state_.clear();
        encode_progress_.clear();
        sam_tool_->setEncodeStatus(QString());
        updateStatus();
    });
    connect(sam_tool_, &SamTool::clickLatency, this, [this](double latency_ms, double decode_ms) {
        last_click_ms_ = latency_ms;
        last_decode_ms_ = decode_ms;
        updateStatus();
    });
    connectBackend(runtime_->backend());
    connect(runtime_->worker(), &service::ModelWorker::error, this,
            [this](const QString& message) { window_->statusBar()->showMessage(tr("Model: %1").arg(message), 10000); });

    if (document_) connect(document_, &AnnotationDocument::currentImageChanged, this, &ModelUi::onCurrentImageChanged);

    status_ = new QLabel(status_bar);
    status_->setObjectName(QStringLiteral("samStatus"));
    status_bar->addPermanentWidget(status_);
    updateStatus();
}

ModelUi::~ModelUi() = default;  // the runtime stops the sampler, then the model thread

bool ModelUi::eventFilter(QObject* watched, QEvent* event) {
    // Qt turns Tab into focus traversal before the canvas sees it; while the
    // SAM tool shows several candidates, Tab cycles them instead.
    if (event->type() == QEvent::KeyPress && tools_ && tools_->activeTool() == sam_tool_) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Tab || key->key() == Qt::Key_Backtab) &&
            sam_tool_->cycleCandidate(key->key() == Qt::Key_Tab && !(key->modifiers() & Qt::ShiftModifier)))
            return true;
    }
    return QObject::eventFilter(watched, event);
}

service::ModelWorker* ModelUi::worker() const { return runtime_->worker(); }
service::LocalModelBackend* ModelUi::localBackend() const { return runtime_->backend(); }
std::shared_ptr<engine::ModelSession> ModelUi::session() const { return runtime_->session(); }
service::MemorySampler* ModelUi::sampler() const { return runtime_->sampler(); }

void ModelUi::connectBackend(service::ModelBackend* backend) {
    connect(backend, &service::ModelBackend::statusChanged, this, &ModelUi::updateStatus);
    connect(backend, &service::ModelBackend::imageEncodeStarted, this, [this](const QString& id) {
        encode_state_[id] = QStringLiteral("encoding");
        encode_progress_.remove(id);
        updateStatus();
    });
    connect(backend, &service::ModelBackend::imageEncodeProgress, this, [this](const QString& id, int step, int steps, double elapsed_ms) {
        if (step <= 0 || steps <= 0) return;
        // The trunk's layers take about the same time each: the time so far
        // per step, times the steps left.
        const double left_s = elapsed_ms / step * (steps - step) / 1000.0;
        encode_progress_[id] = tr("%1 % (about %2 s left)").arg(100 * step / steps).arg(qRound(left_s));
        updateStatus();
    });
    connect(backend, &service::ModelBackend::imageEncoded, this,
            [this](const QString& id, const QString& state, double duration_ms, const QString& message) {
                encode_state_[id] = state == QLatin1String("not_loaded") ? QStringLiteral("failed") : state;
                encode_progress_.remove(id);
                if (document_ && document_->currentIndex() >= 0 && id == document_->absolutePath(document_->currentIndex())) {
                    last_encode_ms_ = duration_ms;
                    if (state == QLatin1String("refused") || state == QLatin1String("failed"))
                        window_->statusBar()->showMessage(tr("SAM: image not encoded: %1").arg(message), 8000);
                }
                updateStatus();
            });
    connect(backend, &service::ModelBackend::modelProcessLost, this, [this](const QString& message) {
        gauge_->markEvent(tr("Model process lost"), QColor(200, 40, 40));
        // The message says what ended it, that the annotations are untouched and that Load starts a new one.
        window_->statusBar()->showMessage(tr("Model: %1").arg(message), 30000);
    });
    connect(backend, &service::ModelBackend::settingsNotApplied, this, [this](const QString& message) {
        window_->statusBar()->showMessage(tr("Model: %1").arg(message), 30000);
    });
}

void ModelUi::applyPreferences() {
    // Through the backends' door: this process's model, and the model process
    // when one is in use (a remote server keeps its own).
    const engine::ConvertedWeightsSettings converted = AppSettings::convertedWeightsSettings();
    runtime_->backend()->applyConvertedWeightsSettings(converted);
    if (backend_ && backend_ != runtime_->backend()) backend_->applyConvertedWeightsSettings(converted);
}

service::ModelBackend* ModelUi::backend() const { return backend_; }

void ModelUi::setBackend(service::ModelBackend* backend, bool remote) {
    if (!backend) return;
    if (backend_) QObject::disconnect(backend_, nullptr, this, nullptr);
    backend_ = backend;
    remote_ = remote;
    backend->applyConvertedWeightsSettings(AppSettings::convertedWeightsSettings());  // a model process's start
    uploads_images_ = remote && !backend->readsImageFiles();
    sam_tool_->setBackend(backend, uploads_images_);
    panel_->setBackend(backend);  // the panel loads and unloads the model the clicks go to
    connectBackend(backend);
    if (remote_) {
        // The server's model drives the clicks: SAM is the prompt tool (Q/E).
        if (tools_ && tools_->promptTool() != sam_tool_) {
            previous_prompt_tool_ = tools_->promptTool();
            tools_->setPromptTool(sam_tool_);
        }
    }
    if (uploads_images_) sam_tool_->prepareImage();
    else requestEncodes();
    updateStatus();
}

QString ModelUi::encodeState(const QString& image_path) const { return encode_state_.value(image_path); }

void ModelUi::onCurrentImageChanged(int) {
    if (uploads_images_) {
        sam_tool_->prepareImage();  // upload now, so the first click does not wait for it
        updateStatus();
        return;
    }
    requestEncodes();
}

void ModelUi::requestEncodes() {
    // Told also while no model is loaded: a model process keeps the images in
    // view for its next load (this process's backend ignores them until then).
    if (!backend_ || !document_ || document_->currentIndex() < 0) {
        updateStatus();
        return;
    }
    const int current = document_->currentIndex();
    QStringList ahead;
    for (int i = current + 1; i < document_->imageCount() && ahead.size() < kEncodeAheadImages; ++i)
        ahead.push_back(document_->absolutePath(i));
    backend_->setImagesInView(document_->absolutePath(current), ahead);
    updateStatus();
}

void ModelUi::updateStatus() {
    QStringList parts;
    if (remote_ && backend_) {
        const service::BackendStatus status = backend_->status();  // the latest poll: cheap
        const QString where = qobject_cast<service::ChildProcessModelBackend*>(backend_) ? tr("model process") : tr("remote");
        parts << (status.model_loaded ? tr("SAM: %1 (%2 %3)").arg(where, status.device, status.dtype) : tr("SAM: %1, no model").arg(where));
        if (uploads_images_ && document_ && document_->currentIndex() >= 0 &&
            sam_tool_->uploadState(document_->absolutePath(document_->currentIndex())) == QLatin1String("uploading"))
            parts << tr("sending image...");
        // A model process encodes the files itself: its encodes show like this process's.
        else if (!uploads_images_ && status.model_loaded && document_ && document_->currentIndex() >= 0)
            parts << encodeStatusText();
    } else if (worker()->state() == engine::SessionState::Unloaded) {
        parts << tr("SAM: no model");
    } else if (document_ && document_->currentIndex() >= 0) {
        parts << encodeStatusText();
    }
    if (last_click_ms_ >= 0) parts << tr("click %1 ms (decode %2 ms)").arg(qRound(last_click_ms_)).arg(qRound(last_decode_ms_));
    status_->setText(parts.join(QStringLiteral(" · ")));
}

QString ModelUi::encodeStatusText() {
    const QString image = document_->absolutePath(document_->currentIndex());
    const QString image_state = encode_state_.value(image);
    const QString progress = encode_progress_.value(image);
    sam_tool_->setEncodeStatus(image_state != QStringLiteral("encoding") ? QString()
                               : progress.isEmpty()                     ? tr("Encoding image...")
                                                                        : tr("Encoding image %1").arg(progress));
    if (image_state == QStringLiteral("encoding"))
        return progress.isEmpty() ? tr("SAM: encoding image...") : tr("SAM: encoding image %1").arg(progress);
    if (image_state == QStringLiteral("encoded")) return tr("SAM: encode %1 s").arg(last_encode_ms_ / 1000.0, 0, 'f', 2);
    if (image_state == QStringLiteral("cached")) return tr("SAM: embedding cached");
    if (image_state == QStringLiteral("refused")) return tr("SAM: encode refused (memory)");
    if (image_state == QStringLiteral("failed")) return tr("SAM: encode failed");
    return tr("SAM: ready");
}

ModelUi* install_model_ui(MainWindow& window) {
    auto* ui = new ModelUi(&window, window.document(), window.toolBox(), window.statusBar());
    // Under the image list: the right column (classes, instances) and the left
    // one share the height of a laptop screen; the panel scrolls when short.
    window.addDock(ui->panel(), Qt::LeftDockWidgetArea);
    window.addDock(ui->gauge(), Qt::BottomDockWidgetArea);
    // The tool was added after the window built its toolbar: give it its
    // button and its window-wide shortcut like the others.
    if (QAction* action = window.toolBox()->action(ui->samTool()->id())) {
        if (auto* bar = window.findChild<QToolBar*>(QStringLiteral("tools_toolbar"))) bar->addAction(action);
        window.addShortcutAction(action, MainWindow::MenuId::Tools);
    }
    return ui;
}

}  // namespace samlabel::ui

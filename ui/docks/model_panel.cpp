#include "ui/docks/model_panel.h"

#include "core/io/utf8_path.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace samlabel::ui {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

QString gib(std::uint64_t bytes) {
    if (double(bytes) < kGiB) return QString::number(double(bytes) / kMiB, 'f', 1) + QStringLiteral(" MiB");
    return QString::number(double(bytes) / kGiB, 'f', 2) + QStringLiteral(" GiB");
}

QString mb(std::uint64_t bytes) { return QString::number(double(bytes) / kMiB, 'f', 0) + QStringLiteral(" MiB"); }

QString settingsKey(const char* name) { return QStringLiteral("model/") + QLatin1String(name); }

// The backend's state name ("ready") as the session state the buttons follow.
engine::SessionState state_from_name(const QString& name) {
    for (engine::SessionState st : {engine::SessionState::Unloaded, engine::SessionState::Loading, engine::SessionState::Ready,
                                    engine::SessionState::Busy, engine::SessionState::Unloading})
        if (name == QLatin1String(engine::session_state_name(st))) return st;
    return engine::SessionState::Unloaded;
}

QString mib_text(double mib) { return gib(std::uint64_t(std::max(0.0, mib) * kMiB)); }

}  // namespace

ModelPanel::ModelPanel(service::ModelBackend* backend, QWidget* parent) : QDockWidget(tr("Model"), parent) {
    setObjectName(QStringLiteral("modelPanel"));
    buildUi();

    preflight_debounce_.setSingleShot(true);
    preflight_debounce_.setInterval(150);
    connect(&preflight_debounce_, &QTimer::timeout, this, &ModelPanel::runPreflight);
    connect(&preflight_watcher_, &QFutureWatcher<service::PreflightReply>::finished, this, &ModelPanel::showPreflight);

    setBackend(backend);
    loadSettings();
    optionsChanged();
    updateButtons();
}

void ModelPanel::setBackend(service::ModelBackend* backend) {
    if (!backend || backend == backend_) return;
    if (backend_) QObject::disconnect(backend_, nullptr, this, nullptr);
    backend_ = backend;
    // Queued: a backend may emit from its own thread, and the panel's reaction
    // (buttons, a new preflight) must not run inside the backend's call.
    connect(backend, &service::ModelBackend::statusChanged, this, &ModelPanel::onStatusChanged, Qt::QueuedConnection);
    connect(backend, &service::ModelBackend::loadProgress, this, &ModelPanel::onLoadProgress, Qt::QueuedConnection);
    connect(backend, &service::ModelBackend::loadFinished, this, &ModelPanel::onLoadFinished, Qt::QueuedConnection);
    connect(backend, &service::ModelBackend::unloaded, this, &ModelPanel::onUnloaded, Qt::QueuedConnection);
    connect(backend, &service::ModelBackend::modelProcessLost, this, &ModelPanel::onModelProcessLost, Qt::QueuedConnection);
    connect(backend, &service::ModelBackend::settingsNotApplied, this, &ModelPanel::onSettingsNotApplied, Qt::QueuedConnection);
    fillDevices();
    where_->setText(tr("Model runs in: %1").arg(backend->whereText()));
    sendRuntimeSettings();
    onStatusChanged();
    optionsChanged();  // the verdict was for the other model's machine
}

void ModelPanel::fillDevices() {
    const QVariant chosen = device_->currentData();
    const QSignalBlocker block(device_);
    device_->clear();
    device_->addItem(tr("Auto (GPU if any)"), QStringLiteral("auto"));
    device_->addItem(tr("CPU"), QStringLiteral("cpu"));
    for (const engine::GpuMemory& gpu : backend_->gpus())
        device_->addItem(tr("CUDA %1: %2 (%3)").arg(gpu.index).arg(QString::fromStdString(gpu.name), gib(gpu.total_bytes)),
                         QStringLiteral("cuda:%1").arg(gpu.index));
    const QVariant wanted = chosen.isValid() ? chosen : QSettings().value(settingsKey("device"), QStringLiteral("auto"));
    if (const int i = device_->findData(wanted); i >= 0) device_->setCurrentIndex(i);
}

ModelPanel::~ModelPanel() {
    saveSettings();
    preflight_watcher_.waitForFinished();
}

void ModelPanel::buildUi() {
    // The panel is taller than a laptop screen leaves it: it scrolls instead of
    // squeezing its neighbours (or being covered by them).
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("modelPanelScroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* body = new QWidget(scroll);
    auto* outer = new QVBoxLayout(body);
    outer->setContentsMargins(6, 4, 6, 4);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    auto* folder_row = new QHBoxLayout;
    folder_ = new QLineEdit(body);
    folder_->setObjectName(QStringLiteral("weightsFolder"));
    folder_->setPlaceholderText(tr("folder with config.json + model.safetensors"));
    browse_ = new QPushButton(tr("Browse..."), body);
    folder_row->addWidget(folder_, 1);
    folder_row->addWidget(browse_);
    form->addRow(tr("Weights"), folder_row);

    device_ = new QComboBox(body);
    device_->setObjectName(QStringLiteral("device"));
    device_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);  // GPU names are long
    device_->setMinimumContentsLength(12);
    form->addRow(tr("Device"), device_);

    dtype_ = new QComboBox(body);
    dtype_->setObjectName(QStringLiteral("dtype"));
    dtype_->addItem(tr("Auto"), int(engine::WeightDType::Auto));
    dtype_->addItem(tr("fp32"), int(engine::WeightDType::F32));
    dtype_->addItem(tr("bf16"), int(engine::WeightDType::BF16));
    dtype_->addItem(tr("fp16 (GPU)"), int(engine::WeightDType::F16));
    form->addRow(tr("Precision"), dtype_);

    parts_ = new QComboBox(body);
    parts_->setObjectName(QStringLiteral("parts"));
    parts_->addItem(tr("Click-to-segment"), int(engine::PartSet::ClickToSegment));
    parts_->addItem(tr("Text prompts (detect)"), int(engine::PartSet::DetectOnly));
    parts_->addItem(tr("Click + text prompts"), int(engine::PartSet::ClickAndDetect));
    parts_->setToolTip(tr("Click-to-segment: the vision trunk and the tracker (clicks, boxes).\n"
                          "Text prompts: the detector and the text encoder, to find every instance of a concept;\n"
                          "they need the checkpoint's tokenizer files."));
    form->addRow(tr("Parts"), parts_);

    keep_free_ram_gb_ = new QDoubleSpinBox(body);
    keep_free_ram_gb_->setRange(0, 1024);
    keep_free_ram_gb_->setDecimals(1);
    keep_free_ram_gb_->setSingleStep(0.5);
    keep_free_ram_gb_->setSuffix(tr(" GiB"));
    keep_free_ram_gb_->setToolTip(tr("Refuse a load or an encode that would leave less RAM free than this"));
    form->addRow(tr("Keep RAM free"), keep_free_ram_gb_);
    max_vram_gb_ = new QDoubleSpinBox(body);
    max_vram_gb_->setRange(0, 1024);
    max_vram_gb_->setDecimals(1);
    max_vram_gb_->setSingleStep(0.5);
    max_vram_gb_->setSuffix(tr(" GiB"));
    max_vram_gb_->setSpecialValueText(tr("no limit"));
    max_vram_gb_->setToolTip(tr("Use at most this much VRAM (leave room for a training run)"));
    form->addRow(tr("VRAM at most"), max_vram_gb_);

    cache_mb_ = new QSpinBox(body);
    cache_mb_->setRange(64, 65536);
    cache_mb_->setSingleStep(256);
    cache_mb_->setSuffix(tr(" MiB"));
    cache_mb_->setToolTip(tr("Image embeddings kept in memory (least recently used go first)"));
    form->addRow(tr("Embedding cache"), cache_mb_);
    disk_cache_ = new QCheckBox(tr("also on disk (fp16)"), body);
    form->addRow(QString(), disk_cache_);
    auto_unload_min_ = new QSpinBox(body);
    auto_unload_min_->setRange(0, 24 * 60);
    auto_unload_min_->setSuffix(tr(" min idle"));
    auto_unload_min_->setSpecialValueText(tr("never"));
    form->addRow(tr("Auto-unload"), auto_unload_min_);
    outer->addLayout(form);

    verdict_ = new QLabel(body);
    verdict_->setObjectName(QStringLiteral("verdict"));
    verdict_->setWordWrap(true);
    verdict_->setTextFormat(Qt::RichText);
    verdict_->setFrameShape(QFrame::StyledPanel);
    verdict_->setMargin(4);
    outer->addWidget(verdict_);

    auto* buttons = new QHBoxLayout;
    load_ = new QPushButton(tr("Load"), body);
    load_->setObjectName(QStringLiteral("loadButton"));
    cancel_ = new QPushButton(tr("Cancel"), body);
    cancel_->setObjectName(QStringLiteral("cancelButton"));
    unload_ = new QPushButton(tr("Unload"), body);
    unload_->setObjectName(QStringLiteral("unloadButton"));
    unload_->setToolTip(tr("Free the model, every cached embedding and the GPU allocator's memory"));
    buttons->addWidget(load_);
    buttons->addWidget(cancel_);
    buttons->addWidget(unload_);
    outer->addLayout(buttons);

    progress_ = new QProgressBar(body);
    progress_->setObjectName(QStringLiteral("loadProgress"));
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setTextVisible(true);
    progress_->setFormat(QString());
    outer->addWidget(progress_);

    state_ = new QLabel(body);
    state_->setObjectName(QStringLiteral("modelState"));
    outer->addWidget(state_);
    where_ = new QLabel(body);
    where_->setObjectName(QStringLiteral("modelWhere"));
    where_->setWordWrap(true);
    outer->addWidget(where_);
    last_load_ = new QLabel(body);
    last_load_->setWordWrap(true);
    last_load_->setObjectName(QStringLiteral("lastLoad"));
    outer->addWidget(last_load_);
    last_unload_ = new QLabel(body);
    last_unload_->setWordWrap(true);
    last_unload_->setObjectName(QStringLiteral("lastUnload"));
    outer->addWidget(last_unload_);
    settings_refused_ = new QLabel(body);
    settings_refused_->setWordWrap(true);
    settings_refused_->setObjectName(QStringLiteral("settingsRefused"));
    settings_refused_->hide();
    outer->addWidget(settings_refused_);
    outer->addStretch(1);
    scroll->setWidget(body);
    // Scrolls up and down only: as wide as its fields need, never clipped at the side.
    scroll->setMinimumWidth(body->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    setWidget(scroll);

    connect(browse_, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("SAM3 weights folder"), folder_->text());
        if (!dir.isEmpty()) setWeightsFolder(dir);
    });
    connect(folder_, &QLineEdit::editingFinished, this, &ModelPanel::optionsChanged);
    for (QComboBox* box : {device_, dtype_, parts_})
        connect(box, &QComboBox::currentIndexChanged, this, &ModelPanel::optionsChanged);
    for (QDoubleSpinBox* box : {keep_free_ram_gb_, max_vram_gb_})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ModelPanel::optionsChanged);
    const auto runtime_changed = [this] {
        sendRuntimeSettings();
        saveSettings();
    };
    connect(cache_mb_, &QSpinBox::valueChanged, this, runtime_changed);
    connect(disk_cache_, &QCheckBox::toggled, this, runtime_changed);
    connect(auto_unload_min_, &QSpinBox::valueChanged, this, runtime_changed);
    connect(load_, &QPushButton::clicked, this, [this] {
        if (!backend_) return;
        last_unload_->clear();  // about the previous model; the new load reports below
        last_unload_->hide();
        lost_message_.clear();
        progress_->setValue(0);
        progress_->setFormat(tr("starting..."));
        state_value_ = engine::SessionState::Loading;  // until the backend says otherwise
        load_requested_ = true;
        updateButtons();
        backend_->load(request(), budget());  // answered through loadFinished, like a load anyone else asks for
        Q_EMIT loadStarted();
    });
    connect(cancel_, &QPushButton::clicked, this, [this] {
        if (backend_) backend_->cancelLoad();
    });
    connect(unload_, &QPushButton::clicked, this, [this] {
        if (backend_) backend_->unload();
    });
}

service::RuntimeSettings ModelPanel::runtimeSettings() const {
    service::RuntimeSettings r;
    r.embedding_cache_bytes = std::uint64_t(cache_mb_->value()) * 1024 * 1024;
    if (disk_cache_->isChecked())
        r.disk_cache_dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/embeddings");
    r.auto_unload_after_ms = qint64(auto_unload_min_->value()) * 60 * 1000;
    r.encode_budget = budget();
    return r;
}

void ModelPanel::loadSettings() {
    QSettings s;
    const QSignalBlocker b1(folder_), b2(device_), b3(dtype_), b4(parts_), b5(keep_free_ram_gb_), b6(max_vram_gb_),
        b7(cache_mb_), b8(disk_cache_), b9(auto_unload_min_);
    folder_->setText(s.value(settingsKey("weights_folder")).toString());
    if (const int i = device_->findData(s.value(settingsKey("device"), QStringLiteral("auto"))); i >= 0) device_->setCurrentIndex(i);
    if (const int i = dtype_->findData(s.value(settingsKey("dtype"), int(engine::WeightDType::Auto))); i >= 0) dtype_->setCurrentIndex(i);
    if (const int i = parts_->findData(s.value(settingsKey("parts"), int(engine::PartSet::ClickToSegment))); i >= 0) parts_->setCurrentIndex(i);
    keep_free_ram_gb_->setValue(s.value(settingsKey("keep_free_ram_gb"), 2.0).toDouble());
    max_vram_gb_->setValue(s.value(settingsKey("max_vram_gb"), 0.0).toDouble());
    cache_mb_->setValue(s.value(settingsKey("embedding_cache_mb"), 2048).toInt());
    disk_cache_->setChecked(s.value(settingsKey("disk_cache"), false).toBool());
    auto_unload_min_->setValue(s.value(settingsKey("auto_unload_minutes"), 0).toInt());  // off by default
    sendRuntimeSettings();
}

void ModelPanel::saveSettings() const {
    QSettings s;
    s.setValue(settingsKey("weights_folder"), folder_->text());
    s.setValue(settingsKey("device"), device_->currentData());
    s.setValue(settingsKey("dtype"), dtype_->currentData());
    s.setValue(settingsKey("parts"), parts_->currentData());
    s.setValue(settingsKey("keep_free_ram_gb"), keep_free_ram_gb_->value());
    s.setValue(settingsKey("max_vram_gb"), max_vram_gb_->value());
    s.setValue(settingsKey("embedding_cache_mb"), cache_mb_->value());
    s.setValue(settingsKey("disk_cache"), disk_cache_->isChecked());
    s.setValue(settingsKey("auto_unload_minutes"), auto_unload_min_->value());
}

void ModelPanel::setWeightsFolder(const QString& folder) {
    folder_->setText(QDir::toNativeSeparators(folder));
    optionsChanged();
}

engine::LoadRequest ModelPanel::request() const {
    engine::LoadRequest r;
    r.checkpoint_dir = io::path_from_utf8(QDir::fromNativeSeparators(folder_->text().trimmed()).toStdString());
    const QString device = device_->currentData().toString();
    if (device == QStringLiteral("cpu")) {
        r.device = engine::DeviceSpec{engine::DeviceKind::Cpu, 0};
    } else if (device.startsWith(QStringLiteral("cuda:"))) {
        r.device = engine::DeviceSpec{engine::DeviceKind::Cuda, device.mid(5).toInt()};
    } else {
        r.device = engine::DeviceSpec{engine::DeviceKind::Auto, 0};
    }
    r.dtype = static_cast<engine::WeightDType>(dtype_->currentData().toInt());
    r.parts = static_cast<engine::PartSet>(parts_->currentData().toInt());
    return r;
}

engine::BudgetSettings ModelPanel::budget() const {
    engine::BudgetSettings b;
    b.keep_free_ram_bytes = std::uint64_t(keep_free_ram_gb_->value() * kGiB);
    b.max_vram_bytes = std::uint64_t(max_vram_gb_->value() * kGiB);
    return b;
}

void ModelPanel::optionsChanged() {
    // The verdict shown was for the old options: Load waits for the new one
    // (a click in the 150 ms before the check ran loaded what was not checked).
    preflight_.reset();
    verdict_->setText(tr("Checking memory..."));
    updateButtons();
    saveSettings();
    const engine::BudgetSettings b = budget();
    sendRuntimeSettings();
    Q_EMIT budgetChanged(b.keep_free_ram_bytes, b.max_vram_bytes);
    preflight_debounce_.start();
}

void ModelPanel::runPreflight() {
    if (preflight_watcher_.isRunning()) {
        preflight_again_ = true;  // the options changed while the last check ran
        return;
    }
    preflight_again_ = false;
    const engine::LoadRequest r = request();
    const engine::BudgetSettings b = budget();
    if (r.checkpoint_dir.empty()) {
        preflight_.reset();
        verdict_->setText(tr("Choose the folder of a SAM3 checkpoint (config.json + model.safetensors)."));
        Q_EMIT expectedFootprintChanged(0, 0, 0, QString());
        return;
    }
    verdict_->setText(tr("Checking memory..."));
    if (!backend_) return;
    preflight_watcher_.setFuture(backend_->preflight(r, b));
}

void ModelPanel::showPreflight() {
    preflight_ = preflight_watcher_.result();
    if (preflight_again_) {
        runPreflight();
        return;
    }
    const service::PreflightReply& p = *preflight_;
    if (!p.report) {
        verdict_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(p.message.toHtmlEscaped()));
        Q_EMIT expectedFootprintChanged(0, 0, 0, QString());
        updateButtons();
        return;
    }
    const engine::Verdict& v = p.report->verdict;
    const engine::MemoryEstimate& e = p.report->estimate;
    QString text;
    if (!p.blocker.isEmpty()) {
        // Cannot load whatever the memory: that comes first, and no "Fits" next to it.
        text = QStringLiteral("<span style='color:#b00020'>%1</span><br>%2")
                   .arg(p.blocker.toHtmlEscaped(),
                        tr("(These parts would take about %1.)").arg(gib(e.ram_bytes() + e.vram_bytes())));
    } else {
        // The engine's message starts with its verdict ("Fits: ..." / "Refused: ...").
        text = QStringLiteral("<span style='color:%1'>%2</span>")
                   .arg(v.fits ? QStringLiteral("#1b7f3b") : QStringLiteral("#b00020"),
                        QString::fromStdString(v.message).toHtmlEscaped());
        for (const std::string& s : v.suggestions) text += QStringLiteral("<br>&bull; ") + QString::fromStdString(s).toHtmlEscaped();
    }
    verdict_->setText(text);
    verdict_->setToolTip(QStringLiteral("<pre>%1</pre>").arg(QString::fromStdString(e.describe()).toHtmlEscaped()));
    Q_EMIT expectedFootprintChanged(e.ram_bytes(), e.vram_bytes(), e.device.index,
                                    tr("SAM3 %1 %2").arg(QString::fromStdString(engine::device_name(e.device)),
                                                         QString::fromLatin1(engine::weight_dtype_name(e.dtype).data())));
    updateButtons();
}

QString ModelPanel::verdictText() const { return verdict_->text(); }

void ModelPanel::updateButtons() {
    using engine::SessionState;
    const bool unloaded = state_value_ == SessionState::Unloaded;
    const bool fits = preflight_ && preflight_->loadable();
    load_->setEnabled(unloaded && fits);
    load_->setToolTip(fits ? QString() : tr("The memory check must pass first (see above)"));
    cancel_->setEnabled(state_value_ == SessionState::Loading);
    unload_->setEnabled(state_value_ == SessionState::Ready || state_value_ == SessionState::Busy);
    for (QWidget* w : std::initializer_list<QWidget*>{folder_, browse_, device_, dtype_, parts_}) w->setEnabled(unloaded);
    QString text;
    switch (state_value_) {
    case SessionState::Unloaded: text = tr("No model loaded"); break;
    case SessionState::Loading: text = tr("Loading..."); break;
    case SessionState::Ready:
    case SessionState::Busy: {
        const service::BackendStatus status = backend_ ? backend_->status() : service::BackendStatus();
        text = status.device.isEmpty() ? tr("Loaded") : tr("Loaded on %1 (%2)").arg(status.device, status.dtype);
        if (loaded_weights_mb_ > 0) text += tr(", %1 of weights").arg(mib_text(loaded_weights_mb_));
        if (state_value_ == SessionState::Busy) text += tr(" - busy");
        break;
    }
    case SessionState::Unloading: text = tr("Unloading..."); break;
    }
    state_->setText(text);
}

void ModelPanel::onStatusChanged() {
    if (!backend_) return;
    const engine::SessionState state = state_from_name(backend_->status().state);
    // A load this panel just asked for shows "Loading" until the backend says
    // otherwise (a remote backend learns of it at its next poll).
    if (state == engine::SessionState::Unloaded && load_requested_) return;
    state_value_ = state;
    // A server's GPUs arrive with its first poll: the device list follows while it still matters.
    if (state == engine::SessionState::Unloaded && std::size_t(device_->count()) != 2 + backend_->gpus().size()) fillDevices();
    where_->setText(tr("Model runs in: %1").arg(backend_->whereText()));  // a model process's pid changes per load
    updateButtons();
}

void ModelPanel::onLoadProgress(quint64 bytes_done, quint64 bytes_total) {
    if (bytes_total == 0) return;
    progress_->setValue(int(1000.0 * double(bytes_done) / double(bytes_total)));
    progress_->setFormat(tr("%1 of %2").arg(gib(bytes_done), gib(bytes_total)));
}

void ModelPanel::onLoadFinished(const service::LoadReply& reply) {
    using service::BackendError;
    load_requested_ = false;
    if (reply.ok()) {
        progress_->setValue(1000);
        progress_->setFormat(tr("loaded"));
        loaded_weights_mb_ = reply.weights_mb;
        QString text = tr("Last load: %1 s").arg(reply.duration_ms / 1000.0, 0, 'f', 1);
        if (reply.peak_rss_mb > 0)
            text += (reply.peak_rss_sampled ? tr(", peak RAM %1, sampled (RSS %2 -> %3)") : tr(", peak RSS %1 (RSS %2 -> %3)"))
                        .arg(mib_text(reply.peak_rss_mb), mib_text(reply.rss_before_mb), mib_text(reply.rss_after_mb));
        last_load_->setText(text);
    } else if (reply.error == BackendError::Refused) {
        progress_->setValue(0);
        progress_->setFormat(tr("refused"));
        last_load_->setText(tr("Refused: %1").arg(reply.message));
    } else if (reply.error == BackendError::Cancelled) {
        progress_->setValue(0);
        progress_->setFormat(tr("cancelled"));
        last_load_->setText(reply.rss_after_mb > 0
                                ? tr("Load cancelled; nothing stays allocated (RSS %1)").arg(mib_text(reply.rss_after_mb))
                                : tr("Load cancelled; nothing stays allocated"));
    } else {
        progress_->setValue(0);
        progress_->setFormat(tr("failed"));
        last_load_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                .arg(tr("Load failed: %1").arg(reply.message).toHtmlEscaped()));
    }
    Q_EMIT loadReported(reply);
    onStatusChanged();
}

void ModelPanel::sendRuntimeSettings() {
    if (!backend_) return;
    settings_refused_->hide();  // about the settings sent before; a refusal of these shows it again
    backend_->applyRuntimeSettings(runtimeSettings());
}

void ModelPanel::onSettingsNotApplied(const QString& message) {
    // Said here in full: the status bar cuts a message this long.
    settings_refused_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
    settings_refused_->show();
    // Below the fold of a panel that scrolls: brought into view once laid out.
    QTimer::singleShot(0, this, [this] {
        if (auto* scroll = qobject_cast<QScrollArea*>(widget()); scroll && settings_refused_->isVisible())
            scroll->ensureWidgetVisible(settings_refused_);
    });
}

void ModelPanel::onModelProcessLost(const QString& message) {
    // Said here as well as in the status bar, which is too narrow for it and forgets it.
    lost_message_ = message;
    load_requested_ = false;  // a load it was running is over too
    onStatusChanged();
    last_unload_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
    last_unload_->show();
}

void ModelPanel::onUnloaded(const service::UnloadReply& report) {
    if (!report.was_loaded && lost_message_.isEmpty()) return;
    loaded_weights_mb_ = 0.0;
    const bool cuda = report.device.startsWith(QLatin1String("cuda"));
    QString text = tr("%1 freed %2 of RAM").arg(report.automatic ? tr("Auto-unload (idle)") : tr("Unload"), mb(std::uint64_t(std::max(0.0, report.freed_ram_mb) * kMiB)));
    if (report.process_ended)
        text += cuda ? tr(" and all of its VRAM, CUDA context included (the model process ended)") : tr(" (the model process ended)");
    else if (cuda && !report.vram_measured)
        text += tr("; this process's VRAM cannot be measured here, so whether it came back is unknown");
    else if (cuda)
        text += tr(" and %1 of VRAM (%2 left: CUDA context)").arg(mib_text(report.freed_vram_mb), mib_text(report.vram_after_mb));
    text += tr(", %1 cached embeddings dropped, in %2 ms").arg(report.embeddings_dropped).arg(qRound(report.duration_ms));
    if (!lost_message_.isEmpty())  // the process died: what it held went with it, and why matters more
        text = QStringLiteral("<span style='color:#b00020'>%1</span>").arg(lost_message_.toHtmlEscaped());
    last_unload_->setText(text);
    last_unload_->show();
    progress_->setValue(0);
    progress_->setFormat(QString());
    Q_EMIT unloadReported(report);
    onStatusChanged();
    preflight_debounce_.start();  // memory changed: the verdict may too
}

}  // namespace samlabel::ui

#include "ui/docks/memory_gauge_dock.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>

namespace samlabel::ui {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// History kept in the graphs (the view shows window_s_ of it).
constexpr double kKeepSeconds = 900.0;

double gib(quint64 bytes) { return static_cast<double>(bytes) / kGiB; }

QString gibText(quint64 bytes) { return QString::number(gib(bytes), 'f', 2); }

const QColor kSystemColor(90, 120, 200);
const QColor kProcessColor(230, 120, 30);
const QColor kOthersColor(150, 90, 180);
const QColor kTotalColor(60, 60, 60);
const QColor kBudgetColor(200, 40, 40);
const QColor kExpectedColor(20, 150, 70);

QCPItemStraightLine* makeHorizontal(QCustomPlot* plot, const QColor& color, Qt::PenStyle style) {
    auto* line = new QCPItemStraightLine(plot);
    line->setPen(QPen(color, 1.5, style));
    line->setVisible(false);
    line->setSelectable(false);
    return line;
}

}  // namespace

MemoryGaugeDock::MemoryGaugeDock(QWidget* parent) : QDockWidget(tr("Memory"), parent) {
    setObjectName(QStringLiteral("memoryGaugeDock"));
    // Always visible: it can move and float but not be closed.
    setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);

    body_ = new QWidget(this);
    auto* layout = new QVBoxLayout(body_);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(2);

    ram_caption_ = new QLabel(tr("RAM: waiting for the first sample"), body_);
    ram_caption_->setObjectName(QStringLiteral("ramCaption"));
    ram_caption_->setTextFormat(Qt::RichText);
    layout->addWidget(ram_caption_);
    ram_plot_ = makePlot();
    layout->addWidget(ram_plot_, 1);

    ram_used_ = ram_plot_->addGraph();
    ram_used_->setName(tr("system used"));
    ram_used_->setPen(QPen(kSystemColor, 1.5));
    ram_used_->setBrush(QColor(kSystemColor.red(), kSystemColor.green(), kSystemColor.blue(), 40));
    // The process is drawn against its own (right, orange) axis: next to a
    // machine's 24-64 GiB, a model's 1-3 GiB would be a flat line.
    ram_plot_->yAxis2->setVisible(true);
    ram_plot_->yAxis2->setLabel(tr("samlabel GiB"));
    ram_plot_->yAxis2->setLabelColor(kProcessColor);
    ram_plot_->yAxis2->setTickLabelColor(kProcessColor);
    ram_plot_->yAxis2->setBasePen(QPen(kProcessColor));
    ram_plot_->yAxis2->setTickPen(QPen(kProcessColor));
    ram_plot_->yAxis2->setSubTickPen(QPen(kProcessColor));
    ram_plot_->yAxis2->setLabelFont(ram_plot_->yAxis->labelFont());
    ram_plot_->yAxis2->setTickLabelFont(ram_plot_->yAxis->tickLabelFont());
    rss_ = ram_plot_->addGraph(ram_plot_->xAxis, ram_plot_->yAxis2);
    rss_->setName(tr("samlabel RSS (right axis)"));
    rss_->setPen(QPen(kProcessColor, 2));
    rss_->setBrush(QColor(kProcessColor.red(), kProcessColor.green(), kProcessColor.blue(), 45));
    ram_total_ = ram_plot_->addGraph();
    ram_total_->setName(tr("total"));
    ram_total_->setPen(QPen(kTotalColor, 1, Qt::DashLine));

    ram_budget_ = makeHorizontal(ram_plot_, kBudgetColor, Qt::DashLine);
    ram_expected_ = makeHorizontal(ram_plot_, kExpectedColor, Qt::DotLine);
    ram_expected_->point1->setAxes(ram_plot_->xAxis, ram_plot_->yAxis2);  // a process figure
    ram_expected_->point2->setAxes(ram_plot_->xAxis, ram_plot_->yAxis2);
    ram_expected_label_ = new QCPItemText(ram_plot_);
    ram_expected_label_->position->setAxes(ram_plot_->xAxis, ram_plot_->yAxis2);
    ram_expected_label_->setColor(kExpectedColor);
    ram_expected_label_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);  // under its line
    ram_expected_label_->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    ram_expected_label_->setVisible(false);

    no_gpu_ = new QLabel(tr("VRAM: no GPU visible (NVML and CUDA report none)"), body_);
    no_gpu_->setObjectName(QStringLiteral("noGpuLabel"));
    layout->addWidget(no_gpu_);

    setWidget(body_);
}

QCustomPlot* MemoryGaugeDock::makePlot() {
    auto* plot = new QCustomPlot(body_);
    plot->setMinimumHeight(140);
    plot->setNoAntialiasingOnDrag(true);
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() - 1.5));
    plot->xAxis->setTickLabelFont(small);
    plot->yAxis->setTickLabelFont(small);
    plot->yAxis->setLabelFont(small);
    plot->yAxis->setLabel(tr("GiB"));
    plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerFixed>::create());
    plot->xAxis->ticker()->setTickCount(4);
    QSharedPointer<QCPAxisTickerText> none;
    plot->xAxis->setTickLabels(false);  // seconds since start mean nothing to a user; the window is fixed
    // No legend box over the data: the coloured caption above each plot names the curves.
    plot->legend->setVisible(false);
    plot->axisRect()->setAutoMargins(QCP::msLeft | QCP::msRight | QCP::msBottom);
    plot->axisRect()->setMargins(QMargins(0, 4, 4, 0));
    return plot;
}

MemoryGaugeDock::GpuPlot& MemoryGaugeDock::gpuPlot(int index, const QString& name) {
    for (GpuPlot& g : gpus_)
        if (g.plot->property("gpuIndex").toInt() == index) return g;
    GpuPlot g;
    g.caption = new QLabel(body_);
    g.caption->setTextFormat(Qt::RichText);
    g.plot = makePlot();
    g.plot->setProperty("gpuIndex", index);
    g.plot->setObjectName(QStringLiteral("gpuPlot%1").arg(index));
    body_->layout()->addWidget(g.caption);
    static_cast<QVBoxLayout*>(body_->layout())->addWidget(g.plot, 1);
    g.process = g.plot->addGraph();
    g.process->setName(tr("samlabel"));
    g.process->setPen(QPen(kProcessColor, 2));
    g.process->setBrush(QColor(kProcessColor.red(), kProcessColor.green(), kProcessColor.blue(), 110));
    g.others = g.plot->addGraph();
    g.others->setName(tr("other processes"));
    g.others->setPen(QPen(kOthersColor, 1.5));
    g.others->setBrush(QColor(kOthersColor.red(), kOthersColor.green(), kOthersColor.blue(), 80));
    g.others->setChannelFillGraph(g.process);  // stacked: others drawn on top of this process's share
    g.total = g.plot->addGraph();
    g.total->setName(tr("total"));
    g.total->setPen(QPen(kTotalColor, 1, Qt::DashLine));
    g.budget = makeHorizontal(g.plot, kBudgetColor, Qt::DashLine);
    g.expected = makeHorizontal(g.plot, kExpectedColor, Qt::DotLine);
    g.expected_label = new QCPItemText(g.plot);
    g.expected_label->setColor(kExpectedColor);
    g.expected_label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    g.expected_label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    g.expected_label->setVisible(false);
    Q_UNUSED(name);
    no_gpu_->hide();
    gpus_.push_back(g);
    return gpus_.back();
}

void MemoryGaugeDock::addSample(const service::MemorySample& sample) {
    last_ = sample;
    if (sample_count_ == 0) first_time_s_ = static_cast<double>(sample.time_ms) / 1000.0;
    // A footprint set before the first sample lands on the process's RSS once it is known.
    if (expected_ram_bytes_ > 0 && expected_ram_base_bytes_ == 0) expected_ram_base_bytes_ = sample.process_rss_bytes;
    ++sample_count_;
    const double t = static_cast<double>(sample.time_ms) / 1000.0;
    ram_used_->addData(t, gib(sample.ram_used_bytes()));
    ram_total_->addData(t, gib(sample.ram_total_bytes));
    rss_->addData(t, gib(sample.process_rss_bytes));
    for (QCPGraph* g : {ram_used_, ram_total_, rss_}) g->data()->removeBefore(t - kKeepSeconds);
    for (const service::GpuSample& gpu : sample.gpus) {
        GpuPlot& g = gpuPlot(gpu.index, gpu.name);
        g.process->addData(t, gib(gpu.process_bytes));
        g.others->addData(t, gib(gpu.process_bytes + gpu.others_bytes()));
        g.total->addData(t, gib(gpu.total_bytes));
        for (QCPGraph* graph : {g.process, g.others, g.total}) graph->data()->removeBefore(t - kKeepSeconds);
    }
    updateRanges();
    updateCaptions();
    ram_plot_->replot(QCustomPlot::rpQueuedReplot);
    for (GpuPlot& g : gpus_) g.plot->replot(QCustomPlot::rpQueuedReplot);
}

void MemoryGaugeDock::placeHorizontal(QCPItemStraightLine* line, double value_gb) {
    line->point1->setCoords(0, value_gb);
    line->point2->setCoords(1, value_gb);
}

void MemoryGaugeDock::updateRanges() {
    const double t = static_cast<double>(last_.time_ms) / 1000.0;
    // Fill from the left while the history is shorter than the window.
    const double x0 = std::max(first_time_s_, t - window_s_);
    const double x1 = std::max(t, x0 + 30.0);
    const double ram_top = gib(last_.ram_total_bytes) * 1.08;
    ram_plot_->xAxis->setRange(x0, x1);
    ram_plot_->yAxis->setRange(0, std::max(ram_top, 0.5));
    double process_top = 0.25;
    for (auto it = rss_->data()->findBegin(x0); it != rss_->data()->constEnd(); ++it) process_top = std::max(process_top, it->value);
    if (expected_ram_bytes_ > 0) process_top = std::max(process_top, gib(expected_ram_base_bytes_ + expected_ram_bytes_));
    ram_plot_->yAxis2->setRange(0, process_top * 1.15);

    ram_budget_->setVisible(keep_free_ram_bytes_ > 0 && last_.ram_total_bytes > keep_free_ram_bytes_);
    if (ram_budget_->visible()) placeHorizontal(ram_budget_, gib(last_.ram_total_bytes - keep_free_ram_bytes_));
    const bool show_ram_expected = expected_ram_bytes_ > 0;
    ram_expected_->setVisible(show_ram_expected);
    ram_expected_label_->setVisible(show_ram_expected);
    if (show_ram_expected) {
        const double y = gib(expected_ram_base_bytes_ + expected_ram_bytes_);
        placeHorizontal(ram_expected_, y);
        ram_expected_label_->position->setCoords(0.01, y);
        ram_expected_label_->setText(tr("%1: %2 GiB expected").arg(expected_label_, gibText(expected_ram_bytes_)));
    }

    for (GpuPlot& g : gpus_) {
        const int index = g.plot->property("gpuIndex").toInt();
        quint64 total = 0;
        for (const service::GpuSample& s : last_.gpus)
            if (s.index == index) total = s.total_bytes;
        g.plot->xAxis->setRange(x0, x1);
        g.plot->yAxis->setRange(0, std::max(gib(total) * 1.08, 0.5));
        g.budget->setVisible(max_vram_bytes_ > 0);
        if (max_vram_bytes_ > 0) placeHorizontal(g.budget, gib(max_vram_bytes_));
        const bool show = expected_vram_bytes_ > 0 && expected_gpu_ == index;
        g.expected->setVisible(show);
        g.expected_label->setVisible(show);
        if (show) {
            const double y = gib(expected_vram_bytes_);
            placeHorizontal(g.expected, y);
            g.expected_label->position->setCoords(0.01, y);
            g.expected_label->setText(tr("%1: %2 GiB expected").arg(expected_label_, gibText(expected_vram_bytes_)));
        }
    }
}

void MemoryGaugeDock::updateCaptions() {
    const auto coloured = [](const QColor& c, const QString& text) {
        return QStringLiteral("<span style='color:%1'>%2</span>").arg(c.name(), text.toHtmlEscaped());
    };
    QString ram = tr("RAM: %1 of %2 GiB (dashed; red: keep-free budget) · %3 (right axis)")
                      .arg(coloured(kSystemColor, tr("system used %1").arg(gibText(last_.ram_used_bytes()))),
                           gibText(last_.ram_total_bytes),
                           coloured(kProcessColor, tr("samlabel %1 GiB, peak %2")
                                                       .arg(gibText(last_.process_rss_bytes), gibText(last_.process_peak_rss_bytes))));
    if (expected_ram_bytes_ > 0) ram += QStringLiteral(" · ") + coloured(kExpectedColor, tr("dotted: expected with the model"));
    if (last_.swap_used_bytes > 0) ram += tr(" · swap %1 GiB").arg(gibText(last_.swap_used_bytes));
    ram_caption_->setText(ram);
    for (GpuPlot& g : gpus_) {
        const int index = g.plot->property("gpuIndex").toInt();
        for (const service::GpuSample& s : last_.gpus) {
            if (s.index != index) continue;
            g.caption->setText(tr("GPU %1 %2: %3 of %4 GiB · %5 · %6 (stacked)")
                                   .arg(index)
                                   .arg(s.name.toHtmlEscaped(), gibText(s.used_bytes), gibText(s.total_bytes),
                                        s.process_known ? coloured(kProcessColor, tr("samlabel %1").arg(gibText(s.process_bytes)))
                                                        : coloured(kProcessColor, tr("samlabel: cannot be measured here")),
                                        coloured(kOthersColor, s.process_known ? tr("other processes %1").arg(gibText(s.others_bytes()))
                                                                               : tr("all in use %1").arg(gibText(s.others_bytes())))));
        }
    }
}

void MemoryGaugeDock::setExpectedFootprint(quint64 ram_bytes, quint64 vram_bytes, int gpu_index, const QString& label) {
    expected_ram_bytes_ = ram_bytes;
    // The model lands on top of what the process holds now (the app, images, caches).
    expected_ram_base_bytes_ = last_.process_rss_bytes;
    expected_vram_bytes_ = vram_bytes;
    expected_gpu_ = gpu_index;
    expected_label_ = label;
    updateRanges();
    ram_plot_->replot(QCustomPlot::rpQueuedReplot);
    for (GpuPlot& g : gpus_) g.plot->replot(QCustomPlot::rpQueuedReplot);
}

void MemoryGaugeDock::setBudget(quint64 keep_free_ram_bytes, quint64 max_vram_bytes) {
    keep_free_ram_bytes_ = keep_free_ram_bytes;
    max_vram_bytes_ = max_vram_bytes;
    updateRanges();
    ram_plot_->replot(QCustomPlot::rpQueuedReplot);
    for (GpuPlot& g : gpus_) g.plot->replot(QCustomPlot::rpQueuedReplot);
}

void MemoryGaugeDock::markEvent(const QString& label, const QColor& color) {
    const double t = static_cast<double>(last_.time_ms) / 1000.0;
    QList<QCustomPlot*> plots{ram_plot_};
    for (GpuPlot& g : gpus_) plots.push_back(g.plot);
    for (QCustomPlot* plot : plots) {
        auto* line = new QCPItemStraightLine(plot);
        line->setPen(QPen(color, 1.5, Qt::DashDotLine));
        line->point1->setCoords(t, 0);
        line->point2->setCoords(t, 1);
        auto* text = new QCPItemText(plot);
        text->setText(label);
        text->setColor(color);
        text->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
        text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(t, 0.16 + 0.14 * (event_count_ % 3));  // neighbours do not overlap
        text->setPadding(QMargins(2, 0, 3, 0));
        plot->replot(QCustomPlot::rpQueuedReplot);
    }
    ++event_count_;
}

}  // namespace samlabel::ui

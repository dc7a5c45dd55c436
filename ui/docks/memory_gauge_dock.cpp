#include "ui/docks/memory_gauge_dock.h"

#include <QTextDocument>

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace samlabel::ui {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// History kept in the graphs (the view shows window_s_ of it).
constexpr double kKeepSeconds = 900.0;

double gib(quint64 bytes) { return static_cast<double>(bytes) / kGiB; }

QString gibText(quint64 bytes) { return QString::number(gib(bytes), 'f', 2); }

const QColor kProcessColor(230, 120, 30);
const QColor kOthersColor(150, 90, 180);
const QColor kFreeColor(120, 190, 120);
const QColor kTotalColor(60, 60, 60);
const QColor kBudgetColor(200, 40, 40);
const QColor kExpectedColor(20, 150, 70);

QCPItemStraightLine* makeHorizontal(QCustomPlot* plot, const QColor& color, Qt::PenStyle style) {
    auto* line = new QCPItemStraightLine(plot);
    line->setPen(QPen(color, 1.5, style));
    line->setVisible(false);
    line->setSelectable(false);
    line->setObjectName(style == Qt::DashLine ? QStringLiteral("budget") : QStringLiteral("expected"));
    return line;
}

}  // namespace

MemoryGaugeDock::MemoryGaugeDock(QWidget* parent) : QDockWidget(tr("Memory"), parent) {
    setObjectName(QStringLiteral("memoryGaugeDock"));
    // Always visible: it can move and float but not be closed.
    setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);

    // RAM and each GPU side by side: the bottom of a laptop screen has width to
    // spare, not height.
    body_ = new QWidget(this);
    auto* layout = new QHBoxLayout(body_);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(8);

    auto* ram_column = new QVBoxLayout;
    ram_column->setSpacing(2);
    ram_caption_ = new QLabel(tr("RAM: waiting for the first sample"), body_);
    ram_caption_->setObjectName(QStringLiteral("ramCaption"));
    ram_caption_->setTextFormat(Qt::RichText);
    ram_caption_->setWordWrap(true);
    ram_column->addWidget(ram_caption_);
    ram_plot_ = makePlot();
    ram_plot_->setObjectName(QStringLiteral("ramPlot"));
    ram_column->addWidget(ram_plot_, 1);
    layout->addLayout(ram_column, 1);
    // One axis for everything: a 0.45 GiB process on a 22 GiB machine is a thin
    // band at the bottom, because that is what it is (the caption gives the figures).
    ram_bands_ = makeBands(ram_plot_);

    ram_budget_ = makeHorizontal(ram_plot_, kBudgetColor, Qt::DashLine);
    ram_expected_ = makeHorizontal(ram_plot_, kExpectedColor, Qt::DotLine);
    ram_expected_label_ = new QCPItemText(ram_plot_);
    ram_expected_label_->setColor(kExpectedColor);
    ram_expected_label_->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);  // above its line
    ram_expected_label_->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    ram_expected_label_->setVisible(false);

    no_gpu_ = new QLabel(tr("VRAM: no GPU visible\n(NVML and CUDA report none)"), body_);
    no_gpu_->setObjectName(QStringLiteral("noGpuLabel"));
    no_gpu_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    layout->addWidget(no_gpu_);

    setWidget(body_);
}

QCustomPlot* MemoryGaugeDock::makePlot() {
    auto* plot = new QCustomPlot(body_);
    plot->setMinimumHeight(90);  // small screens: the dock may be short
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

MemoryGaugeDock::StackedBands MemoryGaugeDock::makeBands(QCustomPlot* plot) {
    const auto band = [plot](const QString& name, const QColor& colour, int fill_alpha, QCPGraph* below) {
        QCPGraph* g = plot->addGraph();  // on the plot's one value axis (yAxis)
        g->setName(name);
        g->setPen(QPen(colour, 1.5));
        g->setBrush(QColor(colour.red(), colour.green(), colour.blue(), fill_alpha));
        if (below) g->setChannelFillGraph(below);  // fills down to the band under it
        return g;
    };
    StackedBands b;
    b.samlabel = band(tr("samlabel"), kProcessColor, 150, nullptr);  // fills down to 0
    b.others = band(tr("other processes"), kOthersColor, 90, b.samlabel);
    b.free = band(tr("free"), kFreeColor, 35, b.others);
    b.free->setPen(QPen(kTotalColor, 1, Qt::DashLine));  // its top edge is the total
    return b;
}

void MemoryGaugeDock::StackedBands::add(double t, quint64 samlabel_bytes, quint64 used_bytes, quint64 total_bytes) {
    // Running sums: a process's own figure can exceed what the system reports used
    // for a moment (samples are not atomic); the bands never cross.
    const double mine = gib(samlabel_bytes);
    const double used = std::max(mine, gib(used_bytes));
    const double total = std::max(used, gib(total_bytes));
    samlabel->addData(t, mine);
    others->addData(t, used);
    free->addData(t, total);
    for (QCPGraph* g : {samlabel, others, free}) g->data()->removeBefore(t - kKeepSeconds);
}

MemoryGaugeDock::GpuPlot& MemoryGaugeDock::gpuPlotFor(int index) {
    for (GpuPlot& g : gpus_)
        if (g.plot->property("gpuIndex").toInt() == index) return g;
    GpuPlot g;
    g.caption = new QLabel(body_);
    g.caption->setTextFormat(Qt::RichText);
    g.caption->setWordWrap(true);
    g.plot = makePlot();
    g.plot->setProperty("gpuIndex", index);
    g.plot->setObjectName(QStringLiteral("gpuPlot%1").arg(index));
    auto* column = new QVBoxLayout;
    column->setSpacing(2);
    column->addWidget(g.caption);
    column->addWidget(g.plot, 1);
    static_cast<QHBoxLayout*>(body_->layout())->addLayout(column, 1);
    g.bands = makeBands(g.plot);
    g.budget = makeHorizontal(g.plot, kBudgetColor, Qt::DashLine);
    g.expected = makeHorizontal(g.plot, kExpectedColor, Qt::DotLine);
    g.expected_label = new QCPItemText(g.plot);
    g.expected_label->setColor(kExpectedColor);
    g.expected_label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    g.expected_label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    g.expected_label->setVisible(false);
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
    ram_bands_.add(t, sample.process_rss_bytes, sample.ram_used_bytes(), sample.ram_total_bytes);
    for (const service::GpuSample& gpu : sample.gpus)
        gpuPlotFor(gpu.index).bands.add(t, gpu.process_bytes, gpu.used_bytes, gpu.total_bytes);
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
    ram_plot_->xAxis->setRange(x0, x1);
    ram_plot_->yAxis->setRange(0, std::max(gib(last_.ram_total_bytes) * 1.04, 0.5));

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
        g.plot->yAxis->setRange(0, std::max(gib(total) * 1.04, 0.5));
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

QString MemoryGaugeDock::ramCaptionText() const {
    QTextDocument html;
    html.setHtml(ram_caption_->text());
    return html.toPlainText();
}

void MemoryGaugeDock::updateCaptions() {
    const auto coloured = [](const QColor& c, const QString& text) {
        return QStringLiteral("<span style='color:%1'>&#9632;</span> %2").arg(c.name(), text.toHtmlEscaped());
    };
    // The three bands, bottom to top, with their figures; they add up to the total.
    const auto bands = [&](quint64 mine, quint64 used, quint64 total) {
        const quint64 others = used > mine ? used - mine : 0;
        const quint64 free = total > used ? total - used : 0;
        return QStringList{coloured(kProcessColor, tr("samlabel %1").arg(gibText(mine))),
                           coloured(kOthersColor, tr("others %1").arg(gibText(others))),
                           coloured(kFreeColor.darker(160), tr("free %1").arg(gibText(free)))}
            .join(QStringLiteral(" · "));
    };
    QString ram = tr("<b>RAM</b> %1 GiB: %2").arg(gibText(last_.ram_total_bytes), bands(last_.process_rss_bytes, last_.ram_used_bytes(), last_.ram_total_bytes));
    // Mapped weights are part of samlabel's RSS but not anonymous memory: say how much.
    if (last_.process_rss_file_bytes > 0)
        ram += tr(" (samlabel: %1 file-backed, i.e. mapped weights and libraries the OS can drop and re-read; peak %2)")
                   .arg(gibText(last_.process_rss_file_bytes), gibText(last_.process_peak_rss_bytes));
    else
        ram += tr(" (samlabel peak %1)").arg(gibText(last_.process_peak_rss_bytes));
    if (keep_free_ram_bytes_ > 0) ram += QStringLiteral(" · ") + coloured(kBudgetColor, tr("dashed: keep %1 free").arg(gibText(keep_free_ram_bytes_)));
    if (expected_ram_bytes_ > 0) ram += QStringLiteral(" · ") + coloured(kExpectedColor, tr("dotted: with the model"));
    if (last_.swap_used_bytes > 0) ram += tr(" · swap %1").arg(gibText(last_.swap_used_bytes));
    ram_caption_->setText(ram);
    for (GpuPlot& g : gpus_) {
        const int index = g.plot->property("gpuIndex").toInt();
        for (const service::GpuSample& s : last_.gpus) {
            if (s.index != index) continue;
            // A share that cannot be measured (Windows without DXGI) is not shown as samlabel 0.
            const QString figures =
                s.process_known ? bands(s.process_bytes, s.used_bytes, s.total_bytes)
                                : coloured(kOthersColor, tr("in use %1, samlabel's share cannot be measured here").arg(gibText(s.used_bytes))) +
                                      QStringLiteral(" · ") +
                                      coloured(kFreeColor.darker(160), tr("free %1").arg(gibText(s.total_bytes > s.used_bytes ? s.total_bytes - s.used_bytes : 0)));
            QString text = tr("<b>GPU %1</b> %2, %3 GiB: %4").arg(index).arg(s.name.toHtmlEscaped(), gibText(s.total_bytes), figures);
            if (max_vram_bytes_ > 0) text += QStringLiteral(" · ") + coloured(kBudgetColor, tr("dashed: samlabel at most %1").arg(gibText(max_vram_bytes_)));
            g.caption->setText(text);
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
    updateCaptions();
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

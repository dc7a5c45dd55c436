#pragma once
// The live memory gauge (QCustomPlot), dockable and always visible. One honest
// scale per plot: RAM (and, per GPU, VRAM) is drawn as three stacked bands on
// a single GiB axis from 0 to the total: samlabel at the bottom, other
// processes above it, free memory on top (a YOLO training run shows as the
// others' band growing). Dashed red: the user's budget on the same axis; a
// dotted marker: where the selected model is expected to take memory;
// vertical markers: loads and unloads, labelled with what an unload gave back.
#include "core/service/memory_sampler.h"

#include <QDockWidget>
#include <QVector>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QLabel;

namespace samlabel::ui {

class MemoryGaugeDock : public QDockWidget {
    Q_OBJECT
public:
    explicit MemoryGaugeDock(QWidget* parent = nullptr);

    // Seconds of history on screen.
    void setWindowSeconds(double seconds) { window_s_ = seconds; }
    int sampleCount() const { return sample_count_; }
    const service::MemorySample& lastSample() const { return last_; }
    QString ramCaptionText() const;  // the RAM line above the plot, as plain text

public Q_SLOTS:
    void addSample(const samlabel::service::MemorySample& sample);
    // The selected model's estimated footprint (0 hides a marker). RAM is drawn
    // over the process's RSS at the time it is set, VRAM on the model's GPU.
    void setExpectedFootprint(quint64 ram_bytes, quint64 vram_bytes, int gpu_index, const QString& label);
    // "Keep at least X free" (RAM) and "use at most Y" (VRAM); 0 hides.
    void setBudget(quint64 keep_free_ram_bytes, quint64 max_vram_bytes);
    // A labelled vertical marker at the latest sample's time (load, unload).
    void markEvent(const QString& label, const QColor& color);

private:
    // samlabel, others and free, stacked: each graph holds the running sum
    // (its top edge) and fills down to the band below it.
    struct StackedBands {
        QCPGraph* samlabel = nullptr;  // 0 .. samlabel
        QCPGraph* others = nullptr;    // samlabel .. used
        QCPGraph* free = nullptr;      // used .. total
        void add(double t, quint64 samlabel_bytes, quint64 used_bytes, quint64 total_bytes);
    };
    struct GpuPlot {
        QCustomPlot* plot = nullptr;
        StackedBands bands;
        QCPItemStraightLine* budget = nullptr;
        QCPItemStraightLine* expected = nullptr;
        QCPItemText* expected_label = nullptr;
        QLabel* caption = nullptr;
    };
    QCustomPlot* makePlot();
    StackedBands makeBands(QCustomPlot* plot);
    GpuPlot& gpuPlotFor(int index);
    void updateCaptions();
    void updateRanges();
    void placeHorizontal(QCPItemStraightLine* line, double value_gb);

    QCustomPlot* ram_plot_ = nullptr;
    StackedBands ram_bands_;
    QCPItemStraightLine* ram_budget_ = nullptr;
    QCPItemStraightLine* ram_expected_ = nullptr;
    QCPItemText* ram_expected_label_ = nullptr;
    QLabel* ram_caption_ = nullptr;
    QLabel* no_gpu_ = nullptr;
    QWidget* body_ = nullptr;
    QVector<GpuPlot> gpus_;

    service::MemorySample last_;
    int sample_count_ = 0;
    int event_count_ = 0;
    double first_time_s_ = 0.0;
    double window_s_ = 120.0;
    quint64 keep_free_ram_bytes_ = 0;
    quint64 max_vram_bytes_ = 0;
    quint64 expected_ram_bytes_ = 0;
    quint64 expected_ram_base_bytes_ = 0;
    quint64 expected_vram_bytes_ = 0;
    int expected_gpu_ = 0;
    QString expected_label_;
};

}  // namespace samlabel::ui

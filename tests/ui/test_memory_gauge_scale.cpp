// The memory gauge draws on one honest scale (issue 13, item 6): samlabel,
// other processes and free memory are stacked bands on the same GiB axis, from
// 0 to the total, so 0.45 GiB of samlabel on a 22 GiB machine fills 2 % of the
// plot's height, not all of it; the budget line sits on that axis at total minus
// "keep free" (RAM) or at "use at most" (VRAM). No graph uses a second axis.
#include "ui/docks/memory_gauge_dock.h"
#include "ui/tools/tool.h"
#include "ui_test_helpers.h"

#include <qcustomplot.h>

#include <QTest>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
quint64 gib(double g) { return quint64(g * kGiB); }

service::MemorySample sample(qint64 t_ms) {
    service::MemorySample s;
    s.time_ms = t_ms;
    s.ram_total_bytes = gib(22);
    s.ram_available_bytes = gib(14);  // 8 GiB used by everyone
    s.process_rss_bytes = gib(0.45);
    s.process_peak_rss_bytes = gib(0.5);
    s.process_rss_file_bytes = gib(0.3);  // of the 0.45: mapped weights and libraries
    service::GpuSample g;
    g.index = 0;
    g.name = QStringLiteral("Test GPU");
    g.total_bytes = gib(16);
    g.used_bytes = gib(6);     // 6 GiB used on the card
    g.process_bytes = gib(1);  // 1 GiB of it by samlabel
    s.gpus.append(g);
    return s;
}

// Fraction of the axis rect's height a value reaches on the plot's left axis.
double heightFraction(QCustomPlot* plot, double value) {
    const QRect r = plot->axisRect()->rect();
    return (r.bottom() - plot->yAxis->coordToPixel(value)) / double(r.height());
}

// The graph whose name starts with `prefix` (the bands: "samlabel", "other processes", "free").
QCPGraph* band(QCustomPlot* plot, const QString& prefix) {
    for (int i = 0; i < plot->graphCount(); ++i)
        if (plot->graph(i)->name().startsWith(prefix)) return plot->graph(i);
    return nullptr;
}

double lastValue(QCPGraph* g) { return (g->data()->constEnd() - 1)->value; }

}  // namespace

class TestMemoryGaugeScale : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void oneAxisStackedBands() {
        MemoryGaugeDock gauge;
        gauge.resize(600, 500);
        gauge.show();
        for (int i = 0; i < 5; ++i) gauge.addSample(sample(1000 + 250 * i));
        gauge.setBudget(gib(2), gib(12));
        QApplication::processEvents();
        // The RAM line says how much of samlabel's RSS is file-backed (issue 16).
        QVERIFY2(gauge.ramCaptionText().contains(QStringLiteral("samlabel: 0.30 file-backed")), qPrintable(gauge.ramCaptionText()));

        const struct {
            QCustomPlot* plot;
            double samlabel, used, total, budget;
        } cases[] = {{gauge.findChildren<QCustomPlot*>().value(0), 0.45, 8, 22, 20},  // RAM: the first plot
                     {gauge.findChild<QCustomPlot*>(QStringLiteral("gpuPlot0")), 1, 6, 16, 12}};
        for (const auto& c : cases) {
            QVERIFY(c.plot);
            c.plot->replot();
            // One value axis: nothing is drawn against a second one.
            QVERIFY2(!c.plot->yAxis2->visible(), qPrintable(c.plot->objectName()));
            for (int i = 0; i < c.plot->graphCount(); ++i)
                QCOMPARE(c.plot->graph(i)->valueAxis(), c.plot->yAxis);
            // The axis runs from 0 to about the total.
            QCOMPARE(c.plot->yAxis->range().lower, 0.0);
            QVERIFY(c.plot->yAxis->range().upper >= c.total && c.plot->yAxis->range().upper <= c.total * 1.1);
            // Stacked bands: samlabel at the bottom, others up to "used", free up to the total.
            QCPGraph* mine = band(c.plot, QStringLiteral("samlabel"));
            QCPGraph* others = band(c.plot, QStringLiteral("other processes"));
            QCPGraph* free = band(c.plot, QStringLiteral("free"));
            QVERIFY(mine && others && free);
            QVERIFY(std::abs(lastValue(mine) - c.samlabel) < 1e-6);
            QVERIFY(std::abs(lastValue(others) - c.used) < 1e-6);
            QVERIFY(std::abs(lastValue(free) - c.total) < 1e-6);
            QCOMPARE(others->channelFillGraph(), mine);
            QCOMPARE(free->channelFillGraph(), others);
            // Honest heights: samlabel's band is samlabel / total of the plot, not the whole plot.
            const double fraction = heightFraction(c.plot, lastValue(mine));
            const double expected = c.samlabel / c.plot->yAxis->range().upper;
            QVERIFY2(std::abs(fraction - expected) < 0.02,
                     qPrintable(QStringLiteral("%1: samlabel fills %2 of the height, expected %3")
                                    .arg(c.plot->objectName()).arg(fraction).arg(expected)));
            // The budget line is on the same axis.
            QCPItemStraightLine* budget = nullptr;
            for (int i = 0; i < c.plot->itemCount(); ++i)
                if (auto* line = qobject_cast<QCPItemStraightLine*>(c.plot->item(i)); line && line->objectName() == "budget") budget = line;
            QVERIFY(budget && budget->visible());
            QCOMPARE(budget->point1->valueAxis(), c.plot->yAxis);
            QVERIFY2(std::abs(budget->point1->coords().y() - c.budget) < 1e-6, qPrintable(QString::number(budget->point1->coords().y())));
        }
        const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
        if (!dir.isEmpty()) gauge.grab().save(dir + "/memory-gauge.png");
    }
};

QTEST_MAIN(TestMemoryGaugeScale)
#include "test_memory_gauge_scale.moc"

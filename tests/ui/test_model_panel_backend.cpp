// The model panel and the SAM tool need nothing but a ModelBackend (the one
// door): driven here by the fake backend, with no model thread and no weights.
// The panel shows the backend's preflight before Load, loads and unloads
// through it, follows loads and unloads someone else asked for (the control
// API, the idle timer), lists the backend's GPUs, hands the cache and
// auto-unload settings to it, and switches to another backend (remote mode).
// The SAM tool's click goes to the backend in use and becomes an instance.
#include "tests/service/fake_model_backend.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/docks/model_panel.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

using namespace samlabel;
using namespace samlabel::ui;
using service::testing::FakeModelBackend;

class TestModelPanelBackend : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }
    void init() { QSettings().clear(); }

    void panelDrivesTheBackend() {
        FakeModelBackend fake;
        ModelPanel panel(&fake);
        panel.show();
        auto* load = panel.findChild<QPushButton*>("loadButton");
        auto* unload = panel.findChild<QPushButton*>("unloadButton");
        auto* state = panel.findChild<QLabel*>("modelState");
        auto* where = panel.findChild<QLabel*>("modelWhere");
        auto* device = panel.findChild<QComboBox*>("device");
        QVERIFY(load && unload && state && where && device);

        // The devices and the place are the backend's.
        QVERIFY(device->findText(QStringLiteral("Fake GPU"), Qt::MatchContains) >= 0);
        QVERIFY(where->text().contains(QStringLiteral("a fake model")));

        // The verdict is the backend's preflight, shown before Load.
        QVERIFY(!load->isEnabled());
        const int preflights_before = fake.preflights.load();
        panel.setWeightsFolder(QStringLiteral("/models/sam3"));
        QTRY_VERIFY_WITH_TIMEOUT(panel.verdictText().contains(QStringLiteral("Fits: the fake model fits.")), 5000);
        QVERIFY(fake.preflights.load() > preflights_before);
        QVERIFY(load->isEnabled());

        // A refusal reaches the user and keeps Load off.
        fake.preflight_fits = false;
        panel.setWeightsFolder(QStringLiteral("/models/sam3-big"));
        QTRY_VERIFY_WITH_TIMEOUT(panel.verdictText().contains(QStringLiteral("Refused: the fake model does not fit.")), 5000);
        QVERIFY(!load->isEnabled());
        // So does a folder that cannot serve the parts whatever the memory.
        fake.preflight_fits = true;
        fake.preflight_blocker = QStringLiteral("Text prompts cannot load: tokenizer.json is missing");
        panel.setWeightsFolder(QStringLiteral("/models/sam3-no-tokenizer"));
        QTRY_VERIFY_WITH_TIMEOUT(panel.verdictText().contains(QStringLiteral("tokenizer.json is missing")), 5000);
        QVERIFY(!load->isEnabled());
        fake.preflight_blocker.clear();
        panel.setWeightsFolder(QStringLiteral("/models/sam3"));
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled(), 5000);

        // Load goes through the backend with the panel's options.
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(fake.loads.load(), 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled(), 5000);
        QCOMPARE(fake.status().model_path, QStringLiteral("/models/sam3"));
        QTRY_VERIFY_WITH_TIMEOUT(state->text().contains(QStringLiteral("cuda:0")), 5000);
        QVERIFY(!load->isEnabled());

        // Unload goes through the backend too, and the panel says what came back.
        QTest::mouseClick(unload, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!fake.status().model_loaded, 5000);
        auto* last_unload = panel.findChild<QLabel*>("lastUnload");
        QTRY_VERIFY_WITH_TIMEOUT(last_unload->text().contains(QStringLiteral("freed")), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled(), 5000);

        // A load and an unload someone else asked for (the control API): the panel follows.
        QVERIFY(fake.reload().isValid());
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled() && !load->isEnabled(), 5000);
        QVERIFY(fake.unload().isValid());
        QTRY_VERIFY_WITH_TIMEOUT(!unload->isEnabled() && load->isEnabled(), 5000);

        // The cache and auto-unload settings are handed to the backend.
        const auto spins = panel.findChildren<QSpinBox*>();
        QSpinBox* cache = nullptr;
        for (QSpinBox* s : spins)
            if (s->suffix().contains(QStringLiteral("MiB"))) cache = s;
        QVERIFY(cache);
        cache->setValue(512);
        QCOMPARE(fake.runtime_settings.embedding_cache_bytes, std::uint64_t(512) << 20);
    }

    void panelSwitchesBackends() {
        FakeModelBackend first, second;
        ModelPanel panel(&first);
        panel.setWeightsFolder(QStringLiteral("/models/sam3"));
        auto* load = panel.findChild<QPushButton*>("loadButton");
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled(), 5000);
        panel.setBackend(&second);  // remote mode, a model process
        QCOMPARE(panel.backend(), static_cast<service::ModelBackend*>(&second));
        QTRY_VERIFY_WITH_TIMEOUT(second.preflights.load() > 0 && load->isEnabled(), 5000);  // the new model's verdict
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(second.loads.load(), 1, 5000);
        QCOMPARE(first.loads.load(), 0);
        // The first backend's events no longer reach the panel.
        auto* unload = panel.findChild<QPushButton*>("unloadButton");
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled(), 5000);
        QVERIFY(second.unload().isValid());
        QTRY_VERIFY_WITH_TIMEOUT(!unload->isEnabled(), 5000);
        first.setLastModel(QStringLiteral("/models/other"));
        QVERIFY(first.reload().isValid());
        QTRY_VERIFY_WITH_TIMEOUT(first.status().model_loaded, 5000);
        QTest::qWait(100);
        QVERIFY(!unload->isEnabled());
    }

    void samToolClicksThroughTheBackend() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 1);
        FakeModelBackend fake;
        fake.encode_ms = 20;
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        auto* model_ui = window.findChild<ModelUi*>();
        QVERIFY(model_ui);
        model_ui->setBackend(&fake, /*remote=*/true);  // images go to it as pixels
        QCOMPARE(model_ui->panel()->backend(), static_cast<service::ModelBackend*>(&fake));
        fake.setLastModel(QStringLiteral("/models/sam3"));
        QVERIFY(fake.reload().isValid());
        QTRY_VERIFY_WITH_TIMEOUT(fake.status().model_loaded, 5000);
        QVERIFY(window.openFolder(images.path()));

        SamTool* sam = model_ui->samTool();
        AnnotationDocument* doc = window.document();
        const QString path = doc->absolutePath(doc->currentIndex());
        QTRY_COMPARE_WITH_TIMEOUT(sam->uploadState(path), QStringLiteral("ready"), 10000);
        QVERIFY(window.toolBox()->activate(QStringLiteral("sam")));
        CanvasWidget* canvas = window.canvas();
        const QSize size = canvas->imageSize();
        const auto instance_count = [doc] { return int(doc->currentAnnotations()->instances.size()); };
        const int instances_before = instance_count();
        test::click(canvas, size.width() * 0.5, size.height() * 0.5);
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0, 10000);
        // The fake answers a disc around the click: the mask is the backend's.
        const auto& mask = sam->result().candidates.front();
        QCOMPARE(mask.width, size.width());
        QVERIFY(mask.mask[std::size_t(size.height() / 2) * std::size_t(mask.width) + std::size_t(size.width() / 2)] != 0);
        QVERIFY(mask.mask[0] == 0);
        QTest::keyClick(canvas, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(instance_count(), instances_before + 1, 5000);

        // Issue 14: the tool keeps no queue of its own. Three quick clicks
        // (each a new object: Esc between) reach the backend at once, whose
        // queue decides; only the newest answer is shown.
        fake.segment_ms = 300;
        const int sent_before = fake.segments_started;
        const QPoint points[] = {{size.width() / 4, size.height() / 4}, {size.width() / 2, size.height() / 4},
                                 {size.width() * 3 / 4, size.height() * 3 / 4}};
        for (const QPoint& p : points) {
            QTest::keyClick(canvas, Qt::Key_Escape);
            test::click(canvas, p.x(), p.y());
        }
        QCOMPARE(fake.segments_started - sent_before, 3);  // none held back in the tool
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0, 10000);
        QTest::qWait(1000);  // the older clicks' answers have come back by now, and were ignored
        const auto& newest = sam->result().candidates.front();
        const auto at = [&](const QPoint& p) { return newest.mask[std::size_t(p.y()) * std::size_t(newest.width) + std::size_t(p.x())]; };
        QVERIFY(at(points[2]) != 0);
        QVERIFY(at(points[0]) == 0 && at(points[1]) == 0);
    }
};

QTEST_MAIN(TestModelPanelBackend)
#include "test_model_panel_backend.moc"

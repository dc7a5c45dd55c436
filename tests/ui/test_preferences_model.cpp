// Preferences > Model: the converted-weights cache (issue 16). A CPU bf16 load
// of the fp32 fixture writes one entry; the tab shows its size and folder,
// Clear deletes it, and switching the cache off reaches the model session,
// and a model process too (issue 14).
#include "core/engine/converted_weights_cache.h"
#include "core/engine/memory_budget.h"
#include "core/engine/model_session.h"
#include "core/service/child_process_model_backend.h"
#include "tests/wait_future.h"
#include "ui/dialogs/settings_dialog.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/settings/app_settings.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"

#include <QCheckBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTest>

using namespace samlabel;
using namespace samlabel::ui;

class TestPreferencesModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void convertedWeightsCacheTab() {
        // On by default, in the (test's) cache folder.
        const engine::ConvertedWeightsSettings defaults = AppSettings::convertedWeightsSettings();
        QVERIFY(!defaults.dir.empty());
        QVERIFY2(QString::fromStdU16String(defaults.dir.u16string()).startsWith(qEnvironmentVariable("SAMLABEL_CACHE")),
                 "the test must not use the user's cache");

        // A bf16 CPU load of the fp32 fixture converts and writes one entry.
        {
            engine::ModelSession session;
            session.converted_weights().set_settings(defaults);
            engine::LoadRequest request;
            request.checkpoint_dir = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";
            request.device = engine::DeviceSpec{engine::DeviceKind::Cpu, 0};
            request.dtype = engine::WeightDType::BF16;
            const engine::LoadOutcome out = session.load(request, {}, engine::BudgetSettings{});
            QVERIFY2(out.ok(), out.message.c_str());
        }
        const engine::ConvertedWeightsCache on_disk(defaults);
        QCOMPARE(on_disk.entries(), std::size_t(1));
        const std::uint64_t bytes = on_disk.disk_bytes();
        QVERIFY(bytes > 0);

        SettingsDialog dialog;
        auto* enabled = dialog.findChild<QCheckBox*>("convertedWeightsCache");
        auto* budget = dialog.findChild<QSpinBox*>("convertedWeightsBudget");
        auto* clear = dialog.findChild<QPushButton*>("clearConvertedWeights");
        QVERIFY(enabled && budget && clear);
        QVERIFY(enabled->isChecked());
        QCOMPARE(budget->value(), 8);  // GiB, the default
        const QString shown = dialog.convertedWeightsText();
        QVERIFY2(shown.contains(QString::fromStdString(engine::format_bytes(bytes))) && shown.contains(QStringLiteral("in 1 entry,")),
                 qPrintable(shown));
        QVERIFY2(shown.contains(QString::fromStdU16String(defaults.dir.u16string())), qPrintable(shown));
        if (!qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR").isEmpty()) {
            auto* tabs = dialog.findChild<QTabWidget*>();
            tabs->setCurrentIndex(tabs->indexOf(enabled->parentWidget()));
            dialog.show();
            dialog.grab().save(qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR") + "/preferences-model.png");
        }

        clear->click();
        QCOMPARE(engine::ConvertedWeightsCache(defaults).entries(), std::size_t(0));
        QVERIFY2(dialog.convertedWeightsText().contains(QStringLiteral("Cleared ") +
                                                        QString::fromStdString(engine::format_bytes(bytes))),
                 qPrintable(dialog.convertedWeightsText()));

        // Off, with a smaller budget: stored, and the window's model session follows.
        MainWindow window;
        auto* model_ui = window.findChild<ModelUi*>();
        QVERIFY(model_ui);
        QVERIFY(model_ui->session()->converted_weights().enabled());
        enabled->setChecked(false);
        budget->setValue(3);
        dialog.store();
        QVERIFY(!AppSettings::convertedWeightsCacheEnabled());
        QCOMPARE(AppSettings::convertedWeightsBudgetBytes(), std::uint64_t(3) << 30);
        model_ui->applyPreferences();
        QVERIFY(!model_ui->session()->converted_weights().enabled());
        QCOMPARE(model_ui->session()->converted_weights().settings().budget_bytes, std::uint64_t(3) << 30);
    }

    // The same preference reaches a model process (child mode) through the
    // backend: given when the window takes the backend (before the child
    // starts), and again when the Preferences change. Seen in what a CPU bf16
    // load in the child leaves in the cache folder.
    void convertedWeightsReachTheModelProcess() {
        const engine::ConvertedWeightsSettings defaults = engine::ConvertedWeightsSettings{
            engine::default_converted_weights_dir(), std::uint64_t(8) << 30};
        engine::ConvertedWeightsCache(defaults).clear();
        AppSettings::setConvertedWeightsCacheEnabled(false);
        service::ChildProcessOptions options;
        options.cli_path = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
        service::ChildProcessModelBackend child(options);  // outlives the window that uses it
        MainWindow window;
        auto* model_ui = window.findChild<ModelUi*>();
        QVERIFY(model_ui);
        model_ui->setBackend(&child, true);
        engine::LoadRequest request;
        request.checkpoint_dir = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";
        request.device = engine::DeviceSpec{engine::DeviceKind::Cpu, 0};
        request.dtype = engine::WeightDType::BF16;
        service::LoadReply load = future_wait::wait_result(child.load(request, {}), 60000);
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(engine::ConvertedWeightsCache(defaults).entries(), std::size_t(0));  // off: converted, not kept
        future_wait::wait_result(child.unload(), 30000);

        AppSettings::setConvertedWeightsCacheEnabled(true);
        model_ui->applyPreferences();
        load = future_wait::wait_result(child.load(request, {}), 60000);
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(engine::ConvertedWeightsCache(defaults).entries(), std::size_t(1));
        future_wait::wait_result(child.unload(), 30000);
    }
};

QTEST_MAIN(TestPreferencesModel)
#include "test_preferences_model.moc"

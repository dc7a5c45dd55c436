// The GUI side of the control API and "Unload & train": the settings dialog
// (token born on enable, copy, bind-address check, saved to QSettings), the
// Unload & Train dialog (command by dataset type, remembered per folder), and
// the Training dock following a real run of a stand-in command.
#include "core/service/control_api_settings.h"
#include "core/service/training_launcher.h"
#include "tests/service/fake_model_backend.h"
#include "ui/dialogs/control_api_settings_dialog.h"
#include "ui/dialogs/unload_and_train_dialog.h"
#include "ui/docks/training_log_dock.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace samlabel;

namespace {

void write_file(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

QString python() {
    const QString configured = QStringLiteral(SAMLABEL_PYTHON);
    if (!configured.isEmpty() && QFile::exists(configured)) return configured;
    return QStandardPaths::findExecutable(QStringLiteral("python3"));
}

}  // namespace

class TestUnloadAndTrainUi : public QObject {
    Q_OBJECT
    QTemporaryDir settings_dir_;

private Q_SLOTS:
    void initTestCase() {
        // Never touch the user's real settings.
        QCoreApplication::setOrganizationName(QStringLiteral("samlabel-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_unload_and_train_ui"));
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings_dir_.path());
    }
    void init() { QSettings().clear(); }

    void settingsDialogTokenAndBind() {
        QCOMPARE(service::load_control_api_config().enabled, false);  // off by default
        QCOMPARE(service::load_control_api_config().bind_address, QStringLiteral("127.0.0.1"));
        ui::ControlApiSettingsDialog dialog;
        QVERIFY(dialog.tokenEdit()->text().isEmpty());
        dialog.enableBox()->setChecked(true);
        const QString token = dialog.tokenEdit()->text();
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{64}$")).match(token).hasMatch());
        QCOMPARE(dialog.tokenEdit()->echoMode(), QLineEdit::Password);  // hidden until "Show"
        dialog.copyToken();
        QCOMPARE(QGuiApplication::clipboard()->text(), token);

        dialog.bindEdit()->setText(QStringLiteral("not an address"));
        dialog.accept();
        QCOMPARE(service::load_control_api_config().enabled, false);  // refused, nothing saved
        dialog.bindEdit()->setText(QStringLiteral("127.0.0.1"));
        dialog.portSpin()->setValue(9123);
        dialog.accept();
        service::ControlApiConfig saved = service::load_control_api_config();
        QCOMPARE(saved.enabled, true);
        QCOMPARE(saved.port, quint16(9123));
        QCOMPARE(saved.token, token);

        // Regenerate: a different token, saved on OK; reopening shows the saved one.
        ui::ControlApiSettingsDialog again;
        QCOMPARE(again.tokenEdit()->text(), token);
        again.regenerateToken();
        QVERIFY(again.tokenEdit()->text() != token);
        again.accept();
        QCOMPARE(service::load_control_api_config().token, again.tokenEdit()->text());
    }

    void trainDialogCommandByDatasetAndRemembered() {
        QTemporaryDir dir;
        const QString root = dir.filePath(QStringLiteral("export"));
        write_file(root + "/data.yaml", "path: .\ntrain: images/train\nval: images/val\nnames: [cat, dog]\n");
        write_file(root + "/labels/train/a.txt", "1 0.1 0.1 0.9 0.1 0.5 0.9\n");
        {
            ui::UnloadAndTrainDialog d(root);
            QCOMPARE(d.command(), QStringLiteral("yolo segment train data=%1").arg(QDir::toNativeSeparators(root + "/data.yaml")));
            d.commandEdit()->setText(QStringLiteral("yolo segment train data=%1/data.yaml epochs=3").arg(root));
            d.accept();
            QCOMPARE(d.result(), int(QDialog::Accepted));
            QCOMPARE(d.job().working_dir, root);
        }
        // Next time: the last folder, and the command last used for it.
        ui::UnloadAndTrainDialog next;
        QCOMPARE(next.exportDir(), root);
        QVERIFY(next.command().endsWith(QStringLiteral("epochs=3")));
        // A folder that is not an export: no start button.
        next.exportEdit()->setText(dir.filePath(QStringLiteral("nothing")));
        bool any_enabled_accept = false;
        for (QPushButton* b : next.findChildren<QPushButton*>())
            if (b->text().contains(QStringLiteral("Train")) && b->isEnabled()) any_enabled_accept = true;
        QVERIFY(!any_enabled_accept);
    }

    void trainingDockFollowsARun() {
        if (python().isEmpty()) QSKIP("no python3 for the stand-in command");
        service::testing::FakeModelBackend backend;
        backend.setLastModel(QStringLiteral("/models/sam3"));
        auto load = backend.reload();
        QTRY_VERIFY_WITH_TIMEOUT(load.isFinished(), 5000);
        service::TrainingLauncher launcher(&backend);
        ui::TrainingLogDock dock;
        dock.attach(&launcher);
        QSignalSpy reload(&dock, &ui::TrainingLogDock::reloadRequested);
        service::TrainingJob job;
        job.command_line = QLatin1Char('"') + python() + QStringLiteral("\" -c \"print('epoch 1 done'); print('epoch 2 done')\"");
        QVERIFY(launcher.start(job, nullptr));
        QVERIFY(!dock.reloadButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(launcher.state() == service::TrainingLauncher::State::Finished, 20000);
        const QString log = dock.text();
        QVERIFY2(log.contains(QStringLiteral("freed 1800 MB of VRAM")), qPrintable(log));
        QVERIFY(log.indexOf(QStringLiteral("freed 1800 MB")) < log.indexOf(QStringLiteral("epoch 1 done")));  // unload first
        QVERIFY(log.contains(QStringLiteral("epoch 2 done")));
        QVERIFY(log.contains(QStringLiteral("exited with code 0")));
        QVERIFY(!dock.cancelButton()->isEnabled());
        QVERIFY(dock.reloadButton()->isEnabled());  // "Reload model" offered once it ended
        dock.reloadButton()->click();
        QCOMPARE(reload.count(), 1);
    }
};

QTEST_MAIN(TestUnloadAndTrainUi)
#include "test_unload_and_train_ui.moc"

// Every action's shortcut is editable in Preferences (issue 13, item 8): each
// action of the window has a QKeySequenceEdit (primary and alternate key); a
// key another action already uses is refused and the editor says which action
// has it; OK applies at once and the choice survives a restart (QSettings);
// "Restore defaults" brings the defaults back. The defaults follow the habits
// of labelme / X-AnyLabeling / labelImg users (docs/gui-workspace.md).
// The dialog is driven as a user would: Edit > Preferences, keys typed into the editors.
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/tools/tool.h"
#include "ui/tools/prompt_tool.h"
#include "ui/tools/tool_box.h"
#include "ui/settings/app_settings.h"
#include "ui_test_helpers.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QKeySequenceEdit>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QTest>
#include <QSignalSpy>
#include <QTimer>

#include <functional>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

struct Window {
    QTemporaryDir dir;
    MainWindow window;
    bool open() {
        if (test::copySamples(dir.path()) < 3) return false;
        window.resize(1300, 760);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window)) return false;
        return window.openFolder(dir.path());
    }
    QAction* action(const QString& name) { return window.findChild<QAction*>(name); }
    QAction* preferences() {
        for (QAction* a : window.actions())
            if (a->text().remove('&').startsWith(QStringLiteral("Preferences"))) return a;
        return nullptr;
    }
    // Opens Edit > Preferences and runs `body` on the dialog while it is open.
    bool inPreferences(const std::function<void(QDialog*)>& body) {
        QAction* prefs = preferences();
        if (!prefs) return false;
        bool ran = false;
        QTimer::singleShot(0, &window, [&] {
            auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            ran = true;
            // The user opens the Shortcuts tab.
            if (auto* tabs = dialog->findChild<QTabWidget*>())
                for (int i = 0; i < tabs->count(); ++i)
                    if (tabs->tabText(i).remove('&') == QStringLiteral("Shortcuts")) tabs->setCurrentIndex(i);
            body(dialog);
            if (dialog->isVisible()) dialog->reject();
        });
        prefs->trigger();
        return ran;
    }
    void key(int k, Qt::KeyboardModifiers m = Qt::NoModifier) {
        // Window shortcuts need the window active (the dialog just closed).
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        window.canvas()->setFocus();
        QTest::keyClick(window.canvas(), Qt::Key(k), m);
    }
};

QKeySequenceEdit* editorFor(QDialog* dialog, const QString& action, int slot = 0) {
    return dialog->findChild<QKeySequenceEdit*>(QStringLiteral("shortcut_%1_%2").arg(action).arg(slot));
}

// Types a key into the editor as a user does: focus, press, wait for the edit to finish.
void typeKey(QKeySequenceEdit* edit, int key, Qt::KeyboardModifiers m = Qt::NoModifier) {
    edit->setFocus();
    QSignalSpy finished(edit, &QKeySequenceEdit::editingFinished);
    QTest::keyClick(edit, Qt::Key(key), m);
    if (finished.isEmpty()) finished.wait(3000);
}

void pressOk(QDialog* dialog) {
    auto* box = dialog->findChild<QDialogButtonBox*>();
    QTest::mouseClick(box->button(QDialogButtonBox::Ok), Qt::LeftButton);
}

}  // namespace

class TestShortcutEditor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }
    void init() { QSettings().clear(); }

    void everyActionHasAnEditor() {
        Window w;
        QVERIFY(w.open());
        int editors = 0;
        QStringList without;
        QVERIFY(w.inPreferences([&](QDialog* dialog) {
            for (QAction* a : w.window.actions()) {
                if (a->objectName().isEmpty()) {
                    without << a->text();
                    continue;
                }
                if (editorFor(dialog, a->objectName())) ++editors;
                else without << a->objectName();
            }
        }));
        QVERIFY2(without.isEmpty(), qPrintable("no shortcut editor for: " + without.join(", ")));
        QVERIFY(editors > 20);
    }

    void remapApplyAndKeepAfterRestart() {
        {
            Window w;
            QVERIFY(w.open());
            QVERIFY(w.inPreferences([&](QDialog* dialog) {
                QKeySequenceEdit* next = editorFor(dialog, QStringLiteral("next_image"));
                QVERIFY(next);
                QCOMPARE(next->keySequence(), QKeySequence(Qt::Key_D));
                typeKey(next, Qt::Key_N);
                QCOMPARE(next->keySequence(), QKeySequence(Qt::Key_N));
                pressOk(dialog);
            }));
            QCOMPARE(w.action(QStringLiteral("next_image"))->shortcut(), QKeySequence(Qt::Key_N));
            w.key(Qt::Key_N);
            QCOMPARE(w.window.document()->currentIndex(), 1);
            w.key(Qt::Key_D);  // no longer "next image"
            QCOMPARE(w.window.document()->currentIndex(), 1);
        }
        Window again;  // a restart
        QVERIFY(again.open());
        QCOMPARE(again.action(QStringLiteral("next_image"))->shortcut(), QKeySequence(Qt::Key_N));
        again.key(Qt::Key_N);
        QCOMPARE(again.window.document()->currentIndex(), 1);
    }

    void aKeyInUseIsRefused() {
        Window w;
        QVERIFY(w.open());
        QVERIFY(w.inPreferences([&](QDialog* dialog) {
            QKeySequenceEdit* next = editorFor(dialog, QStringLiteral("next_image"));
            QVERIFY(next);
            typeKey(next, Qt::Key_P);  // the polygon tool's key
            QCOMPARE(next->keySequence(), QKeySequence(Qt::Key_D));  // refused: back to what it was
            auto* message = dialog->findChild<QLabel*>(QStringLiteral("shortcut_conflict"));
            QVERIFY(message && message->isVisible());
            QVERIFY2(message->text().contains(QStringLiteral("Polygon")), qPrintable(message->text()));
            if (const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR"); !dir.isEmpty())
                dialog->grab().save(dir + "/shortcut-editor-conflict.png");
            // Ctrl+Z is Undo's, also as a second key.
            QKeySequenceEdit* alternate = editorFor(dialog, QStringLiteral("next_image"), 1);
            QVERIFY(alternate);
            typeKey(alternate, Qt::Key_Z, Qt::ControlModifier);
            QVERIFY(alternate->keySequence().isEmpty());
            QVERIFY2(message->text().contains(QStringLiteral("Undo")), qPrintable(message->text()));
            pressOk(dialog);
        }));
        QCOMPARE(w.action(QStringLiteral("next_image"))->shortcut(), QKeySequence(Qt::Key_D));
        QCOMPARE(w.action(QStringLiteral("tool_polygon"))->shortcut(), QKeySequence(Qt::Key_P));
    }

    // Keys the canvas and tools handle themselves cannot be given to an action.
    void canvasKeysAreReserved() {
        Window w;
        QVERIFY(w.open());
        QVERIFY(w.inPreferences([&](QDialog* dialog) {
            QKeySequenceEdit* fit = editorFor(dialog, QStringLiteral("fit_to_window"));
            QVERIFY(fit);
            typeKey(fit, Qt::Key_Space);
            QCOMPARE(fit->keySequence(), QKeySequence(Qt::Key_F));
            typeKey(fit, Qt::Key_Backspace);
            QCOMPARE(fit->keySequence(), QKeySequence(Qt::Key_F));
        }));
    }

    void restoreDefaults() {
        Window w;
        QVERIFY(w.open());
        QVERIFY(w.inPreferences([&](QDialog* dialog) {
            QKeySequenceEdit* next = editorFor(dialog, QStringLiteral("next_image"));
            QVERIFY(next);
            typeKey(next, Qt::Key_N);
            pressOk(dialog);
        }));
        QCOMPARE(w.action(QStringLiteral("next_image"))->shortcut(), QKeySequence(Qt::Key_N));
        QVERIFY(w.inPreferences([&](QDialog* dialog) {
            auto* reset = dialog->findChild<QPushButton*>(QStringLiteral("restore_default_shortcuts"));
            QVERIFY(reset);
            QTest::mouseClick(reset, Qt::LeftButton);
            QKeySequenceEdit* next = editorFor(dialog, QStringLiteral("next_image"));
            QVERIFY(next);
            QCOMPARE(next->keySequence(), QKeySequence(Qt::Key_D));
            pressOk(dialog);
        }));
        QCOMPARE(w.action(QStringLiteral("next_image"))->shortcut(), QKeySequence(Qt::Key_D));
    }

    // What labelme / X-AnyLabeling / labelImg users reach for works out of the box.
    void defaultsFollowCommonHabits() {
        Window w;
        QVERIFY(w.open());
        const auto has = [&](const QString& name, const QKeySequence& key) {
            QAction* a = w.action(name);
            return a && a->shortcuts().contains(key);
        };
        QVERIFY(has("next_image", QKeySequence(Qt::Key_D)));          // labelme, labelImg, X-AnyLabeling
        QVERIFY(has("previous_image", QKeySequence(Qt::Key_A)));
        QVERIFY(has("tool_polygon", QKeySequence(Qt::Key_P)));        // X-AnyLabeling
        QVERIFY(has("tool_box", QKeySequence(Qt::Key_W)));            // labelImg
        QVERIFY(has("tool_box", QKeySequence(Qt::Key_R)));            // X-AnyLabeling
        QVERIFY(has("positive_point", QKeySequence(Qt::Key_Q)));      // X-AnyLabeling's SAM points
        QVERIFY(has("negative_point", QKeySequence(Qt::Key_E)));
        QVERIFY(has("undo", QKeySequence(Qt::CTRL | Qt::Key_Z)));
        QVERIFY(has("redo", QKeySequence(Qt::CTRL | Qt::Key_Y)));
        QVERIFY(has("delete", QKeySequence(QKeySequence::Delete)));
        QVERIFY(has("save", QKeySequence(QKeySequence::Save)));
        QVERIFY(has("zoom_in", QKeySequence(Qt::CTRL | Qt::Key_Equal)));  // labelme: Ctrl+= as well as Ctrl++
        QVERIFY(has("actual_size", QKeySequence(Qt::CTRL | Qt::Key_0)));  // labelme: zoom to original
        // R really switches to the box tool.
        w.key(Qt::Key_R);
        QCOMPARE(w.window.toolBox()->activeTool()->id(), QStringLiteral("box"));
    }
};

QTEST_MAIN(TestShortcutEditor)
#include "test_shortcut_editor.moc"

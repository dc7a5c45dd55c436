// A window-wide shortcut never steals a key from an open editor (issue 13,
// item 1): a class name typed in the list's in-place editor is committed by
// Enter (not taken by "Accept shape"), kept when Add is pressed again or the
// project is saved, a double-click on a class that is not selected starts a
// rename, and Enter in the model panel's Weights field re-runs the memory check.
// Keys go through QTest, which asks the shortcut map first as real keys do.
//
// SAMLABEL_SCREENSHOT_DIR=dir saves a grab of the window after a name is typed.
#include "ui_test_helpers.h"

#include "core/annotation/project_file.h"
#include "ui/docks/classes_dock.h"
#include "ui/docks/model_panel.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/tool.h"

#include <QAction>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

QPushButton* button(QWidget* parent, const QString& text) {
    for (QPushButton* b : parent->findChildren<QPushButton*>())
        if (b->text() == text) return b;
    return nullptr;
}

// The in-place editor of the class list, if one is open.
QLineEdit* classEditor(ClassesDock* dock) {
    QListWidget* list = dock->list();
    return qobject_cast<QLineEdit*>(list->indexWidget(list->currentIndex()));
}

std::vector<std::string> classNames(const AnnotationDocument* doc) {
    std::vector<std::string> names;
    for (const auto& c : doc->project().classes()) names.push_back(c.name);
    return names;
}

}  // namespace

namespace QTest {
template <>
inline char* toString(const std::vector<std::string>& names) {
    QStringList list;
    for (const std::string& n : names) list << QString::fromStdString(n);
    return qstrdup(qPrintable("[" + list.join(", ") + "]"));
}
}  // namespace QTest

namespace {

// What the window system sends for a double-click: press, release, double-click,
// release. (QTest::mouseDClick alone sends only the double-click event.)
void doubleClick(QWidget* widget, QPoint pos) {
    QTest::mouseClick(widget, Qt::LeftButton, Qt::NoModifier, pos);
    QTest::mouseDClick(widget, Qt::LeftButton, Qt::NoModifier, pos);
    QTest::mouseRelease(widget, Qt::LeftButton, Qt::NoModifier, pos);
}

void screenshot(QWidget* window, const QString& name) {
    const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QApplication::processEvents();
    window->grab().save(dir + "/" + name + ".png");
}

struct Window {
    QTemporaryDir dir;
    MainWindow window;
    bool open() {
        if (test::copySamples(dir.path()) < 2) return false;
        window.resize(1400, 900);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window)) return false;
        window.activateWindow();
        if (!QTest::qWaitForWindowActive(&window)) return false;
        return window.openFolder(dir.path());
    }
};

}  // namespace

class TestEditorKeys : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }
    void init() { QSettings().clear(); }

    void enterCommitsATypedClassName() {
        Window w;
        QVERIFY(w.open());
        AnnotationDocument* doc = w.window.document();
        ClassesDock* dock = w.window.classesDock();
        QSignalSpy accepted(w.window.findChild<QAction*>("accept"), &QAction::triggered);

        QTest::mouseClick(button(dock, "Add"), Qt::LeftButton);
        QLineEdit* editor = classEditor(dock);
        QVERIFY2(editor, "Add opens the name editor");
        QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget*>(editor));
        editor->selectAll();
        QTest::keyClicks(editor, "zebra");
        screenshot(&w.window, "classes-typed");
        QTest::keyClick(editor, Qt::Key_Return);

        QCOMPARE(accepted.count(), 0);  // the window's "Accept shape" did not take the key
        QTRY_COMPARE(classNames(doc), (std::vector<std::string>{"object", "zebra"}));
        QTRY_VERIFY(!classEditor(dock));
        screenshot(&w.window, "classes-after-enter");
        // What is saved is what was typed.
        QVERIFY(doc->save());
        const auto loaded = annotation::load_project_file(doc->projectFile().toStdString());
        QVERIFY(loaded.project.find_class_by_name("zebra"));
    }

    void escapeInTheEditorCancelsOnlyTheEdit() {
        Window w;
        QVERIFY(w.open());
        ClassesDock* dock = w.window.classesDock();
        QSignalSpy cancelled(w.window.findChild<QAction*>("cancel"), &QAction::triggered);
        dock->renameCurrent();
        QLineEdit* editor = classEditor(dock);
        QVERIFY(editor);
        QTest::keyClicks(editor, "never mind");
        QTest::keyClick(editor, Qt::Key_Escape);
        QCOMPARE(cancelled.count(), 0);
        QTRY_VERIFY(!classEditor(dock));
        QCOMPARE(classNames(w.window.document()), (std::vector<std::string>{"object"}));
    }

    void addAgainKeepsTheNameBeingTyped() {
        Window w;
        QVERIFY(w.open());
        AnnotationDocument* doc = w.window.document();
        ClassesDock* dock = w.window.classesDock();
        QPushButton* add = button(dock, "Add");
        QTest::mouseClick(add, Qt::LeftButton);
        QLineEdit* editor = classEditor(dock);
        QVERIFY(editor);
        editor->selectAll();
        QTest::keyClicks(editor, "lion");
        QTest::mouseClick(add, Qt::LeftButton);  // no Enter: the name being typed must survive
        editor = classEditor(dock);
        QVERIFY(editor);
        editor->selectAll();
        QTest::keyClicks(editor, "tiger");
        // Save from the menu while the editor is still open: the name goes in too.
        QAction* save = w.window.findChild<QAction*>("save");
        QVERIFY(save);
        save->trigger();
        QCOMPARE(classNames(doc), (std::vector<std::string>{"object", "lion", "tiger"}));
        QVERIFY(!doc->isDirty());
    }

    void doubleClickRenamesAClassThatIsNotSelected() {
        Window w;
        QVERIFY(w.open());
        AnnotationDocument* doc = w.window.document();
        ClassesDock* dock = w.window.classesDock();
        dock->addClass("car");
        dock->addClass("tree");
        QListWidget* list = dock->list();
        QCOMPARE(list->currentRow(), 2);  // the class just added
        const QRect first = list->visualItemRect(list->item(0));
        doubleClick(list->viewport(), first.center());
        QLineEdit* editor = classEditor(dock);
        QVERIFY2(editor, "double-click opens the editor on the class clicked");
        QCOMPARE(list->currentRow(), 0);
        editor->selectAll();
        QTest::keyClicks(editor, "thing");
        QTest::keyClick(editor, Qt::Key_Enter, Qt::KeypadModifier);  // keypad Enter, the window's other accept key
        QTRY_COMPARE(classNames(doc), (std::vector<std::string>{"thing", "car", "tree"}));
    }

    // Enter in the Weights field re-runs the memory check for the folder typed:
    // the verdict and Load follow it.
    void weightsFieldEnterUpdatesTheVerdict() {
        Window w;
        QVERIFY(w.open());
        auto* model_ui = w.window.findChild<ModelUi*>();
        QVERIFY(model_ui);
        ModelPanel* panel = model_ui->panel();
        auto* load = panel->findChild<QPushButton*>("loadButton");
        auto* field = panel->findChild<QLineEdit*>("weightsFolder");
        QVERIFY(load && field);
        panel->setWeightsFolder(QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224"));
        QTRY_VERIFY_WITH_TIMEOUT(panel->verdictText().contains("Fits"), 10000);
        QVERIFY(load->isEnabled());

        field->setFocus();
        QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget*>(field));
        field->selectAll();
        QTest::keyClicks(field, w.dir.path());  // a folder of images, not a checkpoint
        QTest::keyClick(field, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->verdictText().contains("Fits") && !panel->verdictText().contains("Checking"), 10000);
        QVERIFY(!load->isEnabled());
    }

    // The guard is about editors only: on the canvas the same keys stay shortcuts.
    void shortcutsStillWorkOutsideEditors() {
        Window w;
        QVERIFY(w.open());
        QSignalSpy accepted(w.window.findChild<QAction*>("accept"), &QAction::triggered);
        QSignalSpy next(w.window.findChild<QAction*>("next_image"), &QAction::triggered);
        w.window.canvas()->setFocus();
        QTest::keyClick(w.window.canvas(), Qt::Key_Return);
        QTest::keyClick(w.window.canvas(), Qt::Key_D);
        QCOMPARE(accepted.count(), 1);
        QCOMPARE(next.count(), 1);
        QCOMPARE(w.window.document()->currentIndex(), 1);
    }
};

QTEST_MAIN(TestEditorKeys)
#include "test_editor_keys.moc"

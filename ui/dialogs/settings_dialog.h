#pragma once
// Edit > Preferences: autosave interval and image pixel limit (QSettings), and
// every window action's keys (ShortcutEditor).
#include <QDialog>
#include <QList>

class QAction;
class QSpinBox;

namespace samlabel::ui {

class ShortcutEditor;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    // `actions`: the window's shortcut actions (MainWindow::actions()).
    explicit SettingsDialog(const QList<QAction*>& actions = {}, QWidget* parent = nullptr);
    void store() const;  // writes the values to AppSettings, applies and stores the keys

private:
    QSpinBox* autosave_s_;
    QSpinBox* pixel_limit_mp_;
    ShortcutEditor* shortcuts_;
};

}  // namespace samlabel::ui

#pragma once
// Edit > Preferences: autosave interval and image pixel limit (QSettings),
// the converted-weights cache (on/off, size budget, what it holds, Clear), and
// every window action's keys (ShortcutEditor).
#include <QDialog>
#include <QList>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;

namespace samlabel::ui {

class ShortcutEditor;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    // `actions`: the window's shortcut actions (MainWindow::actions()).
    explicit SettingsDialog(const QList<QAction*>& actions = {}, QWidget* parent = nullptr);
    void store() const;  // writes the values to AppSettings, applies and stores the keys
    QString convertedWeightsText() const;  // what the Model tab shows about the cache

private:
    QSpinBox* autosave_s_;
    QSpinBox* pixel_limit_mp_;
    QCheckBox* converted_cache_;
    QComboBox* placement_;
    QSpinBox* converted_budget_gib_;
    QLabel* converted_info_;
    ShortcutEditor* shortcuts_;

    void showConvertedWeights();
    void clearConvertedWeights();
};

}  // namespace samlabel::ui

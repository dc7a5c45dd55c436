#pragma once
// Help > About: samlabel's version and the libtorch runtime it runs on
// (version, CUDA availability), from core/engine/runtime_info.h, then the
// licences (third_party_licences.h).
#include <QDialog>

namespace samlabel::ui {

class AboutDialog : public QDialog {
    Q_OBJECT
public:
    explicit AboutDialog(QWidget* parent = nullptr);
    static QString aboutText();  // what the dialog shows
};

}  // namespace samlabel::ui

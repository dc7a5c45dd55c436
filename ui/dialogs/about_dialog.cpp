#include "ui/dialogs/about_dialog.h"

#include "core/engine/runtime_info.h"
#include "ui/dialogs/third_party_licences.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

#include <opencv2/core/version.hpp>

namespace samlabel::ui {

QString AboutDialog::aboutText() {
    const QString version = QCoreApplication::applicationVersion().isEmpty() ? QString("unknown")
                                                                            : QCoreApplication::applicationVersion();
    return tr("samlabel %1\nImage annotation with SAM3, memory-safe.\n\n%2\nQt %3, OpenCV %4")
        .arg(version, QString::fromStdString(engine::runtime_summary()), QString(qVersion()), QString(CV_VERSION));
}

AboutDialog::AboutDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("About samlabel"));
    setObjectName("about_dialog");
    auto* label = new QLabel(aboutText(), this);
    label->setObjectName("about_text");
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    auto* licences = new QPlainTextEdit(thirdPartyLicencesText(), this);
    licences->setObjectName("about_licences");
    licences->setReadOnly(true);
    licences->setMinimumSize(560, 260);
    layout->addWidget(label);
    layout->addWidget(licences);
    layout->addWidget(buttons);
}

}  // namespace samlabel::ui

// samlabel: the annotation GUI.  samlabel [FOLDER] [--project FILE]
#include "ui/icons/bundled_icons.h"
#include "ui/main_window.h"
#include "ui/settings/app_settings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cstdio>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("samlabel");
    QApplication::setApplicationName("samlabel");
    QApplication::setApplicationVersion(SAMLABEL_VERSION);
    QApplication::setWindowIcon(samlabel::ui::applicationIcon());

    QCommandLineParser parser;
    parser.setApplicationDescription("Annotate a folder of images with masks, polygons and boxes.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("FOLDER", "Folder of images to open (default: the last one).", "[FOLDER]");
    QCommandLineOption project_option("project", "Project file (default: FOLDER/samlabel-project.json).", "FILE");
    parser.addOption(project_option);
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        std::fprintf(stderr, "samlabel: expected at most one FOLDER, got %lld\n", static_cast<long long>(positional.size()));
        return 2;
    }
    QString folder = positional.isEmpty() ? QString() : positional.front();
    const QString project = parser.value(project_option);
    if (!folder.isEmpty() && !QFileInfo(folder).isDir()) {
        std::fprintf(stderr, "samlabel: %s is not a folder\n", qPrintable(QDir::toNativeSeparators(folder)));
        return 2;
    }
    if (!project.isEmpty() && QFileInfo(project).isDir()) {
        std::fprintf(stderr, "samlabel: --project %s is a folder, expected a project file\n", qPrintable(project));
        return 2;
    }

    // Without arguments, continue where the user left off.
    if (folder.isEmpty() && project.isEmpty()) {
        const QString last = samlabel::ui::AppSettings::lastFolder();
        if (!last.isEmpty() && QFileInfo(last).isDir()) folder = last;
    }

    samlabel::ui::MainWindow window;
    window.show();
    if (!folder.isEmpty() || !project.isEmpty()) window.openFolder(folder, project);
    return app.exec();
}

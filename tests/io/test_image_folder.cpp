// Folder scan: supported extensions in any case, nested folders, hidden
// entries skipped, UTF-8 '/' paths, natural order.
#include "core/io/image_folder.h"
#include "core/io/image_reader.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace samlabel::io;
namespace fs = std::filesystem;

class TestImageFolder : public QObject {
    Q_OBJECT
private slots:
    void scan() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        for (const char* rel : {"img10.png", "img2.PNG", "img1.jpg", "notes.txt", "sub/a.JpEg", "sub/deeper/z.tif",
                                ".hidden/x.png", ".dot.png", "ü dir/b 2.webp", "x.gif", "y.bmp"}) {
            const fs::path p = resolve_image_path(root, rel);
            fs::create_directories(p.parent_path());
            std::ofstream(p) << "x";
        }
        fs::create_directories(root / "folder.png");  // a folder with an image-like name is not an image
        ImageFolderScan s = scan_image_folder(root);
        QVERIFY(s.errors.empty());
        for (const auto& p : s.relative_paths) qInfo("%s", p.c_str());
        std::vector<std::string> expected = {"img1.jpg", "img2.PNG", "img10.png", "sub/a.JpEg", "sub/deeper/z.tif", "y.bmp", "ü dir/b 2.webp"};
        QCOMPARE(s.relative_paths, expected);
        ImageFolderScanOptions flat;
        flat.recursive = false;
        s = scan_image_folder(root, flat);
        expected = {"img1.jpg", "img2.PNG", "img10.png", "y.bmp"};
        QCOMPARE(s.relative_paths, expected);
        QVERIFY(fs::exists(resolve_image_path(root, "ü dir/b 2.webp")));
        QCOMPARE(path_to_utf8(resolve_image_path("/r", "a/b/c.png")), std::string("/r/a/b/c.png"));
    }

    void missing_root_is_an_error() {
        const ImageFolderScan s = scan_image_folder("/nonexistent/samlabel/folder");
        QVERIFY(s.relative_paths.empty());
        QCOMPARE(s.errors.size(), std::size_t(1));
        QVERIFY(s.errors[0].find("/nonexistent/samlabel/folder") == 0);
    }
};

QTEST_APPLESS_MAIN(TestImageFolder)
#include "test_image_folder.moc"

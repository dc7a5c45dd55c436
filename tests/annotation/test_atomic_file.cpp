// Atomic replacement: content replaced whole, previous version kept on
// request, failures leave the target intact and name the file.
#include "core/annotation/atomic_file.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sstream>

using namespace samlabel::annotation;
namespace fs = std::filesystem;

namespace {
std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

class TestAtomicFile : public QObject {
    Q_OBJECT
private slots:
    void replace_and_keep_previous() {
        QTemporaryDir dir;
        const fs::path target = fs::path(dir.path().toStdString()) / "ä file.json";
        const fs::path bak = fs::path(target.string() + ".bak");
        AtomicWriteOptions keep;
        keep.keep_previous_as = bak;
        write_file_atomically(target, "one", keep);
        QCOMPARE(read_text(target), std::string("one"));
        QVERIFY(!fs::exists(bak));
        write_file_atomically(target, "two, longer", keep);
        QCOMPARE(read_text(target), std::string("two, longer"));
        QCOMPARE(read_text(bak), std::string("one"));
        write_file_atomically(target, "3", keep);
        QCOMPARE(read_text(target), std::string("3"));  // shorter: no stale tail
        QCOMPARE(read_text(bak), std::string("two, longer"));
        write_file_atomically(target, "");
        QCOMPARE(fs::file_size(target), std::uintmax_t(0));
        QVERIFY(!fs::exists(atomic_temp_path(target)));
        QVERIFY(!fs::exists(atomic_temp_path(bak)));
    }

    void failure_names_file_and_keeps_target() {
        QTemporaryDir dir;
        const fs::path missing_dir = fs::path(dir.path().toStdString()) / "no such folder" / "f.json";
        try {
            write_file_atomically(missing_dir, "x");
            QFAIL("expected an error");
        } catch (const AtomicWriteError& e) {
            QVERIFY2(std::string(e.what()).find("no such folder/f.json: cannot create the temporary file f.json.saving.tmp: ") != std::string::npos, e.what());
        }
        // Target is a folder: the rename fails, the folder is untouched, no temp left.
        const fs::path folder = fs::path(dir.path().toStdString()) / "taken";
        fs::create_directories(folder / "inside");
        QVERIFY_THROWS_EXCEPTION(AtomicWriteError, write_file_atomically(folder, "x"));
        QVERIFY(fs::is_directory(folder / "inside"));
        QVERIFY(!fs::exists(atomic_temp_path(folder)));
    }
};

QTEST_APPLESS_MAIN(TestAtomicFile)
#include "test_atomic_file.moc"

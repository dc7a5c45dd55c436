// Disk full and write errors (issue 15): every writer of the core -- the
// project file, an export in each format, the auto-label results file, plain
// file writes -- on a disk that fills up (a real full tmpfs as root, a
// RLIMIT_FSIZE write error anywhere: tests/io/full_disk.h). Each must give a
// message naming the file and the OS's reason, keep what was on disk before,
// and succeed on the next try once there is room again.
#include "core/annotation/project.h"
#include "core/annotation/project_file.h"
#include "core/autolabel/results_file.h"
#include "core/io/dataset_export.h"
#include "core/io/export_staging.h"
#include "core/io/plain_file_write.h"
#include "core/io/utf8_path.h"
#include "tests/io/export_fixture.h"
#include "tests/io/full_disk.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <map>
#include <sstream>

using namespace samlabel;
namespace fs = std::filesystem;
using testing::FullDisk;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// Every file under `root` (relative path -> bytes), to prove nothing changed.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) files[io::path_to_utf8(e.path().lexically_relative(root))] = read_all(e.path());
    return files;
}

annotation::Project project_with(std::size_t instances) {
    annotation::Project p;
    const annotation::ClassId cls = p.add_class("thing", 0x00ff00);
    annotation::ImageAnnotations& img = p.ensure_image("a.jpg", 640, 480);
    for (std::size_t i = 0; i < instances; ++i) {
        annotation::Instance inst;
        inst.id = p.allocate_instance_id();
        inst.class_id = cls;
        const double x = 10.0 + double(i);
        inst.polygons.push_back({{{x, 10}, {x + 50, 10}, {x + 50, 60}, {x, 60}}, {}});
        img.instances.push_back(std::move(inst));
    }
    return p;
}

#define REQUIRE_DISK(disk)                                                        \
    do {                                                                          \
        QVERIFY2((disk).ok(), (disk).error().c_str()); /* never a skip: see full_disk.h */ \
    } while (0)

void add_kind_rows() {
    QTest::addColumn<int>("kind");
    for (FullDisk::Kind k : FullDisk::kinds_here()) QTest::newRow(FullDisk::name(k)) << int(k);
}

}  // namespace

class TestDiskFull : public QObject {
    Q_OBJECT
private slots:
    void projectSaveKeepsThePreviousFile_data() { add_kind_rows(); }
    void projectSaveKeepsThePreviousFile() {
        QFETCH(int, kind);
        FullDisk disk{FullDisk::Kind(kind)};
        REQUIRE_DISK(disk);
        const fs::path file = disk.dir() / "samlabel-project.json";
        annotation::save_project_file(file, project_with(1));
        const std::string before = read_all(file);

        const annotation::Project edited = project_with(40);  // what the user has in memory
        const std::string edited_text = annotation::serialize(edited);
        QCOMPARE(disk.fill(), std::string());
        std::string message;
        try {
            annotation::save_project_file(file, edited);
        } catch (const std::exception& e) {
            message = e.what();
        }
        disk.make_room();
        QVERIFY2(!message.empty(), "saving onto a full disk did not fail");
        QVERIFY2(message.find(io::path_to_utf8(file) + ":") == 0, message.c_str());  // the file being saved
        QVERIFY2(message.find(disk.reason()) != std::string::npos, message.c_str());  // the OS's reason
        QVERIFY2(message.find("unchanged") != std::string::npos, message.c_str());
        QCOMPARE(read_all(file), before);                                   // the previous file intact
        QVERIFY(!fs::exists(fs::path(file.string() + ".saving.tmp")));      // no debris taking space
        QCOMPARE(annotation::serialize(edited), edited_text);               // nothing lost in memory
        QCOMPARE(annotation::load_project_file(file).project.instance_count(), std::size_t(1));

        annotation::save_project_file(file, edited);  // space is back: the next save succeeds
        QCOMPARE(annotation::load_project_file(file).project.instance_count(), std::size_t(40));
        QCOMPARE(read_all(annotation::backup_path(file)), before);
    }

    void exportKeepsThePreviousExport_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("format");
        for (FullDisk::Kind k : FullDisk::kinds_here())
            for (io::ExportFormat f : {io::ExportFormat::YoloSegment, io::ExportFormat::Coco, io::ExportFormat::PngMasks})
                QTest::addRow("%s, %s", FullDisk::name(k), io::export_format_name(f)) << int(k) << int(f);
    }
    void exportKeepsThePreviousExport() {
        QFETCH(int, kind);
        QFETCH(int, format);
        QTemporaryDir images_dir;  // the images live on a normal disk
        const testing::ExportFixture fx = testing::make_export_fixture(io::path_from_utf8(images_dir.path().toStdString()));
        FullDisk disk{FullDisk::Kind(kind)};
        REQUIRE_DISK(disk);
        io::ExportOptions o;
        o.format = io::ExportFormat(format);
        o.output_dir = disk.dir() / "dataset";
        o.split = io::SplitFractions{};
        io::export_dataset(fx.project, fx.image_root, o);
        const auto before = snapshot(o.output_dir);
        QVERIFY(before.count("report.json"));

        annotation::Project edited = fx.project;
        edited.add_class("added later", 0x123456);  // changes class_map.json, data.yaml, legend...
        QCOMPARE(disk.fill(), std::string());
        std::string message;
        try {
            io::export_dataset(edited, fx.image_root, o);
        } catch (const std::exception& e) {
            message = e.what();
        }
        disk.make_room();
        QVERIFY2(!message.empty(), "exporting onto a full disk did not fail");
        QVERIFY2(message.find(disk.reason()) != std::string::npos, message.c_str());
        QVERIFY2(message.find(io::path_to_utf8(o.output_dir)) != std::string::npos, message.c_str());  // names the file
        QVERIFY2(message.find("keeps what it held before") != std::string::npos, message.c_str());
        QVERIFY(snapshot(o.output_dir) == before);  // the previous export, byte for byte
        QVERIFY(!fs::exists(o.output_dir / std::string(io::kExportStagingName)));

        const io::ExportReport again = io::export_dataset(edited, fx.image_root, o);  // room again: it works
        QCOMPARE(again.images, fx.project.images().size());
        QVERIFY(read_all(o.output_dir / "class_map.json").find("added later") != std::string::npos);
        QVERIFY(!fs::exists(o.output_dir / std::string(io::kExportStagingName)));
    }

    // An export killed mid-way leaves only its staging folder: the next export
    // needs no confirmation for it and clears it.
    void interruptedExportLeftoverIsCleared() {
        QTemporaryDir images_dir, out_dir;
        const testing::ExportFixture fx = testing::make_export_fixture(io::path_from_utf8(images_dir.path().toStdString()));
        const fs::path out = io::path_from_utf8(out_dir.path().toStdString()) / "dataset";
        fs::create_directories(out / std::string(io::kExportStagingName) / "labels");
        std::ofstream(out / std::string(io::kExportStagingName) / "labels" / "half.txt") << "0 0.5";
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = out;
        io::export_dataset(fx.project, fx.image_root, o);  // no ExportFolderInUse
        QVERIFY(fs::exists(out / "data.yaml"));
        QVERIFY(!fs::exists(out / std::string(io::kExportStagingName)));
    }

    void autolabelResultsKeepEveryCompleteLine_data() { add_kind_rows(); }
    void autolabelResultsKeepEveryCompleteLine() {
        QFETCH(int, kind);
        FullDisk disk{FullDisk::Kind(kind)};
        REQUIRE_DISK(disk);
        autolabel::ResultsHeader header;
        header.recipe.model = {"00000000deadbeef", "float32"};
        header.recipe.classes = {{"car", "car", 0.5f}};
        const fs::path file = disk.dir() / "results.jsonl";
        // A line longer than a page: the slack of the file's last page cannot take it.
        const auto image = [](const std::string& name) {
            autolabel::ImageDetections d;
            d.image = name + std::string(6000, 'x') + ".jpg";
            d.width = 64;
            d.height = 48;
            return d;
        };
        autolabel::ResultsWriter writer(file, header, false, nullptr);
        writer.append(image("first"));
        const std::string before = read_all(file);

        QCOMPARE(disk.fill(), std::string());
        std::string message;
        try {
            writer.append(image("second"));
        } catch (const std::exception& e) {
            message = e.what();
        }
        disk.make_room();
        QVERIFY2(!message.empty(), "appending onto a full disk did not fail");
        QVERIFY2(message.find(io::path_to_utf8(file)) == 0, message.c_str());
        QVERIFY2(message.find("second") != std::string::npos, message.c_str());
        QVERIFY2(message.find(disk.reason()) != std::string::npos, message.c_str());
        QCOMPARE(read_all(file), before);  // no partial line left behind

        writer.append(image("third"));  // room again: the same writer goes on
        const autolabel::ResultsContent content = autolabel::read_results_file(file);
        QCOMPARE(content.images.size(), std::size_t(2));
        QCOMPARE(content.cut_off_last_line, false);
        QVERIFY(content.images[1].image.rfind("third", 0) == 0);
    }

    // /dev/full answers every write with ENOSPC: the plain writer's message,
    // without privileges or limits.
    void plainWriteOnDevFullNamesFileAndReason() {
        QVERIFY(fs::exists("/dev/full"));
        try {
            io::write_plain_file("/dev/full", std::string(100000, 'x'));
            QFAIL("writing to /dev/full did not fail");
        } catch (const std::runtime_error& e) {
            const std::string m = e.what();
            QVERIFY2(m.find("/dev/full: cannot write: ") == 0, m.c_str());
            QVERIFY2(m.find(std::strerror(ENOSPC)) != std::string::npos, m.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestDiskFull)
#include "test_disk_full.moc"

// The project file: lossless round trip, one precise message per validation
// failure (file + JSON path + reason), newer versions refused, and the
// load/save safety net (corrupt file moved aside, newest valid backup used,
// .bak of the previous good version).
#include "core/annotation/edit_operations.h"
#include "core/annotation/project_file.h"
#include "core/annotation/rle.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <regex>
#include <sstream>

using namespace samlabel::annotation;
namespace fs = std::filesystem;

namespace {

Project rich_project() {
    Project p;
    p.add_class("cat", 0xff8800);
    p.add_class("dög \"quoted\"", 0x0000ff);  // non-ASCII and escaping
    p.remove_class(0);
    p.add_class("cat", 0x112233);  // id 2; next_class_id 3
    p.image_root = "../pictures";
    ImageAnnotations& a = p.ensure_image("sub dir/ä img2.jpg", 40, 30);
    a.status = ImageStatus::Done;
    a.placement = DatasetPlacement{"val", "ä img2.jpg"};  // imported from a dataset's val split
    Instance inst;
    inst.id = p.allocate_instance_id();
    inst.class_id = 1;
    inst.source = InstanceSource::Sam3;
    inst.score = 0.875f;
    inst.created_ms = 1700000000123;
    inst.modified_ms = 1700000000999;
    inst.polygons.push_back({{{0.5, 0.25}, {10.125, 0.5}, {10.0, 9.999999999999}, {0.1, 10.3}}, {{{2, 2}, {4, 2}, {4, 4}}}});
    cv::Mat m(30, 40, CV_8UC1, cv::Scalar(0));
    m(cv::Rect(3, 4, 10, 7)).setTo(1);
    inst.mask = encode_rle(m);
    a.instances.push_back(inst);
    Instance manual;
    manual.id = p.allocate_instance_id();
    manual.class_id = kNoClass;  // unassigned is valid
    manual.polygons.push_back({{{1, 1}, {2, 1}, {2, 2}}, {}});
    a.instances.push_back(manual);
    p.ensure_image("img10.jpg");
    return p;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary);
    out << s;
}

// A minimal valid document with one instance, edited per case.
const char* kBase = R"({"format":"samlabel-project","version":1,"next_class_id":2,"next_instance_id":5,
 "classes":[{"id":0,"name":"a","color":"#ff0000"},{"id":1,"name":"b","color":"#00ff00"}],
 "images":[{"path":"x.png","width":4,"height":2,"status":"new","instances":[
   {"id":1,"class_id":0,"source":"manual","created_ms":1,"modified_ms":2,
    "polygons":[{"outer":[0,0,1,0,1,1]}],"mask":{"size":[2,4],"counts":[1,2,5]}}]}]})";

}  // namespace

class TestProjectFile : public QObject {
    Q_OBJECT
private slots:
    void round_trip_is_lossless() {
        const Project p = rich_project();
        const std::string text = serialize(p);
        const Project q = parse(text, "t.json");
        QCOMPARE(serialize(q), text);
        QCOMPARE(q.next_class_id(), 3);
        QCOMPARE(q.next_instance_id(), std::uint64_t(3));
        QCOMPARE(q.image_root, std::string("../pictures"));
        QCOMPARE(q.classes().size(), std::size_t(2));
        QCOMPARE(q.classes()[0].name, std::string("dög \"quoted\""));
        QCOMPARE(q.classes()[1].rgb, 0x112233u);
        const Instance* inst = q.find_instance("sub dir/ä img2.jpg", 1);
        QVERIFY(inst);
        QCOMPARE(inst->source, InstanceSource::Sam3);
        QCOMPARE(*inst->score, 0.875f);
        QCOMPARE(inst->created_ms, std::int64_t(1700000000123));
        QCOMPARE(inst->polygons[0].outer[2].y, 9.999999999999);  // doubles exact
        QCOMPARE(inst->polygons[0].holes.size(), std::size_t(1));
        QCOMPARE(inst->mask->counts, p.find_instance("sub dir/ä img2.jpg", 1)->mask->counts);
        QCOMPARE(q.find_image("sub dir/ä img2.jpg")->status, ImageStatus::Done);
        QCOMPARE(q.find_instance("sub dir/ä img2.jpg", 2)->class_id, kNoClass);
        QVERIFY(text.find("\"format\": \"samlabel-project\"") != std::string::npos);
        QVERIFY(text.find("\"version\": 3") != std::string::npos);
        QCOMPARE(q.find_image("sub dir/ä img2.jpg")->placement, (std::optional<DatasetPlacement>(DatasetPlacement{"val", "ä img2.jpg"})));
        QVERIFY(!q.find_image("img10.jpg")->placement);
    }

    // Files written before version 2 load as they are (no dataset placement)
    // and are written back as the current version with nothing else changed.
    void version_1_file_loads_unchanged() {
        const Project old = parse(kBase, "t.json");
        QCOMPARE(old.classes().size(), std::size_t(2));
        QCOMPARE(old.find_instance("x.png", 1)->mask->counts, (std::vector<std::uint32_t>{1, 2, 5}));
        QVERIFY(!old.find_image("x.png")->placement);
        const std::string text = serialize(old);
        QVERIFY(text.find("\"version\": 3") != std::string::npos);
        QVERIFY(text.find("dataset") == std::string::npos);
        QCOMPARE(serialize(parse(text, "t.json")), text);
    }

    void accepts_uncompressed_counts() {
        const Project p = parse(kBase, "t.json");
        QCOMPARE(p.find_instance("x.png", 1)->mask->counts, (std::vector<std::uint32_t>{1, 2, 5}));
    }

    void every_validation_failure_is_named_data() {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("message");
        auto row = [](const char* name, const char* from, const char* to, const char* message) {
            QTest::newRow(name) << from << to << message;
        };
        row("not json", "{\"format\"", "{\"format\" x", "t.json: not valid JSON: ");
        row("not an object", "", "[1, 2]", "t.json: (document): expected an object, found an array");
        row("format", "\"samlabel-project\"", "\"labelme\"", "t.json: format: 'labelme' is not a samlabel project");
        row("missing version", "\"version\":1,", "", "t.json: missing required field \"version\"");
        row("newer version", "\"version\":1", "\"version\":7", "t.json: version: format version 7 was written by a newer samlabel; this samlabel reads versions up to 3");
        row("version zero", "\"version\":1", "\"version\":0", "t.json: version: 0 is not a valid format version");
        row("classes type", "\"classes\":[{\"id\":0,\"name\":\"a\",\"color\":\"#ff0000\"},{\"id\":1,\"name\":\"b\",\"color\":\"#00ff00\"}]", "\"classes\":\"none\"", "t.json: classes: expected an array, found a string");
        row("class id dup", "{\"id\":1,\"name\":\"b\"", "{\"id\":0,\"name\":\"b\"", "t.json: classes[1].id: class id 0 is used twice");
        row("class name dup", "\"name\":\"b\"", "\"name\":\"a\"", "t.json: classes[1].name: class name 'a' is used twice");
        row("class name empty", "\"name\":\"b\"", "\"name\":\"\"", "t.json: classes[1].name: the class name is empty");
        row("class colour", "\"#00ff00\"", "\"green\"", "t.json: classes[1].color: 'green' is not a colour of the form #rrggbb");
        row("class id negative", "{\"id\":1,", "{\"id\":-3,", "t.json: classes[1].id: -3 is out of range");
        row("next class id", "\"next_class_id\":2", "\"next_class_id\":1", "t.json: next_class_id: 1 is not above the largest class id 1");
        row("path absolute", "\"x.png\"", "\"/etc/x.png\"", "t.json: images[0].path: '/etc/x.png' is absolute");
        row("path dotdot", "\"x.png\"", "\"../x.png\"", "t.json: images[0].path: '../x.png' has an empty, '.' or '..' component");
        row("path backslash", "\"x.png\"", "\"a\\\\x.png\"", "t.json: images[0].path: 'a\\x.png' contains '\\'");
        row("status", "\"status\":\"new\"", "\"status\":\"finished\"", "t.json: images[0].status: 'finished' is not one of new, in_progress, done");
        row("dataset type", "\"status\":\"new\"", "\"status\":\"new\",\"dataset\":\"val\"", "t.json: images[0].dataset: expected an object, found a string");
        row("dataset split", "\"status\":\"new\"", "\"status\":\"new\",\"dataset\":{\"split\":\"dev\",\"path\":\"x.png\"}", "t.json: images[0].dataset.split: 'dev' is not one of train, val, test");
        row("dataset path", "\"status\":\"new\"", "\"status\":\"new\",\"dataset\":{\"split\":\"val\",\"path\":\"../x.png\"}", "t.json: images[0].dataset.path: '../x.png' has an empty, '.' or '..' component");
        row("width type", "\"width\":4", "\"width\":\"4\"", "t.json: images[0].width: expected an integer, found a string");
        row("unknown class", "\"class_id\":0", "\"class_id\":7", "t.json: images[0].instances[0].class_id: 7 is not a known class");
        row("instance id too big", "{\"id\":1,\"class_id\"", "{\"id\":5,\"class_id\"", "t.json: images[0].instances[0].id: instance id 5 is not below next_instance_id 5");
        row("source", "\"manual\"", "\"magic\"", "t.json: images[0].instances[0].source: 'magic' is not one of manual, grabcut, sam3");
        row("score range", "\"source\":\"manual\"", "\"source\":\"manual\",\"score\":1.5", "t.json: images[0].instances[0].score: 1.500000 is outside [0, 1]");
        row("missing created", "\"created_ms\":1,", "", "t.json: images[0].instances[0]: missing required field \"created_ms\"");
        row("odd coordinates", "[0,0,1,0,1,1]", "[0,0,1,0,1]", "t.json: images[0].instances[0].polygons[0].outer: odd number of coordinates (5)");
        row("two points", "[0,0,1,0,1,1]", "[0,0,1,0]", "t.json: images[0].instances[0].polygons[0].outer: a ring needs at least 3 points, found 2");
        row("coordinate type", "[0,0,1,0,1,1]", "[0,0,1,0,1,null]", "t.json: images[0].instances[0].polygons[0].outer[5]: expected a number, found null");
        row("hole", "[0,0,1,0,1,1]}", "[0,0,1,0,1,1],\"holes\":[[0,0,1,1]]}", "t.json: images[0].instances[0].polygons[0].holes[0]: a ring needs at least 3 points");
        row("mask size", "\"size\":[2,4]", "\"size\":[3,4]", "t.json: images[0].instances[0].mask.size: mask size 4x3 differs from the image size 4x2");
        row("mask counts sum", "[1,2,5]", "[1,2,6]", "t.json: images[0].instances[0].mask.counts: counts sum to 9 but the mask has 4x2 = 8 pixels");
        row("mask counts string", "[1,2,5]", "\"\\u0001\"", "t.json: images[0].instances[0].mask.counts: COCO RLE: invalid character");
        row("no geometry", "\"polygons\":[{\"outer\":[0,0,1,0,1,1]}],\"mask\":{\"size\":[2,4],\"counts\":[1,2,5]}", "\"x\":0", "t.json: images[0].instances[0]: the instance has neither polygons nor a mask");
        row("duplicate instance id", "\"counts\":[1,2,5]}}]}]", "\"counts\":[1,2,5]}}]},{\"path\":\"y.png\",\"width\":0,\"height\":0,\"status\":\"done\",\"instances\":[{\"id\":1,\"class_id\":-1,\"source\":\"grabcut\",\"created_ms\":1,\"modified_ms\":1,\"polygons\":[{\"outer\":[0,0,1,0,1,1]}]}]}]", "t.json: images[1].instances[0].id: instance id 1 is used twice");
        row("duplicate path", "\"counts\":[1,2,5]}}]}]", "\"counts\":[1,2,5]}}]},{\"path\":\"x.png\",\"width\":0,\"height\":0,\"status\":\"done\",\"instances\":[]}]", "t.json: images[1].path: 'x.png' is listed twice");
    }
    void every_validation_failure_is_named() {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, message);
        std::string text = kBase;
        if (from.isEmpty()) {
            text = to.toStdString();  // a whole replacement document
        } else {
            const std::size_t at = text.find(from.toStdString());
            QVERIFY2(at != std::string::npos, "test case does not match the base document");
            text.replace(at, from.toStdString().size(), to.toStdString());
        }
        try {
            parse(text, "t.json");
            QFAIL("parse accepted an invalid document");
        } catch (const ProjectFileError& e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith(message), qPrintable("got: " + what));
            QCOMPARE(e.file(), std::string("t.json"));
        }
    }

    void missing_file_is_a_new_project() {
        QTemporaryDir dir;
        const ProjectLoadResult r = load_project_file(fs::path(dir.path().toStdString()) / "samlabel-project.json");
        QCOMPARE(r.origin, ProjectLoadResult::Origin::NewProject);
        QVERIFY(r.ok());
        QVERIFY(r.project.classes().empty());
    }

    void save_keeps_previous_as_bak() {
        QTemporaryDir dir;
        const fs::path path = default_project_path(dir.path().toStdString());
        QCOMPARE(path.filename().string(), std::string("samlabel-project.json"));
        Project p = rich_project();
        save_project_file(path, p);
        QVERIFY(!fs::exists(backup_path(path)));  // nothing previous yet
        const std::string first = read_text(path);
        p.add_class("extra", 0);
        save_project_file(path, p);
        QCOMPARE(read_text(backup_path(path)), first);
        QCOMPARE(read_text(path), serialize(p));
        QVERIFY(!fs::exists(fs::path(path.string() + ".saving.tmp")));
        const ProjectLoadResult r = load_project_file(path);
        QCOMPARE(r.origin, ProjectLoadResult::Origin::Loaded);
        QCOMPARE(serialize(r.project), serialize(p));
    }

    void corrupt_file_is_moved_aside_and_backup_used() {
        QTemporaryDir dir;
        const fs::path path = fs::path(dir.path().toStdString()) / "my project.json";
        Project p = rich_project();
        save_project_file(path, p);
        const std::string good = serialize(p);
        p.add_class("second", 0);
        save_project_file(path, p);  // .bak = first version
        const std::string garbage = good.substr(0, good.size() / 2);  // truncated by some other tool
        write_text(path, garbage);

        const ProjectLoadResult r = load_project_file(path);
        QCOMPARE(r.origin, ProjectLoadResult::Origin::RecoveredFromBackup);
        QVERIFY(!r.ok());
        QVERIFY2(r.problem.find("my project.json: not valid JSON") != std::string::npos, r.problem.c_str());
        QCOMPARE(r.recovered_from, backup_path(path));
        QCOMPARE(serialize(r.project), good);
        // The bad file is kept, byte for byte, under a timestamped name.
        QVERIFY(std::regex_match(r.moved_aside_to.filename().string(), std::regex(R"(my project\.corrupt-\d{8}-\d{6}\.json)")));
        QCOMPARE(read_text(r.moved_aside_to), garbage);
        QVERIFY(!fs::exists(path));
        // A second failure in the same second gets its own name.
        write_text(path, "{}");
        const ProjectLoadResult r2 = load_project_file(path);
        QVERIFY(r2.moved_aside_to != r.moved_aside_to);
        QVERIFY(fs::exists(r.moved_aside_to));
        QVERIFY2(r2.problem.find("missing required field \"format\"") != std::string::npos, r2.problem.c_str());
    }

    void newest_valid_backup_wins_and_invalid_ones_are_skipped() {
        QTemporaryDir dir;
        const fs::path path = fs::path(dir.path().toStdString()) / "p.json";
        Project older = rich_project();
        Project newer = rich_project();
        newer.add_class("newer", 0);
        write_text(backup_path(path), serialize(older));
        write_text(autosave_path(path), serialize(newer));
        QCOMPARE(autosave_path(path).filename().string(), std::string("p.autosave.json"));
        fs::last_write_time(backup_path(path), fs::file_time_type::clock::now() - std::chrono::hours(1));
        write_text(path, "not json");
        ProjectLoadResult r = load_project_file(path);
        QCOMPARE(r.recovered_from, autosave_path(path));
        QCOMPARE(serialize(r.project), serialize(newer));
        // Newest one invalid too: the older valid backup is used.
        write_text(autosave_path(path), "{\"format\":\"samlabel-project\",\"version\":99}");
        write_text(path, "not json");
        r = load_project_file(path);
        QCOMPARE(r.recovered_from, backup_path(path));
        QCOMPARE(serialize(r.project), serialize(older));
        // None valid: empty project, still reported.
        write_text(backup_path(path), "[]");
        write_text(path, "not json");
        r = load_project_file(path);
        QCOMPARE(r.origin, ProjectLoadResult::Origin::EmptyAfterFailure);
        QVERIFY(r.project.images().empty());
        QVERIFY(!r.problem.empty());
    }

    void newer_version_file_is_refused_not_lost() {
        QTemporaryDir dir;
        const fs::path path = fs::path(dir.path().toStdString()) / "p.json";
        const std::string future = R"({"format":"samlabel-project","version":4,"whatever":true})";
        write_text(path, future);
        const ProjectLoadResult r = load_project_file(path);
        QVERIFY2(r.problem.find("newer samlabel") != std::string::npos, r.problem.c_str());
        QCOMPARE(read_text(r.moved_aside_to), future);
    }
};

QTEST_APPLESS_MAIN(TestProjectFile)
#include "test_project_file.moc"

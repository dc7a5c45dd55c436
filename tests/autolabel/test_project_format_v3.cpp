// Project format version 3: class prompts and thresholds, the sam3-detect
// source with a score and a review state, and the per-image auto-label stamp
// survive a save/load byte for byte; a version 2 file loads unchanged; every
// bad value is refused naming the file and the field.
#include "core/annotation/project_file.h"

#include <QtTest>

#include <nlohmann/json.hpp>

using namespace samlabel::annotation;

namespace {

// A version 2 file as samlabel wrote it before version 3 (one class, one instance, an imported image).
const char* kVersion2 = R"({
 "format": "samlabel-project",
 "version": 2,
 "image_root": ".",
 "next_class_id": 1,
 "next_instance_id": 2,
 "classes": [
  {"color":"#ff0000","id":0,"name":"car"}
 ],
 "images": [
  {"path": "a.jpg", "width": 4, "height": 2, "status": "in_progress", "dataset": {"path":"a.jpg","split":"val"}, "instances": [
   {"class_id":0,"created_ms":1,"id":1,"modified_ms":2,"polygons":[{"outer":[0.0,0.0,1.0,0.0,1.0,1.0]}],"score":0.5,"source":"sam3"}
  ]}
 ]
}
)";

Project v3_project() {
    Project p;
    const ClassId car = p.add_class("car", 0x112233);
    p.add_class("person", 0x445566);
    p.set_class_prompt(car, "red car", 0.35f);
    ImageAnnotations& img = p.ensure_image("x.jpg", 4, 2);
    img.autolabel = AutolabelStamp{"0123456789abcdef", 1700000000000};
    Instance inst;
    inst.id = p.allocate_instance_id();
    inst.class_id = car;
    inst.source = InstanceSource::Sam3Detect;
    inst.score = 0.8125f;
    inst.review = ReviewState::Pending;
    inst.polygons = {PolygonWithHoles{{{0, 0}, {1, 0}, {1, 1}}, {}}};
    img.instances.push_back(inst);
    inst.id = p.allocate_instance_id();
    inst.review = ReviewState::Reviewed;
    img.instances.push_back(inst);
    return p;
}

}  // namespace

class TestProjectFormatV3 : public QObject {
    Q_OBJECT
private slots:
    void new_fields_round_trip() {
        const Project p = v3_project();
        const std::string text = serialize(p);
        QVERIFY(text.find("\"version\": 3") != std::string::npos);
        const Project q = parse(text, "t.json");
        QCOMPARE(serialize(q), text);
        QCOMPARE(q.classes()[0].prompt, std::string("red car"));
        QCOMPARE(*q.classes()[0].threshold, 0.35f);
        QVERIFY(q.classes()[1].prompt.empty());
        QVERIFY(!q.classes()[1].threshold);
        const Instance* a = q.find_instance("x.jpg", 1);
        QCOMPARE(a->source, InstanceSource::Sam3Detect);
        QCOMPARE(a->review, ReviewState::Pending);
        QCOMPARE(*a->score, 0.8125f);
        QCOMPARE(q.find_instance("x.jpg", 2)->review, ReviewState::Reviewed);
        QCOMPARE(q.find_image("x.jpg")->autolabel, (std::optional<AutolabelStamp>(AutolabelStamp{"0123456789abcdef", 1700000000000})));
    }

    // A version 2 file: everything it says is read as before, nothing new is
    // invented, and it is written back as version 3 with only the version changed.
    void version_2_file_loads_unchanged() {
        const Project p = parse(kVersion2, "v2.json");
        QVERIFY(p.classes()[0].prompt.empty());
        QVERIFY(!p.classes()[0].threshold);
        const Instance* inst = p.find_instance("a.jpg", 1);
        QCOMPARE(inst->source, InstanceSource::Sam3);
        QCOMPARE(inst->review, ReviewState::None);
        QVERIFY(!p.find_image("a.jpg")->autolabel);
        QCOMPARE(p.find_image("a.jpg")->placement->split, std::string("val"));
        const std::string text = serialize(p);
        QVERIFY(text.find("review") == std::string::npos);
        QVERIFY(text.find("autolabel") == std::string::npos);
        QVERIFY(text.find("prompt") == std::string::npos);
        // Same document apart from the version: compare as JSON values.
        std::string v2_as_v3 = kVersion2;
        v2_as_v3.replace(v2_as_v3.find("\"version\": 2"), 12, "\"version\": 3");
        QCOMPARE(QString::fromStdString(nlohmann::json::parse(text).dump()), QString::fromStdString(nlohmann::json::parse(v2_as_v3).dump()));
    }

    void bad_values_are_named_data() {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("message");
        QTest::newRow("review") << "\"source\":\"sam3\"" << "\"source\":\"sam3\",\"review\":\"maybe\""
                                << "v2.json: images[0].instances[0].review: 'maybe' is not one of pending, reviewed";
        QTest::newRow("source") << "\"source\":\"sam3\"" << "\"source\":\"sam4\""
                                << "v2.json: images[0].instances[0].source: 'sam4' is not one of manual, grabcut, sam3, sam3-detect";
        QTest::newRow("threshold") << "\"name\":\"car\"" << "\"name\":\"car\",\"threshold\":1.5"
                                   << "v2.json: classes[0].threshold: 1.500000 is outside [0, 1]";
        QTest::newRow("prompt type") << "\"name\":\"car\"" << "\"name\":\"car\",\"prompt\":3"
                                     << "v2.json: classes[0].prompt: expected a string, found a number";
        QTest::newRow("stamp") << "\"status\": \"in_progress\"" << "\"status\": \"in_progress\", \"autolabel\": {\"at_ms\": 1}"
                               << "v2.json: images[0].autolabel: missing required field \"recipe\"";
    }
    void bad_values_are_named() {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, message);
        std::string text = kVersion2;
        const auto at = text.find(from.toStdString());
        QVERIFY(at != std::string::npos);
        text.replace(at, std::size_t(from.size()), to.toStdString());
        try {
            parse(text, "v2.json");
            QFAIL("accepted");
        } catch (const ProjectFileError& e) {
            QCOMPARE(QString::fromStdString(e.what()), message);
        }
    }
};

QTEST_GUILESS_MAIN(TestProjectFormatV3)
#include "test_project_format_v3.moc"

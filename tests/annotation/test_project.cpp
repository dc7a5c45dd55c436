// Project model and its edit operations: ids stable and never reused, and
// every operation's revert restores the exact previous state (compared through
// the serialised form, which covers every field).
#include "core/annotation/edit_operations.h"
#include "core/annotation/natural_order.h"
#include "core/annotation/project.h"
#include "core/annotation/project_file.h"

#include <QtTest>

using namespace samlabel::annotation;

namespace {

Instance square(std::uint64_t id, ClassId cls, double x, double y, double size) {
    Instance inst;
    inst.id = id;
    inst.class_id = cls;
    inst.polygons.push_back({{{x, y}, {x + size, y}, {x + size, y + size}, {x, y + size}}, {}});
    inst.created_ms = inst.modified_ms = 1000;
    return inst;
}

Project sample() {
    Project p;
    p.add_class("cat", 0xff0000);
    p.add_class("dog", 0x00ff00);
    p.add_class("bird", 0x0000ff);
    p.ensure_image("img2.png", 100, 80);
    p.ensure_image("img10.png", 100, 80);
    AddInstance(std::string("img2.png"), square(p.allocate_instance_id(), 0, 1, 1, 10)).apply(p);
    AddInstance(std::string("img2.png"), square(p.allocate_instance_id(), 1, 20, 20, 5)).apply(p);
    AddInstance(std::string("img10.png"), square(p.allocate_instance_id(), 0, 3, 3, 4)).apply(p);
    return p;
}

// Apply, check, revert, check equal to before, re-apply, check equal to after.
void check_round_trip(Project& p, EditOperation& op) {
    const std::string before = serialize(p);
    op.apply(p);
    const std::string after = serialize(p);
    QVERIFY(after != before);
    op.revert(p);
    QCOMPARE(serialize(p), before);
    op.apply(p);
    QCOMPARE(serialize(p), after);
}

}  // namespace

class TestProject : public QObject {
    Q_OBJECT
private slots:
    void natural_order() {
        QVERIFY(natural_less("img2.png", "img10.png"));
        QVERIFY(!natural_less("img10.png", "img2.png"));
        QVERIFY(natural_less("a/img9.jpg", "a/img10.jpg"));
        QVERIFY(natural_less("IMG1.jpg", "img2.jpg"));  // case-insensitive
        // Distinct strings never compare equal (strict weak ordering for std::map).
        QVERIFY(natural_less("img01", "img1") != natural_less("img1", "img01"));
        QVERIFY(natural_less("A", "a") != natural_less("a", "A"));
        QVERIFY(!natural_less("same", "same"));
        QVERIFY(natural_less("x99999999999999999999999", "x100000000000000000000000"));  // no overflow
        Project p;
        for (const char* n : {"img10.png", "img2.png", "img1.png"}) p.ensure_image(n);
        QStringList order;
        for (const auto& [path, img] : p.images()) order << QString::fromStdString(path);
        QCOMPARE(order, QStringList({"img1.png", "img2.png", "img10.png"}));
    }

    void class_ids_are_stable_and_never_reused() {
        Project p;
        QCOMPARE(p.add_class("a", 1), 0);
        QCOMPARE(p.add_class("b", 2), 1);
        p.remove_class(1);
        QCOMPARE(p.add_class("c", 3), 2);  // 1 is not reused
        QVERIFY_THROWS_EXCEPTION(ProjectError, p.add_class("a", 4));   // duplicate name
        QVERIFY_THROWS_EXCEPTION(ProjectError, p.add_class("", 4));    // empty name
        QVERIFY_THROWS_EXCEPTION(ProjectError, p.rename_class(0, "c"));
        QVERIFY_THROWS_EXCEPTION(ProjectError, p.set_next_class_id(2));
        p.move_class(2, 0);
        QCOMPARE(p.classes()[0].name, std::string("c"));
        QCOMPARE(p.classes()[0].id, 2);
        QCOMPARE(p.class_index(0), std::optional<std::size_t>(1));
        p.move_class(2, 99);  // clamped to the end
        QCOMPARE(p.classes().back().id, 2);
    }

    void counts() {
        Project p = sample();
        QCOMPARE(p.instance_count(), std::size_t(3));
        QCOMPARE(p.instance_count(0), std::size_t(2));
        QCOMPARE(p.instance_count(2), std::size_t(0));
        StatusCounts c = p.status_counts();
        QCOMPARE(c.in_progress, std::size_t(2));  // adding an instance moved them from new
        p.ensure_image("img3.png");
        SetImageStatus(std::string("img2.png"), ImageStatus::Done).apply(p);
        c = p.status_counts();
        QCOMPARE(c.new_images, std::size_t(1));
        QCOMPARE(c.in_progress, std::size_t(1));
        QCOMPARE(c.done, std::size_t(1));
        QCOMPARE(c.total(), std::size_t(3));
    }

    void add_and_remove_instance_round_trip() {
        Project p = sample();
        AddInstance add(std::string("img10.png"), square(p.allocate_instance_id(), 2, 50, 50, 8));
        check_round_trip(p, add);
        QCOMPARE(p.find_image("img10.png")->instances.size(), std::size_t(2));
        RemoveInstance remove(std::string("img2.png"), 1);  // first in draw order
        check_round_trip(p, remove);
        remove.revert(p);
        QCOMPARE(p.find_image("img2.png")->instances.front().id, std::uint64_t(1));  // back at its old position
    }

    void add_instance_sets_status_and_reverts_it() {
        Project p;
        p.add_class("a", 1);
        AddInstance add(std::string("new.png"), square(p.allocate_instance_id(), 0, 0, 0, 3));
        add.apply(p);
        QCOMPARE(p.find_image("new.png")->status, ImageStatus::InProgress);
        add.revert(p);
        QCOMPARE(p.find_image("new.png")->status, ImageStatus::New);
        QVERIFY(p.find_image("new.png")->instances.empty());
    }

    void replace_geometry_round_trip() {
        Project p = sample();
        RleMask mask;
        mask.width = 100;
        mask.height = 80;
        mask.counts = {5, 3, 8000 - 8};
        std::vector<PolygonWithHoles> polys{{{{0, 0}, {9, 0}, {9, 9}}, {{{1, 1}, {2, 1}, {2, 2}}}}};
        ReplaceInstanceGeometry op(std::string("img2.png"), 2, polys, mask, "Brush");
        check_round_trip(p, op);
        QCOMPARE(p.find_instance("img2.png", 2)->mask->counts, mask.counts);
        QCOMPARE(op.description(), std::string("Brush"));
    }

    void change_class_and_status_round_trip() {
        Project p = sample();
        ChangeInstanceClass change(std::string("img2.png"), 1, 2);
        check_round_trip(p, change);
        QCOMPARE(p.find_instance("img2.png", 1)->class_id, 2);
        ChangeInstanceClass bad(std::string("img2.png"), 1, 42);
        const std::string before = serialize(p);
        QVERIFY_THROWS_EXCEPTION(ProjectError, bad.apply(p));
        QCOMPARE(serialize(p), before);  // unchanged after a refused edit
        SetImageStatus status(std::string("img10.png"), ImageStatus::Done);
        check_round_trip(p, status);
        SetImageStatus create(std::string("fresh.png"), ImageStatus::Done);
        check_round_trip(p, create);
        create.revert(p);
        QVERIFY(p.find_image("fresh.png") == nullptr);  // the entry it created is gone again
    }

    void class_edits_round_trip() {
        Project p = sample();
        const std::vector<LabelClass> before = p.classes();
        AddClass add("fish", 0x123456);
        add.apply(p);
        QCOMPARE(*add.class_id(), 3);
        QCOMPARE(p.classes().size(), std::size_t(4));
        add.revert(p);
        QCOMPARE(p.classes().size(), before.size());
        for (std::size_t i = 0; i < before.size(); ++i) QCOMPARE(p.classes()[i].id, before[i].id);
        QCOMPARE(p.next_class_id(), 4);  // never lowered: the id 3 is not reused
        add.apply(p);                    // redo keeps id 3
        QCOMPARE(p.find_class_by_name("fish")->id, 3);
        QCOMPARE(p.next_class_id(), 4);
        RenameClass rename(1, "puppy");
        check_round_trip(p, rename);
        RecolourClass recolour(1, 0xabcdef);
        check_round_trip(p, recolour);
        MoveClass move(2, 0);
        check_round_trip(p, move);
        QCOMPARE(p.classes().front().id, 2);
    }

    void remove_class_unassigns_or_reassigns_instances() {
        Project p = sample();
        RemoveClass remove(0);  // used by instances 1 and 3
        check_round_trip(p, remove);
        QCOMPARE(remove.affected_instances(), std::size_t(2));
        QCOMPARE(p.find_instance("img2.png", 1)->class_id, kNoClass);
        QCOMPARE(p.find_instance("img10.png", 3)->class_id, kNoClass);
        QCOMPARE(p.instance_count(), std::size_t(3));  // nothing deleted
        remove.revert(p);
        QCOMPARE(p.classes().front().id, 0);  // back at its position with its id
        RemoveClass reassign(0, ClassId(2));
        check_round_trip(p, reassign);
        QCOMPARE(p.find_instance("img2.png", 1)->class_id, 2);
        QVERIFY_THROWS_EXCEPTION(ProjectError, RemoveClass(1, ClassId(77)).apply(p));
    }

    void composite_is_atomic() {
        Project p = sample();
        const std::string before = serialize(p);
        std::vector<std::unique_ptr<EditOperation>> ops;
        ops.push_back(std::make_unique<RemoveInstance>(std::string("img2.png"), 1));
        ops.push_back(std::make_unique<RemoveInstance>(std::string("img2.png"), 999));  // fails
        CompositeOperation bad("Delete", std::move(ops));
        QVERIFY_THROWS_EXCEPTION(ProjectError, bad.apply(p));
        QCOMPARE(serialize(p), before);  // the first removal was rolled back
        std::vector<std::unique_ptr<EditOperation>> ok;
        ok.push_back(std::make_unique<RemoveInstance>(std::string("img2.png"), 1));
        ok.push_back(std::make_unique<RemoveInstance>(std::string("img2.png"), 2));
        CompositeOperation both("Delete 2 instances", std::move(ok));
        check_round_trip(p, both);
        QCOMPARE(both.image_path(), std::string("img2.png"));
    }

    void instance_ids_unique() {
        Project p = sample();
        const std::uint64_t next = p.next_instance_id();
        QCOMPARE(next, std::uint64_t(4));
        QVERIFY_THROWS_EXCEPTION(ProjectError, p.set_next_instance_id(3));
        QVERIFY_THROWS_EXCEPTION(ProjectError, AddInstance(std::string("img2.png"), square(1, 0, 0, 0, 1)).apply(p));
    }
};

QTEST_APPLESS_MAIN(TestProject)
#include "test_project.moc"

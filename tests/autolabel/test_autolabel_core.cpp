// core/autolabel without a model: recipes and their ids, shards (by flag and
// by the Kubernetes / Slurm variables), the results file (append, resume,
// a cut-off last line, another run's file refused), merging without
// overwriting existing work (overlap, replace, twice), one undo step per
// image, and the run loop cancelled half-way then resumed (no image done
// twice, none lost). The detector here is a stand-in that draws a square per
// class; the model's own path is covered by test_autolabel_cli.
#include "core/annotation/edit_operations.h"
#include "core/annotation/mask_geometry.h"
#include "core/annotation/project_file.h"
#include "core/annotation/rle.h"
#include "core/autolabel/apply_proposals.h"
#include "core/autolabel/autolabel_recipe.h"
#include "core/autolabel/autolabel_run.h"
#include "core/autolabel/image_selection.h"
#include "core/autolabel/merge_results.h"
#include "core/autolabel/overlap.h"
#include "core/autolabel/results_file.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

using namespace samlabel;
using namespace samlabel::autolabel;
namespace fs = std::filesystem;

namespace {

annotation::RleMask square(int w, int h, int x, int y, int side) {
    cv::Mat m(h, w, CV_8UC1, cv::Scalar(0));
    m(cv::Rect(x, y, side, side)).setTo(255);
    return annotation::encode_rle(m);
}

Recipe two_class_recipe() {
    Recipe r;
    r.model = {"00000000deadbeef", "float32"};
    r.classes = {{"car", "red car", 0.5f}, {"person", "pedestrian", 0.4f}};
    return r;
}

// A stand-in detector: a 10 px square per class at a position derived from the path.
ImageDetections fake_detections(const std::string& image, const Recipe& recipe) {
    ImageDetections d;
    d.image = image;
    d.width = 64;
    d.height = 48;
    const int offset = int(image.size() % 7);
    for (std::size_t c = 0; c < recipe.classes.size(); ++c) {
        Detection det;
        det.class_name = recipe.classes[c].class_name;
        det.query = int(c) * 3;
        det.score = 0.9f - 0.1f * float(c);
        det.mask = square(64, 48, 5 + offset + 20 * int(c), 5, 10);
        det.box = {float(5 + offset + 20 * int(c)), 5.f, float(15 + offset + 20 * int(c)), 15.f};
        d.detections.push_back(det);
    }
    return d;
}

ResultsHeader header_for(const Recipe& recipe, ShardSpec shard = {}) {
    ResultsHeader h;
    h.recipe = recipe;
    h.shard = shard;
    h.project = "p.json";
    h.created_ms = 1;
    return h;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The project without wall-clock stamps, to compare two merges made at different times.
std::string without_times(const annotation::Project& project) {
    nlohmann::json j = nlohmann::json::parse(annotation::serialize(project));
    for (auto& image : j["images"]) {
        if (image.contains("autolabel")) image["autolabel"]["at_ms"] = 0;
        for (auto& inst : image["instances"]) inst["created_ms"] = inst["modified_ms"] = 0;
    }
    return j.dump(1);
}

}  // namespace

class TestAutolabelCore : public QObject {
    Q_OBJECT
private slots:
    void recipe_id_follows_every_field() {
        const Recipe base = two_class_recipe();
        const std::string id = recipe_id(base);
        QCOMPARE(id.size(), std::size_t(16));
        QCOMPARE(recipe_id(recipe_from_json(recipe_to_json(base), "t")), id);  // survives a round trip
        std::vector<Recipe> variants(6, base);
        variants[0].model.fingerprint = "00000000deadbeee";
        variants[1].model.dtype = "bfloat16";
        variants[2].classes[0].prompt = "car";
        variants[3].classes[1].threshold = 0.41f;
        variants[4].mask_threshold = 0.6f;
        std::swap(variants[5].classes[0], variants[5].classes[1]);
        std::set<std::string> ids{id};
        for (const Recipe& v : variants) {
            QVERIFY(ids.insert(recipe_id(v)).second);
            QVERIFY(!describe_recipe_difference(base, v).empty());
        }
        QVERIFY(describe_recipe_difference(base, variants[2]).find("prompt 'red car' vs 'car'") != std::string::npos);
    }

    void class_prompts_come_from_the_project_or_the_flags() {
        annotation::Project p;
        const auto person = p.add_class("person", 1);
        p.add_class("car", 2);
        p.set_class_prompt(person, "pedestrian", 0.25f);
        auto all = resolve_class_prompts(p, {}, std::nullopt);
        QCOMPARE(all.size(), std::size_t(2));
        QCOMPARE(all[0], (ClassPrompt{"person", "pedestrian", 0.25f}));
        QCOMPARE(all[1], (ClassPrompt{"car", "car", kDefaultThreshold}));
        auto chosen = resolve_class_prompts(p, {parse_class_spec("car=red car"), parse_class_spec("bus")}, 0.6f);
        QCOMPARE(chosen[0], (ClassPrompt{"car", "red car", 0.6f}));
        QCOMPARE(chosen[1], (ClassPrompt{"bus", "bus", 0.6f}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, resolve_class_prompts(p, {parse_class_spec("car"), parse_class_spec("car")}, {}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parse_class_spec("=x"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parse_class_spec("car="));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, resolve_class_prompts(annotation::Project{}, {}, {}));
    }

    void shards_partition_the_images() {
        std::vector<std::string> paths;
        for (int i = 0; i < 300; ++i) paths.push_back("dir" + std::to_string(i % 5) + "/img" + std::to_string(i) + ".jpg");
        const annotation::Project empty;
        std::map<std::string, int> seen;
        for (int s = 0; s < 3; ++s) {
            const auto part = select_images(paths, empty, Scope::All, {}, ShardSpec{s, 3});
            QVERIFY2(part.size() > 60, "a shard got far less than a third");  // 100 expected
            for (const auto& p : part) ++seen[p];
        }
        QCOMPARE(seen.size(), paths.size());
        for (const auto& [p, n] : seen) QCOMPARE(n, 1);
        // Stable: the shard depends on the path only, not on the list.
        std::vector<std::string> fewer(paths.begin(), paths.begin() + 50);
        for (const auto& p : select_images(fewer, empty, Scope::All, {}, ShardSpec{1, 3})) QCOMPARE(shard_of(p, 3), 1);
    }

    void shard_flags_and_environment() {
        QCOMPARE(parse_shard("2/5"), (ShardSpec{2, 5}));
        for (const char* bad : {"5/5", "-1/3", "1/0", "a/3", "1", "1/3x"}) QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parse_shard(bad));
        std::map<std::string, std::string> env;
        const GetEnv get = [&](const char* n) -> const char* {
            const auto it = env.find(n);
            return it == env.end() ? nullptr : it->second.c_str();
        };
        QVERIFY(!shard_from_environment(std::nullopt, get));
        env["JOB_COMPLETION_INDEX"] = "2";
        QCOMPARE(*shard_from_environment(4, get), (ShardSpec{2, 4}));
        try {
            shard_from_environment(std::nullopt, get);
            QFAIL("an Indexed Job without --shard-count was accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("--shard-count") != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, shard_from_environment(2, get));  // index 2 of 2
        env.clear();
        env["SLURM_ARRAY_TASK_ID"] = "7";
        env["SLURM_ARRAY_TASK_MIN"] = "5";
        env["SLURM_ARRAY_TASK_COUNT"] = "3";
        QCOMPARE(*shard_from_environment(std::nullopt, get), (ShardSpec{2, 3}));
        env["SLURM_ARRAY_TASK_ID"] = "x";
        try {
            shard_from_environment(std::nullopt, get);
            QFAIL("a bad SLURM_ARRAY_TASK_ID was accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("SLURM_ARRAY_TASK_ID='x'") != std::string::npos);
        }
    }

    void unlabeled_scope_skips_annotated_and_done_images() {
        annotation::Project p;
        p.add_class("a", 1);
        p.ensure_image("done.jpg").status = annotation::ImageStatus::Done;
        annotation::Instance inst;
        inst.id = p.allocate_instance_id();
        inst.polygons = {annotation::PolygonWithHoles{{{0, 0}, {1, 0}, {1, 1}}, {}}};
        p.ensure_image("labeled.jpg").instances.push_back(inst);
        const auto got = select_images({"done.jpg", "fresh.jpg", "labeled.jpg", "new.jpg"}, p, Scope::Unlabeled, {}, {});
        QCOMPARE(got, (std::vector<std::string>{"fresh.jpg", "new.jpg"}));
        QCOMPARE(select_images({"a.jpg", "b.jpg"}, p, Scope::Selected, {"b.jpg"}, {}), std::vector<std::string>{"b.jpg"});
    }

    void results_file_resumes_and_cuts_off_a_torn_line() {
        QTemporaryDir dir;
        const fs::path file = fs::path(dir.path().toStdString()) / "r.jsonl";
        const Recipe recipe = two_class_recipe();
        {
            std::set<std::string> done;
            ResultsWriter w(file, header_for(recipe), false, &done);
            QVERIFY(done.empty());
            w.append(fake_detections("a.jpg", recipe));
            w.append(fake_detections("b.jpg", recipe));
        }
        // A write cut off by a crash: part of a line, no newline.
        // (an escaped literal: Qt 6.4's moc loses the class after a raw string with an odd quote)
        std::ofstream(file, std::ios::app | std::ios::binary) << "{\"image\": \"c.jpg\", \"width\": 64, \"hei";
        ResultsContent read = read_results_file(file);
        QVERIFY(read.cut_off_last_line);
        QCOMPARE(read.images.size(), std::size_t(2));
        QCOMPARE(read.images[1], fake_detections("b.jpg", recipe));  // masks and scores exact
        QCOMPARE(read.recipe_id, recipe_id(recipe));
        {
            std::set<std::string> done;
            ResultsWriter w(file, header_for(recipe), false, &done);
            QVERIFY(w.resumed());
            QCOMPARE(done, (std::set<std::string>{"a.jpg", "b.jpg"}));
            w.append(fake_detections("c.jpg", recipe));
        }
        read = read_results_file(file);
        QVERIFY(!read.cut_off_last_line);
        QCOMPARE(read.images.size(), std::size_t(3));
        QCOMPARE(read.images[2].image, std::string("c.jpg"));
    }

    void results_file_of_another_run_is_refused() {
        QTemporaryDir dir;
        const fs::path file = fs::path(dir.path().toStdString()) / "r.jsonl";
        const Recipe recipe = two_class_recipe();
        {
            ResultsWriter w(file, header_for(recipe), false, nullptr);
            w.append(fake_detections("a.jpg", recipe));
        }
        Recipe other = recipe;
        other.classes[0].prompt = "blue car";
        try {
            ResultsWriter w(file, header_for(other), false, nullptr);
            QFAIL("a results file of another recipe was continued");
        } catch (const ResultsFileError& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("r.jsonl") != std::string::npos && what.find("prompt 'red car' vs 'blue car'") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(ResultsFileError, ResultsWriter(file, header_for(recipe, {1, 2}), false, nullptr));  // another shard
        {
            std::set<std::string> done;
            ResultsWriter w(file, header_for(other), true, &done);  // --restart
            QVERIFY(done.empty());
        }
        QVERIFY(fs::exists(fs::path(file).concat(".old")));
        QCOMPARE(read_results_file(fs::path(file).concat(".old")).images.size(), std::size_t(1));
        // A damaged line in the middle is named by its number.
        std::ofstream(file, std::ios::app | std::ios::binary) << "{not json}\n" << nlohmann::json(image_detections_to_json(fake_detections("z.jpg", other))).dump() << "\n";
        try {
            read_results_file(file);
            QFAIL("a damaged line was accepted");
        } catch (const ResultsFileError& e) {
            QVERIFY2(std::string(e.what()).find("line 2: not valid JSON") != std::string::npos, e.what());
        }
    }

    void merge_never_overwrites_existing_work() {
        const Recipe recipe = two_class_recipe();
        annotation::Project p;
        const auto car = p.add_class("car", 1);
        p.add_class("person", 2);
        // The annotator's car sits where the detector will find one (IoU 1); the person square is free.
        ImageDetections found = fake_detections("a.jpg", recipe);
        annotation::Instance mine;
        mine.id = p.allocate_instance_id();
        mine.class_id = car;
        mine.mask = found.detections[0].mask;
        mine.polygons = annotation::rle_to_polygons(*mine.mask).polygons;
        mine.created_ms = mine.modified_ms = 42;
        p.ensure_image("a.jpg", 64, 48).instances.push_back(mine);
        const std::string mine_before = nlohmann::json::parse(annotation::serialize(p))["images"][0]["instances"][0].dump();

        ResultsContent results;
        results.header = header_for(recipe);
        results.recipe_id = recipe_id(recipe);
        results.images = {found, fake_detections("b.jpg", recipe)};
        annotation::Project merged = p;
        MergeSummary s = merge_results(merged, {results}, {"r.jsonl"}, {}, false, 1000);
        QCOMPARE(s.skipped_overlap, std::size_t(1));
        QCOMPARE(s.proposed, std::size_t(3));
        const auto& a = merged.find_image("a.jpg")->instances;
        QCOMPARE(a.size(), std::size_t(2));
        QCOMPARE(nlohmann::json::parse(annotation::serialize(merged))["images"][0]["instances"][0].dump(), mine_before);
        QCOMPARE(a[1].source, annotation::InstanceSource::Sam3Detect);
        QCOMPARE(a[1].review, annotation::ReviewState::Pending);
        QCOMPARE(*a[1].score, found.detections[1].score);
        QCOMPARE(merged.find_image("a.jpg")->autolabel->recipe, results.recipe_id);
        // Merging the same results again changes nothing.
        const std::string once = annotation::serialize(merged);
        s = merge_results(merged, {results}, {"r.jsonl"}, {}, false, 2000);
        QCOMPARE(s.already_merged, std::size_t(2));
        QCOMPARE(annotation::serialize(merged), once);
        // "replace" is explicit: then the detection takes the annotator's instance's place.
        annotation::Project replaced = p;
        MergeOptions replace;
        replace.replace = true;
        s = merge_results(replaced, {results}, {"r.jsonl"}, replace, false, 1000);
        QCOMPARE(s.replaced, std::size_t(1));
        QVERIFY(!replaced.find_instance("a.jpg", mine.id));
        // A looser overlap threshold than the IoU (1.0 here) proposes it next to the original.
        annotation::Project loose = p;
        MergeOptions never;
        never.overlap_iou = 1.0;
        s = merge_results(loose, {results}, {"r.jsonl"}, never, false, 1000);
        QCOMPARE(s.skipped_overlap, std::size_t(0));
    }

    void merge_refuses_mixed_recipes_and_other_prompts() {
        const Recipe recipe = two_class_recipe();
        Recipe other = recipe;
        other.model.dtype = "bfloat16";
        ResultsContent a, b;
        a.header = header_for(recipe);
        a.recipe_id = recipe_id(recipe);
        b.header = header_for(other);
        b.recipe_id = recipe_id(other);
        annotation::Project p;
        try {
            merge_results(p, {a, b}, {"s0.jsonl", "s1.jsonl"}, {}, false, 1);
            QFAIL("mixed recipes were merged");
        } catch (const MergeRefused& e) {
            QVERIFY2(std::string(e.what()).find("s1.jsonl was made with another model or prompts than s0.jsonl: model dtype float32 vs bfloat16") !=
                         std::string::npos,
                     e.what());
        }
        QCOMPARE(p.classes().size(), std::size_t(0));  // refused before anything changed
        const MergeSummary forced = merge_results(p, {a, b}, {"s0.jsonl", "s1.jsonl"}, {}, true, 1);
        QCOMPARE(forced.warnings.size(), std::size_t(1));
        QCOMPARE(forced.classes_added, std::size_t(2));  // classes the project lacked are created
        annotation::Project saved_prompt;
        saved_prompt.set_class_prompt(saved_prompt.add_class("car", 1), "blue car", std::nullopt);
        QVERIFY_THROWS_EXCEPTION(MergeRefused, merge_results(saved_prompt, {a}, {"s0.jsonl"}, {}, false, 1));
    }

    // Shards merged in any order give what one unsharded merge gives.
    void shard_merge_order_does_not_matter() {
        const Recipe recipe = two_class_recipe();
        std::vector<std::string> paths;
        for (int i = 0; i < 40; ++i) paths.push_back("img" + std::to_string(i) + ".jpg");
        auto results_for = [&](ShardSpec shard) {
            ResultsContent r;
            r.header = header_for(recipe, shard);
            r.recipe_id = recipe_id(recipe);
            for (const auto& path : select_images(paths, {}, Scope::All, {}, shard)) r.images.push_back(fake_detections(path, recipe));
            return r;
        };
        annotation::Project whole, sharded;
        merge_results(whole, {results_for({0, 1})}, {}, {}, false, 5);
        const MergeSummary s = merge_results(sharded, {results_for({2, 3}), results_for({0, 3}), results_for({1, 3})}, {}, {}, false, 5);
        QVERIFY(s.warnings.empty());
        QCOMPARE(annotation::serialize(sharded), annotation::serialize(whole));
        annotation::Project partial;
        const MergeSummary missing = merge_results(partial, {results_for({2, 3})}, {}, {}, false, 5);
        QCOMPARE(missing.warnings.size(), std::size_t(1));
        QVERIFY(missing.warnings[0].find("shard(s) 0, 1 of 3 not given") != std::string::npos);
    }

    void each_image_is_one_exact_undo_step() {
        const Recipe recipe = two_class_recipe();
        annotation::Project p;
        const auto car = p.add_class("car", 1);
        p.add_class("person", 2);
        annotation::Instance mine;
        mine.id = p.allocate_instance_id();
        mine.class_id = car;
        mine.mask = fake_detections("a.jpg", recipe).detections[0].mask;
        mine.polygons = annotation::rle_to_polygons(*mine.mask).polygons;
        p.ensure_image("a.jpg", 64, 48).instances.push_back(mine);
        const std::string before = annotation::serialize(p);
        MergeOptions replace;
        replace.replace = true;
        ImageMergeCounts counts;
        auto op = make_image_merge(p, fake_detections("a.jpg", recipe), recipe_id(recipe), replace, [&] { return p.allocate_instance_id(); },
                                   77, &counts);
        QCOMPARE(counts.replaced, std::size_t(1));
        op->apply(p);
        const std::string after = annotation::serialize(p);
        QVERIFY(after != before);
        op->revert(p);
        // The id counter moved on (ids are never reused); everything else is as before.
        annotation::Project expected = annotation::parse(before, "b");
        expected.set_next_instance_id(p.next_instance_id());
        QCOMPARE(annotation::serialize(p), annotation::serialize(expected));
        op->apply(p);
        QCOMPARE(annotation::serialize(p), after);
    }

    // Cancel half-way, run again: every image is in the results exactly once.
    void cancelled_run_resumes_without_repeats_or_losses() {
        QTemporaryDir dir;
        const fs::path file = fs::path(dir.path().toStdString()) / "r.jsonl";
        const Recipe recipe = two_class_recipe();
        std::vector<std::string> images;
        for (int i = 0; i < 10; ++i) images.push_back("img" + std::to_string(i) + ".jpg");
        std::map<std::string, int> detected;
        std::atomic<bool> cancel{false};
        const ImageDetector detect = [&](const std::string& image) {
            ++detected[image];
            if (detected.size() == 4) cancel = true;  // the user presses Cancel while the 4th image runs
            return fake_detections(image, recipe);
        };
        RunSummary first;
        {
            std::set<std::string> done;
            ResultsWriter w(file, header_for(recipe), false, &done);
            first = run_autolabel(images, done, w, detect, {}, &cancel);
        }
        QVERIFY(first.cancelled);
        QCOMPARE(first.last.done, std::size_t(4));  // the image in progress finished and was kept
        QCOMPARE(read_results_file(file).images.size(), std::size_t(4));
        cancel = false;
        std::vector<RunProgress> progress;
        {
            std::set<std::string> done;
            ResultsWriter w(file, header_for(recipe), false, &done);
            const RunSummary second = run_autolabel(images, done, w, detect, [&](const RunProgress& p) { progress.push_back(p); }, &cancel);
            QVERIFY(!second.cancelled);
            QCOMPARE(second.last.done_before, std::size_t(4));
            QCOMPARE(second.last.done, std::size_t(6));
        }
        for (const auto& image : images) QCOMPARE(detected[image], 1);
        std::map<std::string, int> in_file;
        for (const auto& d : read_results_file(file).images) ++in_file[d.image];
        QCOMPARE(in_file.size(), images.size());
        for (const auto& [image, n] : in_file) QCOMPARE(n, 1);
        QCOMPARE(progress.back().eta_s, 0.0);
        QVERIFY(format_progress(progress.back()).find("6/6 images") == 0);
    }
};

QTEST_GUILESS_MAIN(TestAutolabelCore)
#include "test_autolabel_core.moc"

// samlabel-cli autolabel / merge as a cluster runs them, with the tiny
// detection checkpoint (tests/data/sam3_detect/det224) on 24 small images:
//  - an unsharded run merged into the project: proposals added (sam3-detect,
//    score, review pending), the annotator's instances byte for byte
//    untouched, a detection covering one of them not proposed;
//  - three shards run concurrently and merged == the unsharded run (all but
//    wall-clock stamps), and every image in exactly one shard;
//  - the Kubernetes and Slurm variables select the same shards as --shard;
//  - a shard SIGKILLed mid-run and run again completes its set (no image
//    twice in its results, none lost);
//  - SIGINT: exit 130, finished images kept, the rerun does only the rest;
//  - merge refuses results of other prompts and takes them with --allow-mismatch.
#include "core/annotation/project_file.h"
#include "core/annotation/rle.h"
#include "core/autolabel/results_file.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
using namespace samlabel;

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const QString kWeights = QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224");
constexpr int kImages = 24;

struct Run {
    int exit_code = -1;
    QProcess::ExitStatus status = QProcess::NormalExit;
    QString out, err;
};

QProcessEnvironment clean_env() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT"}) env.remove(v);
    env.insert("OMP_NUM_THREADS", "1");  // three shards at once on a small machine
    return env;
}

void start(QProcess& p, const QStringList& args, const QProcessEnvironment& env = clean_env()) {
    p.setProcessEnvironment(env);
    p.start(kCli, args);
}

Run finish(QProcess& p, int timeout_ms = 120000) {
    Run r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exit_code = p.exitCode();
    r.status = p.exitStatus();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

Run run_cli(const QStringList& args, const QProcessEnvironment& env = clean_env()) {
    QProcess p;
    start(p, args, env);
    return finish(p);
}

// Small distinct images cut from the bundled samples (the model runs at 224 px anyway).
void make_images(const QString& dir) {
    const QStringList samples = QDir(QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples")).entryList({"*.jpg"}, QDir::Files, QDir::Name);
    for (int i = 0; i < kImages; ++i) {
        const cv::Mat src = cv::imread((QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples/") + samples[i % samples.size()]).toStdString());
        cv::Mat small;
        cv::resize(src, small, cv::Size(96 + 8 * (i % 5), 72 + 8 * (i % 3)));
        if (i / int(samples.size()) % 2) cv::flip(small, small, 1);
        cv::imwrite((dir + QStringLiteral("/img%1.png").arg(i, 2, 10, QChar('0'))).toStdString(), small);
    }
}

// A project with two classes and one hand-drawn instance on img03.
void write_project(const QString& file) {
    annotation::Project p;
    const auto car = p.add_class("car", 0xff0000);
    p.add_class("person", 0x00ff00);
    annotation::Instance mine;
    mine.id = p.allocate_instance_id();
    mine.class_id = car;
    mine.polygons = {annotation::PolygonWithHoles{{{2, 2}, {30, 2}, {30, 20}, {2, 20}}, {}}};
    mine.created_ms = mine.modified_ms = 1234;
    p.ensure_image("img03.png").instances.push_back(mine);
    p.ensure_image("img03.png").status = annotation::ImageStatus::InProgress;
    annotation::save_project_file(file.toStdString(), p);
}

nlohmann::json read_json(const QString& file) {
    std::ifstream in(file.toStdString());
    return nlohmann::json::parse(in);
}

// The project without wall-clock stamps (two runs happen at different times).
std::string without_times(nlohmann::json j) {
    for (auto& image : j["images"]) {
        if (image.contains("autolabel")) image["autolabel"]["at_ms"] = 0;
        for (auto& inst : image["instances"]) inst["created_ms"] = inst["modified_ms"] = 0;
    }
    return j.dump(1);
}

std::map<std::string, int> images_in(const QString& results) {
    std::map<std::string, int> n;
    for (const auto& d : autolabel::read_results_file(results.toStdString()).images) ++n[d.image];
    return n;
}

const QStringList kClasses{"--class", "car=red car", "--class", "person=blue person", "--threshold", "0.3"};

}  // namespace

class TestAutolabelCli : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString images_;  // the image folder with its project (kept pristine; each case copies it)

    QString fresh_copy(const QString& name) {
        const QString dir = tmp_.path() + "/" + name;
        QDir().mkpath(dir);
        for (const QString& f : QDir(images_).entryList(QDir::Files)) QFile::copy(images_ + "/" + f, dir + "/" + f);
        return dir;
    }
    QStringList autolabel(const QString& dir, const QStringList& extra = {}) {
        return QStringList{"autolabel", dir + "/samlabel-project.json", "--weights", kWeights, "--device", "cpu", "--dtype", "fp32"} + kClasses + extra;
    }

private slots:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built");
        QVERIFY2(QFile::exists(kWeights + "/tokenizer.json"), "the det224 fixture is missing");
        images_ = tmp_.path() + "/pristine";
        QDir().mkpath(images_);
        make_images(images_);
        write_project(images_ + "/samlabel-project.json");
    }

    void unsharded_run_proposes_without_touching_existing_work() {
        const QString dir = fresh_copy("whole");
        const nlohmann::json before = read_json(dir + "/samlabel-project.json");
        const Run r = run_cli(autolabel(dir));
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("%1/%1 images").arg(kImages)), qPrintable(r.err));  // the progress line
        QVERIFY(r.err.contains("images/s") && r.err.contains("ETA"));
        const nlohmann::json after = read_json(dir + "/samlabel-project.json");
        QCOMPARE(after["version"].get<int>(), annotation::kProjectFormatVersion);
        int proposals = 0, stamped = 0;
        for (const auto& image : after["images"]) {
            stamped += image.contains("autolabel");
            for (const auto& inst : image["instances"]) {
                if (inst["source"] != "sam3-detect") continue;
                ++proposals;
                QCOMPARE(inst["review"].get<std::string>(), std::string("pending"));
                QVERIFY(inst["score"].get<double>() > 0.3);
                QVERIFY(inst.contains("mask") && inst.contains("polygons"));
            }
        }
        QVERIFY2(proposals > 0, "the fixture model proposed nothing: the test would prove nothing");
        QCOMPARE(stamped, kImages);  // every image is done, found or not
        // The hand-drawn instance is exactly as it was.
        const auto find_img = [](const nlohmann::json& j, const std::string& path) {
            for (const auto& image : j["images"])
                if (image["path"] == path) return image;
            return nlohmann::json();
        };
        QCOMPARE(find_img(after, "img03.png")["instances"][0].dump(), find_img(before, "img03.png")["instances"][0].dump());
        // A second run has nothing left to do and changes nothing.
        const Run again = run_cli(autolabel(dir));
        QVERIFY2(again.exit_code == 0, qPrintable(again.err));
        QVERIFY2(again.err.contains(", 0 to do"), qPrintable(again.err));
        QCOMPARE(read_json(dir + "/samlabel-project.json").dump(), after.dump());
    }

    void a_detection_covering_an_instance_is_not_proposed() {
        // Take the detections of one image, then draw an instance exactly where one of them is.
        const QString dir = fresh_copy("overlap");
        const Run r = run_cli(autolabel(dir, {"--image", "img05.png", "--out", dir + "/r.jsonl"}));
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        const auto results = autolabel::read_results_file((dir + "/r.jsonl").toStdString());
        QCOMPARE(results.images.size(), std::size_t(1));
        const auto& dets = results.images[0].detections;
        QVERIFY2(!dets.empty(), "no detection on img05: nothing to cover");
        annotation::Project p = annotation::parse(nlohmann::json(read_json(dir + "/samlabel-project.json")).dump(), "p");
        annotation::Instance mine;
        mine.id = p.allocate_instance_id();
        mine.class_id = p.find_class_by_name(dets[0].class_name)->id;
        mine.mask = dets[0].mask;
        mine.polygons = {annotation::PolygonWithHoles{{{0, 0}, {1, 0}, {1, 1}}, {}}};
        p.ensure_image("img05.png", results.images[0].width, results.images[0].height).instances.push_back(mine);
        annotation::save_project_file((dir + "/samlabel-project.json").toStdString(), p);
        const Run m = run_cli({"merge", dir + "/samlabel-project.json", dir + "/r.jsonl"});
        QVERIFY2(m.exit_code == 0, qPrintable(m.err));
        QVERIFY2(!m.out.contains(" 0 not proposed"), qPrintable(m.out));
        const annotation::Project merged = annotation::parse(read_json(dir + "/samlabel-project.json").dump(), "p");
        const auto& instances = merged.find_image("img05.png")->instances;
        QCOMPARE(instances.front().id, mine.id);  // kept, first in draw order
        QCOMPARE(instances.front().mask->counts, mine.mask->counts);
        QVERIFY(instances.size() >= 1 && instances.size() < dets.size() + 1);
        for (std::size_t k = 1; k < instances.size(); ++k)
            QVERIFY2(instances[k].class_id != mine.class_id || instances[k].mask->counts != dets[0].mask.counts, "the covered detection was proposed");
    }

    void three_concurrent_shards_equal_one_run() {
        const QString whole = fresh_copy("whole3"), sharded = fresh_copy("sharded");
        QCOMPARE(run_cli(autolabel(whole)).exit_code, 0);
        QProcess shards[3];
        for (int i = 0; i < 3; ++i)
            start(shards[i], autolabel(sharded, {"--shard", QStringLiteral("%1/3").arg(i), "--out", sharded + QStringLiteral("/s%1.jsonl").arg(i)}));
        QStringList files;
        std::map<std::string, int> seen;
        for (int i = 0; i < 3; ++i) {
            const Run r = finish(shards[i]);
            QVERIFY2(r.exit_code == 0, qPrintable(r.err));
            files << sharded + QStringLiteral("/s%1.jsonl").arg(i);
            for (const auto& [image, n] : images_in(files.back())) seen[image] += n;
        }
        QCOMPARE(int(seen.size()), kImages);
        for (const auto& [image, n] : seen) QCOMPARE(n, 1);
        // Shards given out of order: the project is the same.
        const Run m = run_cli(QStringList{"merge", sharded + "/samlabel-project.json", files[2], files[0], files[1]});
        QVERIFY2(m.exit_code == 0, qPrintable(m.err + m.out));
        QCOMPARE(without_times(read_json(sharded + "/samlabel-project.json")), without_times(read_json(whole + "/samlabel-project.json")));
    }

    // No --shard: the Indexed Job's and the Slurm array's variables pick the shard.
    void scheduler_variables_pick_the_same_shards() {
        const QString dir = fresh_copy("env");
        for (int i = 0; i < 3; ++i) {
            QProcessEnvironment k8s = clean_env();
            k8s.insert("JOB_COMPLETION_INDEX", QString::number(i));
            QVERIFY(run_cli(autolabel(dir, {"--shard-count", "3", "--out", dir + QStringLiteral("/k%1.jsonl").arg(i)}), k8s).exit_code == 0);
            QProcessEnvironment slurm = clean_env();
            slurm.insert("SLURM_ARRAY_TASK_ID", QString::number(10 + i));
            slurm.insert("SLURM_ARRAY_TASK_MIN", "10");
            slurm.insert("SLURM_ARRAY_TASK_COUNT", "3");
            QVERIFY(run_cli(autolabel(dir, {"--out", dir + QStringLiteral("/u%1.jsonl").arg(i)}), slurm).exit_code == 0);
            QVERIFY(run_cli(autolabel(dir, {"--shard", QStringLiteral("%1/3").arg(i), "--out", dir + QStringLiteral("/f%1.jsonl").arg(i)})).exit_code == 0);
            const auto flag = images_in(dir + QStringLiteral("/f%1.jsonl").arg(i));
            QVERIFY(!flag.empty());
            QCOMPARE(images_in(dir + QStringLiteral("/k%1.jsonl").arg(i)), flag);
            QCOMPARE(images_in(dir + QStringLiteral("/u%1.jsonl").arg(i)), flag);
        }
        QProcessEnvironment missing = clean_env();
        missing.insert("JOB_COMPLETION_INDEX", "1");
        const Run r = run_cli(autolabel(dir, {"--out", dir + "/x.jsonl"}), missing);
        QCOMPARE(r.exit_code, 2);
        QVERIFY2(r.err.contains("--shard-count"), qPrintable(r.err));
    }

    void killed_shard_rerun_completes_the_set() {
        const QString whole = fresh_copy("whole_k"), dir = fresh_copy("killed");
        QCOMPARE(run_cli(autolabel(whole)).exit_code, 0);
        const QString victim = dir + "/s1.jsonl";
        QProcess p;
        p.setProcessChannelMode(QProcess::SeparateChannels);
        start(p, autolabel(dir, {"--shard", "1/3", "--out", victim}));
        // Kill as soon as the first image is on the disk.
        QElapsedTimer clock;
        clock.start();
        QString err;
        while (clock.elapsed() < 60000 && !err.contains("autolabel: 1/")) {
            p.waitForReadyRead(20);
            err += QString::fromUtf8(p.readAllStandardError());
            QVERIFY2(p.state() == QProcess::Running, qPrintable("the shard ended before it could be killed: " + err));
        }
        ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished();
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        const std::size_t before_rerun = images_in(victim).size();
        QVERIFY(before_rerun >= 1);
        for (int i = 0; i < 3; ++i) {  // the two others, and the killed one again
            const Run r = run_cli(autolabel(dir, {"--shard", QStringLiteral("%1/3").arg(i), "--out", dir + QStringLiteral("/s%1.jsonl").arg(i)}));
            QVERIFY2(r.exit_code == 0, qPrintable(r.err));
            if (i == 1) QVERIFY2(r.err.contains("(resumed)"), qPrintable(r.err));
        }
        for (const auto& [image, n] : images_in(victim)) QCOMPARE(n, 1);  // nothing done twice
        const Run m = run_cli({"merge", dir + "/samlabel-project.json", dir + "/s0.jsonl", dir + "/s1.jsonl", dir + "/s2.jsonl"});
        QVERIFY2(m.exit_code == 0, qPrintable(m.err));
        QCOMPARE(without_times(read_json(dir + "/samlabel-project.json")), without_times(read_json(whole + "/samlabel-project.json")));
    }

    void interrupted_run_keeps_finished_images_and_resumes() {
        const QString dir = fresh_copy("sigint");
        const QString results = dir + "/r.jsonl";
        QProcess p;
        start(p, autolabel(dir, {"--out", results}));
        QElapsedTimer clock;
        clock.start();
        QString err;
        while (clock.elapsed() < 60000 && !err.contains("autolabel: 2/")) {
            p.waitForReadyRead(20);
            err += QString::fromUtf8(p.readAllStandardError());
            QVERIFY2(p.state() == QProcess::Running, qPrintable(err));
        }
        ::kill(pid_t(p.processId()), SIGINT);
        const Run r = finish(p);
        QCOMPARE(r.exit_code, 130);
        QVERIFY2(r.err.contains("run the same command to resume"), qPrintable(r.err));
        const auto first = images_in(results);
        QVERIFY(first.size() >= 2 && int(first.size()) < kImages);
        const Run rerun = run_cli(autolabel(dir, {"--out", results}));
        QVERIFY2(rerun.exit_code == 0, qPrintable(rerun.err));
        QVERIFY2(rerun.err.contains(QStringLiteral("%1 to do").arg(kImages - int(first.size()))), qPrintable(rerun.err));
        const auto all = images_in(results);
        QCOMPARE(int(all.size()), kImages);
        for (const auto& [image, n] : all) QCOMPARE(n, 1);
    }

    void merge_refuses_results_of_other_prompts() {
        const QString dir = fresh_copy("mismatch");
        QCOMPARE(run_cli(autolabel(dir, {"--image", "img01.png", "--out", dir + "/a.jsonl"})).exit_code, 0);
        QStringList other = autolabel(dir, {"--image", "img02.png", "--out", dir + "/b.jsonl"});
        other[other.indexOf("person=blue person")] = "person=green person";
        QCOMPARE(run_cli(other).exit_code, 0);
        const QByteArray before = [&] { QFile f(dir + "/samlabel-project.json"); f.open(QIODevice::ReadOnly); return f.readAll(); }();
        const Run refused = run_cli({"merge", dir + "/samlabel-project.json", dir + "/a.jsonl", dir + "/b.jsonl"});
        QCOMPARE(refused.exit_code, 1);
        QVERIFY2(refused.err.contains("b.jsonl was made with another model or prompts") && refused.err.contains("'blue person' vs 'green person'"),
                 qPrintable(refused.err));
        QFile f(dir + "/samlabel-project.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before);  // refused: the project file is untouched
        f.close();
        const Run forced = run_cli({"merge", dir + "/samlabel-project.json", dir + "/a.jsonl", dir + "/b.jsonl", "--allow-mismatch"});
        QVERIFY2(forced.exit_code == 0, qPrintable(forced.err));
        const annotation::Project merged = annotation::parse(read_json(dir + "/samlabel-project.json").dump(), "p");
        QVERIFY(merged.find_image("img01.png")->autolabel && merged.find_image("img02.png")->autolabel);
    }

    void bad_inputs_name_the_problem() {
        const QString dir = fresh_copy("bad");
        Run r = run_cli({"autolabel", dir + "/nope.json", "--weights", kWeights});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("nope.json: no such project file"), qPrintable(r.err));
        r = run_cli({"autolabel", dir, "--weights", dir});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("no *.safetensors file"), qPrintable(r.err));
        r = run_cli(autolabel(dir, {"--shard", "3/3"}));
        QCOMPARE(r.exit_code, 2);
        QVERIFY2(r.err.contains("--shard '3/3'"), qPrintable(r.err));
        QFile broken(dir + "/broken.jsonl");
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{\"format\": \"something-else\"}\n");
        broken.close();
        r = run_cli({"merge", dir + "/samlabel-project.json", dir + "/broken.jsonl"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("broken.jsonl: line 1: not a samlabel auto-label results file"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestAutolabelCli)
#include "test_autolabel_cli.moc"

// The model in a child process (ChildProcessModelBackend driving a real
// `samlabel-cli serve` with the tiny SAM3 checkpoint on the CPU): load, encode
// and a click whose mask matches the transformers reference, unload (the child
// is gone and this process's RSS is back at its baseline; the click went on the
// click channel), and crash recovery:
// the child SIGKILLed mid-encode and mid-click fails the pending answers with a
// message saying so, reports modelProcessLost, and the next load starts a new
// child that works.
#include "core/service/child_process_model_backend.h"
#include "core/service/kept_mask_logits.h"
#include "core/service/remote_model_backend.h"
#include "tests/service/tiny_sam3_backend.h"
#include "tests/wait_future.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <sys/types.h>
#include <unistd.h>

using namespace samlabel;
using namespace samlabel::service;

namespace {

const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
const std::filesystem::path& kTiny = testing::kTinySam3Dir;

// tests/wait_future.h, with this test's time limit unless a call names another.
template <typename T>
T wait_result(QFuture<T> f, int timeout_ms = 60000) {
    return samlabel::future_wait::wait_result(std::move(f), timeout_ms);
}

engine::ImageRgb8 read_rgb(const std::filesystem::path& file) {
    const cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    engine::ImageRgb8 image;
    image.width = rgb.cols;
    image.height = rgb.rows;
    image.pixels.assign(rgb.data, rgb.data + rgb.total() * 3);
    return image;
}

// A large image: its PNG upload and encode take long enough to be killed during.
engine::ImageRgb8 big_image() {
    engine::ImageRgb8 image;
    image.width = 3000;
    image.height = 2000;
    image.pixels.resize(std::size_t(image.width) * image.height * 3);
    for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
    return image;
}

double iou(const engine::MaskCandidate& candidate, const cv::Mat& reference) {
    const cv::Mat mask(candidate.height, candidate.width, CV_8UC1, const_cast<std::uint8_t*>(candidate.mask.data()));
    cv::Mat a = mask > 0, b = reference > 0;
    const double inter = cv::countNonZero(a & b), uni = cv::countNonZero(a | b);
    return uni == 0 ? 1.0 : inter / uni;
}

double rss_mb() {
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) return 0.0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
    return 0.0;
}

// The converted-weights entries in `dir` (their .safetensors files); 0 for a folder never made.
int converted_entries(const QString& dir) {
    return int(QDir(dir).entryList({QStringLiteral("*.safetensors")}, QDir::Files).size());
}

// A copy of the tiny checkpoint in its own folder: another model to load in the same child.
bool copy_tiny(const QString& to) {
    if (!QDir().mkpath(to)) return false;
    for (const char* name : {"model.safetensors", "config.json", "processor_config.json"})
        if (!QFile::copy(QString::fromStdString((kTiny / name).string()), to + QLatin1Char('/') + QLatin1String(name))) return false;
    return true;
}

bool process_exists(qint64 pid) { return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno != ESRCH); }

ChildProcessOptions test_options() {
    ChildProcessOptions options;
    options.cli_path = kCli;
    options.poll_interval_ms = 100;
    return options;
}

engine::ClickPrompt one_positive(bool multimask = true) {
    engine::ClickPrompt prompt;
    prompt.points.push_back({82.0f, 55.5f, engine::PointLabel::Positive});
    prompt.multimask = multimask;
    return prompt;
}

}  // namespace

class TestChildProcessBackend : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built (the test depends on it)");
        QVERIFY2(std::filesystem::exists(kTiny / "model.safetensors"), "tests/data/sam3/tiny224 is missing");
    }

    void loadClickUnload() {
        const engine::ImageRgb8 image = read_rgb(kTiny / "blobs_200x150.png");
        QCOMPARE(image.width, 200);
        ChildProcessModelBackend backend(test_options());
        QSignalSpy loads(&backend, &ModelBackend::loadFinished);
        std::vector<UnloadReply> unloads;
        connect(&backend, &ModelBackend::unloaded, this, [&unloads](const UnloadReply& r) { unloads.push_back(r); });
        QCOMPARE(backend.childPid(), 0);  // no child until a load
        QVERIFY(!backend.status().model_loaded);
        // Warm this process's own parts (threads, network, PNG) with a
        // preflight, so the baseline is this process as it idles.
        const PreflightReply preflight = wait_result(backend.preflight(testing::tiny_load_request(), {}));
        QVERIFY2(preflight.loadable(), qPrintable(preflight.message));
        QCOMPARE(backend.childPid(), 0);  // a preflight starts no child
        const double baseline_mb = rss_mb();

        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(load.device, QStringLiteral("cpu"));
        QCOMPARE(load.parts, QStringLiteral("click"));
        const qint64 pid = backend.childPid();
        QVERIFY(pid > 0 && pid != QCoreApplication::applicationPid());
        QVERIFY(process_exists(pid));
        QCOMPARE(backend.whereText(), QStringLiteral("model process (pid %1)").arg(pid));
        QCOMPARE(loads.count(), 1);
        // The token never appears on the child's command line.
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        const QByteArray args = cmdline.readAll();
        QVERIFY2(!args.contains("--token"), args.constData());
        QVERIFY(args.contains("--allow-load-any-weights"));
        // status() and memory() are the child's: its RSS is the model's.
        QTRY_VERIFY_WITH_TIMEOUT(backend.status().model_loaded, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(backend.memory().ram_rss_mb > 0.0, 5000);
        QVERIFY(backend.status().ram_rss_mb > 0.0);

        const EncodeReply encoded = wait_result(backend.encode(image, QStringLiteral("blobs")));
        QVERIFY2(encoded.ok(), qPrintable(encoded.message));
        QCOMPARE(encoded.width, 200);
        const SegmentReply click = wait_result(backend.segment(QStringLiteral("blobs"), one_positive(false)));
        QVERIFY2(click.ok(), qPrintable(click.message));
        QCOMPARE(int(click.result.candidates.size()), 1);
        const cv::Mat reference = cv::imread((kTiny / "blobs_200x150.one_positive_single.mask0.png").string(), cv::IMREAD_GRAYSCALE);
        QVERIFY(!reference.empty());
        const double agreement = iou(click.result.candidates[0], reference);
        QVERIFY2(agreement >= 0.999, qPrintable(QStringLiteral("IoU with the transformers reference %1").arg(agreement)));
        // The click went on the child's click channel (a local socket), not over
        // HTTP, its masks through the channel's shared memory.
        QVERIFY(backend.childBackend());
        QVERIFY(backend.childBackend()->clickChannelReady());
        QCOMPARE(backend.childBackend()->clicksOnChannel(), quint64(1));
        QCOMPARE(backend.childBackend()->clickChannelSharedAnswers(), quint64(1));
        QVERIFY(args.contains("--click-channel"));

        const UnloadReply unload = wait_result(backend.unload());
        QVERIFY2(unload.ok(), qPrintable(unload.message));
        QVERIFY(unload.was_loaded);
        QVERIFY(unload.process_ended);
        QCOMPARE(unload.device, QStringLiteral("cpu"));
        QCOMPARE(unload.ram_rss_after_mb, 0.0);
        QVERIFY(unload.freed_ram_mb > 0.0);
        QCOMPARE(int(unloads.size()), 1);  // once, with the process's end
        QVERIFY(unloads[0].process_ended);
        QCOMPARE(backend.childPid(), 0);
        QVERIFY2(!process_exists(pid), "the model process still exists after Unload");
        QVERIFY(!backend.status().model_loaded);
        QCOMPARE(backend.memory().ram_rss_mb, 0.0);  // nothing held by a model now
        const double after_mb = rss_mb();
        qInfo("this process: RSS %.1f MB before the load, %.1f MB after the unload; the child freed %.1f MB", baseline_mb, after_mb,
              unload.freed_ram_mb);
        QVERIFY2(after_mb - baseline_mb < 20.0,
                 qPrintable(QStringLiteral("RSS %1 MB before the load, %2 MB after the unload").arg(baseline_mb).arg(after_mb)));
        // Nothing to click on now, and no child is started for it.
        QCOMPARE(wait_result(backend.segment(QStringLiteral("blobs"), one_positive())).error, BackendError::NotLoaded);
        QCOMPARE(backend.childPid(), 0);
    }

    // A refinement round across the process boundary: the answer's candidates
    // carry only the name of their low-res logits (the child keeps them), the
    // SAM tool feeds that name back, and the child refines from the logits, as
    // transformers does. The prompts are tests/data/sam3/tiny224/prompts.json's
    // "positive_negative" and "refine" (candidate 1 fed back).
    void refinementFeedsBackTheMaskTheChildKeeps() {
        const engine::ImageRgb8 image = read_rgb(kTiny / "blobs_200x150.png");
        ChildProcessModelBackend backend(test_options());
        QVERIFY(wait_result(backend.load(testing::tiny_load_request(), {})).ok());
        QVERIFY(wait_result(backend.encode(image, QStringLiteral("blobs"))).ok());
        engine::ClickPrompt first;
        first.points = {{60.0f, 93.0f, engine::PointLabel::Positive}, {142.0f, 42.0f, engine::PointLabel::Negative}};
        const SegmentReply answer = wait_result(backend.segment(QStringLiteral("blobs"), first));
        QVERIFY2(answer.ok(), qPrintable(answer.message));
        QCOMPARE(int(answer.result.candidates.size()), 3);
        const engine::LowResMaskLogits& shown = answer.result.candidates[1].low_res;
        QVERIFY(shown.logits.empty());  // no 256 KB of floats per candidate on the wire
        QVERIFY(shown.kept_by_server);
        QCOMPARE(shown.kept_by_server->candidate, 1);

        engine::ClickPrompt refine;
        refine.points = {{60.0f, 93.0f, engine::PointLabel::Positive},
                         {142.0f, 42.0f, engine::PointLabel::Negative},
                         {100.0f, 75.0f, engine::PointLabel::Positive}};
        refine.multimask = false;
        const SegmentReply fresh = wait_result(backend.segment(QStringLiteral("blobs"), refine));
        refine.previous_mask = shown;
        const SegmentReply refined = wait_result(backend.segment(QStringLiteral("blobs"), refine));
        QVERIFY2(fresh.ok() && refined.ok(), qPrintable(fresh.message + refined.message));
        const cv::Mat reference = cv::imread((kTiny / "blobs_200x150.refine.mask0.png").string(), cv::IMREAD_GRAYSCALE);
        QVERIFY(!reference.empty());
        const double with_mask = iou(refined.result.candidates[0], reference);
        const double without = iou(fresh.result.candidates[0], reference);
        qInfo("refinement IoU with the transformers reference: %.4f with the kept mask, %.4f without", with_mask, without);
        QVERIFY2(with_mask >= 0.98 && with_mask > without, qPrintable(QString::number(with_mask)));
        QVERIFY2(fresh.result.candidates[0].mask != refined.result.candidates[0].mask, "the previous mask changed nothing");

        // Once the child has forgotten the answer (it keeps its latest few), a
        // click naming it runs without a previous mask, as a fresh one.
        for (std::size_t i = 0; i < KeptMaskLogits::kDefaultAnswers; ++i)
            QVERIFY(wait_result(backend.segment(QStringLiteral("blobs"), one_positive())).ok());
        const SegmentReply forgotten = wait_result(backend.segment(QStringLiteral("blobs"), refine));
        QVERIFY2(forgotten.ok(), qPrintable(forgotten.message));
        QVERIFY(forgotten.result.candidates[0].mask == fresh.result.candidates[0].mask);
        (void)wait_result(backend.unload());
    }

    // The runtime settings reach the child (its command line): its idle timer
    // unloads, and the process ends with it, reported as automatic.
    void idleAutoUnloadEndsTheProcess() {
        ChildProcessModelBackend backend(test_options());
        RuntimeSettings settings;
        settings.auto_unload_after_ms = 1500;
        backend.applyRuntimeSettings(settings);
        std::vector<UnloadReply> unloads;
        connect(&backend, &ModelBackend::unloaded, this, [&unloads](const UnloadReply& r) { unloads.push_back(r); });
        QSignalSpy lost(&backend, &ModelBackend::modelProcessLost);
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        const qint64 pid = backend.childPid();
        QTRY_COMPARE_WITH_TIMEOUT(int(unloads.size()), 1, 20000);
        QVERIFY(unloads[0].automatic);
        QVERIFY(unloads[0].process_ended);
        QVERIFY(unloads[0].was_loaded);
        QTRY_VERIFY_WITH_TIMEOUT(!process_exists(pid), 10000);
        QCOMPARE(backend.childPid(), 0);
        QCOMPARE(lost.count(), 0);  // asked for, not lost
        QVERIFY(!backend.status().model_loaded);
    }

    // Runtime settings changed while the child runs reach it at once (not at
    // the next start): an idle delay set after the load unloads the model.
    void runtimeSettingsReachARunningChild() {
        ChildProcessModelBackend backend(test_options());
        backend.applyRuntimeSettings(RuntimeSettings{});  // auto-unload off
        std::vector<UnloadReply> unloads;
        connect(&backend, &ModelBackend::unloaded, this, [&unloads](const UnloadReply& r) { unloads.push_back(r); });
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        const qint64 pid = backend.childPid();
        QTest::qWait(2500);
        QCOMPARE(int(unloads.size()), 0);  // off: still loaded
        RuntimeSettings settings;
        settings.auto_unload_after_ms = 1000;
        backend.applyRuntimeSettings(settings);
        QTRY_COMPARE_WITH_TIMEOUT(int(unloads.size()), 1, 15000);
        QVERIFY(unloads[0].automatic);
        QVERIFY(unloads[0].was_loaded);
        QTRY_VERIFY_WITH_TIMEOUT(!process_exists(pid), 10000);
    }

    // Settings the child refuses (a relative disk cache folder: it wants an
    // absolute one) are said to the user, not taken as applied: applying the
    // same again sends them again and is refused again; a good change after
    // them still reaches the child (its idle delay unloads the model).
    void refusedSettingsAreSaidAndSentAgain() {
        ChildProcessModelBackend backend(test_options());
        backend.applyRuntimeSettings(RuntimeSettings{});
        QSignalSpy refused(&backend, &ModelBackend::settingsNotApplied);
        std::vector<UnloadReply> unloads;
        connect(&backend, &ModelBackend::unloaded, this, [&unloads](const UnloadReply& r) { unloads.push_back(r); });
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        RuntimeSettings bad;
        bad.disk_cache_dir = QStringLiteral("relative/cache");
        backend.applyRuntimeSettings(bad);
        QTRY_COMPARE_WITH_TIMEOUT(refused.count(), 1, 10000);
        const QString message = refused.first().first().toString();
        QVERIFY2(message.contains(QLatin1String("absolute")) && message.contains(QLatin1String("did not take")), qPrintable(message));
        backend.applyRuntimeSettings(bad);  // the panel applies on every option change: the same, again
        QTRY_COMPARE_WITH_TIMEOUT(refused.count(), 2, 10000);
        RuntimeSettings good;
        good.auto_unload_after_ms = 1000;
        backend.applyRuntimeSettings(good);
        QTRY_COMPARE_WITH_TIMEOUT(int(unloads.size()), 1, 15000);
        QVERIFY(unloads[0].automatic);
        QCOMPARE(refused.count(), 2);
    }

    // The Preferences' converted-weights cache reaches the child: at its start
    // (a CPU bf16 load writes its entry in the folder given, not the child's
    // default), live (a later load in the same child writes in the new
    // folder), and switched off (no entry anywhere).
    void convertedWeightsReachTheChild() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString default_cache = tmp.filePath(QStringLiteral("default-cache"));
        const QByteArray old_cache = qgetenv("SAMLABEL_CACHE");
        qputenv("SAMLABEL_CACHE", default_cache.toUtf8());  // the child's default, were it to ignore ours
        const auto restore = qScopeGuard([&old_cache] {
            if (old_cache.isEmpty()) qunsetenv("SAMLABEL_CACHE");
            else qputenv("SAMLABEL_CACHE", old_cache);
        });
        const QString default_dir = default_cache + QStringLiteral("/converted-weights");
        const QString first = tmp.filePath(QStringLiteral("first")), second = tmp.filePath(QStringLiteral("second"));
        const QString copy1 = tmp.filePath(QStringLiteral("tiny-copy1")), copy2 = tmp.filePath(QStringLiteral("tiny-copy2"));
        QVERIFY(copy_tiny(copy1) && copy_tiny(copy2));
        auto bf16_load = [](const QString& folder) {
            engine::LoadRequest request = testing::tiny_load_request();
            request.dtype = engine::WeightDType::BF16;
            if (!folder.isEmpty()) request.checkpoint_dir = folder.toStdString();
            return request;
        };

        ChildProcessModelBackend backend(test_options());
        backend.applyConvertedWeightsSettings({first.toStdString(), 1ull << 30});
        LoadReply load = wait_result(backend.load(bf16_load({}), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(load.dtype, QStringLiteral("bfloat16"));
        QCOMPARE(converted_entries(first), 1);
        QCOMPARE(converted_entries(default_dir), 0);
        const qint64 pid = backend.childPid();

        backend.applyConvertedWeightsSettings({second.toStdString(), 1ull << 30});
        load = wait_result(backend.load(bf16_load(copy1), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(backend.childPid(), pid);  // the same child, told while running
        QCOMPARE(converted_entries(second), 1);
        QCOMPARE(converted_entries(first), 1);

        backend.applyConvertedWeightsSettings({std::filesystem::path(), 1ull << 30});  // off
        load = wait_result(backend.load(bf16_load(copy2), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(backend.childPid(), pid);
        QCOMPARE(converted_entries(first), 1);
        QCOMPARE(converted_entries(second), 1);
        QCOMPARE(converted_entries(default_dir), 0);
        wait_result(backend.unload());
    }

    void refusedLoadReachesTheCaller() {
        ChildProcessModelBackend backend(test_options());
        engine::BudgetSettings budget;
        budget.keep_free_ram_bytes = std::uint64_t(1) << 50;  // a petabyte free: never
        const PreflightReply preflight = wait_result(backend.preflight(testing::tiny_load_request(), budget));
        QVERIFY(preflight.ok());
        QVERIFY(preflight.report && !preflight.report->verdict.fits);
        QVERIFY(!preflight.loadable());
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), budget));
        QCOMPARE(load.error, BackendError::Refused);
        QVERIFY2(!load.message.isEmpty(), "a refusal says why");
    }

    // No samlabel-cli to start: the load fails saying so, and it is announced
    // like every load (the panel would otherwise wait for it forever).
    void aModelProcessThatCannotStartFailsTheLoadLoudly() {
        ChildProcessOptions options = test_options();
        options.cli_path = QStringLiteral("/nonexistent/samlabel-cli");
        ChildProcessModelBackend backend(options);
        QSignalSpy announced(&backend, &ModelBackend::loadFinished);
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY(!load.ok());
        QVERIFY2(load.message.contains(QStringLiteral("/nonexistent/samlabel-cli")), qPrintable(load.message));
        QTRY_COMPARE_WITH_TIMEOUT(announced.count(), 1, 5000);
        QCOMPARE(announced.first().first().value<LoadReply>().error, load.error);
        QCOMPARE(backend.childPid(), qint64(0));
    }

    // A GUI that is SIGKILLed runs no destructor: the kernel ends its model
    // process (PR_SET_PDEATHSIG), so no orphan keeps the memory (or the GPU).
    void modelProcessEndsWithAKilledParent() {
        QProcess holder;
        holder.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        holder.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--hold-model-process")});
        QVERIFY(holder.waitForStarted(10000));
        QByteArray out;
        QElapsedTimer clock;
        clock.start();
        while (!out.contains('\n') && clock.elapsed() < 60000 && holder.state() == QProcess::Running) {
            holder.waitForReadyRead(200);
            out += holder.readAllStandardOutput();
        }
        QVERIFY2(out.startsWith("model process "), out.constData());
        const qint64 child = out.mid(14).trimmed().toLongLong();
        QVERIFY(process_exists(child));
        // Should this test fail, the orphan must not outlive it.
        const auto reap = qScopeGuard([child] {
            if (process_exists(child)) ::kill(pid_t(child), SIGKILL);
        });
        QVERIFY(::kill(pid_t(holder.processId()), SIGKILL) == 0);
        QVERIFY(holder.waitForFinished(10000));
        QTRY_VERIFY2_WITH_TIMEOUT(!process_exists(child), "the model process outlived its killed parent", 10000);
    }

    void childKilledMidEncode() { crashRecovery(/*during_click=*/false); }
    void childKilledMidClick() { crashRecovery(/*during_click=*/true); }

private:
    void crashRecovery(bool during_click) {
        ChildProcessModelBackend backend(test_options());
        QSignalSpy lost(&backend, &ModelBackend::modelProcessLost);
        std::vector<UnloadReply> unloads;
        connect(&backend, &ModelBackend::unloaded, this, [&unloads](const UnloadReply& r) { unloads.push_back(r); });
        const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(load.ok(), qPrintable(load.message));
        const qint64 pid = backend.childPid();
        QVERIFY(pid > 0);
        const engine::ImageRgb8 image = read_rgb(kTiny / "blobs_200x150.png");

        QFuture<EncodeReply> encode;
        QFuture<SegmentReply> click;
        if (during_click) {
            QVERIFY(wait_result(backend.encode(image, QStringLiteral("blobs"))).ok());
            // Several clicks in flight, the child killed while it answers them.
            // The last is checked: on the click channel a tiny click takes about
            // a millisecond, so the first may be answered before the kill lands.
            for (int i = 0; i < 5; ++i) (void)backend.segment(QStringLiteral("blobs"), one_positive());
            click = backend.segment(QStringLiteral("blobs"), one_positive());
        } else {
            encode = backend.encode(big_image(), QStringLiteral("big"));
            // Let the upload reach the child: it decodes and encodes for a while.
            QTest::qWait(300);
        }
        QVERIFY(::kill(pid_t(pid), SIGKILL) == 0);

        QString message;
        if (during_click) {
            const SegmentReply r = wait_result(click, 20000);
            QCOMPARE(r.error, BackendError::Failed);
            message = r.message;
        } else {
            const EncodeReply r = wait_result(encode, 20000);
            QCOMPARE(r.error, BackendError::Failed);
            message = r.message;
        }
        QVERIFY2(message.contains(QStringLiteral("ended unexpectedly")) && message.contains(QStringLiteral("signal 9")), qPrintable(message));
        // The killed child's click channel left no socket file behind.
        const QRegularExpressionMatch channel = QRegularExpression(QStringLiteral("click channel (\\S+)")).match(message);
        QVERIFY2(channel.hasMatch(), qPrintable(message));
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(channel.captured(1)), 5000);
        qInfo("%s", qPrintable(message));
        QTRY_COMPARE_WITH_TIMEOUT(lost.count(), 1, 5000);
        QVERIFY(lost.at(0).at(0).toString().contains(QStringLiteral("pid %1").arg(pid)));
        QCOMPARE(int(unloads.size()), 1);
        const UnloadReply gone = unloads[0];
        QVERIFY(gone.process_ended);
        QVERIFY(gone.was_loaded);
        QVERIFY(!backend.status().model_loaded);
        QCOMPARE(backend.status().state, QStringLiteral("unloaded"));
        QCOMPARE(backend.childPid(), 0);

        // Load again: a new child, which works.
        const LoadReply again = wait_result(backend.load(testing::tiny_load_request(), {}));
        QVERIFY2(again.ok(), qPrintable(again.message));
        QVERIFY(backend.childPid() > 0 && backend.childPid() != pid);
        QVERIFY(wait_result(backend.encode(image, QStringLiteral("blobs"))).ok());
        const SegmentReply click_again = wait_result(backend.segment(QStringLiteral("blobs"), one_positive()));
        QVERIFY2(click_again.ok(), qPrintable(click_again.message));
        QCOMPARE(int(click_again.result.candidates.size()), 3);
        QCOMPARE(lost.count(), 1);
    }
};

// `--hold-model-process`: load the tiny model in a child, print its pid, and
// wait to be killed (modelProcessEndsWithAKilledParent).
int hold_model_process(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    ChildProcessModelBackend backend(test_options());
    const LoadReply load = wait_result(backend.load(testing::tiny_load_request(), {}));
    if (!load.ok()) {
        std::fprintf(stderr, "load failed: %s\n", qPrintable(load.message));
        return 1;
    }
    std::printf("model process %lld\n", static_cast<long long>(backend.childPid()));
    std::fflush(stdout);
    return app.exec();
}

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--hold-model-process") == 0) return hold_model_process(argc, argv);
    QCoreApplication app(argc, argv);
    TestChildProcessBackend test;
    return QTest::qExec(&test, argc, argv);
}
#include "test_child_process_backend.moc"

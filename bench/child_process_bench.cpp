// samlabel-bench-child-process: click latency through the one door, the model
// in this process (LocalModelBackend over the model thread) against the model in
// a child `samlabel-cli serve` (ChildProcessModelBackend), its clicks on the
// click channel (a local socket, the masks through shared memory: the
// default) and, for comparison, over loopback HTTP.
// Same checkpoint, device, dtype, image and clicks for both; the figure is the
// caller's round trip (segment() until its future answers), beside the model's
// own time (SegmentResult::decode_ms), so the way there and back shows apart
// from a model that runs slower in one process. Prints, never asserts.
//
// The backends are loaded side by side and the clicks alternate between them
// in --rounds blocks, so a busy machine's load falls on all alike.
//
//   samlabel-bench-child-process [--weights DIR] [--device cpu] [--dtype fp32]
//                                [--image-size WxH] [--clicks N] [--rounds R] [--cli PATH]
#include "bench/bench_support.h"
#include "core/engine/device_dtype_names.h"
#include "core/engine/model_session.h"
#include "core/engine/utf8_path.h"
#include "core/service/child_process_model_backend.h"
#include "core/service/future_result.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/remote_model_backend.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFutureWatcher>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <unistd.h>

using namespace samlabel;

namespace {

// Sleeps in the event loop until the answer (a busy processEvents() loop
// would take a core from the model process on a small machine).
template <typename T>
QFuture<T> wait_for(QFuture<T> f) {
    if (!f.isFinished()) {
        QEventLoop loop;
        QFutureWatcher<T> watcher;
        QObject::connect(&watcher, &QFutureWatcher<T>::finished, &loop, &QEventLoop::quit);
        watcher.setFuture(f);
        if (!f.isFinished()) loop.exec();
    }
    return f;
}

template <typename T>
T wait_result(QFuture<T> f) {
    return wait_for(f).result();
}

engine::ImageRgb8 test_image(int width, int height) {
    // Smooth blobs: masks with a few regions, like a photo's objects.
    engine::ImageRgb8 image;
    image.width = width;
    image.height = height;
    image.pixels.resize(std::size_t(width) * height * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const bool blob = ((x / (width / 5)) + (y / (height / 4))) % 2 == 0;
            std::uint8_t* p = &image.pixels[(std::size_t(y) * width + x) * 3];
            p[0] = blob ? 200 : 30;
            p[1] = std::uint8_t((x * 255) / width);
            p[2] = std::uint8_t((y * 255) / height);
        }
    return image;
}

struct Figures {
    double load_ms = 0, encode_ms = 0, p50 = 0, p95 = 0, mean = 0;
    double decode_p50 = 0;  // the model's own time (SegmentResult::decode_ms): the rest is the way there and back
    double cpu_ms_per_click = 0;  // this process + the model process: less noisy than wall time on a busy machine
};

// CPU time (user + system) of a process, in ms: /proc/PID/stat fields 14 and 15.
double cpu_ms(qint64 pid) {
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f) return 0.0;
    char buf[4096];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
    unsigned long long utime = 0, stime = 0;
    if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return 0.0;
    return double(utime + stime) * 1000.0 / double(::sysconf(_SC_CLK_TCK));
}

double cpu_ms_of(const service::ModelBackend& backend) {
    double ms = cpu_ms(QCoreApplication::applicationPid());
    if (const auto* child = qobject_cast<const service::ChildProcessModelBackend*>(&backend)) ms += cpu_ms(child->childPid());
    return ms;
}

// Loads the model and encodes the image (figures' load_ms and encode_ms).
void prepare(service::ModelBackend& backend, const engine::LoadRequest& request, const engine::ImageRgb8& image, Figures* f) {
    QElapsedTimer clock;
    clock.start();
    const service::LoadReply load = wait_result(backend.load(request, {}));
    if (!load.ok()) throw std::runtime_error("load: " + load.message.toStdString());
    f->load_ms = double(clock.nsecsElapsed()) / 1e6;
    clock.restart();
    const service::EncodeReply encoded = wait_result(backend.encode(image, QStringLiteral("bench")));
    if (!encoded.ok()) throw std::runtime_error("encode: " + encoded.message.toStdString());
    f->encode_ms = double(clock.nsecsElapsed()) / 1e6;
}

// `clicks` click rounds from `first` on (different points each time, on the
// image's grid: no cache can answer); appends each round trip to *times and
// adds the CPU time both processes spent to *cpu_ms_total.
void click(service::ModelBackend& backend, const engine::ImageRgb8& image, int first, int clicks, std::vector<double>* times,
           double* cpu_ms_total, std::vector<double>* decode_times = nullptr) {
    const double cpu_start = cpu_ms_of(backend);
    QElapsedTimer clock;
    for (int i = first; i < first + clicks; ++i) {
        engine::ClickPrompt prompt;
        prompt.points.push_back({float((i * 37) % image.width), float((i * 53) % image.height), engine::PointLabel::Positive});
        prompt.multimask = true;
        clock.restart();
        // Read in place, as the SAM tool does (future_result.h): a copy of three masks is no part of a click.
        const QFuture<service::SegmentReply> answered = wait_for(backend.segment(QStringLiteral("bench"), prompt));
        const double ms = double(clock.nsecsElapsed()) / 1e6;
        const service::SegmentReply& r = service::only_result(answered);
        if (!r.ok()) throw std::runtime_error("segment: " + r.message.toStdString());
        if (times) times->push_back(ms);
        if (decode_times) decode_times->push_back(r.result.decode_ms);
    }
    if (cpu_ms_total) *cpu_ms_total += cpu_ms_of(backend) - cpu_start;
}

void summarise(const std::vector<double>& times, const std::vector<double>& decode_times, double cpu_ms_total, Figures* f) {
    f->p50 = bench::percentile(times, 50);
    f->decode_p50 = bench::percentile(decode_times, 50);
    f->p95 = bench::percentile(times, 95);
    for (double t : times) f->mean += t / double(times.size());
    f->cpu_ms_per_click = cpu_ms_total / double(times.size());
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    engine::LoadRequest request;
    request.checkpoint_dir = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";
    request.device = {engine::DeviceKind::Cpu, 0};
    request.dtype = engine::WeightDType::F32;
    int width = 1280, height = 960, clicks = 100, rounds = 5;
    QString cli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString a = args[i];
        const std::string v = i + 1 < args.size() ? args[i + 1].toStdString() : std::string();
        if (a == QLatin1String("--weights")) request.checkpoint_dir = engine::path_from_utf8(v);
        else if (a == QLatin1String("--device")) request.device = engine::parse_device(v).value_or(request.device);
        else if (a == QLatin1String("--dtype")) request.dtype = engine::parse_dtype(v).value_or(request.dtype);
        else if (a == QLatin1String("--clicks")) clicks = std::stoi(v);
        else if (a == QLatin1String("--rounds")) rounds = std::max(1, std::stoi(v));
        else if (a == QLatin1String("--cli")) cli = QString::fromStdString(v);
        else if (a == QLatin1String("--image-size")) std::sscanf(v.c_str(), "%dx%d", &width, &height);
        else {
            std::cerr << "usage: samlabel-bench-child-process [--weights DIR] [--device D] [--dtype T] [--image-size WxH] "
                         "[--clicks N] [--rounds R] [--cli PATH]\n";
            return 2;
        }
        ++i;
    }
    const engine::ImageRgb8 image = test_image(width, height);
    std::printf("checkpoint %s, %s, %s, image %dx%d, %d clicks (3 candidates each)\n",
                engine::path_to_utf8(request.checkpoint_dir).c_str(), engine::device_name(request.device).c_str(),
                std::string(engine::weight_dtype_name(request.dtype)).c_str(), width, height, clicks);
    try {
        auto session = std::make_shared<engine::ModelSession>();
        service::ModelThread thread(session);
        service::LocalModelBackend local(thread.worker());
        local.installImageLoader();
        service::ChildProcessOptions options;
        options.cli_path = cli;
        service::ChildProcessModelBackend on_channel(options);
        options.click_channel = false;
        service::ChildProcessModelBackend on_http(options);
        struct Side {
            const char* name;
            service::ModelBackend* backend;
            Figures figures;
            std::vector<double> times, decode_times;
            double cpu_ms = 0;
        };
        Side sides[] = {{"in-process", &local, {}, {}, {}}, {"child, channel", &on_channel, {}, {}, {}}, {"child, HTTP", &on_http, {}, {}, {}}};
        for (Side& side : sides) {
            prepare(*side.backend, request, image, &side.figures);
            click(*side.backend, image, 0, 5, nullptr, nullptr);  // the first clicks warm oneDNN's per-shape setup
        }
        if (!on_channel.childBackend() || !on_channel.childBackend()->clickChannelReady())
            throw std::runtime_error("the model process's click channel did not open");
        const int per_round = std::max(1, clicks / rounds);
        for (int r = 0; r < rounds; ++r)
            for (Side& side : sides) click(*side.backend, image, 5 + r * per_round, per_round, &side.times, &side.cpu_ms, &side.decode_times);
        for (Side& side : sides) {
            summarise(side.times, side.decode_times, side.cpu_ms, &side.figures);
            (void)wait_result(side.backend->unload());
        }
        for (const Side& side : sides) {
            const Figures& f = side.figures;
            std::printf("%-15s load %8.1f ms  encode %8.1f ms  click p50 %7.2f ms  p95 %7.2f ms  mean %7.2f ms  model p50 %7.2f ms  "
                        "CPU %6.2f ms/click\n",
                        side.name, f.load_ms, f.encode_ms, f.p50, f.p95, f.mean, f.decode_p50, f.cpu_ms_per_click);
        }
        const Figures& in_process = sides[0].figures;
        for (const Side* side : {&sides[1], &sides[2]}) {
            const Figures& child = side->figures;
            std::printf("%s - in-process: click p50 %+.2f ms, p95 %+.2f ms, CPU %+.2f ms/click; the model's own p50 %+.2f ms, "
                        "so the way there and back adds %+.2f ms\n",
                        side->name, child.p50 - in_process.p50, child.p95 - in_process.p95,
                        child.cpu_ms_per_click - in_process.cpu_ms_per_click, child.decode_p50 - in_process.decode_p50,
                        (child.p50 - child.decode_p50) - (in_process.p50 - in_process.decode_p50));
        }
    } catch (const std::exception& e) {
        std::cerr << "samlabel-bench-child-process: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

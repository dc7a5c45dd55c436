// Preflight verdicts against a fake memory probe: fits, refused, and each
// suggestion (bf16, click-only, CPU instead, free X, budget), plus Auto
// resolution of device and dtype.
#include "core/engine/memory_budget.h"
#include "core/engine/memory_probe.h"
#include "core/engine/sam3_parts.h"

#include <QTest>

using namespace samlabel::engine;

namespace {

constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;

// A probe whose answers the test sets.
class FakeProbe final : public MemoryProbe {
public:
    SystemMemory sys;
    std::vector<GpuMemory> devices;
    SystemMemory system() override { return sys; }
    std::vector<GpuMemory> gpus() override { return devices; }
};

// A checkpoint summary with round numbers: trunk 400 M, tracker 50 M,
// text 300 M, detector 50 M parameters, all F32; largest tensor 100 MB.
PartSummary round_summary() {
    PartSummary s;
    auto set = [&](ModelPart part, std::uint64_t parameters) {
        auto& f = s.parts[static_cast<std::size_t>(part)];
        f.tensors = 10;
        f.parameters = parameters;
        f.stored_bytes = parameters * 4;
        f.parameters_per_dtype[TensorDType::F32] = parameters;
        f.bytes_per_dtype[TensorDType::F32] = parameters * 4;
        f.largest_tensor_stored_bytes = 100'000'000;
    };
    set(ModelPart::VisionTrunk, 400'000'000);
    set(ModelPart::TrackerNeck, 30'000'000);
    set(ModelPart::TrackerHeads, 20'000'000);
    set(ModelPart::TextEncoder, 300'000'000);
    set(ModelPart::Detector, 50'000'000);
    return s;
}

GpuMemory gpu(int index, std::uint64_t total, std::uint64_t free, std::uint64_t ours = 0) {
    GpuMemory g;
    g.index = index;
    g.name = "Fake T4";
    g.total_bytes = total;
    g.free_bytes = free;
    g.used_by_this_process_bytes = ours;
    g.used_by_others_bytes = total - free - ours;
    g.source = "nvml";
    return g;
}

bool has_suggestion(const Verdict& v, const std::string& start, const std::string& tail = "") {
    for (const auto& s : v.suggestions)
        if (s.rfind(start, 0) == 0 && (tail.empty() || s.find(tail) != std::string::npos)) return true;
    return false;
}

std::string all_text(const Verdict& v) {
    std::string text = v.message;
    for (const auto& s : v.suggestions) text += "\n  " + s;
    return text;
}

}  // namespace

class TestMemoryBudget : public QObject {
    Q_OBJECT
    const PartSummary summary_ = round_summary();
    const EncoderGeometry geometry_;  // the default SAM3 geometry

private slots:
    void estimateAddsUp() {
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::F32, {DeviceKind::Cpu, 0});
        QCOMPARE(e.parameters, std::uint64_t(450'000'000));
        QCOMPARE(e.weight_bytes, std::uint64_t(1'800'000'000));
        QCOMPARE(e.device_bytes(), e.weight_bytes + e.activation_bytes + e.allocator_slack_bytes + e.runtime_bytes + e.margin_bytes);
        QCOMPARE(e.allocator_slack_bytes, e.activation_bytes);  // CPU: glibc retention (memory_budget.h)
        QCOMPARE(e.ram_bytes(), e.device_bytes());
        QCOMPARE(e.vram_bytes(), std::uint64_t(0));
        // The detector's per-prompt modules stay fp32 on the CPU (Sam3Model), the rest is bf16.
        const auto text = estimate_load(summary_, geometry_, PartSet::ClickAndDetect, WeightDType::BF16, {DeviceKind::Cpu, 0});
        QCOMPARE(text.weight_bytes, std::uint64_t(750'000'000) * 2 + std::uint64_t(50'000'000) * 4);
        const auto text_gpu = estimate_load(summary_, geometry_, PartSet::ClickAndDetect, WeightDType::F16, {DeviceKind::Cuda, 0});
        QCOMPARE(text_gpu.weight_bytes, std::uint64_t(800'000'000) * 2);
        const auto cuda = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::F16, {DeviceKind::Cuda, 0});
        QCOMPARE(cuda.staging_bytes, std::uint64_t(200'000'000));  // 2 x largest tensor (> 64 MiB floor)
        QVERIFY(cuda.ram_bytes() < cuda.weight_bytes);               // streaming, not a RAM copy
        QCOMPARE(cuda.allocator_slack_bytes, std::uint64_t(0));
        QCOMPARE(cuda.vram_bytes(), cuda.device_bytes());
    }

    void fitsOnCpu() {
        FakeProbe probe;
        probe.sys.total_bytes = 16 * GiB;
        probe.sys.available_bytes = 8 * GiB;
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::F32, {DeviceKind::Cpu, 0});
        const Verdict v = preflight(e, probe.system(), probe.gpus(), {}, {DeviceKind::Cpu, 0});
        QVERIFY2(v.fits, v.message.c_str());
        QVERIFY(v.suggestions.empty());
        QCOMPARE(v.needed_bytes, e.ram_bytes());
        QCOMPARE(v.available_bytes, 8 * GiB);
        QVERIFY2(v.message.rfind("Fits:", 0) == 0, v.message.c_str());
    }

    void refusedOnCpuSuggestsBf16AndFreeing() {
        FakeProbe probe;
        probe.sys.total_bytes = 8 * GiB;
        probe.sys.available_bytes = 2 * GiB;  // fp32 needs ~2.3 GiB, bf16 ~1.4 GiB
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::F32, {DeviceKind::Cpu, 0});
        const Verdict v = preflight(e, probe.system(), probe.gpus(), {}, {DeviceKind::Cpu, 0});
        QVERIFY(!v.fits);
        const std::string text = all_text(v);
        QVERIFY2(v.message.find("Refused: SAM3 click-to-segment in fp32 on cpu needs " + format_bytes(e.ram_bytes()) +
                                " of RAM, but only 2.00 GiB is available") != std::string::npos,
                 text.c_str());
        QVERIFY2(has_suggestion(v, "load in bf16", ", fits"), text.c_str());
        QVERIFY2(has_suggestion(v, "free " + format_bytes(e.ram_bytes() - 2 * GiB) + " of RAM"), text.c_str());
        QVERIFY2(!has_suggestion(v, "load only the click-to-segment parts"), text.c_str());  // already click-only
        QVERIFY2(!has_suggestion(v, "run on the CPU"), text.c_str());
    }

    void keepFreeBudgetIsTheLimit() {
        FakeProbe probe;
        probe.sys.total_bytes = 16 * GiB;
        probe.sys.available_bytes = 4 * GiB;
        BudgetSettings budget;
        budget.keep_free_ram_bytes = 3 * GiB;  // leaves 1 GiB
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, {DeviceKind::Cpu, 0});
        const Verdict v = preflight(e, probe.system(), probe.gpus(), budget, {DeviceKind::Cpu, 0});
        QVERIFY(!v.fits);
        QCOMPARE(v.available_bytes, 1 * GiB);
        const std::string text = all_text(v);
        QVERIFY2(v.message.find("minus 3.00 GiB to keep free") != std::string::npos, text.c_str());
        QVERIFY2(has_suggestion(v, "lower 'keep RAM free' by " + format_bytes(e.ram_bytes() - GiB)), text.c_str());
        QVERIFY2(!has_suggestion(v, "load in bf16"), text.c_str());  // already bf16
        // Without the budget it fits.
        QVERIFY(preflight(e, probe.system(), probe.gpus(), {}, {DeviceKind::Cpu, 0}).fits);
    }

    void keepFreeBudgetAboveAllAvailableRam() {
        // keep-free 30 GiB with 4 GiB available: nothing is left after the budget,
        // and the setting must come down to 4 GiB - needed, i.e. by 26 GiB + needed.
        FakeProbe probe;
        probe.sys.total_bytes = 16 * GiB;
        probe.sys.available_bytes = 4 * GiB;
        BudgetSettings budget;
        budget.keep_free_ram_bytes = 30 * GiB;
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, {DeviceKind::Cpu, 0});
        const Verdict v = preflight(e, probe.system(), probe.gpus(), budget, {DeviceKind::Cpu, 0});
        QVERIFY(!v.fits);
        QCOMPARE(v.available_bytes, std::uint64_t(0));
        const std::string text = all_text(v);
        QVERIFY2(has_suggestion(v, "lower 'keep RAM free' by " + format_bytes(26 * GiB + e.ram_bytes())), text.c_str());
    }

    void vramBudgetBelowWhatThisProcessHolds() {
        // This process already holds 3 GiB (another model) under a 2 GiB cap:
        // the cap must reach 3 GiB + needed, i.e. rise by 1 GiB + needed.
        FakeProbe probe;
        probe.sys.total_bytes = 32 * GiB;
        probe.sys.available_bytes = 20 * GiB;
        probe.devices = {gpu(0, 24 * GiB, 20 * GiB, 3 * GiB)};
        BudgetSettings budget;
        budget.max_vram_bytes = 2 * GiB;
        const DeviceSpec cuda{DeviceKind::Cuda, 0};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, cuda);
        const Verdict v = preflight(e, probe.system(), probe.gpus(), budget, cuda);
        QVERIFY(!v.fits);
        const std::string text = all_text(v);
        // The CUDA context is already paid for when this process holds one.
        const std::uint64_t needed = e.vram_bytes() - e.runtime_bytes;
        QVERIFY2(has_suggestion(v, "raise the VRAM budget by " + format_bytes(1 * GiB + needed)), text.c_str());
    }

    void cgroupLimitCountsAsAvailable() {
        // read_system_memory already folds the cgroup room into available_bytes.
        FakeProbe probe;
        probe.sys.total_bytes = 64 * GiB;
        probe.sys.available_bytes = 1 * GiB;
        probe.sys.cgroup_limit_bytes = 2 * GiB;
        probe.sys.cgroup_available_bytes = 1 * GiB;
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, {DeviceKind::Cpu, 0});
        const Verdict v = preflight(e, probe.system(), probe.gpus(), {}, {DeviceKind::Cpu, 0});
        QVERIFY(!v.fits);
        QVERIFY2(v.message.find("cgroup limit 2.00 GiB") != std::string::npos, v.message.c_str());
    }

    void gpuTakenByTrainingRun() {
        // A 16 GB T4 with a YOLO training holding 14 GiB: click + text fp32 cannot fit.
        FakeProbe probe;
        probe.sys.total_bytes = 32 * GiB;
        probe.sys.available_bytes = 20 * GiB;
        probe.devices = {gpu(0, 16 * GiB, 2 * GiB)};
        const DeviceSpec cuda{DeviceKind::Cuda, 0};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickAndDetect, WeightDType::F32, cuda);
        const Verdict v = preflight(e, probe.system(), probe.gpus(), {}, cuda);
        QVERIFY(!v.fits);
        const std::string text = all_text(v);
        QVERIFY2(v.message.find("of VRAM on cuda:0, but only 2.00 GiB is available (2.00 GiB free of 16.00 GiB, other "
                                "processes use 14.00 GiB)") != std::string::npos,
                 text.c_str());
        QVERIFY2(has_suggestion(v, "load in bf16 (or fp16 on cards without bf16)", "does not fit either"), text.c_str());
        QVERIFY2(has_suggestion(v, "load only the click-to-segment parts", "does not fit either"), text.c_str());
        QVERIFY2(has_suggestion(v, "run on the CPU instead", ", fits"), text.c_str());
        QVERIFY2(has_suggestion(v, "free " + format_bytes(e.vram_bytes() - 2 * GiB) + " of VRAM on cuda:0"), text.c_str());
        // Click-to-segment in fp16 fits in 2 GiB? weights 0.9 GB + ~0.2 GB activations + context.
        const auto small = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::F16, cuda);
        QCOMPARE(preflight(small, probe.system(), probe.gpus(), {}, cuda).fits, small.vram_bytes() <= 2 * GiB);
    }

    void vramBudgetIsTheLimit() {
        FakeProbe probe;
        probe.sys.total_bytes = 32 * GiB;
        probe.sys.available_bytes = 20 * GiB;
        probe.devices = {gpu(0, 24 * GiB, 20 * GiB)};
        BudgetSettings budget;
        budget.max_vram_bytes = 1 * GiB;
        const DeviceSpec cuda{DeviceKind::Cuda, 0};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, cuda);
        const Verdict v = preflight(e, probe.system(), probe.gpus(), budget, cuda);
        QVERIFY(!v.fits);
        QCOMPARE(v.available_bytes, 1 * GiB);
        const std::string text = all_text(v);
        QVERIFY2(v.message.find("budget 'use at most 1.00 GiB'") != std::string::npos, text.c_str());
        QVERIFY2(has_suggestion(v, "raise the VRAM budget by " + format_bytes(e.vram_bytes() - GiB)), text.c_str());
        budget.max_vram_bytes = 4 * GiB;
        QVERIFY(preflight(e, probe.system(), probe.gpus(), budget, cuda).fits);
    }

    void vramBudgetWithAnUnmeasurableShareCountsEverythingInUse() {
        // Windows without DXGI: this process's share is unknown. 4 GiB are in
        // use, maybe all ours, so a cap of 4 GiB + the load - 1 MiB cannot be
        // shown to hold; with a measured share of 0 the same cap fits.
        FakeProbe probe;
        probe.sys.total_bytes = 32 * GiB;
        probe.sys.available_bytes = 20 * GiB;
        const DeviceSpec cuda{DeviceKind::Cuda, 0};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, cuda);
        BudgetSettings budget;
        budget.max_vram_bytes = 4 * GiB + e.vram_bytes() - MiB;
        probe.devices = {gpu(0, 24 * GiB, 20 * GiB, 0)};
        QVERIFY(preflight(e, probe.system(), probe.gpus(), budget, cuda).fits);
        GpuMemory unknown = gpu(0, 24 * GiB, 20 * GiB, 0);
        split_gpu_usage(unknown, std::nullopt);
        probe.devices = {unknown};
        const Verdict v = preflight(e, probe.system(), probe.gpus(), budget, cuda);
        QVERIFY(!v.fits);
        const std::string text = all_text(v);
        QVERIFY2(v.message.find("4.00 GiB in use (this process's share cannot be measured here)") != std::string::npos,
                 text.c_str());
        QVERIFY2(has_suggestion(v, "raise the VRAM budget by " + format_bytes(MiB)), text.c_str());
    }

    void existingCudaContextIsNotCountedTwice() {
        FakeProbe probe;
        probe.sys.available_bytes = 20 * GiB;
        const DeviceSpec cuda{DeviceKind::Cuda, 0};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, cuda);
        const std::uint64_t free_bytes = e.vram_bytes() - e.runtime_bytes + 16 * MiB;  // room for all but the context
        probe.devices = {gpu(0, 24 * GiB, free_bytes)};
        QVERIFY(!preflight(e, probe.system(), probe.gpus(), {}, cuda).fits);
        probe.devices = {gpu(0, 24 * GiB, free_bytes, e.runtime_bytes)};  // this process already holds a context
        QVERIFY(preflight(e, probe.system(), probe.gpus(), {}, cuda).fits);
    }

    void missingGpu() {
        FakeProbe probe;
        probe.sys.total_bytes = 16 * GiB;
        probe.sys.available_bytes = 8 * GiB;
        const DeviceSpec cuda1{DeviceKind::Cuda, 1};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, cuda1);
        probe.devices = {gpu(0, 16 * GiB, 15 * GiB)};
        const Verdict v = preflight(e, probe.system(), probe.gpus(), {}, cuda1);
        QVERIFY(!v.fits);
        QVERIFY2(v.message.find("CUDA device 1 is not available (1 GPU(s) visible)") != std::string::npos, v.message.c_str());
        QVERIFY2(has_suggestion(v, "run on the CPU instead", ", fits"), all_text(v).c_str());
    }

    void ramCheckedWhenLoadingToGpu() {
        // Streaming to a GPU needs little RAM, but not none.
        FakeProbe probe;
        probe.sys.total_bytes = 4 * GiB;
        probe.sys.available_bytes = 100 * MiB;
        probe.devices = {gpu(0, 24 * GiB, 20 * GiB)};
        const DeviceSpec cuda{DeviceKind::Cuda, 0};
        const auto e = estimate_load(summary_, geometry_, PartSet::ClickToSegment, WeightDType::BF16, cuda);
        const Verdict v = preflight(e, probe.system(), probe.gpus(), {}, cuda);
        QVERIFY(!v.fits);
        QVERIFY2(v.message.find(" of RAM, but only 100 MiB") != std::string::npos, v.message.c_str());
    }

    void resolveAuto() {
        MachineCapabilities cpu_only;
        QCOMPARE(resolve_device({DeviceKind::Auto, 0}, cpu_only).kind, DeviceKind::Cpu);
        QCOMPARE(resolve_dtype(WeightDType::Auto, {DeviceKind::Cpu, 0}, cpu_only), WeightDType::F32);
        cpu_only.cpu_has_bf16 = true;
        QCOMPARE(resolve_dtype(WeightDType::Auto, {DeviceKind::Cpu, 0}, cpu_only), WeightDType::BF16);
        QCOMPARE(resolve_dtype(WeightDType::F16, {DeviceKind::Cpu, 0}, cpu_only), WeightDType::F16);  // explicit wins

        MachineCapabilities two_gpus;
        two_gpus.cuda_available = true;
        two_gpus.cuda_device_count = 2;
        two_gpus.cuda_has_bf16 = {false, true};  // a T4 and an A100
        const DeviceSpec chosen = resolve_device({DeviceKind::Auto, 0}, two_gpus);
        QCOMPARE(chosen.kind, DeviceKind::Cuda);
        QCOMPARE(chosen.index, 0);
        QCOMPARE(resolve_dtype(WeightDType::Auto, {DeviceKind::Cuda, 0}, two_gpus), WeightDType::F16);
        QCOMPARE(resolve_dtype(WeightDType::Auto, {DeviceKind::Cuda, 1}, two_gpus), WeightDType::BF16);
        QCOMPARE(resolve_device({DeviceKind::Cpu, 0}, two_gpus).kind, DeviceKind::Cpu);
    }

    void formatting() {
        QCOMPARE(QString::fromStdString(format_bytes(3 * GiB / 2)), QStringLiteral("1.50 GiB"));
        QCOMPARE(QString::fromStdString(format_bytes(300 * MiB)), QStringLiteral("300 MiB"));
        QCOMPARE(QString::fromStdString(format_bytes(2048)), QStringLiteral("2 KiB"));
        QCOMPARE(QString::fromStdString(device_name({DeviceKind::Cuda, 3})), QStringLiteral("cuda:3"));
    }
};

QTEST_GUILESS_MAIN(TestMemoryBudget)
#include "test_memory_budget.moc"

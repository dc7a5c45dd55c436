#include "core/engine/platform/nvml_probe.h"

#include "core/engine/platform/dxgi_adapters.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <sstream>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <dlfcn.h>
#include <unistd.h>
#endif

namespace samlabel::engine {

namespace {

// The few NVML declarations used here, as nvml.h defines them (ABI-stable).
using nvmlReturn_t = int;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};
struct nvmlPciInfo_t {  // nvmlDeviceGetPciInfo_v3
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;     // device id << 16 | vendor id
    unsigned int pciSubSystemId;
    char busId[32];
};
struct nvmlProcessInfo_v1_t {  // nvmlDeviceGetComputeRunningProcesses (v1)
    unsigned int pid;
    unsigned long long usedGpuMemory;
};
struct nvmlProcessInfo_v2_t {  // _v2 and _v3 take this layout
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
};
constexpr unsigned long long NVML_VALUE_NOT_AVAILABLE = ~0ull;

#ifdef _WIN32
using LibraryHandle = HMODULE;
LibraryHandle open_library(std::string& error) {
    // nvml.dll ships with the driver in System32 (older drivers: NVSMI folder).
    LibraryHandle handle = ::LoadLibraryExW(L"nvml.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!handle) {
        wchar_t program_files[MAX_PATH] = L"C:\\Program Files";
        ::GetEnvironmentVariableW(L"ProgramW6432", program_files, MAX_PATH);
        const std::wstring nvsmi = std::wstring(program_files) + L"\\NVIDIA Corporation\\NVSMI\\nvml.dll";
        handle = ::LoadLibraryW(nvsmi.c_str());
    }
    if (!handle) error = "nvml.dll not found (error " + std::to_string(::GetLastError()) + ")";
    return handle;
}
void* symbol(LibraryHandle handle, const char* name) {
    return reinterpret_cast<void*>(::GetProcAddress(handle, name));
}
unsigned int this_process_id() { return static_cast<unsigned int>(::GetCurrentProcessId()); }
#else
using LibraryHandle = void*;
LibraryHandle open_library(std::string& error) {
    LibraryHandle handle = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* text = ::dlerror();
        error = text ? text : "libnvidia-ml.so.1 not found";
    }
    return handle;
}
void* symbol(LibraryHandle handle, const char* name) { return ::dlsym(handle, name); }
unsigned int this_process_id() { return static_cast<unsigned int>(::getpid()); }
#endif

// CUDA_VISIBLE_DEVICES as plain indices; nullopt when unset or not indices
// (UUIDs, MIG names): then every NVML device is reported.
std::optional<std::vector<unsigned>> visible_device_indices() {
    const char* value = std::getenv("CUDA_VISIBLE_DEVICES");
    if (!value) return std::nullopt;
    std::vector<unsigned> indices;
    std::stringstream list(value);
    std::string item;
    while (std::getline(list, item, ',')) {
        if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) {
            if (item.rfind("-", 0) == 0) break;  // "-1": no devices from here on
            return std::nullopt;
        }
        indices.push_back(static_cast<unsigned>(std::stoul(item)));
    }
    return indices;
}

}  // namespace

struct NvmlProbe::Api {
    LibraryHandle handle = nullptr;
    nvmlReturn_t (*init)() = nullptr;
    nvmlReturn_t (*device_count)(unsigned int*) = nullptr;
    nvmlReturn_t (*handle_by_index)(unsigned int, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*memory_info)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
    nvmlReturn_t (*device_name)(nvmlDevice_t, char*, unsigned int) = nullptr;
    nvmlReturn_t (*processes_v2)(nvmlDevice_t, unsigned int*, nvmlProcessInfo_v2_t*) = nullptr;  // _v3 or _v2
    nvmlReturn_t (*processes_v1)(nvmlDevice_t, unsigned int*, nvmlProcessInfo_v1_t*) = nullptr;
    const char* (*error_string)(nvmlReturn_t) = nullptr;
    nvmlReturn_t (*driver_version)(char*, unsigned int) = nullptr;
    nvmlReturn_t (*pci_info)(nvmlDevice_t, nvmlPciInfo_t*) = nullptr;

    template <typename F>
    void bind(F& function, const char* name) {
        function = reinterpret_cast<F>(symbol(handle, name));
    }

    // Adds one process entry's bytes; false when NVML lists the process but
    // cannot say how much it holds (always so under Windows WDDM).
    static bool add_usage(std::uint64_t& total, unsigned long long used) {
        if (used == NVML_VALUE_NOT_AVAILABLE) return false;
        total += used;
        return true;
    }

    // Bytes this process holds on the device (0 when it is not listed: it
    // holds none); nullopt when NVML cannot tell.
    std::optional<std::uint64_t> usage_of(nvmlDevice_t device, unsigned int pid) const {
        unsigned int count = 64;
        for (int attempt = 0; attempt < 3; ++attempt) {
            std::uint64_t ours = 0;
            nvmlReturn_t result;
            if (processes_v2) {
                std::vector<nvmlProcessInfo_v2_t> infos(count);
                result = processes_v2(device, &count, infos.data());
                if (result == NVML_SUCCESS)
                    for (unsigned i = 0; i < count; ++i)
                        if (infos[i].pid == pid && !add_usage(ours, infos[i].usedGpuMemory)) return std::nullopt;
            } else if (processes_v1) {
                std::vector<nvmlProcessInfo_v1_t> infos(count);
                result = processes_v1(device, &count, infos.data());
                if (result == NVML_SUCCESS)
                    for (unsigned i = 0; i < count; ++i)
                        if (infos[i].pid == pid && !add_usage(ours, infos[i].usedGpuMemory)) return std::nullopt;
            } else {
                return std::nullopt;
            }
            if (result == NVML_SUCCESS) return ours;
            if (result != NVML_ERROR_INSUFFICIENT_SIZE) return std::nullopt;
            count += 16;  // more processes appeared since the size was reported
        }
        return std::nullopt;
    }
};

NvmlProbe::NvmlProbe() {
    std::string error;
    const LibraryHandle handle = open_library(error);
    if (!handle) {
        status_ = "NVML not found: " + error;
        return;
    }
    api_ = new Api();
    api_->handle = handle;
    api_->bind(api_->init, "nvmlInit_v2");
    api_->bind(api_->device_count, "nvmlDeviceGetCount_v2");
    api_->bind(api_->handle_by_index, "nvmlDeviceGetHandleByIndex_v2");
    api_->bind(api_->memory_info, "nvmlDeviceGetMemoryInfo");
    api_->bind(api_->device_name, "nvmlDeviceGetName");
    api_->bind(api_->processes_v2, "nvmlDeviceGetComputeRunningProcesses_v3");
    if (!api_->processes_v2) api_->bind(api_->processes_v2, "nvmlDeviceGetComputeRunningProcesses_v2");
    if (!api_->processes_v2) api_->bind(api_->processes_v1, "nvmlDeviceGetComputeRunningProcesses");
    api_->bind(api_->error_string, "nvmlErrorString");
    api_->bind(api_->driver_version, "nvmlSystemGetDriverVersion");
    api_->bind(api_->pci_info, "nvmlDeviceGetPciInfo_v3");
    if (!api_->init || !api_->device_count || !api_->handle_by_index || !api_->memory_info) {
        status_ = "NVML found but lacks nvmlInit_v2 / nvmlDeviceGetCount_v2 / nvmlDeviceGetHandleByIndex_v2 / "
                  "nvmlDeviceGetMemoryInfo (driver too old)";
        return;
    }
    const nvmlReturn_t result = api_->init();
    if (result != NVML_SUCCESS) {
        status_ = std::string("NVML found but nvmlInit failed: ") +
                  (api_->error_string ? api_->error_string(result) : std::to_string(result).c_str());
        return;
    }
    available_ = true;
    char version[96] = {};
    if (api_->driver_version && api_->driver_version(version, sizeof version) == NVML_SUCCESS)
        status_ = std::string("NVML, driver ") + version;
    else
        status_ = "NVML";
}

NvmlProbe& NvmlProbe::instance() {
    static NvmlProbe probe;  // thread-safe initialisation
    return probe;
}

std::vector<GpuMemory> NvmlProbe::query() const {
    std::vector<GpuMemory> gpus;
    if (!available_) return gpus;
    unsigned int count = 0;
    if (api_->device_count(&count) != NVML_SUCCESS) return gpus;
    std::vector<unsigned> nvml_indices;
    if (const auto visible = visible_device_indices()) {
        for (unsigned index : *visible)
            if (index < count) nvml_indices.push_back(index);
    } else {
        for (unsigned index = 0; index < count; ++index) nvml_indices.push_back(index);
    }
    const unsigned int pid = this_process_id();
#ifdef _WIN32
    std::optional<DxgiReading> dxgi;  // read once per query, only when needed
#endif
    for (std::size_t ordinal = 0; ordinal < nvml_indices.size(); ++ordinal) {
        nvmlDevice_t device = nullptr;
        if (api_->handle_by_index(nvml_indices[ordinal], &device) != NVML_SUCCESS) continue;
        nvmlMemory_t memory{};
        if (api_->memory_info(device, &memory) != NVML_SUCCESS) continue;
        GpuMemory gpu;
        gpu.index = static_cast<int>(ordinal);
        char name[96] = {};
        if (api_->device_name && api_->device_name(device, name, sizeof name) == NVML_SUCCESS) gpu.name = name;
        gpu.total_bytes = memory.total;
        gpu.free_bytes = memory.free;
        gpu.source = "nvml";
        // "Others" is everything in use that is not ours: other processes,
        // including graphics ones NVML's compute list omits, and the driver's
        // own reservation.
        std::optional<std::uint64_t> ours = api_->usage_of(device, pid);
#ifdef _WIN32
        // WDDM: NVML lists this process without its memory; Windows' own
        // per-process count is DXGI's, matched to the card by its PCI ids.
        nvmlPciInfo_t pci{};
        if (!ours && api_->pci_info && api_->pci_info(device, &pci) == NVML_SUCCESS) {
            if (!dxgi) dxgi = read_dxgi_adapters();
            ours = dxgi_process_bytes_by_pci(*dxgi, pci.pciDeviceId & 0xffffu, pci.pciDeviceId >> 16, pci.pciSubSystemId);
            if (ours) gpu.source = "nvml+dxgi";
        }
#endif
        split_gpu_usage(gpu, ours);
        gpus.push_back(std::move(gpu));
    }
    return gpus;
}

}  // namespace samlabel::engine

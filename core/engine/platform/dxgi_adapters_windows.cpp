// DXGI adapter listing with this process's local video memory use. Built only
// on Windows (see CMakeLists.txt); links dxgi.
#include "core/engine/platform/dxgi_adapters.h"

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <dxgi1_4.h>

namespace samlabel::engine {

namespace {

std::string utf8(const wchar_t* text) {
    const int size = ::WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    if (size <= 1) return {};
    std::string out(static_cast<std::size_t>(size - 1), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, text, -1, out.data(), size, nullptr, nullptr);
    return out;
}

template <typename T>
void release(T*& p) {
    if (p) p->Release();
    p = nullptr;
}

}  // namespace

DxgiReading read_dxgi_adapters() {
    DxgiReading reading;
    IDXGIFactory1* factory = nullptr;
    const HRESULT created = ::CreateDXGIFactory1(__uuidof(IDXGIFactory1), reinterpret_cast<void**>(&factory));
    if (FAILED(created) || !factory) {
        reading.error = "CreateDXGIFactory1 failed (HRESULT 0x" + std::to_string(static_cast<unsigned long>(created)) + ")";
        return reading;
    }
    for (UINT index = 0;; ++index) {
        IDXGIAdapter1* adapter = nullptr;
        if (factory->EnumAdapters1(index, &adapter) == DXGI_ERROR_NOT_FOUND) break;
        if (!adapter) break;
        DXGI_ADAPTER_DESC1 desc{};
        if (SUCCEEDED(adapter->GetDesc1(&desc)) && !(desc.Flags & DXGI_ADAPTER_FLAG_SOFTWARE)) {
            DxgiAdapterMemory entry;
            entry.luid = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(desc.AdapterLuid.HighPart)) << 32) |
                         desc.AdapterLuid.LowPart;
            entry.vendor_id = desc.VendorId;
            entry.device_id = desc.DeviceId;
            entry.subsys_id = desc.SubSysId;
            entry.name = utf8(desc.Description);
            entry.dedicated_bytes = desc.DedicatedVideoMemory;
            IDXGIAdapter3* adapter3 = nullptr;
            if (SUCCEEDED(adapter->QueryInterface(__uuidof(IDXGIAdapter3), reinterpret_cast<void**>(&adapter3)))) {
                DXGI_QUERY_VIDEO_MEMORY_INFO info{};
                if (SUCCEEDED(adapter3->QueryVideoMemoryInfo(0, DXGI_MEMORY_SEGMENT_GROUP_LOCAL, &info)))
                    entry.this_process_bytes = info.CurrentUsage;
                release(adapter3);
            }
            reading.adapters.push_back(std::move(entry));
        }
        release(adapter);
    }
    release(factory);
    return reading;
}

}  // namespace samlabel::engine

#pragma once
// What the benchmark programs share: numpy-style percentiles and binary PNM
// images (the Python drivers write them with PIL; the engine has no image decoder).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::bench {

// numpy.percentile's default (linear interpolation between closest ranks).
inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// Binary PNM with maxval 255: "P6" (RGB, 3 bytes a pixel) or "P5" (gray).
inline std::vector<std::uint8_t> read_pnm(const std::filesystem::path& path, const std::string& magic_wanted, int& width,
                                          int& height) {
    std::ifstream in(path, std::ios::binary);
    std::string magic;
    int maxval = 0;
    in >> magic >> width >> height >> maxval;
    in.get();
    if (!in || magic != magic_wanted || maxval != 255 || width <= 0 || height <= 0)
        throw std::runtime_error(path.string() + ": not a binary 8-bit " + magic_wanted + " file");
    std::vector<std::uint8_t> data(static_cast<std::size_t>(width) * height * (magic == "P6" ? 3 : 1));
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!in) throw std::runtime_error(path.string() + ": truncated");
    return data;
}

}  // namespace samlabel::bench

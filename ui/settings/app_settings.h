#pragma once
// Typed access to the user's QSettings (one place for keys and defaults).
#include "core/engine/converted_weights_cache.h"

#include <QString>
#include <QStringList>
#include <cstdint>

namespace samlabel::ui {

class AppSettings {
public:
    static int autosaveIntervalSeconds();           // 0 disables the timer (image switches still save)
    static void setAutosaveIntervalSeconds(int seconds);
    static std::int64_t pixelLimit();               // images above it are refused (default 200 MP)
    static void setPixelLimit(std::int64_t pixels);
    static QString lastFolder();
    static void setLastFolder(const QString& folder);
    static double maskOpacity();                    // 0..1
    static void setMaskOpacity(double opacity);
    static int brushSizePx();
    static void setBrushSizePx(int size_px);
    static QByteArray windowState();
    static void setWindowState(const QByteArray& state);
    // CPU loads in bf16/fp16 keep their converted weights on disk and map them
    // next time (on by default, 8 GiB, in the user's cache folder).
    static bool convertedWeightsCacheEnabled();
    static void setConvertedWeightsCacheEnabled(bool enabled);
    static std::uint64_t convertedWeightsBudgetBytes();
    static void setConvertedWeightsBudgetBytes(std::uint64_t bytes);
    // What the model session should use: no directory when disabled.
    static engine::ConvertedWeightsSettings convertedWeightsSettings();
    static QByteArray windowGeometry();
    static void setWindowGeometry(const QByteArray& geometry);
};

}  // namespace samlabel::ui

#include "ui/settings/app_settings.h"

#include <QSettings>

#include <algorithm>

namespace samlabel::ui {
namespace {
constexpr auto kAutosave = "workspace/autosave_interval_s";
constexpr auto kPixelLimit = "images/pixel_limit";
constexpr auto kLastFolder = "workspace/last_folder";
constexpr auto kOpacity = "canvas/mask_opacity";
constexpr auto kBrush = "canvas/brush_size_px";
constexpr auto kWindowState = "window/state";
constexpr auto kWindowGeometry = "window/geometry";
constexpr auto kConvertedCache = "model/converted_weights_cache";
constexpr auto kConvertedBudget = "model/converted_weights_budget_bytes";
constexpr std::int64_t kDefaultPixelLimit = 200'000'000;
}  // namespace

int AppSettings::autosaveIntervalSeconds() { return std::max(0, QSettings().value(kAutosave, 30).toInt()); }
void AppSettings::setAutosaveIntervalSeconds(int seconds) { QSettings().setValue(kAutosave, std::max(0, seconds)); }

std::int64_t AppSettings::pixelLimit() {
    const auto value = QSettings().value(kPixelLimit, QVariant::fromValue<qlonglong>(kDefaultPixelLimit)).toLongLong();
    return value > 0 ? value : kDefaultPixelLimit;
}
void AppSettings::setPixelLimit(std::int64_t pixels) { QSettings().setValue(kPixelLimit, QVariant::fromValue<qlonglong>(pixels)); }

QString AppSettings::lastFolder() { return QSettings().value(kLastFolder).toString(); }
void AppSettings::setLastFolder(const QString& folder) { QSettings().setValue(kLastFolder, folder); }

double AppSettings::maskOpacity() { return std::clamp(QSettings().value(kOpacity, 0.45).toDouble(), 0.0, 1.0); }
void AppSettings::setMaskOpacity(double opacity) { QSettings().setValue(kOpacity, std::clamp(opacity, 0.0, 1.0)); }

int AppSettings::brushSizePx() { return std::clamp(QSettings().value(kBrush, 20).toInt(), 1, 500); }
void AppSettings::setBrushSizePx(int size_px) { QSettings().setValue(kBrush, std::clamp(size_px, 1, 500)); }

bool AppSettings::convertedWeightsCacheEnabled() { return QSettings().value(kConvertedCache, true).toBool(); }
void AppSettings::setConvertedWeightsCacheEnabled(bool enabled) { QSettings().setValue(kConvertedCache, enabled); }
std::uint64_t AppSettings::convertedWeightsBudgetBytes() {
    const qulonglong fallback = engine::ConvertedWeightsSettings{}.budget_bytes;
    const qulonglong value = QSettings().value(kConvertedBudget, fallback).toULongLong();
    return value > 0 ? value : fallback;
}
void AppSettings::setConvertedWeightsBudgetBytes(std::uint64_t bytes) {
    QSettings().setValue(kConvertedBudget, QVariant::fromValue<qulonglong>(bytes));
}
engine::ConvertedWeightsSettings AppSettings::convertedWeightsSettings() {
    engine::ConvertedWeightsSettings settings;
    settings.budget_bytes = convertedWeightsBudgetBytes();
    if (convertedWeightsCacheEnabled()) settings.dir = engine::default_converted_weights_dir();
    return settings;
}

QByteArray AppSettings::windowState() { return QSettings().value(kWindowState).toByteArray(); }
void AppSettings::setWindowState(const QByteArray& state) { QSettings().setValue(kWindowState, state); }
QByteArray AppSettings::windowGeometry() { return QSettings().value(kWindowGeometry).toByteArray(); }
void AppSettings::setWindowGeometry(const QByteArray& geometry) { QSettings().setValue(kWindowGeometry, geometry); }

}  // namespace samlabel::ui

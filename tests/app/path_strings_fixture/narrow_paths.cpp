// Not compiled: the conversions tests/app/check_path_strings.sh must catch,
// one per rule (test_no_narrow_path_strings_catches_them expects it to fail).
#include <filesystem>
#include <QString>
void bad(const std::filesystem::path& p, const QString& q, const std::string& s) {
    const std::string a = p.string();
    const std::string b = p.generic_string();
    const auto c = std::filesystem::u8path(s);
    const auto d = std::filesystem::path(q.toStdString());
    const auto e = std::filesystem::path(std::string(s));
    cv::imwrite(s, image);
    const cv::Mat f = cv::imread(s);
    std::FILE* g = std::fopen(s.c_str(), "rb");
}

#include "core/service/api_token.h"

#include <QRandomGenerator>

#include <array>

namespace samlabel::service {

QString generate_api_token() {
    std::array<quint32, 8> words{};  // 32 bytes
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char*>(words.data()), int(sizeof(words)));
    return QString::fromLatin1(bytes.toHex());
}

bool tokens_equal(const QByteArray& a, const QByteArray& b) {
    // Walk the expected length whatever the guess is, folding differences
    // with OR: no early exit on the first mismatching byte.
    const qsizetype n = b.size();
    unsigned char diff = a.size() == n ? 0 : 1;
    for (qsizetype i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
    }
    return n > 0 && diff == 0;
}

QByteArray bearer_token(const QByteArray& authorization_header) {
    const QByteArray value = authorization_header.trimmed();
    static const QByteArray kScheme = QByteArrayLiteral("bearer ");
    if (value.size() <= kScheme.size() || value.left(kScheme.size()).toLower() != kScheme) return {};
    return value.mid(kScheme.size()).trimmed();
}

}  // namespace samlabel::service

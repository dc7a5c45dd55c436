#pragma once
// Bearer tokens for the control API: generated from the OS's CSPRNG and
// compared in constant time, so response timing reveals nothing about how
// many leading characters of a guess were right.
#include <QByteArray>
#include <QString>

namespace samlabel::service {

// 32 random bytes from QRandomGenerator::system(), as 64 lowercase hex digits.
QString generate_api_token();

// Constant-time equality (time depends only on the lengths).
bool tokens_equal(const QByteArray& a, const QByteArray& b);

// The token of an "Authorization: Bearer <token>" header value; empty when the
// header is missing or uses another scheme.
QByteArray bearer_token(const QByteArray& authorization_header);

}  // namespace samlabel::service

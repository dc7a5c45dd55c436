// The click channel's messages (core/service/click_channel_wire.h), without
// sockets: the bytes of a request and of an answer's head worked out by hand
// from the format in docs/control-api.md, the stream cut into messages however
// it arrives, and every malformed message refused with its reason.
#include "core/service/click_channel_wire.h"

#include <QTest>

using namespace samlabel::service::wire;

namespace {

QByteArray bytes(std::initializer_list<int> values) {
    QByteArray out;
    for (int v : values) out.append(char(v));
    return out;
}

}  // namespace

class TestClickChannelWire : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void aRequestIsItsLengthItsIdAndItsJson() {
        // 10 bytes follow the length: the 8-byte id (little-endian), then "{}".
        QCOMPARE(channel_request_message(0x0102030405060708ull, "{}"),
                 bytes({10, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}) + "{}");
        QCOMPARE(channel_message("token"), bytes({5, 0, 0, 0}) + "token");
        QCOMPARE(channel_length_prefix(0x12345), bytes({0x45, 0x23, 0x01, 0}));
    }

    void anAnswerHeadIsItsLengthIdStatusAndKind() {
        // 11 head bytes + a 300-byte body = 311 = 0x137.
        QCOMPARE(channel_answer_head(5, 409, ChannelBodyKind::Json, 300),
                 bytes({0x37, 0x01, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x99, 0x01, 0}));
        QCOMPARE(channel_answer_head(1, 200, ChannelBodyKind::MaskFrame, 0).right(3), bytes({200, 0, 1}));
    }

    void answersAreParsedWithoutCopyingTheirBody() {
        const QByteArray message = channel_answer_head(42, 200, ChannelBodyKind::MaskFrame, 3) + "abc";
        QString error;
        const std::optional<ChannelAnswer> answer = parse_channel_answer(message.mid(4), &error);
        QVERIFY2(answer, qPrintable(error));
        QCOMPARE(answer->id, quint64(42));
        QCOMPARE(answer->status, 200);
        QCOMPARE(answer->kind, ChannelBodyKind::MaskFrame);
        QCOMPARE(answer->payload.mid(answer->body_offset), QByteArray("abc"));
    }

    void malformedAnswersAreRefusedWithTheirReason() {
        QString error;
        QVERIFY(!parse_channel_answer(bytes({1, 0, 0, 0, 0, 0, 0, 0, 200, 0}), &error));
        QVERIFY2(error.contains(QLatin1String("shorter than its 11-byte head")), qPrintable(error));
        QVERIFY(!parse_channel_answer(bytes({1, 0, 0, 0, 0, 0, 0, 0, 0x58, 0x02, 0}), &error));  // 600
        QVERIFY2(error.contains(QLatin1String("HTTP status 600")), qPrintable(error));
        QVERIFY(!parse_channel_answer(bytes({1, 0, 0, 0, 0, 0, 0, 0, 200, 0, 3}), &error));
        QVERIFY2(error.contains(QLatin1String("unknown kind 3")), qPrintable(error));
        QVERIFY(!parse_channel_request(bytes({1, 2, 3, 4, 5, 6, 7}), &error));
        QVERIFY2(error.contains(QLatin1String("shorter than its 8-byte id")), qPrintable(error));
        const std::optional<ChannelRequest> request = parse_channel_request(bytes({9, 0, 0, 0, 0, 0, 0, 0}) + "{\"a\":1}", &error);
        QVERIFY(request);
        QCOMPARE(request->id, quint64(9));
        QCOMPARE(request->json, QByteArray("{\"a\":1}"));
    }

    // Shared answers: a release is the id alone (a request has a body after
    // it); a shared answer's body is its frame's offset and length, refused
    // when they reach past the region, however large the numbers.
    void sharedAnswersReleasesAndFramePlaces() {
        QCOMPARE(channel_release_message(5), bytes({8, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0}));
        QCOMPARE(parse_channel_release(bytes({5, 0, 0, 0, 0, 0, 0, 1})), std::optional<quint64>(0x0100000000000005ull));
        QCOMPARE(parse_channel_release(bytes({5, 0, 0, 0, 0, 0, 0, 0}) + "{"), std::nullopt);  // a request
        QCOMPARE(shared_frame_body({0x0102, 0x30}), bytes({2, 1, 0, 0, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0}));

        const QByteArray head = bytes({7, 0, 0, 0, 0, 0, 0, 0, 200, 0, 2});  // an answer's head, kind 2
        QString error;
        const auto inside = parse_shared_frame_body(head + shared_frame_body({16, 48}), head.size(), 64, &error);
        QVERIFY(inside);
        QCOMPARE(inside->offset, quint64(16));
        QCOMPARE(inside->length, quint64(48));
        QVERIFY(parse_shared_frame_body(head + shared_frame_body({64, 0}), head.size(), 64, &error));  // empty, at the end
        QVERIFY(!parse_shared_frame_body(head + shared_frame_body({16, 49}), head.size(), 64, &error));
        QVERIFY2(error.contains(QLatin1String("outside the 64-byte region")), qPrintable(error));
        QVERIFY(!parse_shared_frame_body(head + shared_frame_body({8, ~quint64(0) - 3}), head.size(), 64, &error));  // offset + length wraps
        QVERIFY2(error.contains(QLatin1String("outside")), qPrintable(error));
        QVERIFY(!parse_shared_frame_body(head + shared_frame_body({65, 0}), head.size(), 64, &error));
        QVERIFY(!parse_shared_frame_body(head + shared_frame_body({0, 1}).left(15), head.size(), 64, &error));
        QVERIFY2(error.contains(QLatin1String("not 16")), qPrintable(error));
        const std::optional<ChannelAnswer> answer = parse_channel_answer(head + shared_frame_body({0, 1}), &error);
        QVERIFY(answer);
        QCOMPARE(answer->kind, ChannelBodyKind::SharedMaskFrame);
    }

    // However the stream is cut, the same messages come out, in order.
    void theStreamIsCutIntoItsMessagesHoweverItArrives() {
        const QByteArray stream = channel_message("first") + channel_message("") + channel_message(QByteArray(3000, 'x')) +
                                  channel_message("last");
        for (const qsizetype chunk : {qsizetype(1), qsizetype(3), qsizetype(4), qsizetype(7), qsizetype(1000), stream.size()}) {
            ChannelMessageReader reader(4096);
            QList<QByteArray> messages;
            for (qsizetype at = 0; at < stream.size(); at += chunk) {
                QVERIFY(reader.feed(stream.constData() + at, std::min(chunk, stream.size() - at)));
                while (std::optional<QByteArray> m = reader.next()) messages.append(*m);
            }
            QCOMPARE(messages.size(), 4);
            QCOMPARE(messages[0], QByteArray("first"));
            QCOMPARE(messages[1], QByteArray());
            QCOMPARE(messages[2], QByteArray(3000, 'x'));
            QCOMPARE(messages[3], QByteArray("last"));
        }
    }

    // space()/commit(): the socket's bytes go straight into the message.
    void bytesAreWrittenWhereSpaceSays() {
        ChannelMessageReader reader(100);
        const QByteArray stream = channel_message("hello");
        qsizetype at = 0;
        while (at < stream.size()) {
            const ChannelMessageReader::Space space = reader.space();
            QVERIFY(space.data && space.bytes > 0);
            const qsizetype take = std::min<qsizetype>(space.bytes, stream.size() - at);
            std::memcpy(space.data, stream.constData() + at, size_t(take));
            QVERIFY(reader.commit(take));
            at += take;
        }
        QCOMPARE(reader.next(), std::optional<QByteArray>(QByteArray("hello")));
        QVERIFY(!reader.next());
    }

    // A message over the cap stops the reader before anything is allocated for it.
    void aMessageOverTheCapStopsTheReader() {
        ChannelMessageReader reader(1000);
        QVERIFY(!reader.feed(channel_length_prefix(1001).constData(), 4));
        QVERIFY(reader.failed());
        QVERIFY2(reader.error().contains(QLatin1String("1001 bytes, more than the 1000 allowed")), qPrintable(reader.error()));
        QVERIFY(!reader.space().data);
        QVERIFY(!reader.feed(channel_message("x").constData(), 5));
        // The token's cap first, then the requests' (setMaxMessageBytes).
        ChannelMessageReader token_reader(kMaxChannelTokenMessageBytes);
        QVERIFY(!token_reader.feed(channel_length_prefix(kMaxChannelTokenMessageBytes + 1).constData(), 4));
        ChannelMessageReader raised(kMaxChannelTokenMessageBytes);
        raised.setMaxMessageBytes(kMaxChannelRequestBytes);
        QVERIFY(raised.feed(channel_length_prefix(kMaxChannelTokenMessageBytes + 1).constData(), 4));
    }
};

QTEST_APPLESS_MAIN(TestClickChannelWire)
#include "test_click_channel_wire.moc"

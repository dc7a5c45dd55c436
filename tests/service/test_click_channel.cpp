// The click channel (core/service/click_channel_*.h; issue 14's click
// latency): the model process's clicks on a local socket instead of HTTP.
// Against a real ControlApiServer with the fake model behind it:
//  * a RemoteModelBackend's clicks go on the channel once it is open, with the
//    answers and errors HTTP gives, and HTTP never sees them;
//  * until the channel opens (or when it never does), clicks go over HTTP;
//  * a wrong token is refused and the connection closed; a message over the
//    cap or shorter than an id closes the stream; a bad request is answered
//    400 naming the field; more than kMaxChannelRequestsInFlight at once: 429;
//  * a channel that closes fails the calls waiting on it.
#include "core/engine/platform/shared_memory_region.h"
#include "core/service/click_channel_client.h"
#include "core/service/click_channel_wire.h"
#include "core/service/control_api_mask_frame.h"
#include "core/service/control_api_replies.h"
#include "core/service/control_api_server.h"
#include "core/service/remote_model_backend.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/fake_model_backend.h"
#include "tests/wait_future.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace samlabel;
using namespace samlabel::service;
using samlabel::service::testing::FakeModelBackend;
using samlabel::service::testing::gradient;

namespace {

template <typename T>
T wait_result(QFuture<T> f, int timeout_ms = 20000) {
    return samlabel::future_wait::wait_result(std::move(f), timeout_ms);
}

// A client written from the format alone (docs/control-api.md), not from
// ClickChannelClient. It waits in the event loop: the server runs on this thread.
class RawChannel {
public:
    explicit RawChannel(const QString& name) { socket_.connectToServer(name); }
    bool connected() {
        return QTest::qWaitFor([this] { return socket_.state() == QLocalSocket::ConnectedState; }, 5000);
    }
    void send(const QByteArray& message) { socket_.write(message); }
    // The next whole message, or nullopt when the server closed the stream (or 10 s passed).
    std::optional<QByteArray> next() {
        std::optional<QByteArray> message;
        (void)QTest::qWaitFor([this, &message] {
            buffer_ += socket_.readAll();
            if (buffer_.size() >= 4) {
                const auto* p = reinterpret_cast<const unsigned char*>(buffer_.constData());
                const qsizetype length = qsizetype(p[0] | p[1] << 8 | p[2] << 16 | quint32(p[3]) << 24);
                if (buffer_.size() >= 4 + length) {
                    message = buffer_.mid(4, length);
                    buffer_.remove(0, 4 + length);
                    return true;
                }
            }
            return socket_.state() == QLocalSocket::UnconnectedState;
        }, 10000);
        return message;
    }
    bool closedByServer() {
        return QTest::qWaitFor([this] {
            buffer_ += socket_.readAll();
            return socket_.state() == QLocalSocket::UnconnectedState;
        }, 10000);
    }

private:
    QLocalSocket socket_;
    QByteArray buffer_;
};

QByteArray segment_body(const QString& image_id, float x, float y, const QString& masks = QStringLiteral("runs")) {
    return QJsonDocument(QJsonObject{{QStringLiteral("image_id"), image_id},
                                     {QStringLiteral("points"), QJsonArray{QJsonArray{x, y, 1}}},
                                     {QStringLiteral("multimask"), false},
                                     {QStringLiteral("masks"), masks}})
        .toJson(QJsonDocument::Compact);
}

struct RawAnswer {
    quint64 id = 0;
    int status = 0;
    wire::ChannelBodyKind kind = wire::ChannelBodyKind::Json;
    QJsonObject json;  // a JSON body
};

RawAnswer parse(const QByteArray& message) {
    QString error;
    const std::optional<wire::ChannelAnswer> a = wire::parse_channel_answer(message, &error);
    if (!a) qFatal("not an answer: %s", qPrintable(error));
    RawAnswer r{a->id, a->status, a->kind, {}};
    if (a->kind == wire::ChannelBodyKind::Json) r.json = QJsonDocument::fromJson(a->payload.mid(a->body_offset)).object();
    return r;
}

}  // namespace

class TestClickChannel : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeModelBackend> fake_;
    std::unique_ptr<ControlApiServer> server_;
    QString token_;
    QStringList served_;  // "POST /api/v1/segment" ..., as the server reports them

    // A server with model endpoints and the click channel, its token token_.
    void startServer(quint64 shared_answer_bytes = ClickChannelServer::kDefaultSharedAnswerBytes) {
        server_ = std::make_unique<ControlApiServer>(fake_.get());
        ControlApiOptions options;
        options.token = token_;
        options.model_endpoints = true;
        options.click_channel = true;
        options.click_channel_shared_answer_bytes = shared_answer_bytes;
        QString error;
        QVERIFY2(server_->start(options, &error), qPrintable(error));
        QVERIFY(!server_->clickChannelName().isEmpty());
    }

    void encodeInFake(const QString& id, int w, int h) {
        RemoteModelBackend http(server_->url(), token_, 60'000);
        const EncodeReply enc = wait_result(http.encode(gradient(w, h), id));
        QVERIFY2(enc.ok(), qPrintable(enc.message));
    }

private Q_SLOTS:
    void init() {
        fake_ = std::make_unique<FakeModelBackend>();
        fake_->setLastModel(QStringLiteral("/srv/models/sam3"));
        token_ = generate_api_token();
        startServer();
        if (QTest::currentTestFailed()) return;
        served_.clear();
        connect(server_.get(), &ControlApiServer::requestServed, this,
                [this](const QString& method, const QString& path, int) { served_ << method + QLatin1Char(' ') + path; });
        QVERIFY(wait_result(fake_->reload()).ok());
    }
    void cleanup() {
        server_.reset();
        fake_.reset();
    }

    void aServerWithoutTheOptionHasNoChannel() {
        FakeModelBackend fake;
        ControlApiServer server(&fake);
        ControlApiOptions options;
        options.token = generate_api_token();
        options.model_endpoints = true;
        QVERIFY(server.start(options, nullptr));
        QVERIFY(server.clickChannelName().isEmpty());
    }

    // Once the channel is open, a click goes on it: the same answer as over
    // HTTP (a disc around the point, worked out here), and HTTP never sees it.
    void clicksGoOnTheChannelWithHttpsAnswers() {
        encodeInFake(QStringLiteral("img-1"), 40, 30);
        RemoteModelBackend remote(server_->url(), token_, 60'000);
        remote.setClickChannel(server_->clickChannelName());
        QTRY_VERIFY_WITH_TIMEOUT(remote.clickChannelReady(), 5000);
        served_.clear();

        engine::ClickPrompt prompt;
        prompt.points.push_back({12.f, 9.f, engine::PointLabel::Positive});
        prompt.multimask = false;
        const SegmentReply seg = wait_result(remote.segment(QStringLiteral("img-1"), prompt));
        QVERIFY2(seg.ok(), qPrintable(seg.message));
        QCOMPARE(remote.clicksOnChannel(), quint64(1));
        QCOMPARE(server_->clickChannelServed(), quint64(1));
        QCOMPARE(server_->clickChannelSharedAnswers(), quint64(1));  // the masks below came through shared memory
        QCOMPARE(served_, QStringList{QStringLiteral("POST /api/v1/segment (click channel)")});
        QCOMPARE(int(seg.result.candidates.size()), 1);
        const engine::MaskCandidate& c = seg.result.candidates[0];
        QCOMPARE(c.width, 40);
        QCOMPARE(c.height, 30);
        QCOMPARE(c.predicted_iou, 0.875f);
        QCOMPARE(seg.result.object_score_logit, 4.0f);
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 40; ++x)
                QCOMPARE(int(c.mask[std::size_t(y) * 40 + x]),
                         std::hypot(x + 0.5 - 12, y + 0.5 - 9) <= FakeModelBackend::kDiscRadiusPx ? 1 : 0);
        // The answer names the kept logits, as over HTTP: a refining click can name them.
        QVERIFY(c.low_res.kept_by_server.has_value());

        // Errors keep their kind.
        const SegmentReply unknown = wait_result(remote.segment(QStringLiteral("never"), prompt));
        QCOMPARE(unknown.error, BackendError::UnknownImage);
        QVERIFY2(unknown.message.contains(QLatin1String("never")), qPrintable(unknown.message));
        QCOMPARE(remote.clicksOnChannel(), quint64(2));
        QVERIFY(!served_.contains(QStringLiteral("POST /api/v1/segment")));
    }

    // A channel that never opens (a wrong name): clicks go over HTTP.
    void withoutAnOpenChannelClicksGoOverHttp() {
        encodeInFake(QStringLiteral("img-1"), 40, 30);
        RemoteModelBackend remote(server_->url(), token_, 60'000);
        remote.setClickChannel(QStringLiteral("samlabel-clicks-nobody-listens-here"));
        QTest::qWait(200);
        QVERIFY(!remote.clickChannelReady());
        engine::ClickPrompt prompt;
        prompt.points.push_back({12.f, 9.f, engine::PointLabel::Positive});
        const SegmentReply seg = wait_result(remote.segment(QStringLiteral("img-1"), prompt));
        QVERIFY2(seg.ok(), qPrintable(seg.message));
        QCOMPARE(remote.clicksOnChannel(), quint64(0));
        QVERIFY(served_.contains(QStringLiteral("POST /api/v1/segment")));
    }

    void aWrongTokenIsRefusedAndTheConnectionClosed() {
        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message("not-the-token"));
        const std::optional<QByteArray> answer = raw.next();
        QVERIFY(answer);
        QCOMPARE(QJsonDocument::fromJson(*answer).object().value(QStringLiteral("error")).toString(), QStringLiteral("unauthorized"));
        QVERIFY(raw.closedByServer());

        ClickChannelClient client(server_->clickChannelName(), QStringLiteral("not-the-token"));
        QSignalSpy ready(&client, &ClickChannelClient::readyChanged);
        QTRY_COMPARE_WITH_TIMEOUT(ready.size(), 1, 5000);
        QCOMPARE(ready[0][0].toBool(), false);
        QVERIFY2(ready[0][1].toString().contains(QLatin1String("refused")), qPrintable(ready[0][1].toString()));
        const ApiCallResult r = wait_result(client.postSegment(segment_body(QStringLiteral("x"), 1, 1), 5000));
        QCOMPARE(r.http_status, 0);
        QVERIFY(!r.transport_error.isEmpty());
        QCOMPARE(fake_->segments_started.load(), 0);
    }

    void theRightTokenGetsTheHello() {
        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message(token_.toUtf8()));
        const std::optional<QByteArray> hello = raw.next();
        QVERIFY(hello);
        const QJsonObject json = QJsonDocument::fromJson(*hello).object();
        QCOMPARE(json.value(QStringLiteral("channel")).toString(), QStringLiteral("clicks"));
        QCOMPARE(json.value(QStringLiteral("version")).toInt(), wire::kClickChannelVersion);
    }

    // Shared answers, with a client written from the format: none before the
    // client says it mapped the region; then the frame lies in the region at
    // the place the answer names, the same masks as in the stream; a frame
    // not released keeps its place (the next goes after it, or in the stream
    // when the region is full); released, the place is used again.
    void sharedAnswersWithARawClient() {
        server_.reset();
        startServer(5000);  // one 200x100 frame of bits (2.5 KB and the JSON), not two
        if (QTest::currentTestFailed()) return;
        encodeInFake(QStringLiteral("wide"), 200, 100);

        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message(token_.toUtf8()));
        const std::optional<QByteArray> hello = raw.next();
        QVERIFY(hello);
        const QJsonObject offer = QJsonDocument::fromJson(*hello).object().value(QStringLiteral("shared_answers")).toObject();
        const std::string name = offer.value(QStringLiteral("name")).toString().toStdString();
        QCOMPARE(offer.value(QStringLiteral("bytes")).toDouble(), 5000.0);
        std::string error;
        const auto region = engine::SharedMemoryRegion::open_and_unlink(name, 5000, &error);
        QVERIFY2(region, error.c_str());

        auto click = [&](quint64 id) {
            raw.send(wire::channel_request_message(id, segment_body(QStringLiteral("wide"), 50, 40, QStringLiteral("raw"))));
            const std::optional<QByteArray> message = raw.next();
            if (!message) qFatal("no answer to click %llu", static_cast<unsigned long long>(id));
            QString why;
            std::optional<wire::ChannelAnswer> answer = wire::parse_channel_answer(*message, &why);
            if (!answer || answer->id != id || answer->status != 200) qFatal("click %llu: %s", static_cast<unsigned long long>(id), qPrintable(why));
            return *answer;
        };
        // The masks an answer carries, wherever its frame lies.
        auto masks_of = [&](const wire::ChannelAnswer& answer, std::optional<wire::SharedFrame>* place) {
            QByteArray frame = answer.payload.mid(answer.body_offset);
            if (answer.kind == wire::ChannelBodyKind::SharedMaskFrame) {
                QString why;
                *place = wire::parse_shared_frame_body(answer.payload, answer.body_offset, region->size(), &why);
                if (!*place) qFatal("%s", qPrintable(why));
                frame = QByteArray(reinterpret_cast<const char*>(region->data() + (*place)->offset), qsizetype((*place)->length));
            }
            const std::optional<wire::MaskFrame> unframed = wire::unframe_masks(frame);
            if (!unframed) qFatal("not a mask frame");
            QString why;
            const auto result = wire::segment_result_from_json(unframed->json, &why, unframed->body, unframed->bits_offset);
            if (!result || result->candidates.size() != 1) qFatal("%s", qPrintable(why));
            return result->candidates[0].mask;
        };

        std::optional<wire::SharedFrame> place;
        const wire::ChannelAnswer in_stream = click(1);  // not opted in yet
        QCOMPARE(in_stream.kind, wire::ChannelBodyKind::MaskFrame);
        const std::vector<std::uint8_t> expected = masks_of(in_stream, &place);
        QCOMPARE(std::count(expected.begin(), expected.end(), 1) > 0, true);

        raw.send(wire::channel_release_message(0));  // "I read shared answers"
        const wire::ChannelAnswer first = click(2);
        QCOMPARE(first.kind, wire::ChannelBodyKind::SharedMaskFrame);
        QVERIFY(masks_of(first, &place) == expected);
        QCOMPARE(place->offset, quint64(0));
        QVERIFY(place->length > 2500 && place->length <= 5000);
        const wire::ChannelAnswer second = click(3);  // 2 not released: no room beside it
        QCOMPARE(second.kind, wire::ChannelBodyKind::MaskFrame);
        QVERIFY(masks_of(second, &place) == expected);
        raw.send(wire::channel_release_message(2));
        const wire::ChannelAnswer third = click(4);
        QCOMPARE(third.kind, wire::ChannelBodyKind::SharedMaskFrame);
        QVERIFY(masks_of(third, &place) == expected);
        QCOMPARE(place->offset, quint64(0));  // its place again
        QCOMPARE(server_->clickChannelSharedAnswers(), quint64(2));
    }

    // Before the token a message may hold a token and no more; after it, a request and no more.
    void aMessageOverTheCapClosesTheStream() {
        {
            RawChannel raw(server_->clickChannelName());
            QVERIFY(raw.connected());
            raw.send(wire::channel_message(QByteArray(wire::kMaxChannelTokenMessageBytes + 1, 'x')));
            QVERIFY(raw.closedByServer());
        }
        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message(token_.toUtf8()));
        QVERIFY(raw.next());
        raw.send(wire::channel_length_prefix(wire::kMaxChannelRequestBytes + 1));
        QVERIFY(raw.closedByServer());
        QCOMPARE(fake_->segments_started.load(), 0);
    }

    void aRequestShorterThanAnIdClosesTheStream() {
        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message(token_.toUtf8()));
        QVERIFY(raw.next());
        raw.send(wire::channel_message("1234567"));
        QVERIFY(raw.closedByServer());
    }

    // Answered like POST /api/v1/segment: 400 naming the problem, with the request's id.
    void badRequestsAreAnswered400() {
        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message(token_.toUtf8()));
        QVERIFY(raw.next());
        raw.send(wire::channel_request_message(7, "not json"));
        const std::optional<QByteArray> first = raw.next();
        QVERIFY(first);
        const RawAnswer a = parse(*first);
        QCOMPARE(a.id, quint64(7));
        QCOMPARE(a.status, 400);
        QCOMPARE(a.json.value(QStringLiteral("error")).toString(), QStringLiteral("bad_request"));
        raw.send(wire::channel_request_message(8, R"({"image_id": "img-1", "points": "left"})"));
        const std::optional<QByteArray> second = raw.next();
        QVERIFY(second);
        const RawAnswer b = parse(*second);
        QCOMPARE(b.id, quint64(8));
        QCOMPARE(b.status, 400);
        QVERIFY2(b.json.value(QStringLiteral("message")).toString().contains(QLatin1String("points")),
                 qPrintable(b.json.value(QStringLiteral("message")).toString()));
        QCOMPARE(fake_->segments_started.load(), 0);
    }

    // One connection may have kMaxChannelRequestsInFlight clicks waiting; one more is answered 429 at once.
    void tooManyClicksInFlightAreAnswered429() {
        encodeInFake(QStringLiteral("img-1"), 40, 30);
        fake_->segment_ms = 20;
        RawChannel raw(server_->clickChannelName());
        QVERIFY(raw.connected());
        raw.send(wire::channel_message(token_.toUtf8()));
        QVERIFY(raw.next());
        QByteArray burst;
        const int n = wire::kMaxChannelRequestsInFlight + 1;
        for (int i = 1; i <= n; ++i) burst += wire::channel_request_message(quint64(i), segment_body(QStringLiteral("img-1"), 10, 10));
        raw.send(burst);
        QMap<quint64, int> status;
        for (int i = 0; i < n; ++i) {
            const std::optional<QByteArray> m = raw.next();
            QVERIFY(m);
            const RawAnswer a = parse(*m);
            if (i == 0) QCOMPARE(a.id, quint64(n));  // refused before the first click is done
            status[a.id] = a.status;
        }
        QCOMPARE(status.size(), n);
        QCOMPARE(status.value(quint64(n)), 429);
        for (int i = 1; i < n; ++i) QCOMPARE(status.value(quint64(i)), 200);
    }

    // A channel that closes (the model process ended) fails the calls waiting on it.
    void aChannelThatClosesFailsItsCalls() {
        encodeInFake(QStringLiteral("img-1"), 40, 30);
        fake_->segment_ms = 2000;
        ClickChannelClient client(server_->clickChannelName(), token_);
        QTRY_VERIFY_WITH_TIMEOUT(client.isReady(), 5000);
        QFuture<ApiCallResult> waiting = client.postSegment(segment_body(QStringLiteral("img-1"), 10, 10), 60'000);
        QTRY_COMPARE_WITH_TIMEOUT(fake_->segments_started.load(), 1, 5000);
        server_.reset();  // its channel with it
        const ApiCallResult r = wait_result(waiting, 5000);
        QCOMPARE(r.http_status, 0);
        QVERIFY2(r.transport_error.contains(QLatin1String("closed")), qPrintable(r.transport_error));
        QVERIFY(!client.isReady());
    }
};

QTEST_MAIN(TestClickChannel)
#include "test_click_channel.moc"

// ModelRequestQueue alone (no model, no thread): the order the model thread
// runs requests in, and which pending request supersedes which (issue 14:
// one queue decides "unload > load > newest click > image on screen >
// encode-ahead" for every caller).
#include "core/service/model_request_queue.h"

#include <QTest>

#include <string>
#include <vector>

using namespace samlabel::service;
using Kind = ModelRequestKind;

namespace {

ModelRequest req(Kind kind, std::string image = {}, std::string source = {}) {
    return ModelRequest{kind, 0, std::move(source), std::move(image)};
}

// Pops everything: "kind:image" per request, in the order they would run.
QStringList drain(ModelRequestQueue& queue) {
    QStringList order;
    while (auto r = queue.pop())
        order << QString::fromLatin1(model_request_kind_name(r->kind)) + ':' + QString::fromStdString(r->image_id);
    return order;
}

std::vector<std::uint64_t> ids(const std::vector<ModelRequest>& requests) {
    std::vector<std::uint64_t> out;
    for (const ModelRequest& r : requests) out.push_back(r.id);
    return out;
}

}  // namespace

class TestModelRequestQueue : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Asked lowest priority first, run highest first.
    void runsInPriorityOrder() {
        ModelRequestQueue queue;
        queue.setEncodeAhead({"next1", "next2"}, 4);
        queue.push(req(Kind::EncodeCurrent, "screen"));
        queue.push(req(Kind::Detect, "d"));
        queue.push(req(Kind::Segment, "s"));
        queue.push(req(Kind::AddParts));
        queue.push(req(Kind::Load));
        QCOMPARE(drain(queue), (QStringList{"load:", "add-parts:", "segment:s", "detect:d", "encode-on-screen:screen",
                                            "encode-ahead:next1", "encode-ahead:next2"}));
        QVERIFY(queue.empty());
    }

    // Clicks on different images (or from different callers) are all kept,
    // the newest first; encode-ahead keeps the folder's order.
    void newestClickFirstAcrossImages() {
        ModelRequestQueue queue;
        queue.push(req(Kind::Segment, "a"));
        queue.push(req(Kind::Segment, "b"));
        queue.push(req(Kind::Segment, "a", "api"));
        QCOMPARE(drain(queue), (QStringList{"segment:a", "segment:b", "segment:a"}));
        queue.push(req(Kind::Segment, "a"));
        const auto newest = queue.push(req(Kind::Segment, "b"));
        QCOMPARE(queue.pop()->id, newest.id);
    }

    // A newer click on the same image from the same source supersedes the
    // pending one (returned, so its caller hears it will not run); another
    // image's or another source's click does not.
    void newerClickSupersedesTheSameImagesAndSource() {
        ModelRequestQueue queue;
        const auto first = queue.push(req(Kind::Segment, "img"));
        const auto other_image = queue.push(req(Kind::Segment, "other"));
        const auto other_source = queue.push(req(Kind::Segment, "img", "api"));
        QVERIFY(first.superseded.empty() && other_image.superseded.empty() && other_source.superseded.empty());
        const auto second = queue.push(req(Kind::Segment, "img"));
        QCOMPARE(ids(second.superseded), std::vector<std::uint64_t>{first.id});
        QCOMPARE(queue.count(Kind::Segment), 3u);
        // Detects follow the same rule, separately from clicks.
        const auto d1 = queue.push(req(Kind::Detect, "img"));
        const auto d2 = queue.push(req(Kind::Detect, "img"));
        QCOMPARE(ids(d2.superseded), std::vector<std::uint64_t>{d1.id});
        QCOMPARE(queue.count(Kind::Segment), 3u);
    }

    // The image on screen: a newer one from the same source supersedes the
    // older; the same image again is the same request; it leaves encode-ahead.
    void newerImageOnScreenSupersedesTheOlder() {
        ModelRequestQueue queue;
        queue.setEncodeAhead({"b", "c"}, 4);
        const auto a = queue.push(req(Kind::EncodeCurrent, "a"));
        const auto again = queue.push(req(Kind::EncodeCurrent, "a"));
        QCOMPARE(again.id, a.id);
        QVERIFY(again.superseded.empty());
        const auto api = queue.push(req(Kind::EncodeCurrent, "x", "api-encode:x"));
        const auto b = queue.push(req(Kind::EncodeCurrent, "b"));
        QCOMPARE(b.superseded.size(), 2u);  // "b" in encode-ahead and "a" (same source), in arrival order
        QCOMPARE(b.superseded.front().kind, Kind::EncodeAhead);
        QCOMPARE(b.superseded.front().image_id, std::string("b"));
        QCOMPARE(b.superseded.back().id, a.id);
        QVERIFY(api.superseded.empty());  // another source's image stays
        QCOMPARE(drain(queue), (QStringList{"encode-on-screen:b", "encode-on-screen:x", "encode-ahead:c"}));
    }

    // Unload cancels everything pending and hands it back; a later load
    // supersedes a pending unload (the newer command wins) and vice versa.
    void unloadCancelsPendingWork() {
        ModelRequestQueue queue;
        queue.push(req(Kind::Load));
        queue.push(req(Kind::AddParts));
        queue.push(req(Kind::Segment, "s"));
        queue.push(req(Kind::Detect, "d"));
        queue.push(req(Kind::EncodeCurrent, "e"));
        queue.setEncodeAhead({"n"}, 4);
        const auto unload = queue.push(req(Kind::Unload));
        QCOMPARE(unload.superseded.size(), 6u);
        QCOMPARE(drain(queue), QStringList{"unload:"});

        queue.push(req(Kind::Unload));
        const auto load = queue.push(req(Kind::Load));
        QCOMPARE(load.superseded.size(), 1u);
        QCOMPARE(load.superseded.front().kind, Kind::Unload);
        QCOMPARE(drain(queue), QStringList{"load:"});
    }

    void encodeAheadIsReplacedCappedAndSkipsTheImageOnScreen() {
        ModelRequestQueue queue;
        queue.push(req(Kind::EncodeCurrent, "screen"));
        queue.setEncodeAhead({"old"}, 4);
        const auto replaced = queue.setEncodeAhead({"screen", "n1", "n1", "n2", "n3"}, 2);
        QCOMPARE(replaced.size(), 1u);
        QCOMPARE(drain(queue), (QStringList{"encode-on-screen:screen", "encode-ahead:n1", "encode-ahead:n2"}));
        QVERIFY(!queue.hasAwaitedWork());
    }

    void cancelledLoadIsTakenOut() {
        ModelRequestQueue queue;
        QVERIFY(!queue.takeLoad());
        queue.push(req(Kind::Load));
        queue.push(req(Kind::Segment, "s"));
        QVERIFY(queue.takeLoad());
        QCOMPARE(drain(queue), QStringList{"segment:s"});
    }

    // From inside an encode: only a click runs, only if nothing above it
    // waits and its image is encoded.
    void clickDuringAnEncode() {
        ModelRequestQueue queue;
        const auto encoded = [](const std::string& image) { return image == "done"; };
        QVERIFY(!queue.popClickIf(encoded));
        queue.push(req(Kind::Segment, "not-yet"));
        QVERIFY(!queue.popClickIf(encoded));
        queue.push(req(Kind::Segment, "done"));
        queue.push(req(Kind::Load));
        QVERIFY(!queue.popClickIf(encoded));  // the load goes first, after the encode
        QVERIFY(queue.takeLoad());
        const auto click = queue.popClickIf(encoded);
        QVERIFY(click);
        QCOMPARE(click->image_id, std::string("done"));
        QCOMPARE(queue.count(Kind::Segment), 1u);
    }
};

QTEST_APPLESS_MAIN(TestModelRequestQueue)
#include "test_model_request_queue.moc"

// The embedding cache: LRU eviction by bytes, the on-disk store (atomic
// writes, corrupt files rejected, byte budget), and the content hash.
#include "core/engine/embedding_cache.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace samlabel::engine;

namespace {

// An embedding of a chosen size; its serialisation is a recognisable pattern.
class FakeEmbedding : public ImageEmbedding {
public:
    explicit FakeEmbedding(std::uint64_t bytes, std::uint8_t seed = 0) : bytes_(bytes), seed_(seed) {}
    int image_width() const override { return 8; }
    int image_height() const override { return 8; }
    std::uint64_t byte_size() const override { return bytes_; }
    bool serves_clicks() const override { return true; }
    bool serves_detection() const override { return false; }
    std::vector<std::uint8_t> serialize() const override {
        std::vector<std::uint8_t> out(bytes_);
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(seed_ + i * 7);
        return out;
    }

private:
    std::uint64_t bytes_;
    std::uint8_t seed_;
};

std::shared_ptr<const ImageEmbedding> fake(std::uint64_t bytes, std::uint8_t seed = 0) {
    return std::make_shared<FakeEmbedding>(bytes, seed);
}

}  // namespace

class TestEmbeddingCache : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void evictsLeastRecentlyUsedByBytes() {
        EmbeddingCache cache({.memory_budget_bytes = 100});
        cache.insert("a", fake(40));
        cache.insert("b", fake(40));
        QCOMPARE(cache.stats().memory_bytes, 80u);
        cache.insert("c", fake(40));  // 120 > 100: "a" (oldest) goes
        QVERIFY(!cache.contains("a"));
        QVERIFY(cache.contains("b") && cache.contains("c"));
        QCOMPARE(cache.stats().memory_bytes, 80u);
        QCOMPARE(cache.stats().evictions, 1u);

        QVERIFY(cache.find("b") != nullptr);  // b becomes the most recent
        cache.insert("d", fake(40));          // now "c" is the oldest
        QVERIFY(!cache.contains("c"));
        QCOMPARE(cache.keys_most_recent_first(), (std::vector<std::string>{"d", "b"}));
    }

    void oneLargeEntryEvictsSeveralSmallOnes() {
        EmbeddingCache cache({.memory_budget_bytes = 100});
        for (int i = 0; i < 5; ++i) cache.insert("s" + std::to_string(i), fake(20));
        QCOMPARE(cache.stats().memory_entries, 5u);
        cache.insert("big", fake(70));  // 170 -> must drop s0, s1, s2, s3 (70 + 20 = 90)
        QCOMPARE(cache.keys_most_recent_first(), (std::vector<std::string>{"big", "s4"}));
        QCOMPARE(cache.stats().memory_bytes, 90u);
        QCOMPARE(cache.stats().evictions, 4u);
    }

    void entryLargerThanBudgetIsNotKept() {
        EmbeddingCache cache({.memory_budget_bytes = 100});
        cache.insert("a", fake(30));
        cache.insert("huge", fake(101));
        QVERIFY(!cache.contains("huge"));
        QVERIFY(cache.contains("a"));  // nothing was evicted for it
        QCOMPARE(cache.stats().memory_bytes, 30u);
    }

    void replacingAKeyCountsItsBytesOnce() {
        EmbeddingCache cache({.memory_budget_bytes = 100});
        cache.insert("a", fake(30));
        cache.insert("a", fake(50));
        QCOMPARE(cache.stats().memory_entries, 1u);
        QCOMPARE(cache.stats().memory_bytes, 50u);
    }

    void shrinkingTheBudgetEvictsAtOnce() {
        EmbeddingCache cache({.memory_budget_bytes = 100});
        cache.insert("a", fake(30));
        cache.insert("b", fake(30));
        cache.insert("c", fake(30));
        cache.set_memory_budget_bytes(50);
        QCOMPARE(cache.keys_most_recent_first(), (std::vector<std::string>{"c"}));
    }

    void clearMemoryReportsTheBytesAndReleasesTheEmbeddings() {
        EmbeddingCache cache({.memory_budget_bytes = 1000});
        std::weak_ptr<const ImageEmbedding> watch;
        {
            auto e = fake(300);
            watch = e;
            cache.insert("a", e);
        }
        cache.insert("b", fake(200));
        QVERIFY(!watch.expired());
        QCOMPARE(cache.clear_memory(), 500u);
        QVERIFY(watch.expired());  // the cache held the last reference
        QCOMPARE(cache.stats().memory_entries, 0u);
    }

    void hitAndMissCounts() {
        EmbeddingCache cache({.memory_budget_bytes = 1000});
        cache.insert("a", fake(10));
        QVERIFY(cache.find("a"));
        QVERIFY(!cache.find("z"));
        QCOMPARE(cache.stats().hits, 1u);
        QCOMPARE(cache.stats().misses, 1u);
    }

    void diskRoundTripAndCorruptFilesRejected() {
        QTemporaryDir dir;
        EmbeddingCache cache({.memory_budget_bytes = 1000, .disk_dir = dir.path().toStdString(), .disk_budget_bytes = 1 << 20});
        const FakeEmbedding e(257, 3);
        cache.write_to_disk("file-abc|model", e);
        const auto back = cache.read_from_disk("file-abc|model");
        QVERIFY(back.has_value());
        QVERIFY(*back == e.serialize());
        QVERIFY(!cache.read_from_disk("file-other|model"));
        // No temporary file stays behind.
        int files = 0;
        for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir.path().toStdString())) ++files;
        QCOMPARE(files, 1);

        // A truncated entry (a crash of some other writer, a full disk) is a miss and is removed.
        const auto path = cache.disk_path_for("file-abc|model");
        std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
        QVERIFY(!cache.read_from_disk("file-abc|model"));
        QVERIFY(!std::filesystem::exists(path));

        // A file whose header names another key is not returned.
        cache.write_to_disk("key-one", e);
        std::filesystem::rename(cache.disk_path_for("key-one"), cache.disk_path_for("key-two"));
        QVERIFY(!cache.read_from_disk("key-two"));
    }

    void diskBudgetDropsTheOldestFiles() {
        QTemporaryDir dir;
        // Each entry: 8 magic + 8 + key (2) + 8 + 100 payload = 126 bytes; budget for two.
        EmbeddingCache cache({.memory_budget_bytes = 1000, .disk_dir = dir.path().toStdString(), .disk_budget_bytes = 260});
        cache.write_to_disk("k1", FakeEmbedding(100));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // distinct mtimes
        cache.write_to_disk("k2", FakeEmbedding(100));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        QVERIFY(cache.read_from_disk("k1"));  // reading refreshes k1: k2 is now the oldest
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        cache.write_to_disk("k3", FakeEmbedding(100));
        QVERIFY(cache.read_from_disk("k1").has_value());
        QVERIFY(!cache.read_from_disk("k2").has_value());
        QVERIFY(cache.read_from_disk("k3").has_value());
    }

    void contentHashDistinguishesContentAndSize() {
        std::vector<std::uint8_t> a(1000);
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(i * 31);
        const std::string h = content_hash_hex(a.data(), a.size());
        QCOMPARE(h.size(), 32u);
        QCOMPARE(content_hash_hex(a.data(), a.size()), h);  // deterministic
        auto b = a;
        b[999] ^= 1;  // one bit in the tail
        QVERIFY(content_hash_hex(b.data(), b.size()) != h);
        b = a;
        b[0] ^= 0x80;  // one bit in the first block
        QVERIFY(content_hash_hex(b.data(), b.size()) != h);
        QVERIFY(content_hash_hex(a.data(), 999) != h);  // same prefix, other length
        std::vector<std::uint8_t> zeros16(16), zeros17(17);
        QVERIFY(content_hash_hex(zeros16.data(), 16) != content_hash_hex(zeros17.data(), 17));

        ImageRgb8 img{2, 1, {1, 2, 3, 4, 5, 6}};
        ImageRgb8 transposed{1, 2, {1, 2, 3, 4, 5, 6}};
        QVERIFY(image_content_key(img) != image_content_key(transposed));  // same bytes, other shape
    }
};

QTEST_GUILESS_MAIN(TestEmbeddingCache)
#include "test_embedding_cache.moc"

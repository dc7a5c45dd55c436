// Checkpoint: HF folders with one file or a sharded index, and every index
// inconsistency, each error naming the file at fault and the tensor.
#include "core/engine/checkpoint.h"
#include "tests/engine/safetensors_test_writer.h"

#include <QTemporaryDir>
#include <QTest>

#include <functional>

using samlabel::engine::Checkpoint;
using samlabel::engine::CheckpointError;
using samlabel::test::write_f32_safetensors;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void expect_error(const fs::path& open_path, const fs::path& file, const std::string& tensor, const std::string& needle) {
    try {
        Checkpoint::open(open_path);
    } catch (const CheckpointError& e) {
        const std::string what = e.what();
        QVERIFY2(e.file() == file, ("file " + e.file().string() + " in: " + what).c_str());
        QCOMPARE(QString::fromStdString(e.tensor()), QString::fromStdString(tensor));
        QVERIFY2(what.find(file.string()) != std::string::npos, what.c_str());
        if (!tensor.empty()) QVERIFY2(what.find("'" + tensor + "'") != std::string::npos, what.c_str());
        QVERIFY2(what.find(needle) != std::string::npos, ("expected '" + needle + "' in: " + what).c_str());
        return;
    }
    QFAIL(("no CheckpointError for " + open_path.string()).c_str());
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

void write_index(const fs::path& folder, const json& weight_map) {
    write_text(folder / "model.safetensors.index.json",
               json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump(2));
}

}  // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT
    QTemporaryDir root_;
    int folders_ = 0;
    fs::path new_folder() {
        const fs::path folder = fs::path(root_.path().toStdString()) / ("case" + std::to_string(folders_++));
        fs::create_directories(folder);
        return folder;
    }
    // Two valid shards: a.* in the first, b.* in the second.
    fs::path sharded_folder() {
        const fs::path folder = new_folder();
        write_f32_safetensors(folder / "model-00001-of-00002.safetensors", {{"a.x", {2}, {1, 2}}, {"a.y", {1}, {3}}});
        write_f32_safetensors(folder / "model-00002-of-00002.safetensors", {{"b.z", {3}, {4, 5, 6}}});
        return folder;
    }
    const json valid_map{{"a.x", "model-00001-of-00002.safetensors"},
                         {"a.y", "model-00001-of-00002.safetensors"},
                         {"b.z", "model-00002-of-00002.safetensors"}};

private slots:
    void initTestCase() { QVERIFY(root_.isValid()); }

    void singleFileFolderWithConfig() {
        const fs::path folder = new_folder();
        write_f32_safetensors(folder / "model.safetensors", {{"w", {2, 2}, {1, 2, 3, 4}}, {"b", {2}, {5, 6}}});
        write_text(folder / "config.json", R"({"model_type": "sam3_video", "vision": {"width": 1024}})");
        const auto checkpoint = Checkpoint::open(folder);
        QCOMPARE(QString::fromStdString(checkpoint->config().at("model_type").get<std::string>()), QStringLiteral("sam3_video"));
        QVERIFY(checkpoint->directory() == folder);
        QCOMPARE(checkpoint->files().size(), std::size_t(1));
        QVERIFY(checkpoint->files()[0] == folder / "model.safetensors");
        QCOMPARE(checkpoint->tensors().size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(checkpoint->tensors()[0].entry->name), QStringLiteral("b"));
        const auto w = checkpoint->find("w");
        QVERIFY(w);
        QCOMPARE(w->entry->shape, (std::vector<std::int64_t>{2, 2}));
        QVERIFY(!checkpoint->find("x"));
        QCOMPARE(checkpoint->tensor_bytes(), std::uint64_t(24));
    }

    void pathToSingleFile() {
        const fs::path folder = new_folder();
        write_f32_safetensors(folder / "weights.safetensors", {{"w", {1}, {7}}});
        const auto checkpoint = Checkpoint::open(folder / "weights.safetensors");
        QVERIFY(checkpoint->config().is_object());
        QVERIFY(checkpoint->config().empty());
        QVERIFY(checkpoint->directory() == folder);
        QVERIFY(checkpoint->find("w"));
    }

    void shardedFolder() {
        const fs::path folder = sharded_folder();
        write_index(folder, valid_map);
        const auto checkpoint = Checkpoint::open(folder);
        QCOMPARE(checkpoint->files().size(), std::size_t(2));
        QCOMPARE(checkpoint->tensors().size(), std::size_t(3));
        const auto z = checkpoint->find("b.z");
        QVERIFY(z);
        QVERIFY(z->file->path() == folder / "model-00002-of-00002.safetensors");
        float v;
        std::memcpy(&v, z->file->bytes(*z->entry).data() + 8, 4);
        QCOMPARE(v, 6.f);
        QCOMPARE(QString::fromStdString(checkpoint->tensors()[2].entry->name), QStringLiteral("b.z"));
    }

    void emptyFolder() {
        const fs::path folder = new_folder();
        expect_error(folder, folder, "", "holds neither model.safetensors nor model.safetensors.index.json");
    }

    void missingPath() {
        const fs::path missing = fs::path(root_.path().toStdString()) / "no-such-folder";
        expect_error(missing, missing, "", "does not exist");
    }

    void badConfig() {
        const fs::path folder = new_folder();
        write_f32_safetensors(folder / "model.safetensors", {{"w", {1}, {1}}});
        write_text(folder / "config.json", "{\"model_type\": ");
        expect_error(folder, folder / "config.json", "", "is not valid JSON");
    }

    void corruptShardNamesShard() {
        const fs::path folder = sharded_folder();
        write_index(folder, valid_map);
        write_text(folder / "model-00002-of-00002.safetensors", "tiny");
        expect_error(folder, folder / "model-00002-of-00002.safetensors", "", "shorter than the 8-byte header length");
    }

    void shardMissing() {
        const fs::path folder = sharded_folder();
        json map = valid_map;
        map["c.w"] = "model-00003-of-00003.safetensors";
        write_index(folder, map);
        expect_error(folder, folder / "model-00003-of-00003.safetensors", "c.w", "is missing");
    }

    void indexTensorMissingFromShard() {
        const fs::path folder = sharded_folder();
        json map = valid_map;
        map["a.gone"] = "model-00001-of-00002.safetensors";
        write_index(folder, map);
        expect_error(folder, folder / "model-00001-of-00002.safetensors", "a.gone", "missing from the shard");
    }

    void tensorInTwoShards() {
        const fs::path folder = sharded_folder();
        write_f32_safetensors(folder / "model-00002-of-00002.safetensors", {{"a.y", {1}, {3}}, {"b.z", {3}, {4, 5, 6}}});
        write_index(folder, valid_map);
        expect_error(folder, folder / "model-00002-of-00002.safetensors", "a.y", "stored in two shards");
    }

    void tensorNotInIndex() {
        const fs::path folder = sharded_folder();
        json map = valid_map;
        map.erase("a.y");
        write_index(folder, map);
        expect_error(folder, folder / "model-00001-of-00002.safetensors", "a.y", "not listed in model.safetensors.index.json");
    }

    void indexNamesWrongShard() {
        const fs::path folder = sharded_folder();
        write_f32_safetensors(folder / "model-00002-of-00002.safetensors", {{"b.w", {1}, {0}}, {"b.z", {3}, {4, 5, 6}}});
        json map = valid_map;
        map["b.w"] = "model-00002-of-00002.safetensors";
        map["b.z"] = "model-00001-of-00002.safetensors";
        write_index(folder, map);
        expect_error(folder, folder / "model-00002-of-00002.safetensors", "b.z", "places it in model-00001-of-00002");
    }

    void shardOutsideFolder() {
        const fs::path folder = sharded_folder();
        json map = valid_map;
        map["b.z"] = "../elsewhere.safetensors";
        write_index(folder, map);
        expect_error(folder, folder / "model.safetensors.index.json", "b.z", "not a plain file name");
    }

    void indexWithoutWeightMap() {
        const fs::path folder = sharded_folder();
        write_text(folder / "model.safetensors.index.json", R"({"metadata": {}})");
        expect_error(folder, folder / "model.safetensors.index.json", "", "has no \"weight_map\" object");
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"

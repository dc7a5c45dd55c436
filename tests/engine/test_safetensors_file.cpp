// SafetensorsFile: valid files (written by the reference `safetensors` package
// and by hand) and every corrupt-header case the reader must refuse, each
// with an error naming the file and the tensor.
#include "core/engine/safetensors_file.h"
#include "tests/engine/safetensors_test_writer.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <functional>

using samlabel::engine::CheckpointError;
using samlabel::engine::SafetensorsFile;
using samlabel::engine::TensorDType;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Runs `open` and checks it throws a CheckpointError about `file` and
// `tensor` whose message contains `needle`, the file path and the tensor name.
void expect_checkpoint_error(const fs::path& file, const std::string& tensor, const std::string& needle) {
    try {
        SafetensorsFile::open(file);
    } catch (const CheckpointError& e) {
        const std::string what = e.what();
        QCOMPARE(QString::fromStdString(e.file().string()), QString::fromStdString(file.string()));
        QCOMPARE(QString::fromStdString(e.tensor()), QString::fromStdString(tensor));
        QVERIFY2(what.find(file.string()) != std::string::npos, what.c_str());
        if (!tensor.empty()) QVERIFY2(what.find("'" + tensor + "'") != std::string::npos, what.c_str());
        QVERIFY2(what.find(needle) != std::string::npos, ("expected '" + needle + "' in: " + what).c_str());
        return;
    }
    QFAIL(("no CheckpointError for " + file.string()).c_str());
}

std::vector<std::uint8_t> zeros(std::size_t n) { return std::vector<std::uint8_t>(n, 0); }

json entry(const std::string& dtype, std::vector<std::int64_t> shape, std::uint64_t begin, std::uint64_t end) {
    return {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}};
}

}  // namespace

class TestSafetensorsFile : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path path(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void readsFileWrittenByReferenceLibrary() {
        const QString python = QStringLiteral(SAMLABEL_PYTHON);
        if (python.isEmpty()) QSKIP("SAMLABEL_PYTHON is empty: no reference writer");
        const fs::path file = path("reference.safetensors");
        // Values chosen so they can be checked without the reader: arange and
        // bf16-exact constants.
        const QString script = QStringLiteral(
            "import sys, torch\n"
            "from safetensors.torch import save_file\n"
            "save_file({'weight': torch.arange(12, dtype=torch.float32).reshape(3, 4),\n"
            "           'half': torch.tensor([1.5, -2.0, 0.25], dtype=torch.bfloat16),\n"
            "           'alpha.index': torch.arange(5, dtype=torch.int64) * 7,\n"
            "           'empty': torch.zeros(0, 3)}, sys.argv[1], metadata={'format': 'pt', 'note': 'x'})\n");
        QProcess process;
        process.start(python, {"-c", script, QString::fromStdString(file.string())});
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());

        const auto st = SafetensorsFile::open(file);
        QCOMPARE(st->tensors().size(), std::size_t(4));
        // Sorted by name.
        QCOMPARE(QString::fromStdString(st->tensors()[0].name), QStringLiteral("alpha.index"));
        QCOMPARE(QString::fromStdString(st->tensors()[3].name), QStringLiteral("weight"));
        QCOMPARE(QString::fromStdString(st->metadata().at("note")), QStringLiteral("x"));
        QCOMPARE(st->file_size(), std::uint64_t(fs::file_size(file)));

        const auto* weight = st->find("weight");
        QVERIFY(weight);
        QCOMPARE(weight->dtype, TensorDType::F32);
        QCOMPARE(weight->shape, (std::vector<std::int64_t>{3, 4}));
        QCOMPARE(weight->element_count(), std::uint64_t(12));
        const auto bytes = st->bytes(*weight);
        QCOMPARE(bytes.size(), std::size_t(48));
        for (int i = 0; i < 12; ++i) {
            float v;
            std::memcpy(&v, bytes.data() + 4 * i, 4);
            QCOMPARE(v, float(i));
        }
        const auto* half = st->find("half");
        QVERIFY(half);
        QCOMPARE(half->dtype, TensorDType::BF16);
        const std::uint16_t expected_bf16[] = {0x3FC0, 0xC000, 0x3E80};  // 1.5, -2.0, 0.25
        for (int i = 0; i < 3; ++i) {
            std::uint16_t v;
            std::memcpy(&v, st->bytes(*half).data() + 2 * i, 2);
            QCOMPARE(v, expected_bf16[i]);
        }
        const auto* index = st->find("alpha.index");
        QVERIFY(index);
        QCOMPARE(index->dtype, TensorDType::I64);
        std::int64_t last;
        std::memcpy(&last, st->bytes(*index).data() + 8 * 4, 8);
        QCOMPARE(last, std::int64_t(28));
        const auto* empty = st->find("empty");
        QVERIFY(empty);
        QCOMPARE(empty->byte_size(), std::uint64_t(0));
        QVERIFY(!st->find("missing"));
        QVERIFY(!st->find("weigh"));
        st->release(*weight);  // harmless on tiny tensors
        QCOMPARE(st->bytes(*weight).size(), std::size_t(48));
    }

    void readsHandWrittenFile() {
        const fs::path file = path("hand.safetensors");
        samlabel::test::write_f32_safetensors(file, {{"z.b", {2}, {1.f, 2.f}}, {"a.w", {1, 3}, {3.f, 4.f, 5.f}}});
        const auto st = SafetensorsFile::open(file);
        QCOMPARE(st->tensors().size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(st->tensors()[0].name), QStringLiteral("a.w"));
        const auto* a = st->find("a.w");
        QCOMPARE(a->data_begin, std::uint64_t(8));  // written second, after z.b's 8 bytes
        float v;
        std::memcpy(&v, st->bytes(*a).data() + 8, 4);
        QCOMPARE(v, 5.f);
        QCOMPARE(st->data_section_offset() % 8, std::uint64_t(0));
        QCOMPARE(QString::fromStdString(st->metadata().at("format")), QStringLiteral("pt"));
        QCOMPARE(samlabel::engine::parse_tensor_dtype("BF16"), std::optional<TensorDType>(TensorDType::BF16));
        QCOMPARE(samlabel::engine::tensor_dtype_size(TensorDType::F64), std::size_t(8));
        QCOMPARE(QString::fromStdString(std::string(samlabel::engine::tensor_dtype_name(TensorDType::Bool))),
                 QStringLiteral("BOOL"));
    }

    void missingFile() { expect_checkpoint_error(path("nope.safetensors"), "", "cannot open"); }

    void shorterThanLengthField() {
        const fs::path file = path("short.safetensors");
        std::ofstream(file, std::ios::binary) << "abc";
        expect_checkpoint_error(file, "", "shorter than the 8-byte header length");
    }

    void headerLengthBeyondFile() {
        const fs::path file = path("beyond.safetensors");
        const std::string text = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        samlabel::test::write_raw_safetensors(file, text, zeros(4), 1000);
        expect_checkpoint_error(file, "", "header length 1000 bytes reaches beyond the end");
    }

    void headerLengthOverCap() {
        // A sparse 300 MB file declaring a 200 MB header: refused before parsing.
        const fs::path file = path("huge-header.safetensors");
        samlabel::test::write_raw_safetensors(file, "{}", {}, 200ull * 1024 * 1024);
        fs::resize_file(file, 300ull * 1024 * 1024);  // a hole on Linux (ftruncate), SetEndOfFile on Windows
        expect_checkpoint_error(file, "", "exceeds the");
    }

    void badJson() {
        const fs::path file = path("badjson.safetensors");
        const std::string text = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";  // one brace short
        samlabel::test::write_raw_safetensors(file, text, zeros(4), text.size());
        expect_checkpoint_error(file, "", "header is not valid JSON");
    }

    void headerNotObject() {
        const fs::path file = path("array.safetensors");
        samlabel::test::write_raw_safetensors(file, "[1, 2]  ", {}, 8);
        expect_checkpoint_error(file, "", "header is not a JSON object");
    }

    void unknownDtype() {
        const fs::path file = path("dtype.safetensors");
        samlabel::test::write_safetensors(file, {{"ok", entry("F32", {1}, 0, 4)}, {"odd", entry("F33", {1}, 4, 8)}},
                                          zeros(8));
        expect_checkpoint_error(file, "odd", "unknown dtype \"F33\"");
    }

    void rangeOutsideData() {
        const fs::path file = path("outside.safetensors");
        samlabel::test::write_safetensors(file, {{"w", entry("F32", {4}, 8, 24)}}, zeros(16));
        expect_checkpoint_error(file, "w", "reach outside the 16-byte data section");
    }

    void rangeReversed() {
        const fs::path file = path("reversed.safetensors");
        samlabel::test::write_safetensors(file, {{"w", entry("F32", {0}, 8, 4)}}, zeros(16));
        expect_checkpoint_error(file, "w", "end before they begin");
    }

    void overlappingRanges() {
        const fs::path file = path("overlap.safetensors");
        samlabel::test::write_safetensors(file, {{"first", entry("F32", {4}, 0, 16)}, {"second", entry("F32", {2}, 12, 20)}},
                                          zeros(20));
        expect_checkpoint_error(file, "second", "overlap tensor 'first'");
    }

    void sizeNotShapeTimesDtype() {
        const fs::path file = path("size.safetensors");
        samlabel::test::write_safetensors(file, {{"w", entry("BF16", {2, 3}, 0, 16)}}, zeros(16));
        expect_checkpoint_error(file, "w", "holds 16 bytes but shape [2, 3] of BF16 needs 12");
    }

    void negativeDimension() {
        const fs::path file = path("negative.safetensors");
        samlabel::test::write_safetensors(file, {{"w", entry("F32", {-1}, 0, 4)}}, zeros(4));
        expect_checkpoint_error(file, "w", "not a non-negative integer");
    }

    void overflowingShape() {
        const fs::path file = path("overflow.safetensors");
        samlabel::test::write_safetensors(file, {{"w", entry("F32", {1ll << 40, 1ll << 40}, 0, 4)}}, zeros(4));
        expect_checkpoint_error(file, "w", "too large to address");
    }

    void missingFields() {
        const fs::path file = path("fields.safetensors");
        samlabel::test::write_safetensors(file, {{"w", {{"dtype", "F32"}, {"data_offsets", {0, 4}}}}}, zeros(4));
        expect_checkpoint_error(file, "w", "has no \"shape\" array");
        samlabel::test::write_safetensors(file, {{"w", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0}}}}}, zeros(4));
        expect_checkpoint_error(file, "w", "\"data_offsets\" is not a pair");
    }

    void duplicateName() {
        const fs::path file = path("duplicate.safetensors");
        const std::string text = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                 R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
        samlabel::test::write_raw_safetensors(file, text, zeros(8), text.size());
        expect_checkpoint_error(file, "w", "named twice");
    }

    void metadataNotStrings() {
        const fs::path file = path("metadata.safetensors");
        samlabel::test::write_safetensors(file, {{"__metadata__", {{"format", 1}}}, {"w", entry("F32", {1}, 0, 4)}}, zeros(4));
        expect_checkpoint_error(file, "", "__metadata__ entry 'format' is not a string");
    }
};

QTEST_GUILESS_MAIN(TestSafetensorsFile)
#include "test_safetensors_file.moc"

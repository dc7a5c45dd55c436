// ClipTokenizer against transformers 5.23's CLIPTokenizer: every prompt of
// tests/data/tokenizer/clip_corpus.json (tools/make_tokenizer_corpus.py) from both file
// layouts and from the special-token configurations of clip_vocab_from_open_clip.VARIANTS,
// with the OpenAI CLIP vocabulary rebuilt here from open_clip_torch (never committed).
// Plus hand-reasoned cases on a tiny vocabulary: merge ranks, </w>, unk, special tokens,
// limits, invalid UTF-8 and the errors for missing or corrupt files.
#include "core/engine/sam3/text/clip_tokenizer.h"
#include "core/engine/sam3/text/utf8.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

using samlabel::engine::text::ClipTokenizer;
using samlabel::engine::text::PromptTooLong;
using samlabel::engine::text::TokenizedPrompt;
using samlabel::engine::text::TokenizerError;
using samlabel::engine::text::append_utf8;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Printable ASCII as is, everything else as \u{XXXX}, so a report shows exactly what was sent.
std::string escaped(const std::string& utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        char32_t cp = length == 1 ? lead : lead & (0x3F >> (length - 1));
        for (std::size_t k = 1; k < length && i + k < utf8.size(); ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
        if (cp >= 0x20 && cp < 0x7F && cp != '\\') {
            out.push_back(static_cast<char>(cp));
        } else {
            char buffer[16];
            std::snprintf(buffer, sizeof buffer, "\\u{%X}", static_cast<unsigned>(cp));
            out += buffer;
        }
        i += length;
    }
    return out;
}

std::string ids_text(const std::vector<std::int64_t>& ids) {
    std::string out = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
    return out + "]";
}

// The padded ids and mask transformers gives for `valid` ids.
TokenizedPrompt padded(std::vector<std::int64_t> valid, std::int64_t pad_id, int context = 32) {
    TokenizedPrompt p;
    p.valid_length = static_cast<int>(valid.size());
    p.input_ids = std::move(valid);
    p.input_ids.resize(context, pad_id);
    p.attention_mask.assign(p.valid_length, 1);
    p.attention_mask.resize(context, 0);
    return p;
}

// Compares one reference case ({"text", "ids"} or {"text", "rejected", "n"}); returns a
// description of the difference, or nothing.
std::optional<std::string> compare_case(const ClipTokenizer& tokenizer, const json& c, std::int64_t pad_id) {
    const std::string text = c["text"].get<std::string>();
    if (c.value("rejected", false)) {
        const int n = c["n"].get<int>();
        try {
            const TokenizedPrompt got = tokenizer.encode(text);
            return "transformers gives " + std::to_string(n) + " ids (more than 32); accepted as " + ids_text(got.input_ids);
        } catch (const PromptTooLong& e) {
            const std::string what = e.what();
            if (e.token_count() != n || e.context_length() != 32)
                return "PromptTooLong(" + std::to_string(e.token_count()) + ", " + std::to_string(e.context_length()) +
                       "), transformers gives " + std::to_string(n) + " ids";
            if (what.find("at most 32 (30 + start/end)") == std::string::npos) return "message without the limit: " + what;
            return std::nullopt;
        } catch (const std::exception& e) {
            return std::string("threw ") + e.what();
        }
    }
    const TokenizedPrompt want = padded(c["ids"].get<std::vector<std::int64_t>>(), pad_id);
    try {
        const TokenizedPrompt got = tokenizer.encode(text);
        if (got.input_ids != want.input_ids || got.attention_mask != want.attention_mask || got.valid_length != want.valid_length)
            return "ids " + ids_text(got.input_ids) + " mask " + ids_text(got.attention_mask) + ", transformers " +
                   ids_text(want.input_ids) + " mask " + ids_text(want.attention_mask);
    } catch (const std::exception& e) {
        return std::string("threw ") + e.what() + ", transformers " + ids_text(want.input_ids);
    }
    return std::nullopt;
}

json read_corpus() {
    std::ifstream in(fs::path(SAMLABEL_TEST_DATA) / "tokenizer" / "clip_corpus.json", std::ios::binary);
    return json::parse(in);
}

}  // namespace

class TestClipTokenizer : public QObject {
    Q_OBJECT

    QTemporaryDir root_;
    int folders_ = 0;
    std::optional<fs::path> reference_;  // the rebuilt CLIP vocabulary, once built
    QString reference_error_;
    QString python_;

    fs::path new_folder() {
        const fs::path folder = fs::path(root_.path().toStdString()) / ("case" + std::to_string(folders_++));
        fs::create_directories(folder);
        return folder;
    }

    // The OpenAI CLIP vocabulary in both layouts plus the special-token variants, rebuilt from
    // open_clip_torch into the build tree by tools/clip_vocab_from_open_clip.py. A missing
    // Python or open_clip fails the calling test: a skip would hide that parity went unchecked.
    const fs::path* reference_folders() {
        if (reference_ || !reference_error_.isEmpty()) return reference_ ? &*reference_ : nullptr;
        python_ = QProcessEnvironment::systemEnvironment().value(QStringLiteral("SAMLABEL_PYTHON"));
        if (python_.isEmpty()) python_ = QStringLiteral(SAMLABEL_PYTHON);
        const QString& python = python_;
        if (python.isEmpty()) {
            reference_error_ = "SAMLABEL_PYTHON is empty: the parity test needs the project venv (scripts/samlabel.sh setup) "
                               "with transformers and open_clip_torch to rebuild the CLIP vocabulary";
            return nullptr;
        }
        const fs::path out = fs::path(SAMLABEL_BINARY_DIR) / "test-data" / "clip-tokenizer";
        QProcess p;
        p.start(python, {QStringLiteral(SAMLABEL_SOURCE_DIR) + "/tools/clip_vocab_from_open_clip.py",
                         "--out", QString::fromStdString((out / "vocab").string()),
                         "--tokenizer-json-out", QString::fromStdString((out / "tokenizer_json").string()),
                         "--variants-out", QString::fromStdString((out / "variants").string())});
        const bool finished = p.waitForFinished(180000);
        if (!finished || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            const QString why = !finished || p.exitStatus() != QProcess::NormalExit ? p.errorString()
                                                                                     : QStringLiteral("exit code %1").arg(p.exitCode());
            reference_error_ = "rebuilding the CLIP vocabulary with " + python + " failed (" + why + "): " +
                               QString::fromUtf8(p.readAllStandardError());
            return nullptr;
        }
        reference_ = out;
        return &*reference_;
    }

    // A folder with a tiny vocabulary: the byte symbols a b c, with and without </w>, and
    // the given merges (in rank order).
    fs::path tiny_folder(const std::vector<std::string>& merges, const json& extra_vocab = json::object(),
                         const std::string& config = "") {
        const fs::path folder = new_folder();
        json vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"a</w>", 3}, {"b</w>", 4}, {"c</w>", 5},
                      {"<|startoftext|>", 6}, {"<|endoftext|>", 7}};
        int next = 8;
        for (const std::string& m : merges) {
            std::string joined = m;
            joined.erase(joined.find(' '), 1);
            if (!vocab.contains(joined)) vocab[joined] = next++;
        }
        for (const auto& [token, id] : extra_vocab.items()) vocab[token] = id;
        write_text(folder / "vocab.json", vocab.dump());
        std::string text = "#version: 0.2\n";
        for (const std::string& m : merges) text += m + "\n";
        write_text(folder / "merges.txt", text);
        if (!config.empty()) write_text(folder / "tokenizer_config.json", config);
        return folder;
    }

    // Runs from_folder(folder) and checks it throws a TokenizerError naming `file` and `needle`.
    void expect_tokenizer_error(const fs::path& folder, const fs::path& file, const std::string& needle) {
        try {
            ClipTokenizer::from_folder(folder);
        } catch (const TokenizerError& e) {
            const std::string what = e.what();
            QVERIFY2(what.find(file.string()) != std::string::npos, ("expected the file " + file.string() + " in: " + what).c_str());
            QVERIFY2(what.find(needle) != std::string::npos, ("expected '" + needle + "' in: " + what).c_str());
            return;
        }
        QFAIL(("no TokenizerError for " + folder.string()).c_str());
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(root_.isValid()); }

    void corpusMatchesTransformersFromBothLayouts() {
        const fs::path* folders = reference_folders();
        if (!folders) QFAIL(qPrintable(reference_error_));
        const json corpus = read_corpus();
        const json& cases = corpus["cases"];
        QVERIFY2(cases.size() >= 2000, "the corpus lost prompts: regenerate it with tools/make_tokenizer_corpus.py");

        for (const char* layout : {"vocab", "tokenizer_json"}) {
            const ClipTokenizer tokenizer = ClipTokenizer::from_folder(*folders / layout);
            QCOMPARE(tokenizer.bos_id(), corpus["bos_id"].get<std::int64_t>());
            QCOMPARE(tokenizer.eos_id(), corpus["eos_id"].get<std::int64_t>());
            QCOMPARE(tokenizer.pad_id(), corpus["pad_id"].get<std::int64_t>());
            QCOMPARE(tokenizer.vocab_size(), corpus["vocab_size"].get<std::size_t>());
            std::string report;
            int mismatches = 0, rejected = 0;
            for (const json& c : cases) {
                rejected += c.value("rejected", false);
                if (const auto diff = compare_case(tokenizer, c, tokenizer.pad_id()); diff && ++mismatches <= 10)
                    report += "\n  [" + c["class"].get<std::string>() + "] \"" + escaped(c["text"].get<std::string>()) + "\": " + *diff;
            }
            QVERIFY2(mismatches == 0, (std::string(layout) + ": " + std::to_string(mismatches) + " of " +
                                       std::to_string(cases.size()) + " prompts differ from transformers" + report).c_str());

            // Timing (printed, not asserted): a fresh tokenizer, then with its word cache warm.
            const ClipTokenizer fresh = ClipTokenizer::from_folder(*folders / layout);
            for (const char* pass : {"cold cache", "warm cache"}) {
                const auto start = std::chrono::steady_clock::now();
                for (const json& c : cases) {
                    try {
                        (void)fresh.encode(c["text"].get_ref<const std::string&>());
                    } catch (const PromptTooLong&) {
                    }
                }
                const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
                qInfo("%s: %zu prompts (%d rejected) identical to transformers; %.2f us per prompt (%s)", layout,
                      cases.size(), rejected, us / static_cast<double>(cases.size()), pass);
            }
        }
    }

    void specialTokenConfigurationsMatchTransformers() {
        const fs::path* folders = reference_folders();
        if (!folders) QFAIL(qPrintable(reference_error_));
        const json corpus = read_corpus();
        QVERIFY(corpus["variants"].size() >= 5);
        for (const json& variant : corpus["variants"]) {
            const std::string name = variant["name"].get<std::string>();
            const ClipTokenizer tokenizer = ClipTokenizer::from_folder(*folders / "variants" / name);
            QCOMPARE(tokenizer.bos_id(), variant["bos_id"].get<std::int64_t>());
            QCOMPARE(tokenizer.eos_id(), variant["eos_id"].get<std::int64_t>());
            QCOMPARE(tokenizer.pad_id(), variant["pad_id"].get<std::int64_t>());
            QCOMPARE(tokenizer.vocab_size(), variant["vocab_size"].get<std::size_t>());
            std::string report;
            int mismatches = 0;
            for (const json& c : variant["cases"])
                if (const auto diff = compare_case(tokenizer, c, tokenizer.pad_id()); diff && ++mismatches <= 10)
                    report += "\n  \"" + escaped(c["text"].get<std::string>()) + "\": " + *diff;
            QVERIFY2(mismatches == 0, (name + ": " + std::to_string(mismatches) + " prompts differ from transformers" + report).c_str());
        }
    }

    // Every Unicode scalar value c in "A" + c + "b " + c against transformers
    // (tools/clip_code_point_sweep.py): the generated tables, through the whole pipeline.
    void everyCodePointMatchesTransformers() {
        const fs::path* folders = reference_folders();
        if (!folders) QFAIL(qPrintable(reference_error_));
        const fs::path sweep = *folders / "code_point_sweep.bin";
        QProcess p;
        p.start(python_, {QStringLiteral(SAMLABEL_SOURCE_DIR) + "/tools/clip_code_point_sweep.py", "--tokenizer",
                          QString::fromStdString((*folders / "vocab").string()), "--out", QString::fromStdString(sweep.string())});
        QVERIFY2(p.waitForFinished(600000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                 qPrintable("tools/clip_code_point_sweep.py failed: " + QString::fromUtf8(p.readAllStandardError())));

        std::ifstream in(sweep, std::ios::binary);
        std::string header(8 + 64, '\0');
        in.read(header.data(), static_cast<std::streamsize>(header.size()));
        QVERIFY2(in && header.starts_with("CLIPSWP1"), sweep.string().c_str());
        const auto read_u16 = [&in] {
            unsigned char b[2] = {0, 0};
            in.read(reinterpret_cast<char*>(b), 2);
            return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
        };
        unsigned char count_bytes[4] = {0, 0, 0, 0};
        in.read(reinterpret_cast<char*>(count_bytes), 4);
        const std::uint32_t count = count_bytes[0] | (count_bytes[1] << 8) | (count_bytes[2] << 16) | (count_bytes[3] << 24);
        QCOMPARE(count, std::uint32_t{0x110000 - 0x800});

        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(*folders / "vocab");
        std::string report;
        int mismatches = 0;
        std::uint32_t checked = 0;
        const auto start = std::chrono::steady_clock::now();
        for (char32_t cp = 0; cp < 0x110000; ++cp) {
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            std::vector<std::int64_t> want(read_u16());
            for (std::int64_t& id : want) id = read_u16();
            if (!in) QFAIL(("truncated " + sweep.string()).c_str());
            ++checked;
            std::string prompt = "A";
            append_utf8(prompt, cp);
            prompt += "b ";
            append_utf8(prompt, cp);
            std::string got;
            try {
                const TokenizedPrompt t = tokenizer.encode(prompt);
                if (want.size() <= 32 && t.input_ids == padded(want, tokenizer.pad_id()).input_ids) continue;
                got = ids_text(t.input_ids);
            } catch (const PromptTooLong& e) {
                if (want.size() > 32 && e.token_count() == static_cast<int>(want.size())) continue;
                got = e.what();
            }
            if (++mismatches <= 10) {
                char name[16];
                std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
                report += std::string("\n  ") + name + " \"" + escaped(prompt) + "\": " + got + ", transformers " + ids_text(want);
            }
        }
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        QCOMPARE(checked, count);
        QVERIFY2(mismatches == 0, (std::to_string(mismatches) + " code points differ from transformers" + report).c_str());
        qInfo("every scalar value (%u prompts) identical to transformers; %.2f us per prompt", checked, us / checked);
    }

    void concurrentEncodesGiveTheSameIds() {
        const fs::path* folders = reference_folders();
        if (!folders) QFAIL(qPrintable(reference_error_));
        const json corpus = read_corpus();
        std::vector<std::string> prompts;
        for (const json& c : corpus["cases"]) prompts.push_back(c["text"].get<std::string>());
        // Ids, or the PromptTooLong message, of each prompt.
        const auto outcome = [](const ClipTokenizer& tokenizer, const std::string& prompt) {
            try {
                return ids_text(tokenizer.encode(prompt).input_ids);
            } catch (const std::exception& e) {
                return std::string(e.what());
            }
        };
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(*folders / "vocab");
        std::vector<std::string> serial;
        for (const std::string& p : prompts) serial.push_back(outcome(tokenizer, p));

        // Races on the word cache happen while it fills: several rounds, each with an empty one.
        for (int round = 0; round < 10; ++round) {
            const ClipTokenizer shared = ClipTokenizer::from_folder(*folders / "vocab");
            std::vector<int> wrong(4, 0);
            std::vector<std::thread> threads;
            for (int t = 0; t < 4; ++t)
                threads.emplace_back([&, t] {
                    for (std::size_t i = 0; i < prompts.size(); ++i) {
                        const std::size_t k = (i * 7 + static_cast<std::size_t>(t + round) * 131) % prompts.size();
                        if (outcome(shared, prompts[k]) != serial[k]) ++wrong[t];
                    }
                });
            for (std::thread& t : threads) t.join();
            for (int t = 0; t < 4; ++t) QCOMPARE(wrong[t], 0);
        }
    }

    // "abc" is a, b, c</w>. Merging b + c</w> first leaves nothing for a; merging a + b first
    // leaves c</w> alone: the lower rank decides.
    void mergeRankOrderDecides() {
        const ClipTokenizer bc_first = ClipTokenizer::from_folder(tiny_folder({"b c</w>", "a b"}));
        QCOMPARE(bc_first.encode("abc").input_ids, padded({6, 0, 8, 7}, 7).input_ids);  // a, bc</w>
        const ClipTokenizer ab_first = ClipTokenizer::from_folder(tiny_folder({"a b", "b c</w>"}));
        QCOMPARE(ab_first.encode("abc").input_ids, padded({6, 8, 5, 7}, 7).input_ids);  // ab, c</w>
    }

    // "aaa" + "a</w>": a, a, a, a</w>. The pairs at 0 and 1 have the same rank: the leftmost
    // merges first, which then blocks the one at 1.
    void equalRanksMergeLeftmostFirst() {
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(tiny_folder({"a a"}));
        QCOMPARE(tokenizer.encode("aaaa").input_ids, padded({6, 8, 0, 3, 7}, 7).input_ids);  // aa, a, a</w>
    }

    // </w> goes on each word's last symbol only, so "a b" cannot merge at a word's end.
    void endOfWordSuffixOnTheLastSymbolOnly() {
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(tiny_folder({"a b"}));
        QCOMPARE(tokenizer.encode("ab").input_ids, padded({6, 0, 4, 7}, 7).input_ids);         // a, b</w>
        QCOMPARE(tokenizer.encode("abab").input_ids, padded({6, 8, 0, 4, 7}, 7).input_ids);    // ab, a, b</w>
        QCOMPARE(tokenizer.encode("a b").input_ids, padded({6, 3, 4, 7}, 7).input_ids);        // a</w>, b</w>
        const ClipTokenizer with_end = ClipTokenizer::from_folder(tiny_folder({"a b</w>"}));
        QCOMPARE(with_end.encode("ab").input_ids, padded({6, 8, 7}, 7).input_ids);             // ab</w>
    }

    // A symbol outside the vocabulary becomes the unknown token, one per symbol (not fused).
    void unknownSymbolsBecomeUnk() {
        const ClipTokenizer tokenizer =
            ClipTokenizer::from_folder(tiny_folder({}, {{"<unk>", 20}}, R"({"unk_token": "<unk>"})"));
        // <unk> has id 20 in a vocabulary of fewer tokens: the text encoder needs 21
        // embedding rows, which vocab_size() (checked against the encoder) must say.
        QCOMPARE(tokenizer.vocab_size(), std::size_t(21));
        QCOMPARE(tokenizer.encode("aza").input_ids, padded({6, 0, 20, 3, 7}, 7).input_ids);   // a, unk, a</w>
        QCOMPARE(tokenizer.encode("zz").input_ids, padded({6, 20, 20, 7}, 7).input_ids);
        // "é" is two bytes, so two byte symbols, both unknown.
        QCOMPARE(tokenizer.encode("\xC3\xA9").input_ids, padded({6, 20, 20, 7}, 7).input_ids);
        // Without a tokenizer_config.json, CLIP's unknown token is <|endoftext|>.
        const ClipTokenizer clip_default = ClipTokenizer::from_folder(tiny_folder({}));
        QCOMPARE(clip_default.encode("z").input_ids, padded({6, 7, 7}, 7).input_ids);
    }

    // Special tokens are cut out of the raw text in exact case before normalization.
    void specialTokensSplitOutOfTheRawText() {
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(tiny_folder({}));
        QCOMPARE(tokenizer.encode("a<|endoftext|>b").input_ids, padded({6, 3, 7, 4, 7}, 7).input_ids);
        QCOMPARE(tokenizer.encode("<|startoftext|>c").input_ids, padded({6, 6, 5, 7}, 7).input_ids);
        QCOMPARE(tokenizer.encode("<|endoftext|><|endoftext|>").input_ids, padded({6, 7, 7, 7}, 7).input_ids);
        // In another case they are ordinary text: 13 symbols, none in the tiny vocabulary.
        QCOMPARE(tokenizer.encode("<|ENDOFTEXT|>").input_ids, padded({6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, 7).input_ids);
        QCOMPARE(tokenizer.encode("<|ENDOFTEXT|>").valid_length, 15);
    }

    void lowercasesAndCollapsesWhitespace() {
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(tiny_folder({"a b"}));
        QCOMPARE(tokenizer.encode("AB\xE3\x80\x80\t\n c").input_ids, padded({6, 0, 4, 5, 7}, 7).input_ids);
    }

    void paddingMaskAndTheLimit() {
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(tiny_folder({}));
        const TokenizedPrompt empty = tokenizer.encode("");
        QCOMPARE(empty.input_ids, padded({6, 7}, 7).input_ids);
        QCOMPARE(empty.attention_mask, padded({6, 7}, 7).attention_mask);
        QCOMPARE(empty.valid_length, 2);

        std::string thirty;
        for (int i = 0; i < 30; ++i) thirty += "a ";
        const TokenizedPrompt full = tokenizer.encode(thirty);
        QCOMPARE(full.valid_length, 32);
        QCOMPARE(full.input_ids.size(), std::size_t{32});
        QCOMPARE(full.input_ids.back(), std::int64_t{7});
        QCOMPARE(full.attention_mask, std::vector<std::int64_t>(32, 1));
        try {
            tokenizer.encode(thirty + "a");
            QFAIL("31 tokens were accepted");
        } catch (const PromptTooLong& e) {
            QCOMPARE(e.token_count(), 33);
            QCOMPARE(e.context_length(), 32);
            QCOMPARE(QString::fromUtf8(e.what()),
                     QStringLiteral("prompt is 33 tokens (31 + start/end); SAM3's text encoder takes at most 32 (30 + start/end)"));
        }

        QCOMPARE(tokenizer.encode("a b", 4).input_ids, (std::vector<std::int64_t>{6, 3, 4, 7}));
        QVERIFY_THROWS_EXCEPTION(PromptTooLong, tokenizer.encode("a b c", 4));
        QCOMPARE(tokenizer.encode("a", 5).attention_mask, (std::vector<std::int64_t>{1, 1, 1, 0, 0}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tokenizer.encode("a", 1));
    }

    void invalidUtf8IsRefused_data() {
        QTest::addColumn<QByteArray>("prompt");
        QTest::addColumn<QString>("needle");
        QTest::newRow("truncated") << QByteArray("a\xC3") << "byte 1 (0xC3): truncated sequence";
        QTest::newRow("stray continuation") << QByteArray("ab\x80") << "byte 2 (0x80): continuation byte";
        QTest::newRow("overlong") << QByteArray("\xC0\xAF") << "overlong";
        QTest::newRow("surrogate") << QByteArray("\xED\xA0\x80") << "surrogate";
        QTest::newRow("beyond U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << "beyond U+10FFFF";
        QTest::newRow("not a lead byte") << QByteArray("\xFF") << "not a UTF-8 lead byte";
    }
    void invalidUtf8IsRefused() {
        QFETCH(QByteArray, prompt);
        QFETCH(QString, needle);
        const ClipTokenizer tokenizer = ClipTokenizer::from_folder(tiny_folder({}));
        try {
            tokenizer.encode(std::string_view(prompt.constData(), static_cast<std::size_t>(prompt.size())));
        } catch (const PromptTooLong& e) {
            QFAIL(e.what());
        } catch (const std::invalid_argument& e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith("prompt is not valid UTF-8: invalid UTF-8 at "), qPrintable(what));
            QVERIFY2(what.contains(needle), qPrintable(what));
            return;
        }
        QFAIL("invalid UTF-8 was accepted");
    }

    void missingFiles() {
        const fs::path empty = new_folder();
        QCOMPARE(ClipTokenizer::missing_files(empty), std::vector<std::string>{"tokenizer.json"});
        QCOMPARE(ClipTokenizer::missing_files(empty / "nope"), std::vector<std::string>{"tokenizer.json"});
        expect_tokenizer_error(empty, empty, "text prompts need tokenizer.json (or vocab.json + merges.txt) in ");
        expect_tokenizer_error(empty / "nope", empty / "nope", "no such folder");

        const fs::path only_vocab = new_folder();
        write_text(only_vocab / "vocab.json", R"({"a": 0})");
        QCOMPARE(ClipTokenizer::missing_files(only_vocab), std::vector<std::string>{"merges.txt"});
        expect_tokenizer_error(only_vocab, only_vocab, "text prompts need tokenizer.json (or vocab.json + merges.txt)");

        const fs::path only_merges = new_folder();
        write_text(only_merges / "merges.txt", "#version: 0.2\n");
        QCOMPARE(ClipTokenizer::missing_files(only_merges), std::vector<std::string>{"vocab.json"});

        QVERIFY(ClipTokenizer::missing_files(tiny_folder({})).empty());
        const fs::path tokenizer_json = new_folder();
        write_text(tokenizer_json / "tokenizer.json", "{}");
        QVERIFY(ClipTokenizer::missing_files(tokenizer_json).empty());
    }

    void corruptFilesNameTheFileAndTheProblem() {
        {
            const fs::path f = tiny_folder({});
            write_text(f / "vocab.json", R"({"a": 0,)");
            expect_tokenizer_error(f, f / "vocab.json", "is not valid JSON: ");
        }
        {
            const fs::path f = tiny_folder({});
            write_text(f / "vocab.json", R"(["a", "b"])");
            expect_tokenizer_error(f, f / "vocab.json", "is not a JSON object");
        }
        {
            const fs::path f = tiny_folder({});
            write_text(f / "vocab.json", R"({"a": "zero", "<|endoftext|>": 1, "<|startoftext|>": 2})");
            expect_tokenizer_error(f, f / "vocab.json", "the id of \"a\" is not an integer");
        }
        {
            const fs::path f = tiny_folder({});
            write_text(f / "vocab.json", R"({"a": 0, "<|startoftext|>": 2})");  // no unknown token
            expect_tokenizer_error(f, f / "vocab.json", "the unknown token \"<|endoftext|>\" is not in the vocabulary");
        }
        {
            const fs::path f = tiny_folder({"a b"});
            write_text(f / "merges.txt", "#version: 0.2\na b\na b c\n");
            expect_tokenizer_error(f, f / "merges.txt", "line 3 is not two tokens separated by one space");
        }
        {
            const fs::path f = tiny_folder({"a b"});
            write_text(f / "merges.txt", "#version: 0.2\na b\nb z\n");
            expect_tokenizer_error(f, f / "merges.txt", "merge 2 (\"b z\"): \"z\" is not in the vocabulary");
        }
        {
            const fs::path f = tiny_folder({"a b"});
            write_text(f / "merges.txt", "#version: 0.2\nb c\n");  // "bc" is not in the vocabulary
            expect_tokenizer_error(f, f / "merges.txt", "\"bc\" is not in the vocabulary");
        }
        {
            const fs::path f = new_folder();
            write_text(f / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0})");
            expect_tokenizer_error(f, f / "tokenizer.json", "is not valid JSON: ");
        }
        {
            const fs::path f = new_folder();
            write_text(f / "tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})");
            expect_tokenizer_error(f, f / "tokenizer.json", "model.type is \"WordPiece\", not \"BPE\"");
        }
        {
            const fs::path f = new_folder();
            write_text(f / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "<|endoftext|>": 1}}})");
            expect_tokenizer_error(f, f / "tokenizer.json", "has no model.merges");
        }
        {
            const fs::path f = new_folder();
            write_text(f / "tokenizer.json",
                       R"({"model": {"type": "BPE", "vocab": {"a": 0, "<|endoftext|>": 1}, "merges": [["a", "q"]]}})");
            expect_tokenizer_error(f, f / "tokenizer.json", "merge 1 (\"a q\"): \"q\" is not in the vocabulary");
        }
        {
            const fs::path f = tiny_folder({}, json::object(),
                                           R"({"eos_token": {"__type": "AddedToken", "content": "<|endoftext|>", "lstrip": true}})");
            expect_tokenizer_error(f, f / "tokenizer_config.json", "sets lstrip");
        }
        {
            const fs::path f = tiny_folder({}, json::object(), "{\"pad_token\": ");
            expect_tokenizer_error(f, f / "tokenizer_config.json", "is not valid JSON: ");
        }
    }
};

QTEST_GUILESS_MAIN(TestClipTokenizer)
#include "test_clip_tokenizer.moc"

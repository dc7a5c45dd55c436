#!/usr/bin/env python3
"""Write tests/data/tokenizer/clip_corpus.json: prompts with the ids and attention masks of
transformers' CLIPTokenizer as SAM3's processor calls it (padding="max_length",
max_length=32, no truncation), for tests/engine/test_clip_tokenizer.

The vocabulary is OpenAI CLIP's, rebuilt from open_clip_torch by
tools/clip_vocab_from_open_clip.py (never committed). Prompts come in classes (see
CLASS_MINIMUM), hand-written cases plus ones generated with a fixed seed; the script is
deterministic (two runs give identical bytes).

Stored compactly, one case a line:
  {"class": c, "text": t, "ids": [...]}          ids up to EOS; the mask is 1 on them and
                                                  the rest is pad_id (both checked here)
  {"class": c, "text": t, "rejected": true, "n": N}   transformers returned N > 32 ids,
                                                  untruncated; SAM3 cannot take the prompt
The "variants" section holds the ids of the special-token prompts for each folder of
clip_vocab_from_open_clip.VARIANTS, with that folder's bos/eos/pad ids and id count.

  make_tokenizer_corpus.py [--out tests/data/tokenizer/clip_corpus.json]
"""
import argparse
import json
import random
import sys
import tempfile
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clip_vocab_from_open_clip as vocab_tool  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests/data/tokenizer/clip_corpus.json"
CONTEXT = 32
SEED = 20240613

# Every class must be well represented; the script fails below these counts.
CLASS_MINIMUM = {
    "nouns": 250, "phrases": 150, "punctuation": 100, "numbers": 100, "contractions": 80, "accents": 120,
    "cjk": 60, "kana": 50, "korean": 50, "arabic": 50, "hebrew": 40, "devanagari": 40, "thai": 40,
    "emoji": 80, "combining_marks": 80, "turkish_i": 30, "greek_sigma": 30, "german_sharp_s": 20,
    "full_width": 40, "unicode_spaces": 100, "zero_width": 40, "html_entities": 30, "special_tokens": 60,
    "mixed_scripts": 60, "long_words": 60, "overlong": 50, "at_limit": 60, "empty": 8, "random_code_points": 150,
}

COCO = """person, bicycle, car, motorcycle, airplane, bus, train, truck, boat, traffic light, fire hydrant, stop sign,
parking meter, bench, bird, cat, dog, horse, sheep, cow, elephant, bear, zebra, giraffe, backpack, umbrella, handbag,
tie, suitcase, frisbee, skis, snowboard, sports ball, kite, baseball bat, baseball glove, skateboard, surfboard,
tennis racket, bottle, wine glass, cup, fork, knife, spoon, bowl, banana, apple, sandwich, orange, broccoli, carrot,
hot dog, pizza, donut, cake, chair, couch, potted plant, bed, dining table, toilet, tv, laptop, mouse, remote,
keyboard, cell phone, microwave, oven, toaster, sink, refrigerator, book, clock, vase, scissors, teddy bear,
hair drier, toothbrush"""
LVIS_LIKE = """aerosol can, air conditioner, alarm clock, alligator, almond, ambulance, amplifier, anklet, antenna, apron,
aquarium, armband, armchair, artichoke, ashtray, asparagus, atomizer, avocado, award, awning, ax, baby buggy,
backboard, bagel, balloon, bamboo, banner, barrel, baseball cap, basket, bathrobe, bathtub, battery, beanbag,
bedspread, beeper, beer bottle, bell pepper, belt buckle, binoculars, birdhouse, blackberry, blazer, blender, blinker,
blueberry, bookcase, boot, bow tie, bracelet, briefcase, broom, bucket, bulldozer, bullhorn, butterfly, cabinet,
calculator, camel, candle, canoe, cantaloupe, cardigan, carton, cauliflower, chandelier, cherry, chopsticks,
cigarette, clipboard, coat hanger, cockroach, coconut, colander, crayon, crib, crown, cucumber, cupcake, curtain,
cushion, dartboard, dishwasher, dolphin, doorknob, dragonfly, drumstick, dumbbell, earphone, easel, eggplant, envelope,
eraser, faucet, ferris wheel, figurine, fire extinguisher, flamingo, flashlight, flip-flop, fountain, gargoyle,
garlic, goggles, gorilla, grater, guitar, hairnet, hammock, hamster, harmonica, headlight, hedgehog, helmet,
hippopotamus, hourglass, hummingbird, iguana, jacket, jellyfish, kayak, kettle, ladle, lampshade, lanyard, lawn mower,
lemon, lightbulb, lizard, lollipop, mailbox, mandarin orange, manhole, mascot, measuring cup, milestone, mitten,
mousepad, mushroom, napkin, necklace, nightshirt, notebook, octopus, ostrich, padlock, paintbrush, pajamas, pelican,
penguin, pepper mill, pinecone, pitchfork, pliers, poncho, popsicle, postcard, pretzel, pumpkin, puppet, quesadilla,
raccoon, razorblade, saddle, salami, saxophone, scarecrow, shovel, skateboard ramp, sombrero, spatula, squirrel,
stapler, steering wheel, stirrup, sunglasses, tambourine, teapot, telescope, thermostat, tiara, tortilla, tricycle,
tripod, turtleneck, typewriter, ukulele, vending machine, waffle, walrus, wheelbarrow, windmill, wok, yak, yogurt,
zucchini"""


def names(block):
    return [name.strip() for name in block.replace("\n", " ").split(",")]


NOUNS = sorted(set(names(COCO)) | set(names(LVIS_LIKE)))
COLORS = ["red", "green", "blue", "yellow", "black", "white", "orange", "purple", "pink", "brown", "gray", "silver"]
SIZES = ["small", "large", "tiny", "huge", "tall", "short", "old", "new", "broken", "wet", "shiny", "striped"]
PLACES = ["on the left", "on the right", "in the background", "on a table", "near the window", "in the water",
          "under the bed", "on the street", "in a box", "at night", "in the snow", "behind the fence"]
TEMPLATES = ["a photo of a {n}", "the {n}", "a {c} {n}", "{s} {n} {p}", "two {n}s", "a {n} and a {m}",
             "{n} next to the {m}", "a close-up photo of the {n}", "{c} {n}", "every {n} {p}", "a {s} {c} {n}",
             "{N}", "{T}", "the {n} is {c}", "a picture of {n}s {p}"]

ACCENTED = ["café", "naïve", "résumé", "São Paulo", "Zürich", "Ångström", "Łódź", "Dvořák", "crème brûlée", "piñata",
            "façade", "jalapeño", "Øresund", "Ærø", "Kraków", "Reykjavík", "Mötley Crüe", "Île-de-France",
            "Việt Nam", "Nguyễn", "Đà Nẵng", "Hồ Chí Minh", "Ελλάδα", "Ñandú", "Šibenik", "Cluj-Napoca Țară",
            "Ġgantija", "Düsseldorf", "Besançon", "Curaçao", "pâté", "smörgåsbord", "fiancée", "über", "Brontë",
            "Citroën", "Mañana", "Ærøskøbing", "Göteborg", "Ḥalab", "Ōsaka", "Kyōto", "Tōkyō", "Māori", "Škoda"]
CJK_WORDS = ["猫", "狗", "汽车", "红色的汽车", "一只猫坐在桌子上", "交通灯", "人", "自行车", "飞机", "长颈鹿",
             "貓", "車", "電車", "自転車", "東京", "北京", "香港", "大熊猫", "苹果和香蕉", "桌子上的杯子",
             "𠀀", "𠮷野家", "𪚥", "豈", "更", "﨑", "丽", "。，、「」", "猫cat", "dog狗", "三只狗", "第1名"]
KANA_WORDS = ["ねこ", "いぬ", "カメラ", "コーヒー", "ｶﾒﾗ", "か\u3099", "ハ\u309a", "が", "パン", "゛", "ゟ", "ヿ",
              "ラーメン", "すし", "おにぎり", "ｺｰﾋｰ", "ｶﾞ", "ﾊﾟ", "ヴ", "う\u3099", "ゝゞ", "ヽヾ", "ーー",
              "ひらがな カタカナ", "ぁぃぅ", "ㇰㇱ"]
KOREAN_WORDS = ["고양이", "강아지", "자동차", "빨간 자동차", "\u1100\u1161\u11a8", "\u1100\u1161", "ㄱㅏ", "ᄀᆞ",
                "한국어", "서울", "가\u11a8", "가\u11a7", "\u1112\u1161\u11ab\u1100\u1173\u11af", "ㅋㅋㅋ", "사과 두 개"]
ARABIC_WORDS = ["قطة", "كلب", "سيارة حمراء", "قِطَّة", "مُحَمَّد", "كـلب", "٣ قطط", "گربه", "بلی", "\u200fقطة",
                "ﻻ", "ﷺ", "السَّلامُ عَلَيْكُم", "بَّ", "بَّ", "تفاحة وموزة", "٠١٢٣٤٥٦٧٨٩"]
HEBREW_WORDS = ["חתול", "כלב", "חָתוּל", "שָׁלוֹם", "בּ", "וּ", "שׁ", "שָׁ", "שָׁ", "מכונית אדומה", "ירושלים"]
DEVANAGARI_WORDS = ["बिल्ली", "कुत्ता", "गाड़ी", "क़", "क\u093c", "नमस्ते", "हिन्दी", "१२३", "लाल गाड़ी",
                    "क्ष", "ज्ञ", "ड़", "ड\u093c", "ॐ", "कि", "की"]
THAI_WORDS = ["แมว", "สุนัข", "รถยนต์สีแดง", "ภาษาไทย", "ก\u0e48\u0e38", "ก\u0e38\u0e48", "น้ำ", "๑๒๓",
              "กรุงเทพมหานคร", "ผลไม้", "ช้าง", "ปลา"]
EMOJI = ["🐱", "🐶", "🚗", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🏳\ufe0f\u200d🌈", "🇫🇷🇩🇪", "1\ufe0f\u20e3", "❤\ufe0f",
         "❤", "☺\ufe0f", "👩🏾\u200d💻", "🧑\u200d🚀", "🐈\u200d⬛", "a cat 🐱", "🐱🐱🐱", "🍕 and 🍺", "👋🏻👋🏼👋🏽👋🏾👋🏿",
         "🇯🇵", "#\ufe0f\u20e3", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "©\ufe0f", "🫠", "🦄 unicorn"]
SPACES = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "\x85", "\xa0", "\u1680"] + [chr(c) for c in range(0x2000, 0x200B)] + \
         ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\r\n"]
NOT_SPACES = ["\u180e", "\u200b", "\ufeff", "\x1c", "\x1d", "\x1e", "\x1f", "\u2060"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\xad", "\u034f", "\u180e", "\ufe0f", "\U000e0001"]
MARKS = [chr(c) for r in ((0x300, 0x370), (0x1AB0, 0x1ABF), (0x1DC0, 0x1E00), (0x20D0, 0x20F1), (0xFE20, 0xFE30))
         for c in range(*r) if unicodedata.category(chr(c)).startswith("M")]
ASCII_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
UNICODE_PUNCT = "«»„“”‘’‚—–…‽¿¡•·§¶†‡©®™°±×÷€£¥₹←→↑↓∞≠≤≥√∑∆∂★☆♥♦♣♠♪♫⁂※〈〉【】《》"


def build_cases(rng):
    cases = []

    def add(cls, *texts):
        for t in texts:
            cases.append((cls, t))

    # Plain nouns (COCO / LVIS-like class names) and phrases.
    add("nouns", *NOUNS)
    add("nouns", *[n.capitalize() for n in rng.sample(NOUNS, 30)], *[n.upper() for n in rng.sample(NOUNS, 20)])
    for _ in range(220):
        n, m = rng.sample(NOUNS, 2)
        t = rng.choice(TEMPLATES).format(n=n, m=m, c=rng.choice(COLORS), s=rng.choice(SIZES), p=rng.choice(PLACES),
                                         N=n.upper(), T=n.title())
        add("phrases", t)

    # Punctuation.
    add("punctuation", "dog, cat.", "red-car", "(person)", "a/b", "...", "!!!", "#1", "@user", "e.g.", "C++", "\"cat\"",
        "'cat'", "«chat»", "—", "…", "¿qué?", "¡hola!", "cat!?", "a--b", "x_y_z", "[box]", "{dog}", "a|b", "~cat~",
        "50%", "$5", "€10", "?", ".", "-", "'", "''", "'''", "a.b.c", "/usr/bin", "\\n", "cat...dog", "(((a)))")
    for _ in range(90):
        w = rng.choice(NOUNS)
        p = "".join(rng.choice(ASCII_PUNCT + UNICODE_PUNCT) for _ in range(rng.randint(1, 5)))
        add("punctuation", rng.choice([w + p, p + w, w + " " + p + " " + rng.choice(NOUNS), p, p + p]))

    # Digits and numbers (ASCII and other scripts' digits, fractions, numerals).
    add("numbers", "3 dogs", "1024x768", "3.14", "1,000,000", "2nd", "v2.0", "007", "٣", "३", "３", "²", "½", "Ⅻ",
        "①②", "𝟙𝟚", "၁၂", "๑๒", "12:30", "1/2", "-5", "+49 30 1234", "10⁶", "1e10", "0x1F", "Ⅰ Ⅱ Ⅲ", "ⅻ", "Ⓐ",
        "⑳", "㊿", "〇", "零一二", "1st 2nd 3rd 4th", "99 bottles", "2024-06-13", "3½", "IV", "৩", "߃")
    digit_zeros = [0x660, 0x966, 0xFF10, 0x9E6, 0xE50]  # Arabic-Indic, Devanagari, full-width, Bengali, Thai
    for _ in range(80):
        k = rng.randint(1, 12)
        other_digits = "".join(chr(rng.choice(digit_zeros) + rng.randint(0, 9)) for _ in range(rng.randint(1, 4)))
        add("numbers", rng.choice([str(rng.randint(0, 10 ** k)), f"{rng.random() * 10 ** rng.randint(0, 5):.{rng.randint(1, 4)}f}",
                                   f"{rng.randint(1, 99)} {rng.choice(NOUNS)}s", f"{rng.randint(1, 9999):,}", other_digits]))

    # Contractions: ASCII apostrophe forms them; the curly one (and other look-alikes) must not.
    base = ["it's", "don't", "they're", "we've", "I'm", "you'll", "he'd", "IT'S", "DON'T", "THEY'RE", "We'Ve", "I'M",
            "YOU'LL", "HE'D", "it’s", "don’t", "they’re", "we’ve", "I’m", "you’ll", "he’d", "I‘m", "itʼs", "it`s",
            "it′s", "rock'n'roll", "'s", "''s", "s'", "'S", "'Re", "'LL", "can't've", "y'all'd've", "o'clock",
            "'tis", "dogs'", "dog's bowl", "' s", "'sup", "'t'", "it's'", "'re'", "'ve", "'m", "'d", "'ll", "'",
            "the cat's toy", "the cats' toys", "ma'am", "'s's", "'S'T'RE", "it＇s", "l'homme", "d'Artagnan",
            "O'Brien", "McDonald's", "'Twas", "you'd've"]
    add("contractions", *base)
    pronouns = ["it", "that", "she", "we", "they", "you", "I", "there", "who", "what"]
    for _ in range(40):
        suffix = rng.choice(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"])
        apostrophe = rng.choice(["'", "'", "’", "ʼ"])
        text = rng.choice(pronouns) + suffix.replace("'", apostrophe) + " " + rng.choice(NOUNS)
        add("contractions", rng.choice([text, text.upper(), text.title()]))

    # Accents: precomposed, decomposed, upper case, mixed.
    for w in ACCENTED:
        add("accents", w, unicodedata.normalize("NFD", w), w.upper(), unicodedata.normalize("NFD", w.upper()))

    # Scripts.
    add("cjk", *CJK_WORDS, "\uf900", "\ufa10", "\U0002f800", "\u2f00", "\u3400")
    for _ in range(35):
        add("cjk", "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(rng.randint(1, 8))))
    add("kana", *KANA_WORDS)
    for _ in range(30):
        lo, hi = rng.choice([(0x3041, 0x3096), (0x30A1, 0x30FA), (0xFF66, 0xFF9F)])
        add("kana", "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 7))))
    add("korean", *KOREAN_WORDS)
    for _ in range(40):
        if rng.random() < 0.5:
            add("korean", "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(rng.randint(1, 5))))
        else:  # conjoining jamo, which NFC composes
            add("korean", "".join(chr(0x1100 + rng.randint(0, 18)) + chr(0x1161 + rng.randint(0, 20)) +
                                  (chr(0x11A7 + rng.randint(0, 27)) if rng.random() < 0.6 else "") for _ in range(rng.randint(1, 3))))
    add("arabic", *ARABIC_WORDS)
    harakat = [chr(c) for c in range(0x64B, 0x653)] + ["\u0670"]
    for _ in range(40):
        add("arabic", "".join(chr(rng.randint(0x628, 0x64A)) + "".join(rng.sample(harakat, rng.randint(0, 3)))
                              for _ in range(rng.randint(1, 5))))
    add("hebrew", *HEBREW_WORDS, "\ufb2a", "\ufb2b", "\ufb4b")
    niqqud = [chr(c) for c in range(0x5B0, 0x5BD)] + ["\u05c1", "\u05c2", "\u05bf"]
    for _ in range(30):
        add("hebrew", "".join(chr(rng.randint(0x5D0, 0x5EA)) + "".join(rng.sample(niqqud, rng.randint(0, 3)))
                              for _ in range(rng.randint(1, 5))))
    add("devanagari", *DEVANAGARI_WORDS, "\u0958\u0959\u095a", "\u095c\u095d")
    for _ in range(30):
        add("devanagari", "".join(chr(rng.randint(0x915, 0x939)) + rng.choice(["", "\u093c", "\u094d", "\u093f", "\u0940", "\u0941", "\u0902", "\u093c\u094d"])
                                  for _ in range(rng.randint(1, 5))))
    add("thai", *THAI_WORDS)
    for _ in range(35):
        add("thai", "".join(chr(rng.randint(0xE01, 0xE2E)) + "".join(rng.sample(["\u0e31", "\u0e34", "\u0e38", "\u0e48", "\u0e49", "\u0e4c", "\u0e47"], rng.randint(0, 2)))
                            for _ in range(rng.randint(1, 6))))

    # Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
    add("emoji", *EMOJI)
    for _ in range(70):
        seq = []
        for _ in range(rng.randint(1, 4)):
            e = chr(rng.randint(0x1F300, 0x1FAFF))
            if rng.random() < 0.3:
                e += chr(rng.randint(0x1F3FB, 0x1F3FF))
            if rng.random() < 0.2:
                e += "\ufe0f"
            seq.append(e)
        add("emoji", rng.choice(["", "\u200d"]).join(seq) + rng.choice(["", " " + rng.choice(NOUNS)]))

    # Combining marks (canonical reordering and composition, blocked and not).
    add("combining_marks", "a\u0301\u0316", "e\u0301\u0300", "o\u0308\u0304", "\u0301abc", " \u0301", "1\u0301",
        "!\u0301", "a\u034f\u0301", "\ufb01", "ǅ", "\u0344", "\u0340\u0341", "\u212b", "\u2126", "\u1e9b\u0323",
        "a\u0328\u0301", "a\u0301\u0328", "e\u0327\u0306", "\u0041\u030a", "\u00c5\u0301", "u\u0308\u0301",
        "ü\u0301", "a\u05ae\u0301\u0316", "ạ\u0302", "\u0061\u0315\u0300\u05ae\u0300\u0062", "i\u0307\u0301",
        "\u0300\u0300\u0300", "cafe\u0301 au lait", "x\u20d7", "a\u20dd", "\u0345\u0301", "α\u0345\u0301")
    for _ in range(80):
        add("combining_marks", "".join(rng.choice("aeiouAEIOUnNcCsSzZxy") + "".join(rng.choice(MARKS) for _ in range(rng.randint(0, 4)))
                                       for _ in range(rng.randint(1, 4))))

    # Turkish dotted/dotless I, Greek sigma, German sharp s.
    add("turkish_i", "İstanbul", "ISTANBUL", "ıspanak", "DİYARBAKIR", "İi Iı", "i\u0307", "I\u0307", "Çağ", "ŞİŞLİ",
        "İ", "ı", "I", "i", "İİİ", "ıııı", "İzmir'e", "KIRIKKALE", "ıi̇", "İ\u0301")
    for _ in range(20):
        add("turkish_i", "".join(rng.choice("İIıiSsÇçĞğ") for _ in range(rng.randint(1, 8))))
    add("greek_sigma", "ΣΑΣ", "ΟΔΟΣ", "ΟΔΟΣ ΣΤΗΝ", "σοφός", "Σ", "ς", "σ", "ΣΣΣ", "ΑΣ.", "Σ'", "ὈΔΥΣΣΕΎΣ", "ΐ", "Ά",
        "\u0391\u0301", "ᾼ", "ΪΫ", "ΌΣΟΣ", "ΣΑΣ's", "αΣ", "Σα", "ΜΑΣ ΣΑΣ ΤΟΥΣ")
    for _ in range(15):
        add("greek_sigma", "".join(rng.choice("ΣσςΑαΟοΙιΥυΈέ") for _ in range(rng.randint(1, 7))))
    add("german_sharp_s", "Straße", "STRASSE", "ẞ", "GROẞ", "Fußball", "FUẞBALL", "ß", "Maße", "Masse", "Ärger", "Öl",
        "Übergröße", "ÜBERGRÖẞE", "ßẞß", "weiß", "WEIẞ", "Grüße", "GRÜSSE", "Spaß", "SPAẞ")

    # Full-width forms.
    add("full_width", "ＡＢＣ", "ｃａｔ", "１２３", "！？", "ＤＯＧ\u3000ＣＡＴ", "（ｐｅｒｓｏｎ）", "＂ｑｕｏｔｅｄ＂", "＇ｓ",
        "ｉｔ＇ｓ", "ﾊﾝｶｸ", "￥", "￦", "ａ　ｂ", "Ｈｅｌｌｏ，Ｗｏｒｌｄ！", "＜｜ｅｎｄｏｆｔｅｘｔ｜＞")
    for _ in range(35):
        add("full_width", "".join(chr(rng.randint(0xFF01, 0xFF5E)) for _ in range(rng.randint(1, 8))))

    # Unicode spaces (every \s the normalizer knows, and look-alikes it does not).
    for sp in SPACES + NOT_SPACES:
        add("unicode_spaces", f"cat{sp}dog", f"{sp}cat{sp}", f"red{sp}{sp}car", f"a{sp} {sp}b")
    for _ in range(20):
        add("unicode_spaces", rng.choice(NOUNS) + "".join(rng.choice(SPACES) for _ in range(rng.randint(1, 4))) + rng.choice(NOUNS))

    # Zero-width characters.
    for zw in ZERO_WIDTH:
        add("zero_width", f"ca{zw}t", f"{zw}cat", f"cat{zw}", zw, f"{zw}{zw}")
    add("zero_width", "\ufeffa photo of a cat", "a\u200b\u200cb\u200dc")

    # HTML-entity-looking text (transformers does not unescape it).
    add("html_entities", "&amp;", "&lt;dog&gt;", "&#39;s", "&#x27;", "&nbsp;", "&quot;cat&quot;", "Tom &amp; Jerry",
        "<b>cat</b>", "<br/>", "&copy; 2024", "&#8217;", "&lt;|endoftext|&gt;", "&amp;amp;",
        "https://example.com/cat.jpg?a=1&b=2", "cat@example.com", "**bold**", "[cat](url)", "&#x1F431;", "&hellip;",
        "a&nbsp;cat", "<div class=\"x\">dog</div>", "&#60;", "&unknown;", "&", "&&", "&;", "R&D", "AT&T", "&#0;")
    for _ in range(10):
        add("html_entities", f"&{rng.choice(['amp', 'lt', 'gt', 'quot', 'apos', 'nbsp', '#39', '#x41'])};{rng.choice(NOUNS)}")

    # Literal special-token strings in several cases and positions.
    S, E = "<|startoftext|>", "<|endoftext|>"
    add("special_tokens", S, E, E + E, S + "a photo" + E, "cat" + E, E + "cat", "cat " + E + " dog", "<|EndOfText|>",
        "<|ENDOFTEXT|>", "<|StartOfText|>", "<|endoftext", "endoftext|>", E + ">", "<" + E, "< |endoftext| >",
        "<|end of text|>", E + "'s", "'" + E + "'", E + "\u0301", "\u0301" + E, "<|endoftеxt|>", "<|ｅｎｄｏｆｔｅｘｔ|>",
        E * 15, E * 30, E * 31, S * 30, S * 31, "İ" + E, E + "İ", "\xa0" + E + "\xa0", E + "1", "1" + E,
        "<|startoftext|><|endoftext|>", "<||endoftext||>", "<|<|endoftext|>|>", "<|endoftext|>".upper() + E,
        "x<|startoftext|>y", "a photo of a <|endoftext|> cat", "<|startoftext |>", "<|START", "|>", "<|", "<|>")
    for _ in range(30):
        token = rng.choice([S, E])
        token = rng.choice([token, token, token.upper(), token.title(), token.replace("text", "TEXT")])
        n, m = rng.sample(NOUNS, 2)
        add("special_tokens", rng.choice([f"{n}{token}{m}", f"{n} {token} {m}", f"{token}{n}", f"{n}{token}", f"{token} {token} {n}"]))

    # Mixed scripts.
    pools = [NOUNS, ACCENTED, CJK_WORDS, KANA_WORDS, KOREAN_WORDS, ARABIC_WORDS, HEBREW_WORDS, DEVANAGARI_WORDS, THAI_WORDS,
             EMOJI, ["кошка", "собака", "Москва", "машина", "Київ", "ёж"], ["γάτα", "σκύλος"], ["ქართული", "Հայերեն", "ᏣᎳᎩ"]]
    for _ in range(90):
        words = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 4))]
        add("mixed_scripts", rng.choice(["", " ", "-"]).join(words))

    # Very long words.
    add("long_words", "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
        "Donaudampfschifffahrtsgesellschaftskapitän", "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
        "a" * 24, "ab" * 20, "ThisIsAVeryLongCamelCaseIdentifier", "deadbeefcafebabe", "aGVsbG8gd29ybGQ",
        "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz", "x" * 100, "ह" * 20, "猫" * 20)
    for _ in range(60):
        k = rng.randint(12, 60)
        add("long_words", rng.choice(["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(k)),
                                      "".join(rng.choice("etaoinshrdlu") for _ in range(k)),
                                      "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(k // 3)),
                                      "".join(rng.choice(NOUNS).replace(" ", "") for _ in range(4))]))

    # Prompts far over the limit.
    add("overlong", "a photo of " * 10, " ".join(str(i) for i in range(1, 41)), "🐱" * 20,
        "a very long description of a red car parked on the left side of a busy street at night in the rain next to a tree")
    for _ in range(60):
        add("overlong", " ".join(rng.choice(NOUNS) for _ in range(rng.randint(16, 45))))

    add("empty", "", " ", "  ", "\t", "\n", "\u3000", "\xa0", "\r\n", " \t\n\r ")

    # Random code points from all planes: unassigned, private use, noncharacters, controls.
    for _ in range(200):
        text = ""
        for _ in range(rng.randint(1, 8)):
            cp = rng.choice([rng.randint(0, 0x10FFFF), rng.randint(0, 0x2FFF), rng.randint(0, 0x7F),
                             rng.choice([0, 0x7F, 0x9F, 0xFFFE, 0xFFFF, 0x10FFFF, 0xE000, 0xF8FF, 0xFDD0, 0xD7FF, 0xE0001])])
            if 0xD800 <= cp <= 0xDFFF:
                cp = 0xFFFD
            text += chr(cp)
        add("random_code_points", text)
    return cases


def at_limit_cases(rng, bpe_count):
    """Prompts of exactly 29, 30 (the most SAM3 takes) and 31 BPE tokens, from varied starts."""
    # One BPE token each after a space: single-token words, digits, punctuation.
    fillers = [" " + w for w in NOUNS + COLORS + SIZES if bpe_count(w) == 1] + [" a", " 1", " !", " the", " of"]
    out = []
    for i in range(75):
        target = (29, 30, 31)[i % 3]
        text = " ".join(rng.choice(NOUNS) for _ in range(rng.randint(1, 6)))
        while bpe_count(text) > target - 3:
            text = text.rsplit(" ", 1)[0] if " " in text else "cat"
        while bpe_count(text) < target:
            text += rng.choice(fillers)
        if bpe_count(text) != target:
            sys.exit(f"could not build a {target}-token prompt from {text!r}")
        out.append(("at_limit", text))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()

    import tokenizers
    import transformers
    from transformers import CLIPTokenizer

    transformers.logging.set_verbosity_error()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        vocab, merges = vocab_tool.build_vocab_and_merges()
        vocab_tool.write_vocab_layout(tmp / "vocab", vocab, merges)
        vocab_tool.write_tokenizer_json_layout(tmp / "tokenizer_json", tmp / "vocab")
        vocab_tool.write_variants(tmp / "variants", tmp / "vocab", tmp / "tokenizer_json")
        layouts = [CLIPTokenizer.from_pretrained(str(tmp / name)) for name in ("vocab", "tokenizer_json")]
        tok = layouts[0]

        def bpe_count(text):
            return len(tok(text)["input_ids"]) - 2

        def reference(t, text):
            """(ids up to EOS, None) or (None, n) for a prompt SAM3 cannot take."""
            results = [lay(text, padding="max_length", max_length=CONTEXT) for lay in ([t] if t is not tok else layouts)]
            for r in results[1:]:
                if r["input_ids"] != results[0]["input_ids"] or r["attention_mask"] != results[0]["attention_mask"]:
                    sys.exit(f"the two layouts disagree on {text!r}")
            ids, mask = results[0]["input_ids"], results[0]["attention_mask"]
            if len(ids) > CONTEXT:
                if len(ids) != len(t(text)["input_ids"]) or mask != [1] * len(ids):
                    sys.exit(f"transformers truncated or padded {text!r}")
                return None, len(ids)
            valid = sum(mask)
            if mask != [1] * valid + [0] * (CONTEXT - valid) or any(i != t.pad_token_id for i in ids[valid:]):
                sys.exit(f"unexpected padding for {text!r}: {ids} {mask}")
            if ids[0] != t.bos_token_id or ids[valid - 1] != t.eos_token_id:
                sys.exit(f"no BOS/EOS around {text!r}")
            return ids[:valid], None

        rng = random.Random(SEED)
        cases, seen = [], set()
        for cls, text in build_cases(rng) + at_limit_cases(rng, bpe_count):
            if text in seen:
                continue
            seen.add(text)
            ids, n = reference(tok, text)
            cases.append({"class": cls, "text": text, **({"ids": ids} if ids else {"rejected": True, "n": n})})

        counts = {c: sum(1 for x in cases if x["class"] == c) for c in CLASS_MINIMUM}
        short = {c: (counts[c], m) for c, m in CLASS_MINIMUM.items() if counts[c] < m}
        if short:
            sys.exit(f"classes below their minimum (count, minimum): {short}")
        limit = {k: sum(1 for x in cases if x["class"] == "at_limit" and len(x.get("ids", [])) - 2 == k) for k in (29, 30)}
        rejected = sum(1 for x in cases if x.get("rejected"))
        if limit[30] < 20 or not any(x.get("n") == CONTEXT + 1 for x in cases):
            sys.exit("the corpus lacks prompts of exactly 30 and 31 tokens")

        variant_texts = sorted({x["text"] for x in cases if x["class"] == "special_tokens"}) + [
            "a!b", "<|mask|> <X> <x>", "<img><vid>", "<y> <x> <Y>", "cat <|MASK|>", "!", "<img>" * 31]
        variants = []
        for name in vocab_tool.VARIANTS:
            t = CLIPTokenizer.from_pretrained(str(tmp / "variants" / name))
            rows = []
            for text in variant_texts:
                ids, n = reference(t, text)
                rows.append({"text": text, **({"ids": ids} if ids else {"rejected": True, "n": n})})
            variants.append({"name": name, "bos_id": t.bos_token_id, "eos_id": t.eos_token_id, "pad_id": t.pad_token_id,
                             "vocab_size": len(t), "cases": rows})

    header = {
        "generator": "tools/make_tokenizer_corpus.py",
        "reference": f"transformers {transformers.__version__} CLIPTokenizer (tokenizers {tokenizers.__version__}), "
                     "tokenizer(text, padding='max_length', max_length=32)",
        "vocabulary": "OpenAI CLIP from open_clip_torch (tools/clip_vocab_from_open_clip.py), both layouts agree",
        "context_length": CONTEXT, "bos_id": tok.bos_token_id, "eos_id": tok.eos_token_id, "pad_id": tok.pad_token_id,
        "vocab_size": len(tok), "class_counts": counts,
    }
    lines = ["{", *[f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()], ' "cases": [']
    lines += [" " + json.dumps(c, ensure_ascii=False) + ("," if i + 1 < len(cases) else "") for i, c in enumerate(cases)]
    lines += [" ],", ' "variants": [']
    for vi, v in enumerate(variants):
        head = {k: v[k] for k in ("name", "bos_id", "eos_id", "pad_id", "vocab_size")}
        lines.append(" " + json.dumps(head, ensure_ascii=False)[:-1] + ', "cases": [')
        lines += ["  " + json.dumps(c, ensure_ascii=False) + ("," if i + 1 < len(v["cases"]) else "") for i, c in enumerate(v["cases"])]
        lines.append(" ]}" + ("," if vi + 1 < len(variants) else ""))
    lines += [" ]", "}", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    json.loads(args.out.read_text(encoding="utf-8"))  # the file parses
    print(f"{args.out}: {len(cases)} prompts ({rejected} rejected; {limit[30]} of exactly 30 tokens), "
          f"{len(variants)} variants x {len(variant_texts)} prompts; classes {counts}")


if __name__ == "__main__":
    main()

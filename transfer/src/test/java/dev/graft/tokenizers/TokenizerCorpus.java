package dev.graft.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Texts the oracle tests tokenize with both tokenizers: hand-written cases and seeded random strings. */
final class TokenizerCorpus {
    private TokenizerCorpus() {
    }

    private static final String LINES = """
            The quick brown fox jumps over the lazy dog.
            Transfer learning reuses a model trained on one task for another.
            I love machine learning and natural language processing.
            BERT stands for Bidirectional Encoder Representations from Transformers.
            This is a simple sentence.
            Hello world
            hello world
            HELLO WORLD
            Tokenization splits text into subword units.
            The unaffable, unbelievably uncharacteristic behaviour surprised everyone.
            She sells seashells by the seashore.
            A journey of a thousand miles begins with a single step.
            It was the best of times, it was the worst of times.
            To be, or not to be, that is the question.
            All happy families are alike; each unhappy family is unhappy in its own way.
            Call me Ishmael.
            The embeddings are normalized before computing cosine similarity.
            We fine-tune only the classification head and freeze the encoder.
            Gradient descent minimizes the loss function iteratively.
            The weather today is sunny with a chance of rain in the afternoon.
            Please send me the report by Friday.
            Can you recommend a good restaurant nearby?
            My cat's name is Whiskers and she's three years old.
            They're going to the park, aren't they?
            I can't believe it's already December!
            Supercalifragilisticexpialidocious is a very long word.
            Pneumonoultramicroscopicsilicovolcanoconiosis is even longer.
            Antidisestablishmentarianism
            unbelievable unbelievably believability
            running runner ran runs
            The transformer architecture relies on self-attention.
            Photosynthesis converts light energy into chemical energy.
            The mitochondria is the powerhouse of the cell.
            Quantum entanglement puzzled Einstein.
            Shakespeare wrote Hamlet around 1600.
            The stock market fell 3% on Tuesday.
            Java 25 brings the Vector API closer to final.
            JSON, YAML and TOML are configuration formats.
            GPUs accelerate matrix multiplication.
            Don't panic.
            Hello, world! How are you? I'm fine... thanks!!!
            Wait -- what?! No way...
            (parentheses) [brackets] {braces} <angles>
            "double quotes" and 'single quotes' and `backticks`
            a,b;c:d.e!f?g
            ...!!!???,,,;;;:::
            @user #hashtag $money %percent ^caret &amp *star
            ~tilde |pipe \\backslash /slash _underscore_ +plus =equals -minus
            e.g. i.e. etc. vs. Mr. Mrs. Dr.
            «guillemets» „German quotes“ “curly quotes” ‘single curly’
            em—dash en–dash hyphen-minus
            ¡Hola! ¿Qué tal?
            C++ and C# and F# are languages.
            x = (a + b) * c / d - e;
            if (x > 0 && y < 10) { return x; }
            café
            naïve
            Ångström
            Zürich
            Crème brûlée at the café in Zürich was naïve.
            résumé façade São Paulo Kraków Dvořák Beyoncé
            Gödel, Escher, Bach
            Øresund Ærø Æsir œuvre
            Ñandú piñata jalapeño
            Đà Nẵng Hà Nội Việt Nam
            İstanbul ıstanbul ISTANBUL
            Straße STRASSE straße
            Ελληνικά γράμματα ΣΊΣΥΦΟΣ σίσυφος
            Русский язык очень красивый.
            Українська мова
            العربية لغة جميلة
            עברית שפה יפה
            हिन्दी भाषा
            ภาษาไทย
            ქართული ენა
            Հայերեն
            ÀÉÎÕÜ àéîõü ÇçÑñ
            ǅ ǈ ǋ ǲ titlecase digraphs
            ﬁ ﬂ ﬀ ligatures
            ① ② ③ Ⅳ Ⅻ circled and roman numerals
            ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３
            The Zürich Café serves CRÈME BRÛLÉE.
            iPhone eBay YouTube McDonald's
            camelCaseIdentifier PascalCaseIdentifier snake_case_identifier SCREAMING_SNAKE
            ThIs Is MiXeD cAsE tExT
            NASA FBI CIA UNESCO
            OpenAI GPT-4 LLaMA BERT-base-uncased
            中文
            日本語
            한국어
            我爱自然语言处理。
            今天天气很好，我们去公园吧！
            東京は日本の首都です。
            ひらがな カタカナ 漢字
            안녕하세요, 만나서 반갑습니다.
            中文English混合text
            Beijing 北京 is the capital of China 中国.
            𠀀𠀁𠀂 CJK Extension B
            𪜀 𫝀 𫠠 𬺰 extension ranges
            豈 更 compatibility ideographs
            ⺀ ⼀ radicals
            😀
            I love pizza 🍕 and ice cream 🍦!
            👍🏽 thumbs up with skin tone
            👨‍👩‍👧 family ZWJ sequence
            🇫🇷 🇯🇵 flags
            ❤️ heart with variation selector
            🥰 🤯 🦄 newer emoji
            Text with emoji at the end 🎉
            🎉🎉🎉
            ☕ ☃ ★ ♠ ♥ symbols
            3.14159
            1,000,000
            2024-01-15T10:30:00Z
            $19.99 €25.00 £10 ¥1000
            50% off!!!
            1e-10 6.022e23 -273.15
            +33 1 23 45 67 89
            Call 555-1234 or (555) 987-6543.
            Room 101, Floor 42, Building 7B
            0x1F600 0b1010 0o777
            https://www.example.com/path?query=value&other=123#fragment
            http://localhost:8080/api/v1/users
            Visit https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 today.
            ftp://files.example.org/pub/file.tar.gz
            user@example.com
            first.last+tag@sub.domain.co.uk
            www.google.com
            C:\\Users\\name\\Documents\\file.txt
            /usr/local/bin/java --version
            git commit -m "fix: tokenizer"
            [CLS] hello [SEP]
            The [MASK] sat on the mat.
            [mask] lowercase is not special
            [UNK] [PAD] tokens in text
            x[PAD]y[SEP]z
            [CLS][SEP][MASK]
            [ CLS ] spaced brackets
            ##suffix ## #
            a
            I
            .
            ?
            the
            word
            """;

    /** The hand-written corpus: the lines above plus cases a text block cannot hold. */
    static List<String> sentences() {
        List<String> all = new ArrayList<>(LINES.lines().toList());
        all.add("");
        all.add(" ");
        all.add("     ");
        all.add("\t\n\r");
        all.add("tab\tseparated\tvalues");
        all.add("line one\nline two\r\nline three");
        all.add("  leading and trailing spaces  ");
        all.add("multiple     spaces    between");
        all.add("no\u00A0break\u00A0space");
        all.add("thin\u2009space and ideographic\u3000space");
        all.add("zero\u200Bwidth\u200Bspace");
        all.add("soft\u00ADhyphen");
        all.add("\uFEFFbyte order mark");
        all.add("nul\u0000char");
        all.add("bell\u0007and\u001Bescape");
        all.add("replacement\uFFFDchar");
        all.add("vertical\u000Btab and form\u000Cfeed");
        all.add("next\u0085line");
        all.add("line\u2028separator paragraph\u2029separator");
        all.add("private\uE000use");
        all.add("unassigned\u0378code point");
        all.add("combining e\u0301 and a\u0308 and n\u0303");
        all.add("decomposed cafe\u0301 vs composed café");
        all.add("stacked marks a\u0301\u0302\u0303\u0304");
        all.add("lone mark \u0301 at start");
        all.add("ǆ U+01C6 and Ǆ");
        all.add("x".repeat(99));
        all.add("y".repeat(100));
        all.add("z".repeat(101));
        all.add("a".repeat(150) + " short words after");
        all.add("é".repeat(101));
        all.add("😀".repeat(60));
        all.add("😀".repeat(101));
        all.add("Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(3));
        all.add("word ".repeat(200));
        all.add("The quick brown fox. ".repeat(40));
        all.add("中".repeat(300));
        all.add(String.join(" ", java.util.Collections.nCopies(50, "antidisestablishmentarianism")));
        return all;
    }

    private static final String[] ALPHABET = {
        "a", "b", "e", "n", "s", "t", "x", "Q", "Z", "0", "7", " ", " ", " ", "  ", "\t", "\n", ".", ",", "!", "?", "-", "'", "\"", "(",
        ")", "#", "@", "_", "é", "É", "ñ", "ü", "ß", "ø", "İ", "ı", "Σ", "ς", "ж", "Ж", "ا", "א", "क", "\u0301", "\u0308", "\u0327",
        "中", "文", "日", "本", "語", "한", "국", "ひ", "カ", "𠀀", "😀", "👍🏽", "🇫🇷", "\u200D", "\u00A0", "\u200B", "\u00AD", "\uFEFF",
        "\u0000", "\u0007", "\uFFFD", "\uE000", "\u0378", "—", "«", "»", "“", "”", "…", "€", "™", "①", "ﬁ", "ｆ", "[MASK]", "[CLS]",
        "##", "ing", "un", "able", "the", "tion",
    };

    /** Seeded random strings over a mixed alphabet: letters, marks, CJK, emoji, controls, punctuation, spaces. */
    static List<String> random(long seed, int count, int maxPieces) {
        Random rnd = new Random(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = rnd.nextInt(maxPieces + 1);
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < n; k++) {
                sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
            }
            out.add(sb.toString());
        }
        return out;
    }
}

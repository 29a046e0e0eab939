// Reading a prompt: the words are matched against the library's names and a small vocabulary of counts, colours,
// sizes, places and relations (longest match first: whole words in English, characters in Chinese), then put
// together: modifiers go to the next thing, a relation joins the thing before it to the thing after it, and
// Chinese's "在 B 上" and "穿 X 的 Y" orders are turned around.
#include "scene/prompt_reader.h"

#include "text/unicode_text.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

namespace storybrush::scene {

namespace {

enum class Kind { Thing, Number, Colour, Size, Place, Relation, Locative, Conjunction, At, Of, Have, Skip, Unknown };

struct Word {
    Kind kind = Kind::Skip;
    std::string value;  // a thing's index as text, a count, a colour, a size, a place or a relation
};

// Each entry: the words, lower-case, and what they mean. English entries are matched on whole words.
struct Vocabulary {
    std::map<std::u32string, Word> entries;
    std::size_t longestChinese = 1;  // in characters
    std::size_t longestEnglish = 1;  // in words
    // Colour and size words that also name a thing: "orange", "baby".
    std::map<std::u32string, std::size_t> modifierThings;
};

bool isHan(char32_t c) {
    return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x20000 && c <= 0x2FA1F);
}

bool isLatinWordChar(char32_t c) { return (c < 0x3000 && text::isLetter(c)) || c == '\'' || c == '-'; }

std::u32string key(const std::string& words) { return text::nfcLower(words); }

void add(Vocabulary& vocabulary, const std::string& words, Kind kind, const std::string& value) {
    const std::u32string k = key(words);
    vocabulary.entries.emplace(k, Word{kind, value});
    if (!k.empty() && isHan(k[0])) {
        vocabulary.longestChinese = std::max(vocabulary.longestChinese, k.size());
    } else {
        vocabulary.longestEnglish =
            std::max<std::size_t>(vocabulary.longestEnglish, 1 + std::count(k.begin(), k.end(), U' '));
    }
}

void addAll(Vocabulary& vocabulary, const std::vector<const char*>& words, Kind kind, const std::string& value) {
    for (const char* word : words) add(vocabulary, word, kind, value);
}

// The words the reader understands besides the library's names. Places and relations carry the names the layout
// uses; everything under Skip is understood but not drawn (articles, moods, most verbs).
void addGrammar(Vocabulary& v) {
    const std::pair<const char*, std::vector<const char*>> numbers[] = {
        {"1", {"a", "an", "one", "single", "一", "一个"}},
        {"2",
         {"two", "pair of", "a pair of", "couple of", "a couple of", "二", "两", "兩", "一对", "一對", "一双", "一雙"}},
        {"3", {"three", "some", "a few", "few", "三", "几", "幾", "一些"}},
        {"4", {"four", "四"}},
        {"5", {"five", "many", "lots of", "a lot of", "group of", "a group of", "五", "许多", "許多", "很多", "一群"}},
        {"6", {"six", "六"}},
        {"7", {"seven", "七"}},
        {"8", {"eight", "八"}},
        {"9", {"nine", "九"}},
        {"10", {"ten", "十"}},
    };
    for (const auto& [count, words] : numbers) addAll(v, words, Kind::Number, count);
    const std::pair<const char*, std::vector<const char*>> colours[] = {
        {"red", {"red", "红色", "红", "紅色", "紅"}},
        {"orange", {"orange", "橙色", "橘色", "橙", "橘黄色", "橘黃色"}},
        {"yellow", {"yellow", "黄色", "黄", "黃色", "黃"}},
        {"green", {"green", "绿色", "绿", "綠色", "綠"}},
        {"blue", {"blue", "蓝色", "蓝", "藍色", "藍", "天蓝色", "天藍色"}},
        {"purple", {"purple", "violet", "紫色", "紫"}},
        {"pink", {"pink", "粉色", "粉红色", "粉紅色", "粉红", "粉紅"}},
        {"brown", {"brown", "棕色", "咖啡色", "褐色"}},
        {"black", {"black", "黑色", "黑"}},
        {"white", {"white", "白色", "白"}},
        {"grey", {"grey", "gray", "灰色", "灰"}},
        {"gold", {"gold", "golden", "金色", "金黄色", "金黃色"}},
        {"silver", {"silver", "银色", "銀色"}},
    };
    for (const auto& [colour, words] : colours) addAll(v, words, Kind::Colour, colour);
    addAll(v, {"small", "little", "tiny", "baby", "wee", "小", "小小的", "小小", "迷你"}, Kind::Size, "small");
    addAll(v, {"big", "large", "huge", "giant", "enormous", "tall", "大", "大大的", "巨大", "巨大的", "高大"},
           Kind::Size, "big");
    const std::pair<const char*, std::vector<const char*>> places[] = {
        {"meadow", {"meadow", "grass", "grassland", "field", "lawn", "草地", "草原", "草坪", "田野", "草丛", "草叢"}},
        {"underwater",
         {"underwater", "under water", "under the sea", "under the ocean", "水下", "海底", "水里", "水裡"}},
        {"sea", {"sea", "ocean", "the sea", "海", "大海", "海洋", "海上"}},
        {"beach", {"beach", "seaside", "shore", "sand", "海滩", "海灘", "沙滩", "沙灘", "海边", "海邊"}},
        {"sky", {"sky", "air", "天空", "天上", "空中"}},
        {"night_sky", {"night sky", "night", "at night", "starry sky", "夜空", "晚上", "夜晚", "星空", "夜里", "夜裡"}},
        {"space", {"space", "outer space", "in space", "太空", "宇宙", "外太空"}},
        {"snow", {"snow", "snowfield", "snowy field", "雪地", "雪地里", "雪中", "冰天雪地"}},
        {"forest", {"forest", "woods", "wood", "森林", "树林", "樹林"}},
        {"jungle", {"jungle", "rainforest", "丛林", "叢林", "雨林"}},
        {"room", {"room", "bedroom", "living room", "house inside", "房间", "房間", "卧室", "臥室", "客厅", "客廳"}},
        {"classroom", {"classroom", "school", "教室", "学校", "學校", "课堂", "課堂"}},
        {"kitchen", {"kitchen", "厨房", "廚房"}},
        {"farm", {"farm", "farmyard", "农场", "農場", "农村", "農村"}},
        {"street", {"street", "road", "town", "街道", "马路", "馬路", "街上", "街"}},
        {"city", {"city", "城市", "城里", "城裡"}},
        {"garden", {"garden", "backyard", "花园", "花園", "菜园", "菜園"}},
        {"park", {"park", "公园", "公園"}},
        {"playground", {"playground", "操场", "操場", "游乐场", "遊樂場"}},
        {"desert", {"desert", "沙漠"}},
        {"mountain", {"mountain", "mountains", "hill", "hills", "山", "山上", "山坡", "高山"}},
        {"river", {"river", "stream", "河", "小河", "河边", "河邊", "溪"}},
        {"lake", {"lake", "pond", "湖", "湖边", "湖邊", "池塘"}},
        {"cave", {"cave", "山洞", "洞里", "洞裡"}},
        {"island", {"island", "岛", "島", "小岛", "小島"}},
        {"zoo", {"zoo", "动物园", "動物園"}},
    };
    for (const auto& [place, words] : places) addAll(v, words, Kind::Place, place);
    const std::pair<const char*, std::vector<const char*>> relations[] = {
        {"next_to", {"next to", "beside", "near", "by", "close to", "alongside", "together with"}},
        {"on", {"on", "on top of", "onto", "sitting on", "standing on"}},
        {"under", {"under", "underneath", "below", "beneath"}},
        {"in", {"in", "inside", "into", "within"}},
        {"holding",
         {"holding", "carrying", "hugging", "拿着", "拿著", "抱着", "抱著", "举着", "舉著", "提着", "提著", "牵着",
          "牽著"}},
        {"above", {"above", "over", "flying over", "flying above"}},
        {"riding", {"riding", "riding on", "骑着", "騎著", "骑", "騎", "坐在"}},
        {"in_front_of", {"in front of"}},
        {"behind", {"behind"}},
        {"wearing", {"wearing", "dressed in", "穿着", "穿著", "穿", "戴着", "戴著", "戴"}},
        {"with", {"with"}},
    };
    for (const auto& [relation, words] : relations) addAll(v, words, Kind::Relation, relation);
    // Chinese puts the place of a relation after its object: 在 B 上 / B 旁边.
    const std::pair<const char*, std::vector<const char*>> locatives[] = {
        {"next_to", {"旁边", "旁邊", "边上", "邊上", "身边", "身邊", "旁"}},
        {"on", {"上", "上面", "上边", "上邊", "顶上", "頂上"}},
        {"under", {"下", "下面", "下边", "下邊", "底下"}},
        {"in", {"里", "裡", "里面", "裡面", "中", "中间", "中間", "内", "內"}},
        {"above", {"上方", "上空"}},
        {"in_front_of", {"前面", "前边", "前邊", "前"}},
        {"behind", {"后面", "後面", "后边", "後邊", "后", "後"}},
    };
    for (const auto& [relation, words] : locatives) addAll(v, words, Kind::Locative, relation);
    addAll(v, {"and", "和", "跟", "与", "與", "还有", "還有", "、", ","}, Kind::Conjunction, "");
    addAll(v, {"在", "at", "正在"}, Kind::At, "");
    addAll(v, {"的", "of"}, Kind::Of, "");
    addAll(v, {"有", "有着", "有著"}, Kind::Have, "");
    addAll(v, {"the",        "this",
               "that",       "these",
               "those",      "is",
               "are",        "be",
               "its",        "his",
               "her",        "their",
               "my",         "our",
               "very",       "so",
               "cute",       "happy",
               "smiling",    "friendly",
               "funny",      "sunny",
               "rainy",      "cheerful",
               "lovely",     "pretty",
               "beautiful",  "colorful",
               "colourful",  "bright",
               "magical",    "fluffy",
               "playful",    "sleepy",
               "shy",        "brave",
               "kind",       "silly",
               "tired",      "hungry",
               "playing",    "plays",
               "play",       "having",
               "has",        "have",
               "eating",     "eats",
               "reading",    "reads",
               "flying",     "flies",
               "swimming",   "swims",
               "running",    "runs",
               "sitting",    "sits",
               "standing",   "stands",
               "jumping",    "jumps",
               "sleeping",   "sleeps",
               "dancing",    "dances",
               "singing",    "sings",
               "walking",    "walks",
               "looking",    "looks",
               "waving",     "waves",
               "smiles",     "cooking",
               "cooks",      "painting",
               "paints",     "writing",
               "writes",     "building",
               "builds",     "climbing",
               "climbs",     "laughing",
               "laughs",     "hiding",
               "hides",      "picking",
               "watching",   "watches",
               "sailing",    "driving",
               "drives",     "skating",
               "fishing",    "exploring",
               "learning",   "resting",
               "relaxing",   "floating",
               "diving",     "going",
               "goes",       "together",
               "picture",    "drawing",
               "cartoon",    "illustration",
               "style",      "scene",
               "day",        "time",
               "there",      "out",
               "up",         "down",
               "around",     "to",
               "for",        "from",
               "while",      "who",
               "which",      "then",
               "children's", "picture-book",
               "storybook",  "it",
               "as",         "只",
               "隻",         "个",
               "個",         "头",
               "頭",         "条",
               "條",         "匹",
               "辆",         "輛",
               "棵",         "朵",
               "架",         "艘",
               "本",         "把",
               "位",         "群",
               "片",         "颗",
               "顆",         "座",
               "张",         "張",
               "支",         "件",
               "双",         "雙",
               "对",         "對",
               "块",         "塊",
               "根",         "道",
               "间",         "間",
               "台",         "盆",
               "顶",         "頂",
               "盘",         "盤",
               "杯",         "瓶",
               "个个",       "会",
               "會",         "能",
               "想",         "要",
               "去",         "来",
               "來",         "着",
               "著",         "了",
               "是",         "很",
               "非常",       "可爱",
               "可愛",       "快乐",
               "快樂",       "开心",
               "開心",       "微笑",
               "友好",       "阳光",
               "陽光",       "明媚",
               "美丽",       "美麗",
               "漂亮",       "玩",
               "玩耍",       "在玩",
               "吃",         "看",
               "飞",         "飛",
               "游泳",       "跑",
               "坐",         "站",
               "跳",         "睡觉",
               "睡覺",       "跳舞",
               "唱歌",       "走",
               "一起",       "画",
               "畫",         "图",
               "圖",         "图画",
               "圖畫",       "插画",
               "插畫",       "卡通",
               "风格",       "風格",
               "正",         "们",
               "們",         "啊",
               "呢",         "吧",
               "。",         "！",
               "!",          "?",
               "？",         "；",
               ";",          "：",
               ":",          "\"",
               "“",          "”",
               "(",          ")",
               "（",         "）",
               ".",          "，"},
           Kind::Skip, "");
}

Vocabulary vocabularyFor(const ThingLibrary& library) {
    Vocabulary vocabulary;
    {
        addGrammar(vocabulary);
        for (const auto& [name, index] : library.names()) {
            // Grammar keeps its meaning over a thing of the same name ("sunny" is not the sun, 头 in 一头 is no
            // head); a colour or size that names a thing ("an orange", "a baby") is told apart where it is read.
            const auto existing = vocabulary.entries.find(key(name));
            if (existing == vocabulary.entries.end()) {
                add(vocabulary, name, Kind::Thing, std::to_string(index));
            } else if ((existing->second.kind == Kind::Colour || existing->second.kind == Kind::Size) &&
                       !vocabulary.modifierThings.count(existing->first)) {
                vocabulary.modifierThings.emplace(existing->first, index);
            }
        }
    }
    return vocabulary;
}

// Singular forms to try for an English word the vocabulary lacks as it is.
std::vector<std::u32string> singulars(const std::u32string& word) {
    std::vector<std::u32string> out;
    const auto ends = [&](const char* suffix) {
        const std::u32string s = text::decodeUtf8(suffix);
        return word.size() > s.size() + 1 && word.compare(word.size() - s.size(), s.size(), s) == 0;
    };
    if (ends("ies")) out.push_back(word.substr(0, word.size() - 3) + U"y");
    if (ends("ves")) {
        out.push_back(word.substr(0, word.size() - 3) + U"f");
        out.push_back(word.substr(0, word.size() - 3) + U"fe");
    }
    if (ends("es")) out.push_back(word.substr(0, word.size() - 2));
    if (ends("s")) out.push_back(word.substr(0, word.size() - 1));
    if (word == U"mice") out.push_back(U"mouse");
    if (word == U"geese") out.push_back(U"goose");
    if (word == U"sheep" || word == U"fish" || word == U"deer") out.push_back(word);
    if (word == U"children") out.push_back(U"child");
    if (word == U"people") out.push_back(U"person");
    if (word == U"men") out.push_back(U"man");
    if (word == U"women") out.push_back(U"woman");
    if (word == U"teeth") out.push_back(U"tooth");
    if (word == U"feet") out.push_back(U"foot");
    return out;
}

struct Token {
    Word word;
    std::string text;
    bool plural = false;
    std::string colour;  // a thing whose name starts with a colour ("green apple") is of that colour
};

// A colour or size word with no thing after it names the thing of that name ("an orange", "a baby").
void modifierWordsAsThings(std::vector<Token>& tokens, const Vocabulary& vocabulary) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].word.kind != Kind::Colour && tokens[i].word.kind != Kind::Size) continue;
        const auto thing = vocabulary.modifierThings.find(key(tokens[i].text));
        if (thing == vocabulary.modifierThings.end()) continue;
        std::size_t next = i + 1;
        while (next < tokens.size() && tokens[next].word.kind == Kind::Skip) ++next;
        const bool describesNext = next < tokens.size() &&
                                   (tokens[next].word.kind == Kind::Thing || tokens[next].word.kind == Kind::Size ||
                                    tokens[next].word.kind == Kind::Colour || tokens[next].word.kind == Kind::Unknown ||
                                    tokens[next].word.kind == Kind::Of);
        if (!describesNext) tokens[i].word = Word{Kind::Thing, std::to_string(thing->second)};
    }
}

bool isChineseText(char32_t c) { return isHan(c) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF); }

// Chinese has no spaces: the run is cut into vocabulary entries so that the fewest pieces cover it, an unknown
// character costing as much as three entries (so 小猫头鹰 is 小 + 猫头鹰, not 小猫 + 头 + 鹰). Unknown characters in
// a row make one unknown word.
void segmentChinese(const std::u32string& run, const Vocabulary& vocabulary, std::vector<Token>& tokens) {
    constexpr int kUnknownCost = 3;
    const std::size_t n = run.size();
    std::vector<int> best(n + 1, std::numeric_limits<int>::max());
    std::vector<std::size_t> from(n + 1, 0);
    best[0] = 0;
    for (std::size_t start = 0; start < n; ++start) {
        if (best[start] == std::numeric_limits<int>::max()) continue;
        const auto relax = [&](std::size_t end, int cost) {
            if (best[start] + cost < best[end]) {
                best[end] = best[start] + cost;
                from[end] = start;
            }
        };
        relax(start + 1, vocabulary.entries.count(run.substr(start, 1)) ? 1 : kUnknownCost);
        for (std::size_t length = 2; length <= vocabulary.longestChinese && start + length <= n; ++length) {
            if (vocabulary.entries.count(run.substr(start, length))) relax(start + length, 1);
        }
    }
    std::vector<std::pair<std::size_t, std::size_t>> pieces;
    for (std::size_t end = n; end > 0; end = from[end]) pieces.emplace_back(from[end], end);
    std::reverse(pieces.begin(), pieces.end());
    std::u32string unknown;
    const auto flush = [&] {
        if (unknown.empty()) return;
        tokens.push_back({Word{Kind::Unknown, ""}, text::encodeUtf8(unknown)});
        unknown.clear();
    };
    for (const auto& [start, end] : pieces) {
        const std::u32string piece = run.substr(start, end - start);
        const auto found = vocabulary.entries.find(piece);
        if (found == vocabulary.entries.end()) {
            if (isHan(piece[0])) unknown += piece;  // punctuation the vocabulary lacks is dropped
            continue;
        }
        flush();
        tokens.push_back({found->second, text::encodeUtf8(piece)});
    }
    flush();
}

// Splits the prompt into vocabulary entries, longest first; what is left are unknown words (Latin words, or runs of
// Chinese characters).
std::vector<Token> tokenize(const std::u32string& prompt, const Vocabulary& vocabulary) {
    std::vector<Token> tokens;
    std::size_t at = 0;
    while (at < prompt.size()) {
        const char32_t c = prompt[at];
        if (isChineseText(c)) {
            std::size_t end = at;
            while (end < prompt.size() && isChineseText(prompt[end])) ++end;
            segmentChinese(prompt.substr(at, end - at), vocabulary, tokens);
            at = end;
            continue;
        }
        if (text::isNumber(c) && c < 0x80) {
            std::size_t end = at;
            while (end < prompt.size() && prompt[end] >= U'0' && prompt[end] <= U'9') ++end;
            const std::string digits = text::encodeUtf8(prompt.substr(at, end - at));
            const int count = digits.size() > 2 ? 99 : std::stoi(digits);
            tokens.push_back({Word{Kind::Number, std::to_string(std::clamp(count, 1, 12))}, digits});
            at = end;
            continue;
        }
        if (!isLatinWordChar(c)) {
            const auto found = vocabulary.entries.find(std::u32string(1, c));
            if (found != vocabulary.entries.end() && found->second.kind == Kind::Conjunction)
                tokens.push_back({found->second, text::encodeUtf8(std::u32string(1, c))});
            ++at;
            continue;
        }
        // English: the longest run of whole words that is an entry (the last word may be a plural).
        std::vector<std::pair<std::size_t, std::size_t>> words;  // [start, end) of the next few words
        std::size_t scan = at;
        while (words.size() < vocabulary.longestEnglish && scan < prompt.size() && isLatinWordChar(prompt[scan])) {
            std::size_t end = scan;
            while (end < prompt.size() && isLatinWordChar(prompt[end])) ++end;
            words.emplace_back(scan, end);
            scan = end;
            while (scan < prompt.size() && prompt[scan] == U' ') ++scan;
        }
        bool matched = false;
        for (std::size_t count = words.size(); count > 0 && !matched; --count) {
            std::u32string phrase;
            for (std::size_t i = 0; i < count; ++i)
                phrase += (i ? U" " : U"") + prompt.substr(words[i].first, words[i].second - words[i].first);
            std::vector<std::pair<std::u32string, bool>> candidates{{phrase, false}};
            const std::size_t lastStart = phrase.rfind(U' ') == std::u32string::npos ? 0 : phrase.rfind(U' ') + 1;
            for (const auto& singular : singulars(phrase.substr(lastStart)))
                candidates.emplace_back(phrase.substr(0, lastStart) + singular, true);
            for (const auto& [candidate, plural] : candidates) {
                const auto found = vocabulary.entries.find(candidate);
                if (found == vocabulary.entries.end()) continue;
                if (plural && found->second.kind != Kind::Thing && found->second.kind != Kind::Place) continue;
                Token token{found->second, text::encodeUtf8(phrase), plural && candidate != phrase, {}};
                if (found->second.kind == Kind::Thing && count > 1) {
                    const auto first = vocabulary.entries.find(phrase.substr(0, phrase.find(U' ')));
                    if (first != vocabulary.entries.end() && first->second.kind == Kind::Colour)
                        token.colour = first->second.value;
                }
                tokens.push_back(std::move(token));
                at = words[count - 1].second;
                matched = true;
                break;
            }
        }
        if (!matched) {
            const auto& [start, end] = words.front();
            tokens.push_back({Word{Kind::Unknown, ""}, text::encodeUtf8(prompt.substr(start, end - start))});
            at = end;
        }
    }
    return tokens;
}

std::size_t editDistance(const std::u32string& a, const std::u32string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The library's things whose names are nearest to an unknown word: a few letters apart in English, sharing
// characters in Chinese.
std::vector<std::string> closestThings(const std::string& word, const ThingLibrary& library) {
    const std::u32string unknown = text::nfcLower(word);
    const bool chinese = !unknown.empty() && isHan(unknown[0]);
    std::vector<std::pair<double, std::size_t>> scored;
    for (const auto& [name, index] : library.names()) {
        const std::u32string candidate = text::decodeUtf8(name);
        double score = 0;
        if (chinese) {
            if (candidate.empty() || !isHan(candidate[0])) continue;
            std::size_t shared = 0;
            for (char32_t c : unknown) {
                // Noun suffixes (桌子, 鸟儿) say nothing about what a word names.
                if (c == U'子' || c == U'儿' || c == U'兒' || c == U'头' || c == U'頭') continue;
                shared += candidate.find(c) != std::u32string::npos;
            }
            if (shared == 0) continue;
            score = double(shared) / double(std::max(unknown.size(), candidate.size()));
        } else {
            if (candidate.empty() || isHan(candidate[0])) continue;
            const std::size_t distance = editDistance(unknown, candidate);
            const std::size_t allowed = unknown.size() <= 4 ? 1 : 2;
            if (distance > allowed) continue;
            score = 1.0 - double(distance) / double(std::max(unknown.size(), candidate.size()));
        }
        scored.emplace_back(score, index);
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> ids;
    for (const auto& [score, index] : scored) {
        const std::string& id = library.things()[index].id;
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        if (ids.size() == 3) break;
    }
    return ids;
}

// What "with" means: a thing one carries is held ("a girl with a kite"), anything else is a companion.
bool handheld(const Thing& thing) {
    const std::string& c = thing.category;
    return c == "toy" || c == "food" || c == "drink" || c == "instrument" || c == "school" || c == "tool" ||
           c == "sport" || c == "plant" || thing.id == "magic_wand" || thing.id == "umbrella" || thing.id == "balloon";
}

}  // namespace

const std::vector<std::string>& knownPlaces() {
    static const std::vector<std::string> places{
        "meadow",     "underwater", "sea",       "beach",   "sky",  "night_sky", "space",  "snow",   "forest",
        "jungle",     "room",       "classroom", "kitchen", "farm", "street",    "city",   "garden", "park",
        "playground", "desert",     "mountain",  "river",   "lake", "cave",      "island", "zoo"};
    return places;
}

struct PromptReader::Vocabulary : scene::Vocabulary {};

PromptReader::PromptReader(const ThingLibrary& library)
    : m_library(library), m_vocabulary(std::make_shared<const Vocabulary>(Vocabulary{vocabularyFor(library)})) {}

PromptReading readPrompt(const std::string& prompt, const ThingLibrary& library) {
    return PromptReader(library).read(prompt);
}

PromptReading PromptReader::read(const std::string& prompt) const {
    const ThingLibrary& library = m_library;
    const scene::Vocabulary& vocabulary = *m_vocabulary;
    std::vector<Token> tokens = tokenize(text::nfcLower(prompt), vocabulary);
    modifierWordsAsThings(tokens, vocabulary);
    PromptReading reading;

    struct Modifiers {
        std::optional<int> count;
        std::string colour, size;
    } pending, held;
    int lastThing = -1;    // the thing a following relation starts from
    int subjectOfAt = -1;  // Chinese: the thing before 在, waiting for its locative
    int lastObject = -1;   // the thing just named, for a Chinese locative after it
    bool lastWasPlace = false;
    std::optional<std::string> relation;  // English infix: joins lastThing to the next thing
    int relationSubject = -1;
    std::optional<std::string> headRelation;  // Chinese "穿 X 的 Y": Y wears X once Y arrives
    int headObject = -1;
    std::optional<std::string> locativeForHead;  // Chinese "桌子上的猫": the cat is on the table
    int locativeObject = -1;
    bool locativeArmed = false, headArmed = false;
    Kind previous = Kind::Skip;

    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const Token& token = tokens[i];
        switch (token.word.kind) {
        case Kind::Number: pending.count = std::stoi(token.word.value); break;
        case Kind::Colour: pending.colour = token.word.value; break;
        case Kind::Size: pending.size = token.word.value; break;
        case Kind::Thing: {
            const std::size_t index = std::stoul(token.word.value);
            const Thing& thing = library.things()[index];
            ThingAsked asked;
            asked.id = thing.id;
            asked.word = token.text;
            const bool isHead = headRelation && headArmed;
            Modifiers modifiers = pending;
            if (isHead) {  // the modifiers said before the clause belong to its head
                if (!modifiers.count) modifiers.count = held.count;
                if (modifiers.colour.empty()) modifiers.colour = held.colour;
                if (modifiers.size.empty()) modifiers.size = held.size;
            }
            asked.count = modifiers.count.value_or(token.plural ? 3 : 1);
            asked.colour = modifiers.colour.empty() ? token.colour : modifiers.colour;
            asked.size = modifiers.size;
            pending = {};
            const int at = static_cast<int>(reading.things.size());
            reading.things.push_back(asked);
            if (relation && relationSubject >= 0) {
                std::string name = *relation;
                if (name == "with") name = handheld(thing) ? "holding" : "next_to";
                if (name == "in" && thing.category == "clothes") name = "wearing";
                reading.relations.push_back({relationSubject, name, at});
                relation.reset();
            }
            if (isHead) {
                if (headObject >= 0) reading.relations.push_back({at, *headRelation, headObject});
                headRelation.reset();
                headArmed = false;
                held = {};
            }
            if (locativeForHead && locativeArmed) {
                reading.relations.push_back({at, *locativeForHead, locativeObject});
                locativeForHead.reset();
                locativeArmed = false;
            }
            if (headRelation && headObject < 0) headObject = at;
            lastThing = lastObject = at;
            lastWasPlace = false;
            break;
        }
        case Kind::Place:
            if (reading.place.empty()) reading.place = token.word.value;
            relation.reset();  // "a cat on the meadow": a place, not a thing to stand on
            lastObject = -1;
            lastWasPlace = true;
            pending = {};
            break;
        case Kind::Relation:
            if (lastThing >= 0 && (previous == Kind::Thing || previous == Kind::Place || previous == Kind::Unknown)) {
                relation = token.word.value;
                relationSubject = lastThing;
            } else if (static_cast<unsigned char>(token.text[0]) >= 0x80) {
                // Chinese "一只穿红色背带裤的小兔子": the thing that follows is worn; the head after 的 wears it.
                headRelation = token.word.value;
                headObject = -1;
                held = pending;
                pending = {};
            }
            break;
        case Kind::Locative:
            if (lastWasPlace) break;  // "草地上": the place itself
            if (lastObject >= 0 && subjectOfAt >= 0 && subjectOfAt != lastObject) {
                reading.relations.push_back({subjectOfAt, token.word.value, lastObject});
                subjectOfAt = -1;
            } else if (lastObject >= 0) {
                locativeForHead = token.word.value;
                locativeObject = lastObject;
            }
            break;
        case Kind::At: subjectOfAt = lastThing; break;
        case Kind::Conjunction:
            relation.reset();
            lastObject = -1;
            break;
        case Kind::Unknown:
            // What was said of it goes with it, not with the next thing.
            reading.unknown.push_back({token.text, closestThings(token.text, library)});
            pending = {};
            lastObject = -1;
            break;
        case Kind::Have:
        case Kind::Of:
            // "桌子上的猫", "旁边有一根胡萝卜", "穿裙子的女孩": the next thing is the one the clause describes.
            if (locativeForHead) locativeArmed = true;
            if (headRelation && token.word.kind == Kind::Of) headArmed = true;
            break;
        case Kind::Skip: break;
        }
        if (token.word.kind != Kind::Skip) previous = token.word.kind;
    }
    return reading;
}

}  // namespace storybrush::scene

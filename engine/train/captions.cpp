// Caption grammar. English: [prefix] objects [place]; Chinese: [place的] objects or objects在place. Objects are
// grouped by concept so two stickers of one thing read "two frogs" / "两只青蛙".
#include "train/captions.h"

#include <map>

namespace storybrush::train {
namespace {

template <typename T>
const T& pick(const std::vector<T>& options, std::mt19937& rng) {
    return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng)];
}

bool chance(double p, std::mt19937& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p; }

std::string withArticle(const std::string& phrase) {
    const char first = phrase.empty() ? 'x' : phrase[0];
    const bool vowel = first == 'a' || first == 'e' || first == 'i' || first == 'o' || first == 'u';
    return (vowel ? "an " : "a ") + phrase;
}

std::string joinList(const std::vector<std::string>& parts, const std::string& lastSeparator,
                     const std::string& separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += (i + 1 == parts.size()) ? lastSeparator : separator;
        out += parts[i];
    }
    return out;
}

struct ConceptGroup {
    int concept = 0;
    int count = 0;
    int colour = -1;          // shared by all its stickers, else -1
    bool recoloured = false;  // a sticker's hue was turned: the colour must be named
};

// The stickers grouped by concept, in first-seen order, with the colour they all share (if they do).
std::vector<ConceptGroup> groupConcepts(const Scene& scene) {
    std::vector<ConceptGroup> groups;
    for (std::size_t i = 0; i < scene.concepts.size(); ++i) {
        const int colour = i < scene.colours.size() ? scene.colours[i] : -1;
        const bool recoloured = i < scene.recoloured.size() && scene.recoloured[i];
        bool found = false;
        for (auto& group : groups) {
            if (group.concept == scene.concepts[i]) {
                ++group.count;
                if (group.colour != colour) group.colour = -1;
                group.recoloured = group.recoloured || recoloured;
                found = true;
            }
        }
        if (!found) groups.push_back({scene.concepts[i], 1, colour, recoloured});
    }
    return groups;
}

// Half the time a group whose stickers share a colour is called by it, so "red" in a prompt asks for red things
// (always when the colour was made by turning the hue); otherwise, now and then, a friendly word.
template <typename Words>
std::string adjectiveFor(const ConceptGroup& group, const Words& friendly, bool english, std::mt19937& rng) {
    if (group.colour >= 0 && (group.recoloured || chance(0.5, rng))) {
        const auto& name = kColourNames[group.colour];
        return english ? std::string(name.english) + " " : std::string(name.chinese);
    }
    if (!chance(0.25, rng)) return "";
    return english ? pick(friendly, rng) + " " : pick(friendly, rng);
}

std::string englishObjects(const Scene& scene, const std::vector<Concept>& table, std::mt19937& rng) {
    static const std::vector<std::string> adjectives{"cute", "happy", "little", "funny", "friendly"};
    static const std::vector<std::string> numbers{"", "one", "two", "three"};
    std::vector<std::string> parts;
    for (const auto& group : groupConcepts(scene)) {
        const auto& item = table[static_cast<std::size_t>(group.concept)];
        const int count = group.count;
        const std::string adjective = adjectiveFor(group, adjectives, true, rng);
        if (count == 1) {
            parts.push_back(withArticle(adjective + item.english));
        } else {
            parts.push_back(numbers[static_cast<std::size_t>(std::min(count, 3))] + " " + adjective +
                            item.englishPlural);
        }
    }
    return joinList(parts, " and ", ", ");
}

std::string chineseObjects(const Scene& scene, const std::vector<Concept>& table, std::mt19937& rng) {
    static const std::vector<std::string> adjectives{"可爱的", "快乐的", "小小的", "有趣的"};
    static const std::vector<std::string> numbers{"", "一", "两", "三"};
    std::vector<std::string> parts;
    for (const auto& group : groupConcepts(scene)) {
        const auto& item = table[static_cast<std::size_t>(group.concept)];
        const std::string adjective = adjectiveFor(group, adjectives, false, rng);
        parts.push_back(numbers[static_cast<std::size_t>(std::min(group.count, 3))] + item.measureWord + adjective +
                        item.chinese);
    }
    return joinList(parts, "和", "、");
}

}  // namespace

std::string placePhrase(Background background, CaptionLanguage language, std::mt19937& rng) {
    static const std::map<Background, std::vector<std::string>> english{
        {Background::Meadow, {"on a sunny meadow", "on the grass", "in a green meadow"}},
        {Background::Sea, {"in the sea", "by the sea", "on the blue sea"}},
        {Background::Sky, {"in the sky", "in a blue sky with clouds", "among the clouds"}},
        {Background::Night, {"at night", "under the starry night sky", "in the night sky"}},
        {Background::Snow, {"in the snow", "on a snowy day", "on the snow"}},
        {Background::Room, {"in a room", "in a cosy room", "at home"}},
        {Background::Plain, {"", "on a plain background"}}};
    static const std::map<Background, std::vector<std::string>> chinese{
        {Background::Meadow, {"草地上", "绿色的草地上", "草坪上"}},
        {Background::Sea, {"大海里", "海上", "蓝色的大海上"}},
        {Background::Sky, {"天空中", "蓝天上", "白云间"}},
        {Background::Night, {"夜空下", "晚上的星空下", "夜晚"}},
        {Background::Snow, {"雪地里", "雪地上", "下雪天"}},
        {Background::Room, {"房间里", "屋子里", "家里"}},
        {Background::Plain, {""}}};
    return pick((language == CaptionLanguage::English ? english : chinese).at(background), rng);
}

std::string caption(const Scene& scene, const std::vector<Concept>& concepts, CaptionLanguage language,
                    std::mt19937& rng) {
    const bool namePlace = chance(0.8, rng);
    const std::string place = namePlace ? placePhrase(scene.background, language, rng) : "";
    if (language == CaptionLanguage::English) {
        static const std::vector<std::string> prefixes{"", "", "", "a picture of ", "a cartoon of ", "a drawing of "};
        std::string objects = englishObjects(scene, concepts, rng);
        if (scene.concepts.size() == 1 && chance(0.1, rng))
            objects = concepts[static_cast<std::size_t>(scene.concepts[0])].english;
        return pick(prefixes, rng) + objects + (place.empty() ? "" : " " + place);
    }
    std::string objects = chineseObjects(scene, concepts, rng);
    if (scene.concepts.size() == 1 && chance(0.1, rng))
        objects = concepts[static_cast<std::size_t>(scene.concepts[0])].chinese;
    if (place.empty()) return objects;
    return chance(0.6, rng) ? place + "的" + objects : objects + "在" + place;
}

}  // namespace storybrush::train

// Laying out a read prompt. Things that depend on no other ("roots") get a column each across the page, standing on
// the ground (or in the sky band when they fly); a thing in a relation is placed against the thing it relates to.
// Sizes follow what a thing is, so a house is bigger than a cat and a cat bigger than an apple.
#include "scene/layout.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace storybrush::scene {

namespace {

// Places whose pictures have ground to stand on, and where it meets the sky.
double groundLineOf(const std::string& place) {
    static const std::set<std::string> indoors{"room", "classroom", "kitchen"};
    static const std::set<std::string> floating{"sky", "night_sky", "space", "underwater", "sea"};
    if (floating.count(place)) return 1.0;
    if (indoors.count(place)) return 0.68;
    return 0.6;
}

bool flies(const Thing& thing) {
    static const std::set<std::string> flying{
        "sun",       "moon",       "star",          "cloud",   "rainbow",         "kite",
        "airplane",  "helicopter", "rocket",        "balloon", "hot_air_balloon", "bird",
        "butterfly", "bee",        "flying_saucer", "comet",   "crescent_moon"};
    return thing.category == "sky" || flying.count(thing.id) > 0;
}

// Height as a share of the page, before the size asked.
double baseHeight(const Thing& thing) {
    static const std::set<std::string> tall{"tree",     "giraffe",     "castle",
                                            "house",    "lighthouse",  "palm_tree",
                                            "elephant", "dinosaur",    "long_neck_dinosaur",
                                            "whale",    "bus",         "school_bus",
                                            "train",    "fire_engine", "ship",
                                            "rocket",   "mountain"};
    if (tall.count(thing.id)) return 0.46;
    static const std::set<std::string> furniture{"bed",       "table",     "chair",    "sofa",    "couch",
                                                 "desk",      "bookshelf", "wardrobe", "bathtub", "snowman",
                                                 "scarecrow", "piano",     "tent"};
    if (furniture.count(thing.id)) return 0.3;
    const std::string& c = thing.category;
    if (c == "building" || c == "place") return 0.44;
    if (c == "vehicle") return 0.3;
    if (c == "person" || c == "job" || c == "fantasy") return 0.34;
    if (c == "animal") return 0.24;
    if (c == "plant" || c == "nature") return 0.22;
    if (c == "weather" || c == "sky") return 0.17;
    return 0.14;  // food, toys, school things, clothes, tools: what a hand holds
}

double sizeFactor(const std::string& size) { return size == "small" ? 0.65 : size == "big" ? 1.45 : 1.0; }

Box squareBox(double centreX, double bottom, double height, double aspect) {
    const double width = height / aspect;
    return {centreX - width / 2, bottom - height, width, height};
}

// Inside the page, shrunk if it is larger than the page.
Box clampToPage(Box box) {
    if (box.width > 1.0 || box.height > 1.0) {
        const double scale = 1.0 / std::max(box.width, box.height);
        const double cx = box.x + box.width / 2, cy = box.y + box.height / 2;
        box.width *= scale;
        box.height *= scale;
        box.x = cx - box.width / 2;
        box.y = cy - box.height / 2;
    }
    box.x = std::clamp(box.x, 0.0, 1.0 - box.width);
    box.y = std::clamp(box.y, 0.0, 1.0 - box.height);
    return box;
}

bool isHeadwear(const std::string& id) {
    return id.find("hat") != std::string::npos || id.find("cap") != std::string::npos ||
           id.find("crown") != std::string::npos || id.find("helmet") != std::string::npos ||
           id.find("glasses") != std::string::npos || id.find("bow") != std::string::npos;
}

// The thing placed by the relation (the other is its anchor): what is held or worn follows the holder; in every
// other relation the subject is placed against the object.
bool objectFollows(const std::string& relation) { return relation == "holding" || relation == "wearing"; }

}  // namespace

double overlapShare(const Box& a, const Box& b) {
    const double w = std::min(a.right(), b.right()) - std::max(a.x, b.x);
    const double h = std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y);
    if (w <= 0 || h <= 0) return 0.0;
    const double smaller = std::min(a.width * a.height, b.width * b.height);
    return smaller > 0 ? (w * h) / smaller : 0.0;
}

Layout layOut(const PromptReading& reading, const ThingLibrary& library, std::uint64_t seed, double aspect) {
    Layout layout;
    layout.place = reading.place;
    layout.groundLine = groundLineOf(reading.place);
    const bool hasGround = layout.groundLine < 1.0;
    std::mt19937_64 random(seed);
    const auto jitter = [&](double amount) { return std::uniform_real_distribution<double>(-amount, amount)(random); };

    const std::size_t n = reading.things.size();
    // A picture of one or two things shows them large, as a picture book does; a crowd is drawn smaller.
    int instances = 0;
    for (const auto& thing : reading.things) instances += std::max(1, thing.count);
    const double crowdScale = instances <= 1 ? 1.7 : instances == 2 ? 1.35 : instances <= 4 ? 1.1 : 1.0;
    std::vector<const Thing*> things(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) things[i] = library.byId(reading.things[i].id);

    // Each thing depends on at most one anchor: the first relation that places it.
    std::vector<int> anchor(n, -1);
    std::vector<std::string> relationOf(n);
    for (const auto& relation : reading.relations) {
        const bool follows = objectFollows(relation.relation);
        const int dependent = follows ? relation.object : relation.subject;
        const int other = follows ? relation.subject : relation.object;
        if (dependent < 0 || other < 0 || std::size_t(dependent) >= n || std::size_t(other) >= n) continue;
        if (anchor[dependent] >= 0) continue;
        // Companions stand in neighbouring columns of their own (below), not squeezed beside a wide thing.
        if (relation.relation == "next_to") continue;
        // No cycles: the anchor must not (transitively) depend on the dependent.
        bool cycle = false;
        for (int at = other; at >= 0 && !cycle; at = anchor[at]) cycle = at == dependent;
        if (cycle) continue;
        anchor[dependent] = other;
        relationOf[dependent] = relation.relation;
    }

    // Roots: a column each, flying things in the sky band, the rest on the ground.
    std::vector<int> roots;
    for (std::size_t i = 0; i < n; ++i) {
        if (anchor[i] < 0 && things[i]) roots.push_back(static_cast<int>(i));
    }
    // A thing next to another takes the column beside it.
    for (const auto& relation : reading.relations) {
        if (relation.relation != "next_to") continue;
        const auto subject = std::find(roots.begin(), roots.end(), relation.subject);
        const auto object = std::find(roots.begin(), roots.end(), relation.object);
        if (subject == roots.end() || object == roots.end()) continue;
        const int moved = *subject;
        roots.erase(subject);
        roots.insert(std::find(roots.begin(), roots.end(), relation.object) + 1, moved);
    }
    std::vector<std::vector<Box>> boxes(n);  // per thing, one box per instance
    const double column = roots.empty() ? 1.0 : 1.0 / double(roots.size());
    for (std::size_t r = 0; r < roots.size(); ++r) {
        const int index = roots[r];
        const Thing& thing = *things[index];
        const ThingAsked& asked = reading.things[index];
        const int count = std::max(1, asked.count);
        double height = baseHeight(thing) * sizeFactor(asked.size) * crowdScale;
        // The instances share the column: shrink them until they fit side by side with a little room.
        const double room = column * 0.92;
        const double perInstance = room / (count <= 3 ? count : std::ceil(count / 2.0));
        height = std::min(height, perInstance * aspect * 0.95);
        const int rows = count <= 3 ? 1 : 2;
        const int perRow = (count + rows - 1) / rows;
        for (int k = 0; k < count; ++k) {
            const int row = k / perRow, slot = k % perRow;
            const double slotWidth = room / perRow;
            const double cx = r * column + (column - room) / 2 + slotWidth * (slot + 0.5) + jitter(slotWidth * 0.08);
            double bottom;
            if (!hasGround) {  // the sea, the sky, space: everything floats a little below the middle
                bottom = 0.62 + height / 2 + row * height * 0.95 + jitter(0.06);
            } else if (flies(thing)) {
                bottom = 0.06 + height * (row + 1) * 0.95 + std::abs(jitter(0.05));
            } else {
                bottom = layout.groundLine + 0.12 + row * 0.12 + jitter(0.03);
            }
            boxes[index].push_back(clampToPage(squareBox(cx, std::min(bottom, 0.98), height, aspect)));
        }
    }

    // Companions stand on the same ground line.
    for (const auto& relation : reading.relations) {
        if (relation.relation != "next_to" || anchor[relation.subject] >= 0 || boxes[relation.subject].empty() ||
            boxes[relation.object].empty())
            continue;
        const double bottom = boxes[relation.object].front().bottom();
        for (Box& box : boxes[relation.subject]) box = clampToPage({box.x, bottom - box.height, box.width, box.height});
    }

    // Dependents, in as many passes as the longest chain.
    for (std::size_t pass = 0; pass < n; ++pass) {
        bool placedAny = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (!boxes[i].empty() || anchor[i] < 0 || !things[i] || boxes[anchor[i]].empty()) continue;
            const Box& base = boxes[anchor[i]].front();
            const ThingAsked& asked = reading.things[i];
            const Thing& thing = *things[i];
            const std::string& relation = relationOf[i];
            double height = baseHeight(thing) * sizeFactor(asked.size) * crowdScale;
            const double cx = base.x + base.width / 2;
            Box box;
            if (relation == "on") {
                height = std::min(height, base.height * 0.9);
                box = squareBox(cx, base.y + base.height * 0.2, height, aspect);
            } else if (relation == "riding") {
                height = std::min(height, base.height * 1.1);
                box = squareBox(cx, base.y + base.height * 0.5, height, aspect);
            } else if (relation == "under") {
                height = std::min(height, base.height * 0.6);
                box = squareBox(cx + base.width * 0.15, base.bottom(), height, aspect);
            } else if (relation == "in") {
                height = std::min(height, base.height * 0.5);
                box = squareBox(cx, base.y + base.height * 0.8, height, aspect);
            } else if (relation == "holding") {
                height = std::min(height, base.height * 0.45);
                box = squareBox(base.right() - height / aspect * 0.2, base.y + base.height * 0.75, height, aspect);
            } else if (relation == "wearing") {
                if (isHeadwear(thing.id)) {
                    height = base.height * 0.38;
                    box = squareBox(cx, base.y + base.height * 0.3, height, aspect);
                } else {
                    height = base.height * 0.55;
                    box = squareBox(cx, base.y + base.height * 0.9, height, aspect);
                }
            } else if (relation == "above") {
                // In the space above it, smaller if that space is small.
                height = std::min({height, base.height, std::max(base.y - 0.03, 0.06)});
                box = squareBox(cx, std::max(base.y - 0.03, height), height, aspect);
            } else if (relation == "in_front_of") {
                height = std::min(height, base.height * 0.8);
                box = squareBox(cx - base.width * 0.2, base.bottom() + 0.04, height, aspect);
            } else if (relation == "behind") {
                height = std::min(height, base.height * 1.1);
                box = squareBox(cx + base.width * 0.3, base.bottom() - 0.05, height, aspect);
            } else {  // next_to: beside it, on the same ground, facing it
                const double width = height / aspect;
                const bool roomRight = base.right() + width * 1.05 <= 1.0;
                const double x = roomRight ? base.right() + width * 0.55 : base.x - width * 0.55;
                box = squareBox(x, base.bottom(), height, aspect);
            }
            boxes[i].push_back(clampToPage(box));
            // More than one of a dependent: the rest beside the first.
            for (int k = 1; k < std::max(1, asked.count); ++k) {
                Box next = boxes[i].front();
                next.x += next.width * 0.95 * k;
                boxes[i].push_back(clampToPage(next));
            }
            placedAny = true;
        }
        if (!placedAny) break;
    }

    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < boxes[i].size(); ++k) {
            PlacedThing placed;
            placed.id = reading.things[i].id;
            placed.thing = static_cast<int>(i);
            placed.instance = static_cast<int>(k);
            placed.box = boxes[i][k];
            placed.colour = reading.things[i].colour;
            // Nearer (lower on the page) is drawn later; a thing placed against another is drawn over it unless it
            // is behind it.
            placed.layer = static_cast<int>(std::lround(placed.box.bottom() * 1000));
            if (anchor[i] >= 0 && !boxes[anchor[i]].empty()) {
                const int anchorLayer = static_cast<int>(std::lround(boxes[anchor[i]].front().bottom() * 1000));
                if (relationOf[i] == "behind") placed.layer = anchorLayer - 1;
                else placed.layer = std::max(placed.layer, anchorLayer + 1);
            }
            layout.items.push_back(placed);
        }
    }
    // Companions face each other: the second of a pair standing side by side looks back.
    for (const auto& relation : reading.relations) {
        if (relation.relation != "next_to") continue;
        for (auto& item : layout.items) {
            if (item.thing == relation.subject && item.instance == 0) item.flipped = true;
        }
    }
    std::stable_sort(layout.items.begin(), layout.items.end(),
                     [](const PlacedThing& a, const PlacedThing& b) { return a.layer < b.layer; });
    return layout;
}

}  // namespace storybrush::scene

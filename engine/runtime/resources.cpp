// The resource search order.
#include "runtime/resources.h"

#include <cstdlib>

namespace storybrush::runtime {

namespace fs = std::filesystem;

std::vector<fs::path> resourceFolders() {
    std::vector<fs::path> folders;
    if (const char* env = std::getenv("STORYBRUSH_RESOURCES"); env && *env) folders.emplace_back(fs::u8path(env));
    std::error_code error;
    const fs::path executable = fs::read_symlink("/proc/self/exe", error);
    if (!error) folders.push_back(executable.parent_path().parent_path() / "share" / "storybrush");
#ifdef STORYBRUSH_SOURCE_RESOURCES
    folders.emplace_back(fs::u8path(STORYBRUSH_SOURCE_RESOURCES));
#endif
    return folders;
}

fs::path findResource(const fs::path& relative, std::string* tried) {
    for (const auto& folder : resourceFolders()) {
        const fs::path candidate = folder / relative;
        std::error_code error;
        if (fs::exists(candidate, error)) return candidate;
        if (tried) *tried += "\n  " + candidate.u8string();
    }
    return {};
}

}  // namespace storybrush::runtime

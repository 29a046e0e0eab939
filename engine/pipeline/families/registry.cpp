// The model families, one row each, in the order they are asked to claim a model: the most particular first
// (a Qwen-Image folder is recognised by its own files; the SD checkpoint reader's verdict decides among the rest).
#include "pipeline/family.h"

namespace storybrush::pipeline {

// Each defined in its family's file under families/.
const Family& qwenImageFamily();
const Family& sdxlFamily();
const Family& sd2Family();
const Family& sd1Family();
const Family& builtinFamily();

const std::vector<const Family*>& allFamilies() {
    static const std::vector<const Family*> families{
        &qwenImageFamily(), &sdxlFamily(), &sd2Family(), &sd1Family(), &builtinFamily(),
    };
    return families;
}

}  // namespace storybrush::pipeline

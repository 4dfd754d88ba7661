// The one list of model families: model_type lookup, and what ModelConfig asks of its family.
#include "families/family.h"

#include "headlight/error.h"

namespace headlight {

const std::vector<const Family*>& allFamilies() {
    static const std::vector<const Family*> families = {&gpt2Family(), &bertFamily(), &llamaFamily(), &gptNeoxFamily(),
                                                        &gemma2Family(), &marianFamily(), &bartFamily(), &t5Family()};
    return families;
}

const Family* findFamily(const std::string& modelType) {
    for (const Family* f : allFamilies())
        for (const auto& t : f->modelTypes)
            if (t == modelType) return f;
    return nullptr;
}

const Family& familyOf(const ModelConfig& c) {
    const Family* f = findFamily(c.modelType);
    if (!f) throw Error("config", "model_type \"" + c.modelType + "\" is not supported");
    return *f;
}

const std::vector<std::string>& supportedModelTypes() {
    static const std::vector<std::string> types = [] {
        std::vector<std::string> all;
        for (const Family* f : allFamilies()) all.insert(all.end(), f->modelTypes.begin(), f->modelTypes.end());
        return all;
    }();
    return types;
}

// Asked by the mechanisms (below families/) through the config: the family answers.
bool ModelConfig::isNative() const {
    const Family* f = findFamily(modelType);
    return f && f->traits.ownLayout;
}

} // namespace headlight

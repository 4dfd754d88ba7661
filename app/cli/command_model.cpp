// `headlight-cli info` and `headlight-cli init`: describe a model folder, or make a random one.
#include "cli_args.h"
#include "commands.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/session.h"
#include "headlight/model_init.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace headlight::cli {

int infoCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--device", "--dtype"}, {});
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    const Session session(a.positional()[0], a.value("--device", "cpu"), a.value("--dtype", "float32"));
    const Engine& engine = session.engine();
    std::cout << engine.describeJson() << std::endl;
    return 0;
}

int initCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--config", "--seed", "--out", "--alphabet"}, {});
    if (!a.positional().empty()) throw UsageError{"takes no positional arguments"};
    const std::string configPath = a.required("--config");
    const std::string out = a.required("--out");
    if (out.empty()) throw Error("--out", "is empty; give a folder name");
    const long long seed = a.integer("--seed", 0);
    if (seed < 0) throw UsageError{"--seed: must be >= 0"};
    const ModelConfig config = ModelConfig::fromFile(configPath);
    // Sizes the machine cannot hold: name the file they came from.
    namingArguments({{ErrorInput::ModelSizes, {configPath, ""}}},
                    [&] { initRandomModel(config, static_cast<uint64_t>(seed), out, a.value("--alphabet")); });
    const Session session(out);
    const Engine& engine = session.engine();   // prove the folder loads before reporting success
    nlohmann::json s = {{"out", out}, {"seed", seed}, {"parameters", engine.parameterCount()},
                        {"tokenizer", engine.tokenizer() ? engine.tokenizer()->kind() : "none (token ids only)"}};
    std::cout << jsonText(s) << std::endl;
    return 0;
}

} // namespace headlight::cli

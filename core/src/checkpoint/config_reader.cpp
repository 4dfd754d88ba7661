#include "checkpoint/config_reader.h"

#include "headlight/model_config.h"
#include "io/json_util.h"

#include <cmath>

namespace headlight {
namespace {

// Keys Hugging Face writes into configs of every family that do not change inference.
const std::set<std::string> kGenericInertKeys = {
    "_name_or_path", "architectures", "transformers_version", "torch_dtype", "dtype", "use_cache",
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "cls_token_id", "mask_token_id",
    "decoder_start_token_id", "initializer_range", "tokenizer_class", "id2label", "label2id", "output_past",
    "gradient_checkpointing", "task_specific_params", "prefix", "return_dict", "output_attentions",
    "output_hidden_states", "torchscript", "problem_type", "finetuning_task", "chunk_size_feed_forward",
    "tf_legacy_loss", "use_bfloat16", "max_length", "num_labels", "pretraining_tp", "cache_implementation",
    "tie_encoder_decoder", "bad_words_ids", "num_beams", "min_length", "do_sample", "temperature", "top_k",
    "top_p", "repetition_penalty", "typical_p", "length_penalty", "no_repeat_ngram_size", "early_stopping",
    "use_return_dict", "pruned_heads", "summary_activation", "summary_first_dropout",
    "summary_proj_to_labels", "summary_type", "summary_use_proj", "model_type", "headlight"};

bool isDropout(const std::string& k) {
    return k.find("dropout") != std::string::npos || k.find("pdrop") != std::string::npos;
}

} // namespace

ConfigReader::ConfigReader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

void ConfigReader::fail(const std::string& message) const { throw Error(source_, message); }

bool ConfigReader::has(const char* key) {
    read_.insert(key);
    return j_.contains(key) && !j_.at(key).is_null();
}

int ConfigReader::positiveInt(const char* key) {
    read_.insert(key);
    return jsonutil::requirePositiveInt(j_, key, source_);
}

int ConfigReader::layerCount(const char* key) {
    const int layers = positiveInt(key);
    if (layers > kMaxLayers)
        fail("\"" + std::string(key) + "\" is " + std::to_string(layers) + ", more layers than Headlight reads (at most " +
             std::to_string(kMaxLayers) + ")");
    return layers;
}

int ConfigReader::positiveInt(const char* key, int fallback) {
    return has(key) ? jsonutil::requirePositiveInt(j_, key, source_) : fallback;
}

int ConfigReader::integer(const char* key, int fallback) {
    return has(key) ? jsonutil::requireInt(j_, key, source_) : fallback;
}

double ConfigReader::number(const char* key, double fallback) {
    if (!has(key)) return fallback;
    const double v = jsonutil::requireNumber(j_, key, source_);
    if (!std::isfinite(v)) fail(std::string("\"") + key + "\" must be a finite number");
    return v;
}

double ConfigReader::positiveNumber(const char* key, double fallback) {
    const double v = number(key, fallback);
    if (!(v > 0)) fail(std::string("\"") + key + "\" must be a positive number");
    return v;
}

bool ConfigReader::flag(const char* key, bool fallback) {
    return has(key) ? jsonutil::requireBool(j_, key, source_) : fallback;
}

std::string ConfigReader::string(const char* key, const std::string& fallback) {
    return has(key) ? jsonutil::requireString(j_, key, source_) : fallback;
}

const char* ConfigReader::firstOf(std::initializer_list<const char*> keys) {
    const char* found = nullptr;
    for (const char* k : keys)
        if (has(k) && !found) found = k;
    return found;
}

void ConfigReader::agrees(const char* key, const nlohmann::json& used, const std::string& usedKey) {
    if (!has(key) || j_.at(key) == used) return;
    fail(std::string("\"") + key + "\" = " + jsonutil::excerpt(j_.at(key)) + " disagrees with " + usedKey + " = " +
         jsonutil::excerpt(used) + ", which transformers reads for this family; remove it or give both the same value");
}

void ConfigReader::inert(std::initializer_list<const char*> keys) {
    for (const char* k : keys) read_.insert(k);
}

void ConfigReader::pinned(const char* key, const nlohmann::json& expected, const std::string& why) {
    if (has(key) && j_.at(key) != expected)
        fail(std::string("\"") + key + "\" = " + jsonutil::excerpt(j_.at(key)) + " is not supported (" + why + ")");
}

void ConfigReader::finish() const {
    for (const auto& item : j_.items()) {
        const std::string& k = item.key();
        if (read_.count(k) || kGenericInertKeys.count(k) || isDropout(k)) continue;
        fail("unknown key \"" + k + "\" (it may change the model; see docs/model-format.md for the keys read)");
    }
}

} // namespace headlight

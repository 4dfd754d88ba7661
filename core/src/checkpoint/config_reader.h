#pragma once
// Internal: reads one config.json object key by key. Every key a family reads, accepts as inert or pins to its
// default is marked; finish() rejects whatever is left, so an unknown key that could change the forward pass
// is an error naming it instead of a silently different model.
#include "headlight/error.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace headlight {

class ConfigReader {
public:
    ConfigReader(const nlohmann::json& j, std::string source);

    const std::string& source() const { return source_; }
    const nlohmann::json& json() const { return j_; }
    // True when `key` is present and not null (marks it read).
    bool has(const char* key);
    int positiveInt(const char* key);
    int positiveInt(const char* key, int fallback);                 // when absent or null
    // The number of layers: a positive integer up to kMaxLayers. Every layer costs memory before its tensors are
    // looked up, so a count no file could hold (2^31 - 1) is refused here; a count the files fall short of names
    // the first missing tensor when the model loads.
    static constexpr int kMaxLayers = 65536;
    int layerCount(const char* key);
    int integer(const char* key, int fallback);                     // any integer; fallback when absent or null
    double number(const char* key, double fallback);
    double positiveNumber(const char* key, double fallback);
    bool flag(const char* key, bool fallback);
    std::string string(const char* key, const std::string& fallback);
    // The first of `keys` present (all are marked), for keys with several names across versions.
    const char* firstOf(std::initializer_list<const char*> keys);
    // A key transformers does not read for this family although another family spells the same setting so
    // (`rotary_emb_base` beside Llama's `rope_theta`): accepted only when it says what the model uses, `used`
    // (the value of key `usedKey`, or its default), since a reader of either spelling must get the same model.
    void agrees(const char* key, const nlohmann::json& used, const std::string& usedKey);
    // Keys that never change the forward pass here (dropout, token ids, bookkeeping).
    void inert(std::initializer_list<const char*> keys);
    // A key that may appear only with the value this implementation computes (or null).
    void pinned(const char* key, const nlohmann::json& expected, const std::string& why);
    // Throws for the first key no one read, naming it. Hugging Face's generic keys are accepted here.
    void finish() const;
    [[noreturn]] void fail(const std::string& message) const;

private:
    const nlohmann::json& j_;
    std::string source_;
    std::set<std::string> read_;
};


} // namespace headlight

#pragma once
// The mechanisms a model has, each with its own settings (a struct in headlight/mechanisms/, read from its
// object under "headlight" in config.json by the mechanism itself). Held by key, so a new mechanism adds its own
// header and nothing here: `config.mechanism<HeadGatesConfig>()` is null when the model lacks head gates.
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace headlight {

class MechanismConfigs {
public:
    // T is one of the settings structs; T::kKey names it ("head_gates", ...).
    template <class T>
    const T* get() const {
        const auto it = items_.find(T::kKey);
        return it == items_.end() ? nullptr : static_cast<const T*>(it->second.get());
    }
    template <class T>
    void set(T settings) {
        items_[T::kKey] = std::make_shared<const T>(std::move(settings));
    }
    bool has(const std::string& key) const { return items_.count(key) > 0; }
    void erase(const std::string& key) { items_.erase(key); }
    bool empty() const { return items_.empty(); }
    // The keys present, in key order.
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        for (const auto& item : items_) out.push_back(item.first);
        return out;
    }

private:
    std::map<std::string, std::shared_ptr<const void>> items_;   // immutable: copies of a config share them
};

} // namespace headlight

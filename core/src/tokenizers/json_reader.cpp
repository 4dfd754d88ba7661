// A SAX handler that builds the JSON tree through nlohmann's own tree builder, except inside
// model.vocab and model.merges, whose entries it stores directly.
#include "tokenizers/json_reader.h"

#include "headlight/error.h"
#include "io/json_util.h"

#include <limits>
#include <unordered_set>
#include <vector>

namespace headlight::tok {
namespace {

using json = nlohmann::json;

class TokenizerJsonSax {
public:
    TokenizerJsonSax(json& root, ModelTables& tables, std::string path) : dom_(root), tables_(tables), path_(std::move(path)) {}

    bool null() { return scalar([&] { return dom_.null(); }, "null"); }
    bool boolean(bool v) { return scalar([&] { return dom_.boolean(v); }, "a boolean"); }
    bool number_float(json::number_float_t v, const json::string_t& s) { return scalar([&] { return dom_.number_float(v, s); }, "a fraction"); }
    bool binary(json::binary_t& v) { return scalar([&] { return dom_.binary(v); }, "binary"); }
    bool number_integer(json::number_integer_t v) {
        if (mode_ == Mode::Vocab) {
            if (v < 0) vocabFail();
            return addId(v);
        }
        return scalar([&] { return dom_.number_integer(v); }, "a number");
    }
    bool number_unsigned(json::number_unsigned_t v) {
        if (mode_ == Mode::Vocab) {
            if (v > static_cast<json::number_unsigned_t>(std::numeric_limits<int64_t>::max())) vocabFail();
            return addId(static_cast<int64_t>(v));
        }
        return scalar([&] { return dom_.number_unsigned(v); }, "a number");
    }
    bool string(json::string_t& s) {
        if (mode_ == Mode::Merges) {
            const size_t space = s.find(' ');
            if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
                throw Error(path_, "merge " + std::to_string(tables_.merges.size() + 1) + " \"" + printableText(s, 40) +
                                       "\" is not two tokens separated by one space");
            tables_.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
            return true;
        }
        if (mode_ == Mode::MergePair) {
            pair_.push_back(std::move(s));
            if (pair_.size() > 2) mergeFail();
            return true;
        }
        return scalar([&] { return dom_.string(s); }, "a string");
    }
    bool key(json::string_t& k) {
        if (mode_ == Mode::Vocab) {
            pendingKey_ = std::move(k);
            return true;
        }
        if (depth_ == 2 && inModel_) nextKey_ = k;
        if (depth_ == 1) modelNext_ = k == "model";
        if (!keys_.empty() && !keys_.back().insert(k).second)
            throw Error(path_, "duplicate key \"" + printableText(k, 40) + "\"");
        return dom_.key(k);
    }
    bool start_object(std::size_t n) {
        if (mode_ == Mode::Vocab) vocabFail();
        if (mode_ == Mode::Merges || mode_ == Mode::MergePair) mergeFail();
        open();
        if (depth_ == 2) inModel_ = modelNext_;
        if (depth_ == 3 && inModel_ && nextKey_ == "vocab") {
            mode_ = Mode::Vocab;
            tables_.hasVocab = true;
        }
        nextKey_.clear();
        return dom_.start_object(n);
    }
    bool end_object() {
        if (mode_ == Mode::Vocab) mode_ = Mode::Tree;
        if (depth_ == 2) inModel_ = false;
        close();
        return dom_.end_object();
    }
    bool start_array(std::size_t n) {
        if (mode_ == Mode::Vocab) vocabFail();
        if (mode_ == Mode::MergePair) mergeFail();
        if (mode_ == Mode::Merges) {
            mode_ = Mode::MergePair;
            pair_.clear();
            return true;
        }
        open();
        if (depth_ == 3 && inModel_ && nextKey_ == "merges") {
            mode_ = Mode::Merges;
            tables_.hasMerges = true;
        }
        nextKey_.clear();
        return dom_.start_array(n);
    }
    bool end_array() {
        if (mode_ == Mode::MergePair) {
            if (pair_.size() != 2) mergeFail();
            tables_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
            mode_ = Mode::Merges;
            return true;
        }
        if (mode_ == Mode::Merges) mode_ = Mode::Tree;
        close();
        return dom_.end_array();
    }
    // Templated like nlohmann's own handlers so the exception keeps its type (parse_error, out_of_range).
    template <class Exception>
    bool parse_error(std::size_t position, const std::string& last, const Exception& e) {
        return dom_.parse_error(position, last, e);   // throws it; readTokenizerJson reports it
    }

private:
    enum class Mode { Tree, Vocab, Merges, MergePair };

    template <class F>
    bool scalar(F forward, const char* what) {
        if (mode_ == Mode::Vocab) vocabFail();
        if (mode_ == Mode::Merges || mode_ == Mode::MergePair) mergeFail();
        (void)what;
        nextKey_.clear();
        return forward();
    }
    bool addId(int64_t id) {
        // A repeated token would silently take one of its ids (JSON leaves it undefined which).
        if (!tables_.vocab->emplace(pendingKey_, id).second)
            throw Error(path_, "model.vocab: duplicate token \"" + printableText(pendingKey_, 40) + "\"");
        return true;
    }
    // Nesting is bounded like every JSON file we read (io/json_util.h): the tree is copied and serialised
    // recursively later.
    void open() {
        if (++depth_ > jsonutil::kMaxDepth)
            throw Error(path_, "nested deeper than " + std::to_string(jsonutil::kMaxDepth) + " levels");
        keys_.emplace_back();
    }
    void close() {
        --depth_;
        if (!keys_.empty()) keys_.pop_back();
    }
    [[noreturn]] void vocabFail() const {
        throw Error(path_, "model: the id of \"" + printableText(pendingKey_, 40) + "\" is not a non-negative integer");
    }
    [[noreturn]] void mergeFail() const {
        throw Error(path_, "merge " + std::to_string(tables_.merges.size() + 1) + " is neither \"a b\" nor [\"a\", \"b\"]");
    }

    nlohmann::detail::json_sax_dom_parser<json> dom_;
    ModelTables& tables_;
    std::string path_;
    Mode mode_ = Mode::Tree;
    int depth_ = 0;             // objects and arrays open in the tree
    std::vector<std::unordered_set<std::string>> keys_;   // the keys seen in each open object or list
    bool modelNext_ = false;    // the last top-level key was "model"
    bool inModel_ = false;      // inside the top-level "model" object
    std::string nextKey_;       // the key whose value comes next, inside "model"
    std::string pendingKey_;    // inside the vocabulary: the token whose id comes next
    std::vector<std::string> pair_;
};

} // namespace

nlohmann::json readTokenizerJson(const std::string& path, ModelTables& tables) {
    const std::string text = jsonutil::readTextFile(path);
    json root;
    TokenizerJsonSax sax(root, tables, path);
    try {
        json::sax_parse(text, &sax);
    } catch (const json::parse_error& e) {
        throw Error(path, "not valid JSON (" + jsonutil::shortParseError(e) + ")");
    } catch (const json::out_of_range&) {
        throw Error(path, "not valid JSON (a number is out of range)");
    }
    return root;
}

} // namespace headlight::tok

// `headlight-cli tokenize`: a folder's tokenizer on a text or on a JSON-lines file, printed as
// {"ids", "tokens", "decoded"} objects (the fields Hugging Face's tokenizers report).
#include "cli_args.h"
#include "headlight/input_file.h"
#include "commands.h"
#include "headlight/error.h"
#include "headlight/jsonl_texts.h"
#include "headlight/tokenizer.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace headlight::cli {
namespace {

constexpr uint64_t kMaxJsonlBytes = 1ull << 30;

std::unique_ptr<Tokenizer> tokenizerOf(const std::string& dir) {
    if (const FileKind kind = fileKind(dir); kind != FileKind::Folder)
        throw Error(dir, kind == FileKind::Missing ? "folder not found" : "is a file, expected a folder");
    auto tok = loadTokenizer(dir);
    if (!tok) throw Error(dir, "has no tokenizer files (tokenizer.json, vocab.json + merges.txt, source.spm, vocab.txt, spiece.model or vocab.json)");
    return tok;
}

// Keys in the order Hugging Face's reference files use: ids, tokens, decoded.
// `target`: the target side of a translation model's tokenizer (Tokenizer::encodeTarget).
nlohmann::ordered_json encodeText(const Tokenizer& tok, const std::string& text, bool addSpecial, bool target, const std::string& source) {
    // Problems with the text name the argument or the line it came from.
    const std::vector<int64_t> ids = namingArguments({{ErrorInput::Text, {source, ""}}}, [&] {
        return target ? tok.encodeTarget(text, addSpecial) : tok.encode(text, addSpecial);
    });
    nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
    for (int64_t id : ids) tokens.push_back(target ? tok.targetTokenPiece(id) : tok.tokenPiece(id));
    return {{"ids", ids}, {"tokens", tokens}, {"decoded", target ? tok.decodeTarget(ids) : tok.decode(ids)}};
}

std::string line(const nlohmann::ordered_json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

} // namespace

int tokenizeCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--text", "--jsonl"}, {"--no-special", "--target"});
    if (a.positional().size() != 1) throw UsageError{"expects exactly one DIR (a model folder or a folder of tokenizer files)"};
    if (a.has("--text") == a.has("--jsonl")) throw UsageError{"give exactly one of --text TEXT and --jsonl FILE"};
    const bool addSpecial = !a.has("--no-special"), target = a.has("--target");
    const auto tok = tokenizerOf(a.positional()[0]);
    if (a.has("--text")) {
        std::cout << line(encodeText(*tok, a.value("--text"), addSpecial, target, "--text")) << std::endl;
        return 0;
    }
    // Everything is encoded before anything is printed: a bad line leaves stdout empty.
    std::vector<std::string> out;
    for (const JsonlText& t : readJsonlTexts(a.value("--jsonl"), kMaxJsonlBytes))
        out.push_back(line(encodeText(*tok, t.text, addSpecial, target, t.where)));
    for (const std::string& l : out) std::cout << l << '\n';
    std::cout.flush();
    return 0;
}

} // namespace headlight::cli

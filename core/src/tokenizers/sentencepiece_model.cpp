#include "tokenizers/sentencepiece_model.h"

#include "headlight/error.h"
#include "io/json_util.h"
#include "tokenizers/sentencepiece_api.h"

#include <dlfcn.h>
#include <limits.h>
#include <mutex>
#include <unistd.h>

namespace headlight::tok {
namespace {

constexpr uint64_t kMaxModelBytes = 64ull << 20;   // the largest hub models (NLLB's 256k pieces) are about 5 MB

// libheadlight_sentencepiece, loaded once (sentencepiece_api.h says why it is not linked).
struct Module {
    HeadlightSpmLoad load = nullptr;
    HeadlightSpmFree free = nullptr;
    HeadlightSpmEncode encode = nullptr;
    HeadlightSpmDecodePieces decodePieces = nullptr;
    HeadlightSpmDecodeIds decodeIds = nullptr;
    HeadlightSpmPieceToId pieceToId = nullptr;
    HeadlightSpmIdToPiece idToPiece = nullptr;
    HeadlightSpmInt size = nullptr, eosId = nullptr;
    HeadlightSpmIsControl isControl = nullptr;
    std::string problem;   // why it is not available, when it is not
};

// The module's folder: lib/headlight beside the program's bin/ (the build tree and the installed layout alike).
std::string moduleFolder() {
    char exe[PATH_MAX] = {};
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    std::string dir = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string();
    dir = dir.substr(0, dir.find_last_of('/'));   // bin/
    dir = dir.substr(0, dir.find_last_of('/'));   // the prefix
    return dir + "/lib/headlight";
}

const Module& module() {
    static Module m;
    static std::once_flag once;
    std::call_once(once, [] {
#if defined(HEADLIGHT_SANITIZE)
        // AddressSanitizer refuses RTLD_DEEPBIND, and without it the module's protobuf would bind to LibTorch's.
        m.problem = "SentencePiece models cannot be read in a sanitizer build";
        return;
#else
        const std::string path = moduleFolder() + "/libheadlight_sentencepiece.so";
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!handle) {
            m.problem = "SentencePiece support is missing (" + path + " could not be loaded)";
            return;
        }
        auto find = [&](auto& fn, const char* name) { fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name)); };
        find(m.load, "headlight_spm_load");
        find(m.free, "headlight_spm_free");
        find(m.encode, "headlight_spm_encode");
        find(m.decodePieces, "headlight_spm_decode_pieces");
        find(m.decodeIds, "headlight_spm_decode_ids");
        find(m.pieceToId, "headlight_spm_piece_to_id");
        find(m.idToPiece, "headlight_spm_id_to_piece");
        find(m.size, "headlight_spm_size");
        find(m.eosId, "headlight_spm_eos_id");
        find(m.isControl, "headlight_spm_is_control");
        if (!m.load || !m.free || !m.encode || !m.decodePieces || !m.decodeIds || !m.pieceToId || !m.idToPiece || !m.size ||
            !m.eosId || !m.isControl)
            m.problem = "SentencePiece support is incomplete (" + path + " lacks a function)";
#endif
    });
    return m;
}

void appendString(void* context, const char* text, size_t size) { static_cast<std::string*>(context)->assign(text, size); }

} // namespace

struct SentencePieceModel::Handle {
    HeadlightSpm* model = nullptr;
    ~Handle() {
        if (model) module().free(model);
    }
};

SentencePieceModel::SentencePieceModel(const std::string& path) : path_(path), handle_(std::make_unique<Handle>()) {
    const std::string bytes = jsonutil::readTextFile(path, kMaxModelBytes);
    if (bytes.empty()) throw Error(path, "is empty, not a SentencePiece model");
    const Module& m = module();
    if (!m.problem.empty()) throw Error(path, m.problem);
    char error[256] = {};
    handle_->model = m.load(bytes.data(), bytes.size(), error, sizeof error);
    // The library's message names its own internals ("model_interface.cc(...) [...]"): one line of ours instead.
    if (!handle_->model) throw Error(path, "is not a SentencePiece model (it does not parse as one)");
    if (size() <= 0) throw Error(path, "is a SentencePiece model without pieces");
}

SentencePieceModel::~SentencePieceModel() = default;
SentencePieceModel::SentencePieceModel(SentencePieceModel&&) noexcept = default;

std::vector<std::pair<int, std::string>> SentencePieceModel::encode(const std::string& text) const {
    std::vector<std::pair<int, std::string>> out;
    auto add = [](void* context, int id, const char* piece, size_t size) {
        static_cast<std::vector<std::pair<int, std::string>>*>(context)->emplace_back(id, std::string(piece, size));
    };
    if (module().encode(handle_->model, text.data(), text.size(), add, &out) != 0) throw Error(path_, "could not encode a text");
    return out;
}

std::vector<std::string> SentencePieceModel::pieces(const std::string& text) const {
    std::vector<std::string> out;
    for (auto& [id, piece] : encode(text)) out.push_back(std::move(piece));
    return out;
}

std::vector<int> SentencePieceModel::ids(const std::string& text) const {
    std::vector<int> out;
    for (const auto& [id, piece] : encode(text)) out.push_back(id);
    return out;
}

std::string SentencePieceModel::decodePieces(const std::vector<std::string>& pieces) const {
    std::string joined, out;
    for (const std::string& p : pieces) {
        joined += p;
        joined += '\0';
    }
    if (module().decodePieces(handle_->model, joined.data(), pieces.size(), appendString, &out) != 0)
        throw Error(path_, "could not decode pieces");
    return out;
}

std::string SentencePieceModel::decodeIds(const std::vector<int>& ids) const {
    for (int id : ids)
        if (id < 0 || id >= size()) throw Error(path_, "token id " + std::to_string(id) + " is not a piece of the model");
    std::string out;
    if (module().decodeIds(handle_->model, ids.data(), ids.size(), appendString, &out) != 0) throw Error(path_, "could not decode ids");
    return out;
}

int SentencePieceModel::pieceToId(const std::string& piece) const { return module().pieceToId(handle_->model, piece.data(), piece.size()); }

std::string SentencePieceModel::idToPiece(int id) const {
    if (id < 0 || id >= size()) throw Error(path_, "token id " + std::to_string(id) + " is not a piece of the model");
    std::string out;
    module().idToPiece(handle_->model, id, appendString, &out);
    return out;
}

bool SentencePieceModel::isControl(int id) const { return id >= 0 && id < size() && module().isControl(handle_->model, id) != 0; }
int SentencePieceModel::size() const { return module().size(handle_->model); }
int SentencePieceModel::eosId() const { return module().eosId(handle_->model); }

} // namespace headlight::tok

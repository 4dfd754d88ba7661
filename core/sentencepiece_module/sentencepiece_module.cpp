// libheadlight_sentencepiece: Debian's libsentencepiece behind a C interface (core/src/tokenizers/sentencepiece_api.h
// says why it is a module of its own). Every function catches everything: nothing may unwind across dlopen.
#include "tokenizers/sentencepiece_api.h"

#include <cstring>
#include <new>
#include <sentencepiece_processor.h>
#include <string>
#include <vector>

struct HeadlightSpm {
    sentencepiece::SentencePieceProcessor processor;
};

namespace {

void copyError(const std::string& message, char* error, size_t size) {
    if (!error || size == 0) return;
    std::strncpy(error, message.c_str(), size - 1);
    error[size - 1] = '\0';
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) HeadlightSpm* headlight_spm_load(const char* bytes, size_t size, char* error, size_t errorSize) {
    try {
        auto* model = new HeadlightSpm;
        const auto status = model->processor.LoadFromSerializedProto(std::string(bytes, size));
        if (!status.ok()) {
            copyError(status.ToString(), error, errorSize);
            delete model;
            return nullptr;
        }
        return model;
    } catch (const std::exception& e) {
        copyError(e.what(), error, errorSize);
        return nullptr;
    }
}

__attribute__((visibility("default"))) void headlight_spm_free(HeadlightSpm* model) { delete model; }

__attribute__((visibility("default"))) int headlight_spm_encode(const HeadlightSpm* model, const char* text, size_t size,
                                                                void (*piece)(void*, int, const char*, size_t), void* context) {
    try {
        std::vector<std::string> pieces;
        std::vector<int> ids;
        if (!model->processor.Encode(std::string(text, size), &pieces).ok()) return 1;
        if (!model->processor.Encode(std::string(text, size), &ids).ok() || ids.size() != pieces.size()) return 1;
        for (size_t i = 0; i < pieces.size(); ++i) piece(context, ids[i], pieces[i].data(), pieces[i].size());
        return 0;
    } catch (...) {
        return 1;
    }
}

__attribute__((visibility("default"))) int headlight_spm_decode_pieces(const HeadlightSpm* model, const char* pieces, size_t count,
                                                                       void (*out)(void*, const char*, size_t), void* context) {
    try {
        std::vector<std::string> list;
        for (size_t i = 0; i < count; ++i) {
            list.emplace_back(pieces);
            pieces += list.back().size() + 1;
        }
        std::string text;
        if (!model->processor.Decode(list, &text).ok()) return 1;
        out(context, text.data(), text.size());
        return 0;
    } catch (...) {
        return 1;
    }
}

__attribute__((visibility("default"))) int headlight_spm_decode_ids(const HeadlightSpm* model, const int* ids, size_t count,
                                                                    void (*out)(void*, const char*, size_t), void* context) {
    try {
        std::string text;
        if (!model->processor.Decode(std::vector<int>(ids, ids + count), &text).ok()) return 1;
        out(context, text.data(), text.size());
        return 0;
    } catch (...) {
        return 1;
    }
}

__attribute__((visibility("default"))) int headlight_spm_piece_to_id(const HeadlightSpm* model, const char* piece, size_t size) {
    try {
        return model->processor.PieceToId(std::string(piece, size));
    } catch (...) {
        return -1;
    }
}

__attribute__((visibility("default"))) void headlight_spm_id_to_piece(const HeadlightSpm* model, int id,
                                                                      void (*out)(void*, const char*, size_t), void* context) {
    try {
        const std::string piece = model->processor.IdToPiece(id);
        out(context, piece.data(), piece.size());
    } catch (...) {
        out(context, "", 0);
    }
}

__attribute__((visibility("default"))) int headlight_spm_size(const HeadlightSpm* model) { return model->processor.GetPieceSize(); }
__attribute__((visibility("default"))) int headlight_spm_eos_id(const HeadlightSpm* model) { return model->processor.eos_id(); }
__attribute__((visibility("default"))) int headlight_spm_is_control(const HeadlightSpm* model, int id) {
    return model->processor.IsControl(id) ? 1 : 0;
}

}

#pragma once
// Internal: one SentencePiece model file (Marian's source.spm / target.spm, T5's spiece.model) through Debian's
// libsentencepiece, the reference implementation, so its normalisation and segmentation are SentencePiece's own.
// The library is reached through a module loaded on first use (sentencepiece_api.h says why).
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace headlight::tok {

class SentencePieceModel {
public:
    // Reads `path` whole (a regular file of at most 64 MiB) and parses it; headlight::Error naming the file when
    // it is missing, too large or not a SentencePiece model, or when the module cannot be loaded.
    explicit SentencePieceModel(const std::string& path);
    ~SentencePieceModel();
    SentencePieceModel(SentencePieceModel&&) noexcept;

    const std::string& path() const { return path_; }
    // The model's pieces for valid UTF-8 `text` (the caller checks it), in SentencePiece's own order.
    std::vector<std::string> pieces(const std::string& text) const;
    std::vector<int> ids(const std::string& text) const;
    // Pieces (or ids) back to text, as SentencePiece decodes them.
    std::string decodePieces(const std::vector<std::string>& pieces) const;
    std::string decodeIds(const std::vector<int>& ids) const;
    // The id of `piece`, the unknown token's id when the model lacks it (SentencePiece's PieceToId).
    int pieceToId(const std::string& piece) const;
    std::string idToPiece(int id) const;
    bool isControl(int id) const;   // <s>, </s>, <pad> and other control pieces
    int size() const;
    int eosId() const;               // -1: none

private:
    std::vector<std::pair<int, std::string>> encode(const std::string& text) const;
    struct Handle;
    std::string path_;
    std::unique_ptr<Handle> handle_;
};

} // namespace headlight::tok

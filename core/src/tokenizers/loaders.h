#pragma once
// One loader per file format; load.cpp picks the format from the files a folder has.
#include "headlight/tokenizer.h"

#include <nlohmann/json.hpp>

namespace headlight::tok {

std::unique_ptr<Tokenizer> loadTokenizerJson(const std::string& path);
std::unique_ptr<Tokenizer> loadVocabAndMerges(const std::string& vocabPath, const std::string& mergesPath);
std::unique_ptr<Tokenizer> loadWordPieceVocab(const std::string& vocabPath, const std::string& configPath);
std::unique_ptr<Tokenizer> loadCharVocab(const std::string& vocabPath);
// SentencePiece models through libsentencepiece: a Marian folder (source.spm, target.spm, vocab.json,
// target_vocab.json with separate_vocabs), and a lone model file (spiece.model; extra_ids from the config).
std::unique_ptr<Tokenizer> loadMarianTokenizer(const std::string& dir);
std::unique_ptr<Tokenizer> loadSpieceTokenizer(const std::string& modelPath, const std::string& configPath);

// The whole file as JSON; headlight::Error naming the file when it is missing or not JSON.
nlohmann::json readJsonFile(const std::string& path);
bool fileExists(const std::string& path);

} // namespace headlight::tok

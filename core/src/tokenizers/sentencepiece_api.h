#pragma once
// Internal: the C interface of libheadlight_sentencepiece (core/sentencepiece_module/), the one place that links
// Debian's libsentencepiece. That library carries its own copy of protobuf with every symbol exported, and LibTorch
// loads Debian's libprotobuf: linked into one program the two copies bind to each other's functions and the
// program crashes before main. So the module is loaded on first use with dlopen(RTLD_LOCAL | RTLD_DEEPBIND)
// (sentencepiece_model.cpp), where its protobuf binds to itself and stays out of everyone else's sight.
// Strings cross as (pointer, length); lists of strings as one buffer of NUL-separated pieces.
#include <stddef.h>

extern "C" {

typedef struct HeadlightSpm HeadlightSpm;

// Null on failure, with a message in `error` (cut to `errorSize`).
typedef HeadlightSpm* (*HeadlightSpmLoad)(const char* bytes, size_t size, char* error, size_t errorSize);
typedef void (*HeadlightSpmFree)(HeadlightSpm* model);
// Encodes `text`; calls `piece` once per piece with its id and its text. 0 on success.
typedef int (*HeadlightSpmEncode)(const HeadlightSpm* model, const char* text, size_t size,
                                  void (*piece)(void* context, int id, const char* text, size_t size), void* context);
// Decodes pieces (each NUL-terminated, `count` of them one after another) or ids; calls `out` once. 0 on success.
typedef int (*HeadlightSpmDecodePieces)(const HeadlightSpm* model, const char* pieces, size_t count,
                                        void (*out)(void* context, const char* text, size_t size), void* context);
typedef int (*HeadlightSpmDecodeIds)(const HeadlightSpm* model, const int* ids, size_t count,
                                     void (*out)(void* context, const char* text, size_t size), void* context);
typedef int (*HeadlightSpmPieceToId)(const HeadlightSpm* model, const char* piece, size_t size);
typedef void (*HeadlightSpmIdToPiece)(const HeadlightSpm* model, int id, void (*out)(void* context, const char* text, size_t size),
                                      void* context);
// size, eos id (-1: none), and whether id is a control piece.
typedef int (*HeadlightSpmInt)(const HeadlightSpm* model);
typedef int (*HeadlightSpmIsControl)(const HeadlightSpm* model, int id);

}

#pragma once
// One error type for every bad input: it names the file (or argument) and the problem, on one line.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace headlight {

// `text` with control characters (C0, DEL, C1) and invalid UTF-8 bytes escaped as \n, \t, \xNN, so that
// user text echoed in a message cannot break the line or drive a terminal; cut to `maxBytes` (0 = no
// limit) with "..." appended when longer.
std::string printableText(const std::string& text, std::size_t maxBytes = 0);

// The part of a request a problem is in. The core names these parts generically ("input", "head mask"); a front
// end renames the error after what gave the part (the CLI's --text or --budget), by this tag, never by its text.
enum class ErrorInput {
    None,
    Text, TokenIds, HeadMask, ContextBudget, CaptureLayers, CaptureHeads, CaptureSize,   // a run's request
    SourceIds,    // an encoder-decoder model's encoder input (TokenIds is then the decoder's)
    Device,       // the device a model or a training run is asked to use
    ModelSizes    // sizes of a new model (init): more than the machine can hold
};

class Error : public std::runtime_error {
public:
    // `where` is the file path or argument the problem is in; may be empty.
    Error(const std::string& where, const std::string& problem, ErrorInput input = ErrorInput::None)
        : std::runtime_error(printableText(where.empty() ? problem : where + ": " + problem)),
          where_(where), problem_(problem), input_(input) {}

    const std::string& where() const { return where_; }
    const std::string& problem() const { return problem_; }
    ErrorInput input() const { return input_; }

private:
    std::string where_;
    std::string problem_;
    ErrorInput input_;
};

} // namespace headlight

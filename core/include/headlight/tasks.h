#pragma once
// Synthetic tasks that make each mechanism visible (docs/tasks.md). Seeded generators, character level.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace headlight {

struct TaskExample {
    std::string text;                  // the whole sequence, starting with '^'
    std::vector<std::string> chars;    // text split into characters (one token each)
    // scored[i] = 1 when predicting chars[i+1] from position i counts for the task's loss and metric.
    std::vector<uint8_t> scored;       // size chars.size() - 1
};

struct TaskParams {
    std::string name;                  // assign | induction | mixed-range | lookup | text
    int variables = 6;                 // assign: K
    int assignments = 16;              // assign: number of v=d; pairs (the most, with minAssignments)
    int minAssignments = 0;            // assign: fewest pairs, drawn per example in [min, assignments]; 0 = fixed
    int minLength = 8, maxLength = 32; // induction: string length range
    std::string alphabet;              // induction: the characters strings are drawn from; empty = a..z
    int length = 64;                   // mixed-range and lookup: sequence length in characters (after '^')
    int distance = 0;                  // mixed-range: how far back the copy looks; 0 = length / 2
    uint64_t secret = 0;               // lookup: seed of the fixed permutation pi; mixed-range: of the bigram rule
    std::string file;                  // text: path of a UTF-8 file
    int context = 128;                 // text: characters per example

    // Parses {"name": ..., parameters...}; throws headlight::Error naming `source` for bad or unknown keys.
    static TaskParams fromJson(const std::string& jsonText, const std::string& source);
    // The same object back: the name and the parameters this task uses.
    std::string toJson() const;
};

class Task {
public:
    virtual ~Task() = default;
    virtual std::string name() const = 0;
    // Every character an example can contain ('^' first): the vocabulary a model for this task needs.
    virtual std::string alphabet() const = 0;
    // Longest example in characters (the context length a model needs).
    virtual int maxLength() const = 0;
    virtual TaskExample sample(std::mt19937_64& rng) const = 0;
};

// Validates the parameters and builds the task. Throws headlight::Error.
std::unique_ptr<Task> makeTask(const TaskParams& params);
// One fixed text (prefixed with '^' unless it starts with it), every position scored: for measuring a model on
// a user's own sentence.
std::unique_ptr<Task> makeFixedTextTask(const std::string& text);

} // namespace headlight

// Times loading a tokenizer and encoding the texts of a JSON-lines file ({"text": ...} per line).
//   bench_tokenizer DIR TEXTS.jsonl [--repeat R]
// Prints JSON: load milliseconds (min and median over R fresh loads, wall clock and this process's CPU
// time, which a busy machine inflates less), encode throughput in tokens per
// second and texts per second (first pass, with empty word caches, and the best later pass), decode time.
#include "headlight/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace headlight;

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double cpuMsSince(std::clock_t c0) { return 1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC; }

} // namespace

int main(int argc, char** argv) {
    if (argc != 3 && !(argc == 5 && std::string(argv[3]) == "--repeat")) {
        std::cerr << "usage: bench_tokenizer DIR TEXTS.jsonl [--repeat R]\n";
        return 2;
    }
    const std::string dir = argv[1];
    const int repeat = argc == 5 ? std::max(1, std::atoi(argv[4])) : 5;
    try {
        std::vector<std::string> texts;
        std::ifstream in(argv[2]);
        if (!in) throw std::runtime_error(std::string(argv[2]) + ": cannot read");
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) texts.push_back(nlohmann::json::parse(line).at("text").get<std::string>());

        std::vector<double> loads, loadsCpu;
        std::unique_ptr<Tokenizer> tok;
        for (int r = 0; r < repeat; ++r) {
            tok.reset();   // not timed: freeing the previous one
            const auto t0 = std::chrono::steady_clock::now();
            const std::clock_t c0 = std::clock();
            tok = loadTokenizer(dir);
            loads.push_back(msSince(t0));
            loadsCpu.push_back(cpuMsSince(c0));
            if (!tok) throw std::runtime_error(dir + ": no tokenizer files");
        }
        std::sort(loads.begin(), loads.end());
        std::sort(loadsCpu.begin(), loadsCpu.end());

        // A fresh tokenizer's first pass pays for its word cache; later passes hit it.
        std::vector<double> passes;
        size_t tokens = 0, bytes = 0;
        std::vector<std::vector<int64_t>> encoded(texts.size());
        for (int r = 0; r < repeat + 1; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            tokens = bytes = 0;
            for (size_t i = 0; i < texts.size(); ++i) {
                encoded[i] = tok->encode(texts[i]);
                tokens += encoded[i].size();
                bytes += texts[i].size();
            }
            passes.push_back(msSince(t0));
        }
        const double first = passes.front();
        const double best = *std::min_element(passes.begin() + 1, passes.end());
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& ids : encoded) tok->decode(ids);
        const double decodeMs = msSince(t0);

        const nlohmann::json out = {
            {"tokenizer", tok->kind()}, {"vocab_size", tok->vocabSize()}, {"texts", texts.size()}, {"tokens", tokens},
            {"bytes", bytes}, {"load_ms", {{"min", loads.front()}, {"median", loads[loads.size() / 2]}}},
            {"load_cpu_ms", {{"min", loadsCpu.front()}, {"median", loadsCpu[loadsCpu.size() / 2]}}},
            {"encode_first_pass", {{"ms", first}, {"tokens_per_s", tokens / (first / 1000)}, {"mb_per_s", bytes / first / 1000}}},
            {"encode_cached", {{"ms", best}, {"tokens_per_s", tokens / (best / 1000)}, {"mb_per_s", bytes / best / 1000}}},
            {"decode_ms", decodeMs}};
        std::cout << out.dump(2) << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "bench_tokenizer: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

// Times loading a model against reading its weight files, in the same run: loading can only be as fast as the
// file's bytes arrive, so the figure that matters is load time over read time.
//   bench_load MODEL_DIR [--repeat R]
// Each repeat times, in this order:
//   cat      every weight file read with read() into a 1 MiB buffer, as `cat FILE > /dev/null` does, from the
//            page cache (the files are read once before the first repeat);
//   load     Engine::load(MODEL_DIR): the whole load through the public API;
//   again    the same load at once after that one freed its memory: pages the hypervisor has not taken back yet,
//            so this is the load with the machine's charge for new memory (see fresh) at its lowest;
// then the same load again by its steps (the core's internals, as readCheckpoint and Engine::load call them):
//   open     SafetensorsFile::open of every weight file: the read into memory of the process's own and the count
//            of NaN and infinite values;
//   convert  readTensors: float32 tensors wrapped where they lie, float16, bfloat16 and float64 converted;
//   pick     the Transformer built from those tensors (names and shapes checked);
// and last
//   fresh    as many new bytes as the files hold faulted in (anonymous huge pages, two threads) and freed: what
//            the machine charges for the memory a load fills, whoever fills it. On a virtual machine whose
//            hypervisor takes back memory a process frees (free page reporting), this swings from 0.3 s to 2.5 s
//            for 5 GB with the time since that memory was freed, and every load swings with it
//            (docs/robustness.md).
// Each step's memory is freed before the next repeat. Prints JSON: every repeat's milliseconds, their medians and
// minima, and load / cat (each repeat's ratio, their median and minimum).
#include "checkpoint/checkpoint.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/model_config.h"
#include "headlight/safetensors.h"
#include "model/transformer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace headlight;

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The folder's weight files: model.safetensors, or every shard its index names.
std::vector<std::string> weightFiles(const std::string& dir) {
    struct stat st {};
    if (stat((dir + "/model.safetensors").c_str(), &st) == 0) return {dir + "/model.safetensors"};
    std::ifstream in(dir + "/model.safetensors.index.json");
    if (!in) throw Error(dir, "has neither model.safetensors nor model.safetensors.index.json");
    const auto index = nlohmann::json::parse(in);
    std::set<std::string> shards;
    for (const auto& item : index.at("weight_map").items()) shards.insert(item.value().get<std::string>());
    std::vector<std::string> files;
    for (const auto& s : shards) files.push_back(dir + "/" + s);
    return files;
}

// Reads every file to its end as cat does; the byte count.
uint64_t catFiles(const std::vector<std::string>& files) {
    std::vector<char> buffer(size_t(1) << 20);
    uint64_t total = 0;
    for (const auto& f : files) {
        const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw Error(f, "cannot open");
        ssize_t n;
        while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) total += static_cast<uint64_t>(n);
        ::close(fd);
        if (n < 0) throw Error(f, "cannot read");
    }
    return total;
}

// Faults in `bytes` of fresh memory as loading asks for it (anonymous, huge pages), on two threads, and frees it.
double touchFreshMemory(uint64_t bytes) {
    const size_t size = static_cast<size_t>(bytes);
    void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw Error("fresh", "no memory for " + std::to_string(bytes) + " bytes");
    madvise(memory, size, MADV_HUGEPAGE);
    auto* bytesAt = static_cast<char*>(memory);
    const auto t0 = std::chrono::steady_clock::now();
    std::thread half([&] { std::memset(bytesAt + size / 2, 1, size - size / 2); });
    std::memset(bytesAt, 1, size / 2);
    half.join();
    const double ms = msSince(t0);
    munmap(memory, size);
    return ms;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: bench_load MODEL_DIR [--repeat R]\n";
        return 2;
    }
    const std::string dir = argv[1];
    int repeat = 5;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
        else {
            std::cerr << "bench_load: unknown argument " << a << "\n";
            return 2;
        }
    }
    try {
        const std::vector<std::string> files = weightFiles(dir);
        const uint64_t bytes = catFiles(files);   // warm-up: the files into the page cache
        std::vector<double> cat, freshMemory, open, convert, pick, load, again, ratio, againRatio;
        int64_t parameters = 0;
        for (int r = 0; r < repeat; ++r) {
            auto t0 = std::chrono::steady_clock::now();
            if (catFiles(files) != bytes) throw Error(dir, "changed during the benchmark");
            cat.push_back(msSince(t0));

            for (std::vector<double>* times : {&load, &again}) {
                t0 = std::chrono::steady_clock::now();
                const Engine engine = Engine::load(dir);
                times->push_back(msSince(t0));
            }
            {
                const ModelConfig config = ModelConfig::fromFile(dir + "/config.json");
                const Family* family = findFamily(config.modelType);
                if (!family) throw Error(dir, "model_type \"" + config.modelType + "\" is not supported");
                t0 = std::chrono::steady_clock::now();
                std::vector<SafetensorsFile> opened;
                for (const auto& f : files) opened.push_back(SafetensorsFile::open(f));
                open.push_back(msSince(t0));
                t0 = std::chrono::steady_clock::now();
                NamedTensors tensors;
                for (const auto& file : opened)
                    for (auto& [name, t] : readTensors(file, torch::kCPU, [family](const std::string& n) { return family->isBuffer(n); }))
                        tensors[name] = std::move(t);
                convert.push_back(msSince(t0));
                opened.clear();   // the tensors keep what they use
                t0 = std::chrono::steady_clock::now();
                const Transformer model(config, std::move(tensors), files.front());
                pick.push_back(msSince(t0));
                parameters = 0;
                for (const auto& [name, t] : model.named()) parameters += t.numel();
            }
            freshMemory.push_back(touchFreshMemory(bytes));
            ratio.push_back(load.back() / cat.back());
            againRatio.push_back(again.back() / cat.back());
            std::fprintf(stderr, "repeat %d: cat %.0f ms, load %.0f ms (load/cat %.2f), again %.0f ms (%.2f); open %.0f ms, "
                         "convert %.0f ms, pick %.0f ms; fresh %.0f ms\n", r + 1, cat.back(), load.back(), ratio.back(),
                         again.back(), againRatio.back(), open.back(), convert.back(), pick.back(), freshMemory.back());
        }
        const nlohmann::json out = {
            {"model", dir},
            {"files", files.size()},
            {"bytes", bytes},
            {"parameters", parameters},
            {"repeat", repeat},
            {"hardware_threads", sysconf(_SC_NPROCESSORS_ONLN)},
            {"ms", {{"cat", cat}, {"load", load}, {"again", again}, {"open", open}, {"convert", convert}, {"pick", pick}, {"fresh", freshMemory}}},
            {"median_ms", {{"cat", median(cat)}, {"load", median(load)}, {"again", median(again)}, {"open", median(open)}, {"convert", median(convert)},
                           {"pick", median(pick)}, {"fresh", median(freshMemory)}}},
            {"min_ms", {{"cat", *std::min_element(cat.begin(), cat.end())}, {"load", *std::min_element(load.begin(), load.end())}}},
            {"load_over_cat", {{"median", median(ratio)}, {"min", *std::min_element(ratio.begin(), ratio.end())}, {"each", ratio}}},
            {"again_over_cat", {{"median", median(againRatio)}, {"min", *std::min_element(againRatio.begin(), againRatio.end())},
                                {"each", againRatio}}}};
        std::cout << out.dump(2) << "\n";
    } catch (const std::exception& e) {
        std::cerr << "bench_load: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

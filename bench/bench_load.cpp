// Times loading a model against reading its weight files, in the same run: loading can only be as fast as the
// file's bytes arrive, so the figure that matters is load time over read time.
//   bench_load MODEL_DIR [--repeat R]
// Each repeat times, in this order:
//   cat      every weight file read with read() into a 1 MiB buffer, as `cat FILE > /dev/null` does, from the
//            page cache (the files are read once before the first repeat);
//   load     Engine::load(MODEL_DIR): the whole load through the public API (open, convert, the model's checks);
//   open     SafetensorsFile::open of every weight file: the read into memory of the process's own and the
//            count of NaN and infinite values, nothing else;
//   convert  float16, bfloat16 and float64 tensors converted to float32 (what loading adds for them).
// and frees what each step made before the next. Prints JSON: every repeat's milliseconds, their medians, and
// load / cat (the median of each repeat's ratio).
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/safetensors.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <sys/stat.h>
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

bool isConverted(DType d) { return d == DType::F16 || d == DType::BF16 || d == DType::F64; }

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
        std::vector<double> cat, open, convert, load, ratio;
        int64_t parameters = 0;
        for (int r = 0; r < repeat; ++r) {
            auto t0 = std::chrono::steady_clock::now();
            if (catFiles(files) != bytes) throw Error(dir, "changed during the benchmark");
            cat.push_back(msSince(t0));

            t0 = std::chrono::steady_clock::now();
            {
                const Engine engine = Engine::load(dir);
                load.push_back(msSince(t0));
            }
            double convertMs = 0;
            t0 = std::chrono::steady_clock::now();
            {
                std::vector<SafetensorsFile> opened;
                for (const auto& f : files) opened.push_back(SafetensorsFile::open(f));
                open.push_back(msSince(t0));
                parameters = 0;
                for (const auto& file : opened)
                    for (const auto& e : file.entries()) {
                        parameters += e.numel();
                        if (!isConverted(e.dtype)) continue;
                        std::vector<float> values(static_cast<size_t>(e.numel()));
                        const auto c0 = std::chrono::steady_clock::now();
                        file.copyAsFloat(e, values.data());
                        convertMs += msSince(c0);
                    }
            }
            convert.push_back(convertMs);

            ratio.push_back(load.back() / cat.back());
            std::fprintf(stderr, "repeat %d: cat %.0f ms, load %.0f ms, open %.0f ms, convert %.0f ms, load/cat %.2f\n", r + 1,
                         cat.back(), load.back(), open.back(), convert.back(), ratio.back());
        }
        const nlohmann::json out = {
            {"model", dir},
            {"files", files.size()},
            {"bytes", bytes},
            {"parameters", parameters},
            {"repeat", repeat},
            {"hardware_threads", sysconf(_SC_NPROCESSORS_ONLN)},
            {"ms", {{"cat", cat}, {"open", open}, {"convert", convert}, {"load", load}}},
            {"median_ms", {{"cat", median(cat)}, {"open", median(open)}, {"convert", median(convert)}, {"load", median(load)}}},
            {"load_over_cat", {{"median", median(ratio)}, {"each", ratio}}}};
        std::cout << out.dump(2) << "\n";
    } catch (const std::exception& e) {
        std::cerr << "bench_load: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

// The harnesses without libFuzzer: a plain main() that feeds every file named on the command line (or found
// in a folder named there) to LLVMFuzzerTestOneInput once. ctest runs it on the checked-in corpus and every
// past finding (fuzz/corpus/HARNESS/), so what the fuzzers once found stays fixed in every build, sanitizers
// or not. A harness signals a broken invariant with abort(); an escaped exception ends the program too.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> inputsUnder(const std::filesystem::path& p) {
    std::vector<std::filesystem::path> out;
    if (std::filesystem::is_directory(p)) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(p))
            if (e.is_regular_file()) out.push_back(e.path());
    } else if (std::filesystem::is_regular_file(p)) {
        out.push_back(p);
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const auto found = inputsUnder(argv[i]);
        if (found.empty()) {
            std::fprintf(stderr, "%s: no inputs (not a file or a folder with files)\n", argv[i]);
            return 2;
        }
        inputs.insert(inputs.end(), found.begin(), found.end());
    }
    for (const auto& path : inputs) {
        std::ifstream in(path, std::ios::binary);
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::fprintf(stderr, "%s\n", path.c_str());   // the last line names the input if it dies
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%zu inputs replayed\n", inputs.size());
    return 0;
}

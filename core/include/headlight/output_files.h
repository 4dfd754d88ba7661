#pragma once
// The output files of one command, checked before any work and committed together: each is written to a
// temporary beside it, and only when every one was written are they all renamed into place. A failure part
// way (a full disk at the figure) leaves none of them, and an exception removes every temporary.
#include <string>
#include <utility>
#include <vector>

namespace headlight {

class OutputFiles {
public:
    // `outputs`: (option, path) pairs, e.g. {"--out", "a.h5"}. Throws headlight::Error naming the path (the
    // option when it is empty) and the problem when a path is empty, is a folder, a device or another non-regular file, lies in a missing
    // or read-only folder, is the same file as another output, or is the same file as one of `inputs`.
    OutputFiles(const std::vector<std::pair<std::string, std::string>>& outputs, const std::vector<std::string>& inputs);
    ~OutputFiles();
    OutputFiles(const OutputFiles&) = delete;
    OutputFiles& operator=(const OutputFiles&) = delete;

    // Where to write `path` (one of the outputs): a temporary in the same folder with the same extension.
    const std::string& staging(const std::string& path) const;

    // Calls write(staging(path)); an Error that names the temporary is rethrown naming `path`.
    template <class Writer>
    void write(const std::string& path, Writer&& writer) {
        const std::string& temp = staging(path);
        try {
            writer(temp);
        } catch (const std::exception& e) {
            rethrowNamingTarget(e, temp, path);
        }
    }

    // Renames every temporary over its target (all were written).
    void commit();

private:
    [[noreturn]] static void rethrowNamingTarget(const std::exception& e, const std::string& temp, const std::string& path);

    struct Entry {
        std::string path, temp;
    };
    std::vector<Entry> entries_;
    bool committed_ = false;
};

// The regular files directly inside `dir` (a model folder: its weights, config and tokenizer files), as
// inputs for OutputFiles. Empty when `dir` cannot be listed.
std::vector<std::string> filesInFolder(const std::string& dir);

} // namespace headlight

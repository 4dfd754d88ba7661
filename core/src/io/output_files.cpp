#include "headlight/output_files.h"
#include "headlight/input_file.h"

#include "headlight/error.h"
#include "io/atomic_file.h"

#include <cstdio>
#include <filesystem>

namespace headlight {
namespace {

// The identity of a path for comparing outputs and inputs: the file's device and inode when it exists,
// otherwise its folder's (resolved) path plus its name, so that "a.h5" and "./a.h5" are the same output.
std::string identity(const std::string& path) {
    if (const FileStatus f = fileStatus(path); f.kind != FileKind::Missing && f.kind != FileKind::Unreadable)
        return "inode " + std::to_string(f.device) + ":" + std::to_string(f.inode);
    std::error_code ec;
    const std::filesystem::path p(path);
    const auto folder = std::filesystem::weakly_canonical(p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path(), ec);
    return "path " + (ec ? p.lexically_normal().string() : (folder / p.filename()).string());
}

} // namespace

OutputFiles::OutputFiles(const std::vector<std::pair<std::string, std::string>>& outputs, const std::vector<std::string>& inputs) {
    std::vector<std::pair<std::string, std::string>> seen;   // (identity, option)
    for (const auto& input : inputs) seen.emplace_back(identity(input), "");
    for (const auto& [option, path] : outputs) {
        if (path.empty()) throw Error(option, "is empty; give a file name");
        AtomicFile check(path);   // folder exists and is writable; not a folder, device or FIFO
        const std::string id = identity(path);
        for (const auto& [other, otherOption] : seen)
            if (other == id)
                throw Error(path, option + (otherOption.empty() ? " names one of the command's input files"
                                                                : " names the same file as " + otherOption));
        seen.emplace_back(id, option);
        entries_.push_back({path, temporaryPathFor(path)});
    }
}

OutputFiles::~OutputFiles() {
    if (committed_) return;
    for (const Entry& e : entries_) std::remove(e.temp.c_str());
}

const std::string& OutputFiles::staging(const std::string& path) const {
    for (const Entry& e : entries_)
        if (e.path == path) return e.temp;
    throw Error(path, "is not an output of this command");   // a programming error, reported like any other
}

void OutputFiles::commit() {
    for (const Entry& e : entries_) {
        if (!pathExists(e.temp)) continue;   // an optional output this run did not write
        if (std::rename(e.temp.c_str(), e.path.c_str()) != 0) throw Error(e.path, "cannot write (rename failed)");
    }
    committed_ = true;
}

void OutputFiles::rethrowNamingTarget(const std::exception& e, const std::string& temp, const std::string& path) {
    std::string message = e.what();
    for (size_t at = message.find(temp); at != std::string::npos; at = message.find(temp, at + path.size()))
        message.replace(at, temp.size(), path);
    if (dynamic_cast<const Error*>(&e)) throw Error("", message);
    throw std::runtime_error(message);
}

std::vector<std::string> filesInFolder(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) files.push_back(it->path().string());
    return files;
}

} // namespace headlight

#include "headlight/output_folder.h"
#include "headlight/input_file.h"

#include "headlight/error.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>   // lstat (a dangling link still names a file), mkdir

namespace headlight {
namespace {

namespace fs = std::filesystem;

// What a path names on disk: symlinks, ".", ".." and a trailing slash resolved; a path that does not exist
// yet is resolved through its nearest existing parent (where mkdir would put it).
fs::path realPath(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::absolute(path, ec);
    if (ec) p = fs::path(path);
    fs::path real = fs::weakly_canonical(p, ec);
    if (ec) real = p.lexically_normal();
    if (!real.has_filename() && real.has_parent_path() && real != real.root_path()) real = real.parent_path();
    return real;
}

// True when `inner` is `outer` or lies below it, component by component ("/a/bc" is not inside "/a/b").
bool isInside(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;   // a trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return true;
}

// Names that make a folder a model or part of one: what Hugging Face and Headlight write into a model folder.
const char* const kModelFiles[] = {"config.json", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                   "pytorch_model.bin.index.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
                                   "vocab.txt", "merges.txt", "training.json", "checkpoint"};

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string quoted(const std::string& path) { return "\"" + path + "\""; }

void checkInput(const std::string& outDir, const fs::path& out, const ModelInput& input) {
    if (!isFolder(input.dir)) return;   // loading it reports that
    const fs::path in = realPath(input.dir);
    const std::string name = "the " + input.role + " model " + quoted(input.dir);
    if (out == in) throw Error(outDir, "is " + name + "; writing there would overwrite it (choose another folder)");
    if (isInside(out, in)) throw Error(outDir, "lies inside " + name + "; choose a folder outside it");
    if (isInside(in, out)) throw Error(outDir, "holds " + name + "; choose another folder");
    std::error_code ec;
    for (fs::directory_iterator it(input.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path file = realPath(it->path().string());
        if (isInside(file, out))
            throw Error(outDir, "holds the file behind " + it->path().filename().string() + " of " + name + " (" +
                                    file.string() + "); choose another folder");
    }
}

} // namespace

std::string modelFileIn(const std::string& dir) {
    if (!isFolder(dir)) return "";
    for (const char* name : kModelFiles) {
        struct stat st {};
        if (lstat((dir + "/" + name).c_str(), &st) == 0) return name;   // a dangling symlink counts: it names one
    }
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (endsWith(name, ".safetensors") || endsWith(name, ".safetensors.index.json")) return name;
    }
    return "";
}

void checkModelOutputFolder(const std::string& outDir, const std::vector<ModelInput>& inputs, bool resuming) {
    if (outDir.empty()) throw Error(outDir, "the output folder is empty; give a folder name");
    if (const FileKind kind = fileKind(outDir); kind != FileKind::Missing && kind != FileKind::Folder)
        throw Error(outDir, "is a file, not a folder; choose a folder for the model");
    for (size_t pos = outDir.find('/', 1); pos != std::string::npos; pos = outDir.find('/', pos + 1)) {
        const std::string partial = outDir.substr(0, pos);
        const FileKind kind = fileKind(partial);
        if (kind == FileKind::Missing) break;
        if (kind != FileKind::Folder) throw Error(outDir, "cannot create the model folder: \"" + partial + "\" is a file");
    }
    const fs::path out = realPath(outDir);
    for (const ModelInput& input : inputs) checkInput(outDir, out, input);
    if (resuming) return;
    if (const std::string file = modelFileIn(outDir); !file.empty())
        throw Error(outDir, "already holds a model (" + file + "); choose a new or empty folder");
}

ModelOutputFolder::ModelOutputFolder(std::string dir) : dir_(std::move(dir)) {}

ModelOutputFolder::~ModelOutputFolder() {
    if (!created_ || kept_) return;
    std::error_code ec;
    if (!outermostMade_.empty()) {
        fs::remove_all(outermostMade_, ec);
        return;
    }
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
        if (!existing_.count(it->path().filename().string())) {
            std::error_code removing;
            fs::remove_all(it->path(), removing);
        }
}

void ModelOutputFolder::create() {
    // One component at a time, so that the outermost folder made is known (and only it is taken away).
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir_.find('/', pos + 1);
        const std::string partial = dir_.substr(0, pos);
        if (partial.empty()) continue;
        if (const FileKind kind = fileKind(partial); kind != FileKind::Missing) {
            if (kind != FileKind::Folder) throw Error(dir_, "cannot create the model folder: \"" + partial + "\" is a file");
            continue;
        }
        if (mkdir(partial.c_str(), 0755) != 0)
            throw Error(dir_, std::string("cannot create the model folder (") + std::strerror(errno) + ")");
        if (outermostMade_.empty()) outermostMade_ = partial;
        created_ = true;   // from here on, the destructor takes away what was made
    }
    if (outermostMade_.empty()) {
        std::error_code ec;
        for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
            existing_.insert(it->path().filename().string());
    }
    created_ = true;
}

} // namespace headlight

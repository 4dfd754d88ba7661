// What a model folder's files were when it loaded (headlight/session.h, FolderStamp), and the task it was
// trained on.
#include "headlight/session.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/training.h"

#include <algorithm>
#include <dirent.h>

namespace headlight {
namespace {

// The files Engine::load reads besides config.json: the weights (one file, an index and its shards) and every
// tokenizer file it looks for.
bool isModelFile(const std::string& name) {
    static const char* const kNames[] = {"model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json",
                                         "vocab.json", "vocab.txt", "merges.txt"};
    if (std::find_if(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; }) != std::end(kNames)) return true;
    const std::string suffix = ".safetensors";
    // A writer's temporary ("model.tmp-PID.safetensors") is about to be renamed away, not a model file.
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
           name.find(".tmp-") == std::string::npos;
}

} // namespace

bool FolderStamp::File::operator==(const File& o) const {
    return exists == o.exists && device == o.device && inode == o.inode && size == o.size && modifiedNs == o.modifiedNs;
}

FolderStamp::File FolderStamp::stampFile(const std::string& path) {
    File f;
    f.path = path;
    const FileStatus s = fileStatus(path);
    if (s.kind != FileKind::Regular) return f;
    f.exists = true;
    f.device = s.device;
    f.inode = s.inode;
    f.size = s.size;
    f.modifiedNs = s.modifiedNs;
    return f;
}

FolderStamp FolderStamp::of(const std::string& dir) {
    FolderStamp s;
    s.files_.push_back(stampFile(dir + "/config.json"));
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (isModelFile(e->d_name)) names.push_back(e->d_name);
        ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        File f = stampFile(dir + "/" + name);
        if (f.exists) s.files_.push_back(std::move(f));   // folders and FIFOs of those names are not files of the model
    }
    return s;
}

std::string FolderStamp::changes() const {
    for (const File& then : files_) {
        const File now = stampFile(then.path);
        if (now == then) continue;
        return printableText(then.path) + ": " + (now.exists ? "changed on disk" : "removed") +
               " since the model was loaded; the loaded copy keeps running (open the folder again to reload it)";
    }
    return {};
}

TaskParams trainedTask(const std::string& modelDir) {
    const std::string record = modelDir + "/training.json", config = modelDir + "/train.json";
    if (regularFileProblem(record) != "file not found") {
        const TrainConfig trained = TrainConfig::fromTrainingRecord(record);
        if (!trained.textFile.empty())
            throw Error(modelDir, "learned from the text file " + printableText(trained.textFile, 80) +
                                      ", not from a task (give a task, a text or a file)");
        return trained.task;
    }
    if (regularFileProblem(config) != "file not found") return TrainConfig::fromFile(config).task;
    throw Error(modelDir, "has no training.json or train.json, so the task it was trained on is unknown (give a task, a text or a file)");
}

} // namespace headlight

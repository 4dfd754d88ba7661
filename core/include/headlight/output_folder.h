#pragma once
// Model output folders (init, train, and any command that writes a model): checked before anything is written,
// so that no command overwrites a model, and taken away again when the command fails before it finished, so
// that a failure never leaves a folder that looks like a model.
#include <set>
#include <string>
#include <vector>

namespace headlight {

// A model folder a command reads, with the name messages give it ("init_from").
struct ModelInput {
    std::string role;
    std::string dir;
};

// Throws headlight::Error naming `outDir` when a command may not write a model there, before anything is
// written:
//  * it exists and is not a folder;
//  * it is one of `inputs`, lies inside one, or holds one (an input folder, or the real file behind one of its
//    files, lies inside it: the Hugging Face cache keeps a snapshot's files as symlinks into blobs/);
//  * it already holds a model or a model's files (modelFileIn), unless `resuming`: a training run continued
//    in its own folder.
// Paths are compared as real paths: symlinks, ".", ".." and trailing slashes resolved; a folder that does not
// exist yet is resolved through its nearest existing parent.
void checkModelOutputFolder(const std::string& outDir, const std::vector<ModelInput>& inputs, bool resuming = false);

// The first entry of folder `dir` that belongs to a model (config.json, a weight file or index, a tokenizer
// file, a training record or checkpoint), "" when there is none or `dir` is not a folder.
std::string modelFileIn(const std::string& dir);

// A model folder being written. create() makes it (and its missing parents). Unless keep() was called, the
// destructor takes away what this object added: the outermost folder create() made, or, when the folder
// existed, every entry that was not in it at create(). A folder that existed is thus left as it was.
class ModelOutputFolder {
public:
    explicit ModelOutputFolder(std::string dir);
    ~ModelOutputFolder();
    ModelOutputFolder(const ModelOutputFolder&) = delete;
    ModelOutputFolder& operator=(const ModelOutputFolder&) = delete;

    // Throws headlight::Error naming the folder when a part of its path is a file or cannot be created.
    void create();
    bool created() const { return created_; }
    // The command finished (or left a usable model): nothing is taken away.
    void keep() { kept_ = true; }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    std::string outermostMade_;        // the outermost folder create() made; "" when the folder existed
    std::set<std::string> existing_;   // the entries of a folder that existed, at create()
    bool created_ = false;
    bool kept_ = false;
};

} // namespace headlight

#pragma once
// Write-then-rename: the caller writes tempPath(); commit() renames it over the target. If commit() is
// never reached (an exception), the destructor removes the temporary, so no half-written file is left.
#include <string>

namespace headlight {

class AtomicFile {
public:
    // Throws headlight::Error naming `path` when its folder does not exist or is not writable.
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    const std::string& tempPath() const { return temp_; }
    const std::string& path() const { return path_; }
    void commit();

private:
    std::string path_;
    std::string temp_;
    bool committed_ = false;
};

// Writes `text` to `path` through an AtomicFile. Throws headlight::Error naming the path.
void writeFileAtomically(const std::string& path, const std::string& text);

} // namespace headlight

#pragma once
// Write-then-rename: the caller writes tempPath(); commit() renames it over the target. If commit() is
// never reached (an exception), the destructor removes the temporary, so no half-written file is left.
#include <cstddef>
#include <string>

namespace headlight {

class AtomicFile {
public:
    // Throws headlight::Error naming `path` when it is empty, a folder, a device or another file that is not a
    // regular file (renaming over it would replace the node itself), or its folder is missing or read-only.
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    const std::string& tempPath() const { return temp_; }
    const std::string& path() const { return path_; }
    // Writes `size` bytes to the temporary, replacing it, checking every write and the close (a full disk
    // is an Error naming path(), never a silently short file).
    void write(const char* data, std::size_t size);
    void commit();

private:
    std::string path_;
    std::string temp_;
    bool committed_ = false;
};

// Writes `text` to `path` through an AtomicFile. Throws headlight::Error naming the path.
void writeFileAtomically(const std::string& path, const std::string& text);

// The temporary beside `path` that a writer fills before renaming: same folder, same extension (exporters
// choose the format by it), "name.tmp-PID.ext".
std::string temporaryPathFor(const std::string& path);

} // namespace headlight

#include "io/atomic_file.h"

#include "headlight/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace headlight {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) throw Error("", "empty output path");
    const auto slash = path_.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0) throw Error(path_, "cannot write: folder \"" + dir + "\" does not exist");
    if (!S_ISDIR(st.st_mode)) throw Error(path_, "cannot write: \"" + dir + "\" is not a folder");
    if (access(dir.c_str(), W_OK) != 0) throw Error(path_, "cannot write: folder \"" + dir + "\" is not writable");
    if (stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path_, "cannot write: is a folder");
    temp_ = path_ + ".tmp-" + std::to_string(getpid());
}

AtomicFile::~AtomicFile() {
    if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
        throw Error(path_, std::string("cannot write: ") + std::strerror(errno));
    committed_ = true;
}

void writeFileAtomically(const std::string& path, const std::string& text) {
    AtomicFile out(path);
    {
        std::ofstream f(out.tempPath(), std::ios::binary);
        f << text;
        f.flush();
        if (!f) throw Error(path, "cannot write");
    }
    out.commit();
}

} // namespace headlight

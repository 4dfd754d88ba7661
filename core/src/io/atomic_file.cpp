#include "io/atomic_file.h"
#include "headlight/input_file.h"

#include "headlight/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace headlight {

std::string temporaryPathFor(const std::string& path) {
    const auto slash = path.find_last_of('/');
    const auto dot = path.find_last_of('.');
    const bool hasExtension = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
    const std::string tag = ".tmp-" + std::to_string(getpid());
    return hasExtension ? path.substr(0, dot) + tag + path.substr(dot) : path + tag;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) throw Error("", "empty output path");
    const auto slash = path_.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
    // What the path is comes first: a device in a read-only folder (/dev/null) is refused as a device.
    switch (fileKind(path_)) {
    case FileKind::Missing:
    case FileKind::Unreadable:
    case FileKind::Regular: break;
    case FileKind::Folder: throw Error(path_, "cannot write: is a folder");
    case FileKind::Device: throw Error(path_, "cannot write: is not a regular file (a device); give a file name");
    case FileKind::Fifo: throw Error(path_, "cannot write: is not a regular file (a FIFO); give a file name");
    default: throw Error(path_, "cannot write: is not a regular file (a special file); give a file name");
    }
    const FileKind folder = fileKind(dir);
    if (folder == FileKind::Missing || folder == FileKind::Unreadable) throw Error(path_, "cannot write: folder \"" + dir + "\" does not exist");
    if (folder != FileKind::Folder) throw Error(path_, "cannot write: \"" + dir + "\" is not a folder");
    if (access(dir.c_str(), W_OK) != 0) throw Error(path_, "cannot write: folder \"" + dir + "\" is not writable");
    temp_ = temporaryPathFor(path_);
}

AtomicFile::~AtomicFile() {
    if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::write(const char* data, std::size_t size) {
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw Error(path_, std::string("cannot write (") + std::strerror(errno) + ")");
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : ENOSPC;
            ::close(fd);
            throw Error(path_, std::string("cannot write (") + std::strerror(error) + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) throw Error(path_, std::string("cannot write (") + std::strerror(errno) + ")");
}

void AtomicFile::commit() {
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
        throw Error(path_, std::string("cannot write: ") + std::strerror(errno));
    committed_ = true;
}

void writeFileAtomically(const std::string& path, const std::string& text) {
    AtomicFile out(path);
    out.write(text.data(), text.size());
    out.commit();
}

} // namespace headlight

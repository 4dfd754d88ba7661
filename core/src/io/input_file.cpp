#include "headlight/input_file.h"

#include "headlight/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace headlight {
namespace {

FileKind kindOf(mode_t mode) {
    if (S_ISREG(mode)) return FileKind::Regular;
    if (S_ISDIR(mode)) return FileKind::Folder;
    if (S_ISFIFO(mode)) return FileKind::Fifo;
    if (S_ISCHR(mode) || S_ISBLK(mode)) return FileKind::Device;
    if (S_ISSOCK(mode)) return FileKind::Socket;
    return FileKind::Other;
}

std::string kindProblem(FileKind kind) {
    switch (kind) {
    case FileKind::Regular: return {};
    case FileKind::Folder: return "is a folder, expected a file";
    case FileKind::Fifo: return "is not a regular file (a FIFO)";
    case FileKind::Device: return "is not a regular file (a device)";
    case FileKind::Socket: return "is not a regular file (a socket)";
    default: return "is not a regular file";
    }
}

std::string sizeText(uint64_t bytes) {
    if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

// Closes the descriptor on every path.
struct Descriptor {
    int fd;
    ~Descriptor() { if (fd >= 0) ::close(fd); }
};

} // namespace

FileStatus fileStatus(const std::string& path) {
    FileStatus f;
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) {
        f.error = path.empty() ? ENOENT : errno;
        f.kind = f.error == ENOENT || f.error == ENOTDIR ? FileKind::Missing : FileKind::Unreadable;
        return f;
    }
    f.kind = kindOf(st.st_mode);
    f.device = static_cast<uint64_t>(st.st_dev);
    f.inode = static_cast<uint64_t>(st.st_ino);
    f.size = static_cast<uint64_t>(st.st_size);
    f.modifiedNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return f;
}

std::string regularFileProblem(const std::string& path) {
    if (path.empty()) return "empty file name";
    const FileStatus f = fileStatus(path);
    if (f.kind == FileKind::Missing) return "file not found";
    if (f.kind == FileKind::Unreadable) return std::string("cannot open (") + std::strerror(f.error) + ")";
    return kindProblem(f.kind);
}

void requireRegularFile(const std::string& path) {
    const std::string problem = regularFileProblem(path);
    if (!problem.empty()) throw Error(path, problem);
}

std::string readRegularFile(const std::string& path, uint64_t maxBytes) {
    requireRegularFile(path);
    // O_NONBLOCK: if the path became a FIFO since the check, open does not wait for a writer.
    Descriptor d{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
    if (d.fd < 0) throw Error(path, std::string("cannot open (") + std::strerror(errno) + ")");
    struct stat st {};
    if (fstat(d.fd, &st) != 0) throw Error(path, std::string("cannot read (") + std::strerror(errno) + ")");
    const std::string kind = kindProblem(kindOf(st.st_mode));
    if (!kind.empty()) throw Error(path, kind);
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > maxBytes) throw Error(path, "is larger than " + sizeText(maxBytes) + " (" + std::to_string(size) + " bytes)");
    std::string text(static_cast<size_t>(size), '\0');
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::read(d.fd, &text[done], text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(path, std::string("cannot read (") + std::strerror(errno) + ")");
        if (n == 0) break;   // shrank while reading: what is there
        done += static_cast<size_t>(n);
    }
    text.resize(done);
    return text;
}

} // namespace headlight

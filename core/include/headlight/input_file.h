#pragma once
// Every file we read goes through here: regular files only (a FIFO would block forever, /dev/zero would read
// until memory runs out), with a size cap, and a message that says what the path is instead.
#include <cstdint>
#include <string>

namespace headlight {

// What a path is, from one stat() (links followed). Every check of a path's kind in the project goes through here.
enum class FileKind { Missing, Regular, Folder, Fifo, Device, Socket, Other, Unreadable };
struct FileStatus {
    FileKind kind = FileKind::Missing;
    int error = 0;                     // errno when stat() failed (Missing: ENOENT or ENOTDIR; else Unreadable)
    uint64_t device = 0, inode = 0;    // which file it is (a file replaced by another has another inode)
    uint64_t size = 0;
    int64_t modifiedNs = 0;
};
FileStatus fileStatus(const std::string& path);
inline FileKind fileKind(const std::string& path) { return fileStatus(path).kind; }
inline bool isFolder(const std::string& path) { return fileKind(path) == FileKind::Folder; }
inline bool isRegularFile(const std::string& path) { return fileKind(path) == FileKind::Regular; }
inline bool pathExists(const std::string& path) { return fileKind(path) != FileKind::Missing; }

// Empty when `path` is a regular file; otherwise the problem: "file not found", "is a folder, expected a file",
// "is not a regular file (a FIFO)", "cannot open (Permission denied)".
std::string regularFileProblem(const std::string& path);

// Throws headlight::Error naming `path` with regularFileProblem's text when it is not a regular file.
void requireRegularFile(const std::string& path);

// The whole file; Error naming `path` when it is not a regular file, is larger than `maxBytes` ("is larger
// than 512 MiB"), or a read fails. Opened without blocking, so a FIFO swapped in after the check is refused too.
std::string readRegularFile(const std::string& path, uint64_t maxBytes);

} // namespace headlight

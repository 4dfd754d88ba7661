#include "io/safetensors_read.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace headlight {

bool readFully(int fd, uint64_t offset, uint8_t* to, size_t size) {
    size_t done = 0;
    while (done < size) {
        // Reads of at most 1 GiB: Linux caps one read near 2 GiB.
        const ssize_t n = ::pread(fd, to + done, std::min<size_t>(size - done, size_t(1) << 30),
                                  static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = 0;
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

Error readError(const std::string& path) {
    return errno == 0 ? Error(path, "shrank while being read (truncated by another program?)")
                      : Error(path, std::string("cannot read (") + std::strerror(errno) + ")");
}

} // namespace headlight

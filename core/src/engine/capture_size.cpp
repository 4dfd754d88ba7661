#include "headlight/capture_size.h"

#include "mechanisms/mechanism.h"


#include <cmath>
#include <cstdio>
#include <fstream>
#include <sys/resource.h>
#include <unistd.h>

namespace headlight {
namespace {

constexpr double kFloat = sizeof(float);

// The memory limit of this process's control group: cgroup v2's memory.max, or v1's memory.limit_in_bytes
// (a huge number when unlimited); 0 when neither can be read or there is no limit.
double controlGroupLimit() {
    std::ifstream self("/proc/self/cgroup");
    std::string line, v2 = "/", v1 = "/";
    while (std::getline(self, line)) {
        if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
        const size_t memory = line.find(":memory:");
        if (memory != std::string::npos) v1 = line.substr(memory + 8);
    }
    const std::string candidates[] = {"/sys/fs/cgroup" + v2 + "/memory.max", "/sys/fs/cgroup/memory.max",
                                      "/sys/fs/cgroup/memory" + v1 + "/memory.limit_in_bytes",
                                      "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (const std::string& path : candidates) {
        std::ifstream limit(path);
        std::string value;
        if (!(limit >> value)) continue;
        if (value == "max") return 0;
        try {
            return std::stod(value);
        } catch (const std::exception&) {
            return 0;
        }
    }
    return 0;
}

} // namespace

CaptureBytes captureBytes(const ModelConfig& c, int64_t tokens, const CaptureSpec& spec) {
    CaptureBytes b;
    const double T = static_cast<double>(tokens), H = c.nHead, L = c.nLayer;
    if (spec.enabled)
        for (int l = 0; l < c.nLayer; ++l) b.capturedLayers += spec.wantsLayer(l);
    for (int h = 0; h < c.nHead; ++h) b.capturedHeads += spec.heads.empty() || spec.heads.count(h);
    const double layers = b.capturedLayers;
    b.attention = layers * b.capturedHeads * T * T * kFloat;
    double perLayer = 0;
    for (const Mechanism* m : mechanismsOf(c)) perLayer += m->capturedBytesPerLayer(c, tokens);
    b.mechanisms = layers * perLayer;
    if (spec.logits) b.logits = T * c.vocabSize * kFloat;
    if (spec.hiddenStates) b.hiddenStates = (L + 1) * T * c.nEmbd * kFloat;
    if (spec.headStats || spec.pooledSize > 0) {
        double digest = 4 * H * kFloat;
        if (spec.pooledSize > 0) {
            const int64_t bin = pooledBin(tokens, spec.pooledSize);
            const double cells = std::ceil(T / static_cast<double>(bin));
            digest += (bin == 1 ? 1 : 2) * H * cells * cells * kFloat;   // cells of one token: max and mean share one
        }
        b.digests = L * digest;
    }
    return b;
}

double usableMemoryBytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
    double usable = pages > 0 && pageSize > 0 ? static_cast<double>(pages) * static_cast<double>(pageSize) : 0;
    auto lower = [&](double limit) {
        if (limit > 0 && (usable == 0 || limit < usable)) usable = limit;
    };
    struct rlimit r {};
    if (getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY) lower(static_cast<double>(r.rlim_cur));
    lower(controlGroupLimit());
    return usable;
}

std::string byteCount(double bytes) {
    char buf[48];
    if (bytes >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
    else std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
    return buf;
}

} // namespace headlight

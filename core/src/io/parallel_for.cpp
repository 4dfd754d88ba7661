#include "io/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace headlight {

void parallelFor(size_t count, const std::function<void(size_t item)>& work) {
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex failureLock;
    std::exception_ptr failure;
    size_t failedItem = count;
    auto run = [&] {
        for (size_t item; !stop.load(std::memory_order_relaxed) && (item = next.fetch_add(1)) < count;) {
            try {
                work(item);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(failureLock);
                if (item < failedItem) {
                    failedItem = item;
                    failure = std::current_exception();
                }
                stop = true;
            }
        }
    };
    const size_t threads = std::min<size_t>(std::max(2u, std::thread::hardware_concurrency()), count);
    std::vector<std::thread> helpers;
    for (size_t i = 1; i < threads; ++i) {
        try {
            helpers.emplace_back(run);
        } catch (const std::system_error&) {
            break;   // no thread to be had (a process at its limit): fewer threads do the work, none is needed
        }
    }
    run();
    for (auto& h : helpers) h.join();
    if (failure) std::rethrow_exception(failure);
}

} // namespace headlight

#pragma once
// Internal: the natural logarithm as a branch-free inline function, so a loop that takes it per element (the
// digests' entropy) vectorises without -ffast-math, where std::log stays a scalar call.
#include <cstdint>

namespace headlight {

[[gnu::always_inline]] inline int32_t bitsOf(float x) { return __builtin_bit_cast(int32_t, x); }
[[gnu::always_inline]] inline float floatOf(int32_t b) { return __builtin_bit_cast(float, b); }

// Cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m by a degree-9 polynomial in m - 1, e ln 2 added in
// two parts. Within 1 unit in the last place of the correctly rounded ln x for normal x > 0 (test_long_inputs
// checks it against std::log); undefined for 0, negatives, subnormals, infinities and NaN.
[[gnu::always_inline]] inline float logPositive(float x) {
    const int32_t bits = bitsOf(x);
    const int32_t mantissa = bits & 0x007fffff;
    const int32_t low = ((mantissa - 0x3504f3) >> 31) & 1;   // 0.5 (1 + mantissa / 2^23) < sqrt(1/2): double it
    const float e = static_cast<float>(((bits >> 23) & 0xff) - 126 - low);
    const float m = floatOf(mantissa | (0x3f000000 + (low << 23))) - 1.0f;
    const float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y += -2.12194440e-4f * e;
    y += -0.5f * z;
    return m + y + 0.693359375f * e;
}

} // namespace headlight

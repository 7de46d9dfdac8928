// A stand-in fuzz target for the tests of replay_main.cc: it stops the
// process, as a broken property does, on the input "stop", and accepts
// anything else.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (dala::fuzz::Bytes(data, size) == "stop") dala::fuzz::Fail("the input said stop");
  return 0;
}

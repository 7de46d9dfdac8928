// Helpers for benchmark programs that use Dala's libraries: a benchmark
// stops at the first failure, with what failed, rather than measure it.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "bench_util.h"
#include "dala/base/status.h"

namespace dala::bench {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().message());
  return std::move(*r);
}

inline void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.message());
}

}  // namespace dala::bench

// A main() for a fuzz target outside libFuzzer: it passes every file it is
// given (or that lies directly in a directory it is given) to the target's
// LLVMFuzzerTestOneInput once, in name order, in one process, as libFuzzer
// does with a corpus before it starts mutating.
//
// Why: the sanitised GCC build links each target with this, and ctest
// replays its seeds and the inputs that once crashed it (corpus/<target>/)
// through the same libraries every other test uses. That checks on every
// run that each target builds and survives its seeds, which is what a few
// seconds of libFuzzer in scripts/test checked, without building every
// library a second time with clang (three and a half minutes of CI's
// 40). Finding new inputs is scripts/fuzz's job.
//
// Exit status: 0 when every input ran; 2 for a path that cannot be read or
// when no input was found at all (a replay of nothing must not pass). A
// target that crashes, leaks or breaks its property aborts, as under
// libFuzzer, and the input's path has been printed just before.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool ReadFile(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// The files `path` names: itself, or the regular files directly in it.
bool InputsOf(const std::filesystem::path& path, std::vector<std::filesystem::path>& out) {
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) {
    out.push_back(path);
    return true;
  }
  if (!std::filesystem::is_directory(path, error)) return false;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error)) files.push_back(it->path());
  }
  if (error) return false;
  std::sort(files.begin(), files.end());
  out.insert(out.end(), files.begin(), files.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!InputsOf(argv[i], inputs)) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no input to replay in the paths given\n", argv[0]);
    return 2;
  }
  std::string bytes;
  for (const auto& input : inputs) {
    if (!ReadFile(input, bytes)) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], input.c_str());
      return 2;
    }
    // Printed before the run, so that the input a crash stops on is named.
    std::fprintf(stderr, "replay %s (%zu bytes)\n", input.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%s: %zu inputs replayed\n", argv[0], inputs.size());
  return 0;
}

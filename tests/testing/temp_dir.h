// TempDir: a fresh directory under $TMPDIR (or /tmp), removed on
// destruction. Not thread-safe; one per test.
#ifndef EXPORTSCREEN_TESTS_TESTING_TEMP_DIR_H_
#define EXPORTSCREEN_TESTS_TESTING_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace exportscreen::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/es_test_XXXXXX";
    char* made = mkdtemp(tmpl.data());
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_TEMP_DIR_H_

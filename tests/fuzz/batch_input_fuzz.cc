// libFuzzer target: the batch input readers (CSV with header, JSON lines)
// over arbitrary bytes, as screenctl batch reads a shipment file. The first
// byte chooses the format. Invariant: no crash; bad content comes back as
// units with an error, never as an I/O error.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/cli/batch_input.h"

using namespace exportscreen::cli;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  int fd = memfd_create("batch", 0);
  if (fd < 0) return 0;
  if (size > 1 && write(fd, data + 1, size - 1) != ssize_t(size - 1)) {
    close(fd);
    return 0;
  }
  const std::string path = absl::StrCat("/proc/self/fd/", fd);
  auto lines = LineReader::Open(path, 4096);
  close(fd);
  if (!lines.ok()) return 0;
  auto reader =
      NewUnitReader(data[0] % 2 ? InputFormat::kJsonl : InputFormat::kCsv, std::move(*lines));
  InputUnit unit;
  for (int i = 0; i < 100000; ++i) {
    auto more = reader->Next(&unit);
    if (!more.ok()) std::abort();
    if (!*more) break;
  }
  return 0;
}

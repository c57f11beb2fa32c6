#include "services/server/static_files.h"

#include <httplib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/file_util.h"
#include "services/crypto/digest.h"
#include "services/server/console_util.h"

namespace exportscreen::server {

namespace {

const char* MimeOf(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, mime] : kTypes) {
    if (absl::EndsWith(name, ext)) return mime;
  }
  return "application/octet-stream";
}

}  // namespace

std::string InlineScriptSources(const std::string& html) {
  std::string out;
  size_t at = 0;
  for (;;) {
    const size_t open = html.find("<script", at);
    if (open == std::string::npos) break;
    const size_t tag_end = html.find('>', open);
    if (tag_end == std::string::npos) break;
    const size_t close = html.find("</script>", tag_end + 1);
    if (close == std::string::npos) break;
    const absl::string_view tag(html.data() + open, tag_end - open);
    if (!absl::StrContains(tag, " src=")) {
      Sha256 digest;
      digest.Update(absl::string_view(html.data() + tag_end + 1, close - tag_end - 1));
      absl::StrAppend(&out, " 'sha256-", absl::Base64Escape(digest.Final()), "'");
    }
    at = close + 9;
  }
  return out;
}

std::string WeakEtag(unsigned long long size, long long mtime_ns) {
  return absl::StrCat("W/\"", absl::Hex(size), "-", absl::Hex(mtime_ns), "\"");
}

bool EtagMatches(const std::string& if_none_match, const std::string& etag) {
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

StaticFiles StaticFiles::Scan(const std::string& dir) {
  namespace fs = std::filesystem;
  StaticFiles out;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return out;
  const fs::path root = fs::absolute(dir, ec).lexically_normal();
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::StartsWith(name, ".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string relative = it->path().lexically_relative(root).generic_string();
    out.files_[relative] = File{it->path().string(), MimeOf(name)};
  }
  return out;
}

void StaticFiles::Serve(const std::string& relative, const httplib::Request& req,
                        httplib::Response& res, const std::string& policy) const {
  auto it = files_.find(relative.empty() ? std::string("index.html") : relative);
  // Every answer carries the policy once: an HTML page's names its inline
  // scripts, set below once the page is read.
  const bool html = it != files_.end() && absl::StartsWith(it->second.mime, "text/html");
  if (!html) res.set_header("Content-Security-Policy", policy);
  struct stat st {};
  if (it == files_.end() || stat(it->second.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (html) res.set_header("Content-Security-Policy", policy);
    console::SendError(res, 404, "NOT_FOUND",
                       absl::StrCat("/console/", relative, ": no such page"));
    return;
  }
  const std::string etag =
      WeakEtag(static_cast<unsigned long long>(st.st_size),
               static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec);
  const bool not_modified = EtagMatches(req.get_header_value("If-None-Match"), etag);
  absl::StatusOr<std::string> body = std::string();
  if (html || !not_modified) body = ReadFileToString(it->second.path);
  if (html) {
    const std::string inline_scripts = body.ok() ? InlineScriptSources(*body) : std::string();
    res.set_header("Content-Security-Policy",
                   inline_scripts.empty()
                       ? policy
                       : absl::StrCat(policy, "; script-src 'self'", inline_scripts));
  }
  if (!body.ok()) {
    console::SendError(res, 404, "NOT_FOUND", absl::StrCat("/console/", relative, ": unreadable"));
    return;
  }
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", "no-cache");
  if (not_modified) {
    res.status = 304;
    return;
  }
  res.status = 200;
  if (body->empty()) return res.set_content("", it->second.mime);
  auto content = std::make_shared<const std::string>(*std::move(body));
  // Sized: cpp-httplib sends it as is (no compression, see the header).
  res.set_content_provider(content->size(), it->second.mime,
                           [content](size_t offset, size_t length, httplib::DataSink& sink) {
                             sink.write(content->data() + offset, length);
                             return true;
                           });
}

}  // namespace exportscreen::server

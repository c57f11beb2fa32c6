// The analyst console's static pages (HTML, CSS, JavaScript modules) as
// served by console_http.cc: only the regular files found under the
// directory when the server starts (no path from a request reaches the
// file system), each read when asked for (an edited page is served at
// once), with a validator so that a browser revalidates its cached copy in
// one short round trip:
//   ETag: W/"<size>-<mtime ns>"   If-None-Match -> 304 without a body
//   Cache-Control: no-cache       (always revalidated: a new page version
//                                  is never hidden behind a stale copy)
// Bodies are sent with their length through a content provider, which
// cpp-httplib does not compress: its brotli at the default quality took
// 20-60 ms per file on this machine, more than everything else in a page
// load on loopback.
//
// Thread-safety: immutable after Scan; Serve may run on many threads.
#ifndef EXPORTSCREEN_SERVICES_SERVER_STATIC_FILES_H_
#define EXPORTSCREEN_SERVICES_SERVER_STATIC_FILES_H_

#include <map>
#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace exportscreen::server {

class StaticFiles {
 public:
  // The regular files under `dir` (recursively; names starting with '.'
  // skipped), by their path relative to it ("js/app.js").
  static StaticFiles Scan(const std::string& dir);

  // Answers `relative` ("" = index.html): 200 with the file, 304 when the
  // request's If-None-Match names its current ETag, 404 when it is not one
  // of the scanned files or can no longer be read. Sets the
  // Content-Security-Policy `policy`; an HTML page's inline scripts (the
  // console's first script runs inline, so that a fresh load starts its API
  // calls before any module arrives) are allowed by their digests and
  // nothing else inline: "; script-src 'self' 'sha256-...'".
  void Serve(const std::string& relative, const httplib::Request& req, httplib::Response& res,
             const std::string& policy) const;

  size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string path;  // absolute
    std::string mime;
  };
  std::map<std::string, File> files_;
};

// " 'sha256-<base64>'" for each inline <script> (one without a src
// attribute) of `html`, in order; "" if there is none.
std::string InlineScriptSources(const std::string& html);

// The ETag of a file of `size` bytes last modified at `mtime_ns`.
std::string WeakEtag(unsigned long long size, long long mtime_ns);
// True if an If-None-Match header value names `etag` (or is "*").
bool EtagMatches(const std::string& if_none_match, const std::string& etag);

}  // namespace exportscreen::server

#endif  // EXPORTSCREEN_SERVICES_SERVER_STATIC_FILES_H_

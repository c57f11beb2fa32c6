// Options of an in-process test server: loopback on a free port, the
// repository's rules and hand-written seed entities (seeds/entities.jsonl),
// the store in `db_path`; everything else as ServerOptions' defaults
// (metrics port off). Tests set what they need on top.
#ifndef EXPORTSCREEN_TESTS_TESTING_SERVER_OPTIONS_H_
#define EXPORTSCREEN_TESTS_TESTING_SERVER_OPTIONS_H_

#include <string>

#include "services/server/server.h"

namespace exportscreen::testing {

inline server::ServerOptions TestServerOptions(const std::string& db_path) {
  server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.db_path = db_path;
  o.bootstrap.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
  o.bootstrap.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
  return o;
}

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_SERVER_OPTIONS_H_

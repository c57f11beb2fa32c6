// Content-addressed version ids (issue 17): the same content gets the same
// id on every replica and every run, so a version imported once through any
// replica of a cluster is one version everywhere.
//   rule sets:     "R-" + the first 12 hex digits of RuleSetDigest(files)
//   list versions: "L-" + the first 12 hex digits of ListContentDigest(data)
#ifndef EXPORTSCREEN_SERVICES_STORE_VERSION_IDS_H_
#define EXPORTSCREEN_SERVICES_STORE_VERSION_IDS_H_

#include <map>
#include <string>

#include "exportscreen/v1/entities.pb.h"
#include "services/store/version_store.h"

namespace exportscreen::store {

// SHA-256 (hex) of rule files: names, sizes and contents, in name order.
std::string RuleSetDigest(const std::map<std::string, std::string>& files);
std::string RuleSetId(absl::string_view digest);
// As RuleSetId(RuleSetDigest(files of `rule_set`)).
std::string RuleSetIdOf(const v1::StoredRuleSet& rule_set);

// SHA-256 (hex) of a list version's normalised content: its entities,
// ownership links and catalogue items, each record's deterministic
// serialisation, sorted within its kind (so record order does not matter).
// The info (id, time, sources, author, parent) is not content.
std::string ListContentDigest(const ListVersionData& data);
std::string ListVersionId(const ListVersionData& data);

// The deterministic serialisation of `message` (maps in key order): the
// bytes that digests and content ids are computed over.
std::string DeterministicBytes(const google::protobuf::Message& message);

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_VERSION_IDS_H_

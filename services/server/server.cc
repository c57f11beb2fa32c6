#include "services/server/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"

namespace exportscreen::server {

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view listen) {
  size_t colon = listen.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host.empty()) return false;  // ":50051" listens on every interface
  // Resolve the name (numeric addresses need no lookup): loopback only if
  // every address it resolves to is in 127.0.0.0/8 or is ::1. A name such
  // as "127.example.com" is not loopback however it is spelled.
  const std::string name(host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return false;
  }
  bool all_loopback = true;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      all_loopback &= (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      all_loopback &= IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0;
    } else {
      all_loopback = false;
    }
  }
  freeaddrinfo(res);
  return all_loopback;
}

absl::StatusOr<std::unique_ptr<ScreeningServer>> ScreeningServer::Start(
    ServerOptions options) {
  std::unique_ptr<ScreeningServer> s(new ScreeningServer());
  s->options_ = options;
  const bool tls = !options.tls_cert.empty();
  if (!tls && !IsLoopbackAddress(options.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen=", options.listen,
        ": plaintext is allowed on loopback only; give --tls_cert and --tls_key"));
  }
  if (options.auth_config.empty()) {
    if (!IsLoopbackAddress(options.listen)) {
      return absl::InvalidArgumentError(
          "--auth_config is required when listening beyond loopback");
    }
    s->authorizer_ = api::Authorizer::Open();
    ES_LOG_WARNING("no --auth_config: open mode (every loopback caller has every role)");
  } else {
    ASSIGN_OR_RETURN(s->authorizer_, api::Authorizer::FromFile(options.auth_config));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (tls) {
    grpc::SslServerCredentialsOptions ssl(
        options.tls_client_ca.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(options.tls_cert));
    ASSIGN_OR_RETURN(pair.private_key, ReadPem(options.tls_key));
    ssl.pem_key_cert_pairs.push_back(std::move(pair));
    if (!options.tls_client_ca.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(options.tls_client_ca));
    }
    credentials = grpc::SslServerCredentials(ssl);
  }
  store::StoreOptions store_options;
  store_options.sync_decisions = options.sync_decisions;
  ASSIGN_OR_RETURN(s->store_,
                   store::EntityStore::Open(options.db_path, store_options));
  s->manager_ = std::make_unique<serving::SnapshotManager>(s->store_.get(),
                                                           options.clock);
  int workers = options.workers > 0
                    ? options.workers
                    : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  s->pool_ = std::make_unique<WorkerPool>(workers, options.max_queue);
  s->admin_pool_ = std::make_unique<WorkerPool>(1, 64);
  api::ServiceOptions service_options;
  service_options.record_decisions = options.record_decisions;
  service_options.screen_inline_max_bytes = options.screen_inline_max_bytes;
  s->screening_ = std::make_unique<api::ScreeningServiceImpl>(
      s->manager_.get(), s->pool_.get(), options.clock, s->authorizer_.get(),
      service_options);
  s->admin_ = std::make_unique<api::AdminServiceImpl>(
      s->manager_.get(), s->admin_pool_.get(), s->authorizer_.get(), options.clock);
  // Location verification (issue 8): trust, ingestor (loads the latest
  // locations into the snapshots' feed), LocationService.
  std::unique_ptr<serving::LocationTrust> location_trust;
  if (!options.location_trust.empty()) {
    ASSIGN_OR_RETURN(location_trust,
                     serving::LocationTrust::FromFile(options.location_trust));
  }
  ASSIGN_OR_RETURN(s->location_ingestor_,
                   serving::LocationIngestor::Create(
                       s->store_.get(), s->manager_.get(),
                       std::move(location_trust), options.clock));
  s->location_pool_ = std::make_unique<WorkerPool>(1, 64);
  s->location_ = std::make_unique<api::LocationServiceImpl>(
      s->location_ingestor_.get(), s->store_.get(), s->location_pool_.get(),
      s->authorizer_.get());
  ScreeningServer* raw = s.get();
  s->admin_->set_on_activate([raw] { raw->UpdateHealth(); });
  // A decision evaluated on a snapshot that an activation superseded while
  // it was in flight is recorded after the activation's re-screen scanned:
  // re-screen it on its own (issue 12).
  s->screening_->set_on_recorded([admin = s->admin_.get()](const v1::DecisionRecord& r) {
    admin->RescreenIfSuperseded(r);
  });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Plaintext only on loopback (checked above); see deploy/ for a proxy.
  builder.AddListeningPort(options.listen, credentials, &s->port_);
  builder.RegisterService(s->screening_.get());
  builder.RegisterService(s->admin_.get());
  builder.RegisterService(s->location_.get());  // issue 8
  // Limits against the HTTP/2 DoS classes known for gRPC 1.51.
  builder.SetMaxReceiveMessageSize(64 << 20);  // list imports
  builder.SetMaxSendMessageSize(16 << 20);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 256);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 30 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 60 * 1000);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  s->UpdateHealth();
  s->maintenance_ = std::thread([raw] { raw->MaintenanceLoop(); });
  ES_LOG_INFO("listening on ", options.listen, " (port ", s->port_, "), db ",
              options.db_path);
  return s;
}

ScreeningServer::~ScreeningServer() { Shutdown(absl::Seconds(1)); }

void ScreeningServer::UpdateHealth() {
  const bool serving = manager_->Current() != nullptr;
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  health->SetServingStatus("exportscreen.v1.ScreeningService", serving);
}

absl::Status ScreeningServer::Load() {
  absl::Status status = manager_->Bootstrap(options_.bootstrap);
  UpdateHealth();
  if (!status.ok()) {
    ES_LOG_ERROR("not serving: ", status.ToString());
    return status;
  }
  auto snapshot = manager_->Current();
  ES_LOG_INFO("serving rules=", snapshot->rule_set_version,
              " lists=", snapshot->list_version, " entities=",
              snapshot->data->entities.size(), " names=",
              snapshot->index->name_count(), " load=", snapshot->load_seconds,
              "s");
  return absl::OkStatus();
}

void ScreeningServer::MaintenanceLoop() {
  absl::Time next_expiry = absl::Now();
  int64_t last_checkpointed = -1;
  while (!stop_maintenance_.WaitForNotificationWithTimeout(
      options_.checkpoint_interval)) {
    if (store_->decision_count() != last_checkpointed) {
      auto cp = store_->Checkpoint(options_.clock->Now());
      if (!cp.ok()) {
        ES_LOG_ERROR("audit checkpoint failed: ", cp.status().ToString());
      } else if (cp->has_value()) {
        last_checkpointed = static_cast<int64_t>((*cp)->sequence());
        ES_LOG_INFO("audit checkpoint sequence=", (*cp)->sequence(),
                    " hash=", (*cp)->hash());
      }
    }
    if (options_.decision_retention_days > 0 && absl::Now() >= next_expiry) {
      next_expiry = absl::Now() + absl::Hours(1);
      auto deleted = store_->ExpireDecisionsBefore(
          options_.clock->Now() - absl::Hours(24) * options_.decision_retention_days);
      if (!deleted.ok()) {
        ES_LOG_ERROR("decision retention failed: ", deleted.status().ToString());
      } else if (*deleted > 0) {
        ES_LOG_INFO("decision retention: expired ", *deleted, " records");
      }
    }
  }
}

void ScreeningServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  stop_maintenance_.Notify();
  if (maintenance_.joinable()) maintenance_.join();
  if (server_ == nullptr) return;  // Start() failed before listening
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  // Worker pools drain after the server stops handing them calls.
  pool_.reset();
  admin_pool_.reset();
}

}  // namespace exportscreen::server

#include "support/moto_fixture.h"

#include <map>
#include <mutex>
#include <utility>

#include "http/curl_http_client.h"
#include "support/test_util.h"

namespace docpipe::testing {

MotoServer* SharedMotoServer(std::string* error, MotoServerOptions options) {
  struct Started {
    std::unique_ptr<MotoServer> server;
    std::string error;
  };
  static std::mutex mu;
  static std::map<bool, Started> servers;  // by options.serialize_requests
  std::lock_guard lock(mu);
  auto [it, first] = servers.try_emplace(options.serialize_requests);
  if (first) it->second.server = MotoServer::Start(&it->second.error, options);
  *error = it->second.error;
  return it->second.server.get();
}

std::string MotoStartFailure(const std::string& error) {
  return "moto_server did not start: " + error + "\n" + kInstallTestPeers;
}

MotoAwsClient::MotoAwsClient(const MotoServer& moto, const std::string& signing_name, HttpClient* http,
                             int64_t timeout_ms, const std::string& region)
    : own_http_(http == nullptr ? NewCurlHttpClient() : nullptr),
      http_(http == nullptr ? own_http_.get() : http),
      clock_(NewSystemClock()),
      credentials_(NewStaticCredentialsProvider({"AKIDTESTMOTO", "motosecret", "", 0})) {
  AwsServiceConfig config;
  config.region = region;
  config.signing_name = signing_name;
  config.endpoint = moto.endpoint();
  config.timeout_ms = timeout_ms;
  client_ = std::make_unique<AwsClient>(config, *http_, *credentials_, *clock_, quota_);
}

// The client before the transport it sends on.
MotoAwsClient::~MotoAwsClient() { client_.reset(); }

}  // namespace docpipe::testing

#include "app/aws_clients.h"

#include "app/iam_roles.h"
#include "http/curl_http_client.h"

namespace docpipe {

std::unique_ptr<AwsClients> NewAwsClients(const Config& config, const Environment& process_env, Clock& clock) {
  auto c = std::make_unique<AwsClients>();
  Environment env = process_env;
  // The config file's endpoint counts as AWS_ENDPOINT_URL; the environment wins.
  if (!config.aws.endpoint_url.empty() && env["AWS_ENDPOINT_URL"].empty()) {
    env["AWS_ENDPOINT_URL"] = config.aws.endpoint_url;
  }
  c->http = NewCurlHttpClient();
  c->credentials = NewDefaultCredentialsChain(env, *c->http, clock);
  // Adapters bind their own clients to their declared operations; a role
  // narrows those to what the stack's policy for the command allows.
  std::shared_ptr<const AwsCallScope> scope = config.iam_role.empty() ? nullptr : CallScopeOfRole(config.iam_role);
  auto make = [&](const char* signing_name, int64_t timeout_ms) {
    AwsServiceConfig sc;
    sc.region = config.aws.region;
    sc.signing_name = signing_name;
    sc.endpoint = ResolveAwsEndpoint(signing_name, config.aws.region, env);
    sc.max_attempts = config.aws.max_attempts;
    sc.timeout_ms = timeout_ms;
    return std::make_unique<AwsClient>(sc, *c->http, *c->credentials, clock, c->quota, nullptr, scope);
  };
  // S3 transfers can be large; the others answer small JSON documents.
  c->s3 = make("s3", 300'000);
  c->dynamodb = make("dynamodb", 10'000);
  c->sqs = make("sqs", 30'000);
  c->cloudwatch = make("monitoring", 10'000);
  c->secrets = make("secretsmanager", 10'000);
  c->comprehend = make("comprehend", 30'000);
  return c;
}

}  // namespace docpipe

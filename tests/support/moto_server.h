#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace docpipe::testing {

// A real moto_server (the AWS test peer on this machine image) on a free
// loopback port, stopped on destruction. Tests that need AWS start one.
struct MotoServerOptions {
  // moto_server handles requests on threads without locking its backends, so
  // two concurrent conditional writes to one DynamoDB item can both succeed
  // (real DynamoDB serializes them; bench/soak/moto_race.py shows it: 6 of 50
  // rounds of 8 racing conditional UpdateItems had two winners). Handling one
  // request at a time restores the atomicity that tests of conditional
  // writes, and every test with concurrent workers, rely on. An SQS long
  // poll (ReceiveMessage with WaitTimeSeconds) does not hold the others up:
  // it is served as short polls under the lock, waiting between them without
  // it until a message may have arrived or the wait is over.
  bool serialize_requests = false;
};

class MotoServer {
 public:
  //! Starts the server and waits until it answers; nullptr (with `error`
  //! filled) when python3/moto are missing or it does not come up in 60 s.
  static std::unique_ptr<MotoServer> Start(std::string* error, MotoServerOptions options = {});
  ~MotoServer();

  //! "http://127.0.0.1:PORT"
  const std::string& endpoint() const { return endpoint_; }
  //! Forgets every resource (POST /moto-api/reset).
  bool Reset();
  //! Environment for docpipe / boto3 processes talking to this server:
  //! AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, dummy keys.
  EnvOverrides Env() const;
  //! Env() plus the aws backend on resources named `prefix`-bucket, -control,
  //! -audit, -metrics, -work and -dlq, with one-second long polls.
  EnvOverrides DocpipeEnv(const std::string& prefix) const;

 private:
  MotoServer(std::unique_ptr<ChildProcess> process, std::string endpoint)
      : process_(std::move(process)), endpoint_(std::move(endpoint)) {}
  std::unique_ptr<ChildProcess> process_;
  std::string endpoint_;
};

// Runs `python3 -c script` with the server's environment plus `env`
// (boto3 as an independent client). Returns the process result.
ProcessResult RunBoto3(const MotoServer& moto, const std::string& script, const EnvOverrides& env = {},
                       int timeout_s = 120);

}  // namespace docpipe::testing

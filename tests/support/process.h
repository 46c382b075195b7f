#pragma once

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace docpipe::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

using EnvOverrides = std::map<std::string, std::string>;

// A child process with stdout/stderr captured to files; killed on destruction
// if still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const EnvOverrides& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  //! Waits up to `timeout_s`, then SIGKILLs; returns the result.
  ProcessResult Wait(int timeout_s = 600);
  bool Running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_path_, err_path_;
};

// Runs to completion (bounded by `timeout_s`) and returns the result.
ProcessResult RunProcess(const std::vector<std::string>& argv, const EnvOverrides& env = {}, int timeout_s = 600);

}  // namespace docpipe::testing

#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_util.h"

namespace docpipe::testing {

// Runs the real `docpipe` binary against a fresh workspace.
class CliTest : public ::testing::Test {
 protected:
  std::string Workspace() const { return dir_.Join("ws"); }
  std::string Docs() const { return dir_.Join("docs"); }
  std::string StorePath(const std::string& key) const { return Workspace() + "/store/" + key; }

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {DOCPIPE_BINARY, "--workspace", Workspace()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  ProcessResult Docpipe(const std::vector<std::string>& args, EnvOverrides env = {}, int timeout_s = 600) const {
    return RunProcess(Argv(args), env, timeout_s);
  }

  // Runs a command that prints JSON; fails the test if it does not.
  nlohmann::json DocpipeJson(const std::vector<std::string>& args, EnvOverrides env = {}) const {
    ProcessResult r = Docpipe(args, std::move(env));
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON from docpipe " << ::testing::PrintToString(args)
                                   << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return j;
  }

  nlohmann::json Status() const { return DocpipeJson({"status", "--json"}); }
  nlohmann::json Audit(const std::string& id) const { return DocpipeJson({"audit", id, "--json"}); }

  // The status record whose source_key ends with `name`.
  nlohmann::json RecordFor(const std::string& name) const {
    for (const auto& r : Status()) {
      std::string key = r["source_key"];
      if (key.size() >= name.size() && key.compare(key.size() - name.size(), name.size(), name) == 0) return r;
    }
    ADD_FAILURE() << "no record for " << name;
    return nlohmann::json::object();
  }

  void WriteDoc(const std::string& rel, const std::string& text) const { WriteFile(Docs() + "/" + rel, text); }

  TempDir dir_;
};

inline std::vector<std::string> EventTypes(const nlohmann::json& audit) {
  std::vector<std::string> out;
  for (const auto& e : audit) out.push_back(e["event_type"]);
  return out;
}

inline int CountEvents(const nlohmann::json& audit, const std::string& type, const std::string& stage = "") {
  int n = 0;
  for (const auto& e : audit) {
    if (e["event_type"] == type && (stage.empty() || e.value("stage", "") == stage)) ++n;
  }
  return n;
}

}  // namespace docpipe::testing

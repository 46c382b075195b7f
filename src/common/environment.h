#pragma once

#include <map>
#include <string>

namespace docpipe {

// Environment variables as a map, read once at start-up and passed down, so
// tests hand in their own instead of changing the process's.
using Environment = std::map<std::string, std::string>;

//! The process environment.
Environment ProcessEnvironment();

//! The value of `name` when it is set and not empty, else nullptr (an empty
//! variable counts as unset everywhere in docpipe, as in the AWS SDKs).
const std::string* EnvLookup(const Environment& env, const std::string& name);

//! The value of `name`, "" when unset.
std::string EnvValue(const Environment& env, const std::string& name);

}  // namespace docpipe

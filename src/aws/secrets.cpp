#include "aws/secrets.h"

#include <fmt/format.h>

namespace docpipe {

const AwsOperationSet& SecretsOperations() {
  static const AwsOperationSet ops{
      "secrets", "secretsmanager", {{"GetSecretValue", {{"secretsmanager:GetSecretValue", AwsResourceKind::kSecret, ""}}}}};
  return ops;
}

Result<std::string> ResolveSecret(AwsClient& any_client, const std::string& arn, const std::string& json_key) {
  std::unique_ptr<AwsClient> secretsmanager = any_client.ForAdapter(SecretsOperations());
  auto r = secretsmanager->CallJson("secretsmanager.GetSecretValue", "1.1", {{"SecretId", arn}}, /*idempotent=*/true);
  if (!r.ok()) return r.status().Annotate(fmt::format("secret {}", arn));
  if (!r->contains("SecretString") || !(*r)["SecretString"].is_string()) {
    return Status::InvalidInput(fmt::format("secret {} has no SecretString (a binary secret?)", arn));
  }
  const std::string& text = (*r)["SecretString"].get_ref<const std::string&>();
  if (text.empty()) return Status::InvalidInput(fmt::format("secret {} is empty", arn));
  // Only a JSON object counts as structured; any other text, even a JSON
  // scalar, is the secret itself.
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return text;

  auto string_field = [&](const std::string& key) -> Result<std::string> {
    const nlohmann::json& v = j[key];
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      return Status::InvalidInput(fmt::format("secret {}: field {} is not a non-empty string", arn, key));
    }
    return v.get<std::string>();
  };
  if (!json_key.empty() && j.contains(json_key)) return string_field(json_key);
  if (j.size() == 1) return string_field(j.begin().key());
  // Field names are structure, not secrets; they help fix the key.
  std::string fields;
  for (auto it = j.begin(); it != j.end(); ++it) fields += (fields.empty() ? "" : ", ") + it.key();
  return Status::InvalidInput(fmt::format("secret {} is a JSON object without field {} and not a single field "
                                          "(fields: {})",
                                          arn, json_key.empty() ? "(none asked)" : json_key, fields));
}

Result<std::string> ResolveApiKey(const std::string& name, const Environment& env, AwsClient& secretsmanager) {
  if (const std::string* value = EnvLookup(env, name)) return *value;
  const std::string arn_variable = name + "_SECRET_ARN";
  const std::string* arn = EnvLookup(env, arn_variable);
  if (arn == nullptr) {
    return Status::NotFound(fmt::format("no {}: set it, or {} to a Secrets Manager secret", name, arn_variable));
  }
  Result<std::string> key = ResolveSecret(secretsmanager, *arn, name);
  if (!key.ok()) return key.status().Annotate(arn_variable);
  return key;
}

}  // namespace docpipe

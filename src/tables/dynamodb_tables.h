#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "common/status.h"
#include "tables/tables.h"

namespace docpipe {

// DynamoDB adapters of the control, audit and metrics tables (docs/schema.md).
// Items are exactly ToJson(ControlRecord) / ToJson(AuditEvent) as
// AttributeValues, except that an empty `current_stage` is left out of a
// control item: it is the current-stage-index partition key, and DynamoDB
// rejects empty strings in index keys (the item is simply not in that index
// until it has a stage; readers default the missing attribute to ""), and
// that every control write adds a `write_token`, random per call.
//
// Conditional writes (Create, Update, audit Append) ask DynamoDB for the
// stored item when the condition fails. If it is exactly the item being
// written (for control items: write token included, so only this call's own
// earlier attempt matches, never another writer's identical record), the
// write counts as done: that is how a retry of a write whose answer was lost
// finds the table. Otherwise the errors are the SQLite adapter's: Conflict,
// or NotFound for an Update of an absent record.
// Metrics: AddOnce is one TransactWriteItems (a marker Put in
// "<date>#counted" if absent, and the ADDs).
// List(status) reads the status-updated-index, which is eventually
// consistent and holds only records with an updated_at.

struct DynamoDbTableNames {
  std::string control = "docpipe-control";
  std::string audit = "docpipe-audit";
  std::string metrics = "docpipe-metrics";
};

struct DynamoDbTableOptions {
  // Limit sent with every Query/Scan page; 0 = none (DynamoDB's 1 MB pages).
  // Tests set it small to exercise paging.
  int page_limit = 0;
};

// The client (signing name "dynamodb") must outlive the returned adapters.
// Every call is marked idempotent except the metrics ADD (AddOnce is).
ControlTablePtr NewDynamoDbControlTable(AwsClient& client, std::string table,
                                        DynamoDbTableOptions options = {});
AuditLogPtr NewDynamoDbAuditLog(AwsClient& client, std::string table, DynamoDbTableOptions options = {});
MetricsTablePtr NewDynamoDbMetricsTable(AwsClient& client, std::string table,
                                        DynamoDbTableOptions options = {});

// The operations each adapter calls, with their IAM actions (aws/aws_operations.h).
const AwsOperationSet& DynamoDbControlTableOperations();
const AwsOperationSet& DynamoDbAuditLogOperations();
const AwsOperationSet& DynamoDbMetricsTableOperations();
const AwsOperationSet& DynamoDbProvisionOperations();  // ProvisionDynamoDbTables

// CreateTable request bodies (control, audit, metrics), kept as data so they
// can be compared with the CloudFormation template.
std::vector<nlohmann::json> DynamoDbCreateTableRequests(const DynamoDbTableNames& names);
// Table name -> TTL attribute for the tables that expire items ("ttl" for
// control and audit; metrics rows are kept: they are the long-term history).
std::map<std::string, std::string> DynamoDbTimeToLiveAttributes(const DynamoDbTableNames& names);

// Creates the missing tables, waits up to `wait_ms` for each to be ACTIVE and
// enables TTL where DynamoDbTimeToLiveAttributes says so. Idempotent: tables
// that already match are left alone. InvalidInput when a table exists with a
// different key schema, a missing or different index, or TTL on another
// attribute; Timeout when a table is not ACTIVE in time.
Status ProvisionDynamoDbTables(AwsClient& client, const DynamoDbTableNames& names, int64_t wait_ms);

// JSON <-> DynamoDB AttributeValue (S, N, BOOL, NULL, M, L). Numbers travel as
// decimal strings; doubles are written shortest round-trip. InvalidInput for
// values DynamoDB cannot hold (NaN, infinity, binary).
Result<nlohmann::json> JsonToAttributeValue(const nlohmann::json& value);
Result<nlohmann::json> AttributeValueToJson(const nlohmann::json& attribute_value);
// A whole item: JSON object <-> {"name": AttributeValue, ...}.
Result<nlohmann::json> JsonToItem(const nlohmann::json& object);
Result<nlohmann::json> ItemToJson(const nlohmann::json& item);

}  // namespace docpipe

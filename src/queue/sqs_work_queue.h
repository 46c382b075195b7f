#pragma once

#include <string>

#include "aws/aws_client.h"
#include "queue/work_queue.h"

namespace docpipe {

struct SqsQueueOptions {
  std::string queue_url;
  std::string dlq_url;  // optional: only read for Stats().dead
};

// Amazon SQS adapter of the work queue (JSON protocol). `sqs` (signing name
// "sqs") must outlive the queue. The dead-letter move is SQS's own, through
// the queue's RedrivePolicy (see ProvisionSqsQueues); max_receive_count lives
// there, not here. SQS works in whole seconds:
//  - Send: DelaySeconds = ceil(delay_ms / 1000), capped at 900 (the SQS
//    maximum, 15 minutes); longer delays are shortened, not refused.
//  - Receive: at most 10 messages per call (SQS maximum); VisibilityTimeout =
//    ceil(visibility_ms / 1000) capped at 43200 (12 h); WaitTimeSeconds =
//    min(20, floor(wait_ms / 1000)), so waits under 1 s are short polls.
//  - ChangeVisibility: ceil(visibility_ms / 1000), same cap.
Result<WorkQueuePtr> NewSqsWorkQueue(AwsClient& sqs, SqsQueueOptions options);

// The operations the queue adapter calls; those of GetSqsQueueUrl; those of
// ProvisionSqsQueues (besides GetSqsQueueUrl's). See aws/aws_operations.h.
const AwsOperationSet& SqsWorkQueueOperations();
const AwsOperationSet& SqsQueueLookupOperations();
const AwsOperationSet& SqsProvisionOperations();

// The URL of the queue called `name`; NotFound when there is none.
Result<std::string> GetSqsQueueUrl(AwsClient& sqs, const std::string& name);

// Creates (or converges) the work queue `queue_name` and its dead-letter
// queue `dlq_name`: the DLQ keeps messages 14 days; the work queue redrives
// to it after `max_receive_count` receives (1..1000), hides received
// messages for `visibility_timeout_s` (0..43200) by default and long-polls
// 20 s by default. Idempotent: an existing queue with other attributes is
// updated with SetQueueAttributes.
// The attributes ProvisionSqsQueues gives the dead-letter queue and the work
// queue (kept as data so they can be compared with the CloudFormation template).
nlohmann::json SqsDeadLetterQueueAttributes();
nlohmann::json SqsWorkQueueAttributes(const std::string& dlq_arn, int max_receive_count, int visibility_timeout_s);

Status ProvisionSqsQueues(AwsClient& sqs, const std::string& queue_name, const std::string& dlq_name,
                          int max_receive_count, int visibility_timeout_s);

}  // namespace docpipe

#pragma once

#include <string>

#include "common/clock.h"
#include "common/logger.h"
#include "monitoring/metric_sink.h"
#include "object_store/object_store.h"
#include "queue/work_queue.h"
#include "tables/tables.h"

namespace docpipe {

// The adapters a pipeline component talks to, built once at start-up from the
// configuration and handed down by reference. Nothing here is owned.
struct Services {
  Clock& clock;
  Logger& logger;
  ObjectStore& store;
  ControlTable& control;
  AuditLog& audit;
  MetricsTable& metrics;
  WorkQueue& queue;
  MetricSink* metric_sink = nullptr;  // live operational metrics (CloudWatch); none when null
};

}  // namespace docpipe

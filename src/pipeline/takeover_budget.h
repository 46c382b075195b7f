#pragma once

#include <string>
#include <vector>

#include "tables/control_record.h"

namespace docpipe {

// A version found IN_PROGRESS past its lease (its worker lost or stalled) is
// taken over: by the next worker its message reaches, or by the head service
// when the message is gone. Both count it here, so both give up alike.
struct TakeoverVerdict {
  bool give_up = false;  // the version is spent: it is to be FAILED
  std::string error;     // why, naming the source, when give_up
};

// Counts one takeover of `found` into `next` (a copy of it): retry_count and
// takeovers + 1, and one interruption of the stage found IN_PROGRESS, if any.
// The version is spent when that stage has now been interrupted more than
// max_retries times (a document that kills its workers in the same stage each
// time), or when it has been taken over more than
// (max_retries + 1) x (stages + 1) times in all (kills that meet it in a
// different stage each time are not its fault, but must end). Never when
// every one of `stages` has completed: only a stage left to run can be what
// kills its workers.
TakeoverVerdict CountTakeover(const ControlRecord& found, const std::vector<std::string>& stages, ControlRecord& next);

// The retries of retryable failures `r` has had: retry_count less the
// takeovers, which have a budget of their own.
int FailureRetries(const ControlRecord& r);

}  // namespace docpipe

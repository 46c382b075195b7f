#include "http/http_retry.h"

#include <atomic>
#include <deque>

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace docpipe {
namespace {

class Scripted final : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest&) override {
    ++sent;
    if (script.empty()) return HttpResponse{200, {}, "ok"};
    Result<HttpResponse> r = script.front();
    script.pop_front();
    return r;
  }
  std::deque<Result<HttpResponse>> script;
  int sent = 0;
};

TEST(HttpRetryTest, RetriesRetryableAnswersAndHonoursRetryAfter) {
  Scripted http;
  testing::FakeClock clock;
  http.script = {HttpResponse{429, {{"retry-after", "3"}}, ""}, HttpResponse{503, {}, ""}, Status::Timeout("slow")};
  HttpRetrier retrier(http, clock, {6, 100, 1000, 60'000});
  int attempts = 0;
  Result<HttpResponse> r = retrier.Send(HttpRequest{}, &attempts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(attempts, 4);
  EXPECT_GE(clock.slept_ms(), 3000);  // the Retry-After
  EXPECT_LE(clock.slept_ms(), 3000 + 200 + 400);
}

// Issue 17: deadlines must hold for remote calls too. A Retry-After of a
// minute is abandoned as soon as the caller gives up.
TEST(HttpRetryTest, AnAbortedRequestStopsWaitingAndRetrying) {
  Scripted http;
  testing::FakeClock clock;
  http.script = {HttpResponse{429, {{"retry-after", "60"}}, ""}, HttpResponse{503, {}, ""}};
  HttpRetrier retrier(http, clock, {6, 100, 1000, 120'000});
  std::atomic<bool> stop{false};
  clock.OnSleep([&] {
    if (clock.slept_ms() >= 1'000) stop = true;  // the deadline passes a second into the wait
  });
  HttpRequest request;
  request.abort_if = [&] { return stop.load(); };
  Result<HttpResponse> r = retrier.Send(request);
  EXPECT_EQ(r.status().code(), Status::Code::kCancelled) << r.status().ToString();
  EXPECT_EQ(http.sent, 1);
  EXPECT_LE(clock.slept_ms(), 1'200);  // not the minute the server asked for
}

TEST(HttpRetryTest, StopsOnClientErrorsAndAfterMaxAttempts) {
  Scripted http;
  testing::FakeClock clock;
  http.script = {HttpResponse{400, {}, "bad"}};
  HttpRetrier retrier(http, clock, {3, 100, 1000, 60'000});
  EXPECT_EQ(retrier.Send(HttpRequest{})->status, 400);
  EXPECT_EQ(http.sent, 1);
  http.script = {HttpResponse{500, {}, ""}, HttpResponse{500, {}, ""}, HttpResponse{500, {}, ""},
                 HttpResponse{200, {}, ""}};
  EXPECT_EQ(retrier.Send(HttpRequest{})->status, 500);  // the last answer once attempts run out
  EXPECT_EQ(http.sent, 4);
}

TEST(HttpRetryTest, HintsAndServerWaitsAreCapped) {
  Scripted http;
  testing::FakeClock clock;
  http.script = {HttpResponse{429, {{"x-wait", "5000"}}, ""}, HttpResponse{429, {{"retry-after", "3600"}}, ""}};
  HttpRetrier retrier(http, clock, {5, 1, 1, 10'000}, [](const HttpResponse& r) -> int64_t {
    const std::string* w = r.FindHeader("x-wait");
    return w ? std::stoll(*w) : -1;
  });
  ASSERT_EQ(retrier.Send(HttpRequest{})->status, 200);
  EXPECT_GE(clock.slept_ms(), 5000 + 10'000);
  EXPECT_LE(clock.slept_ms(), 5000 + 10'000 + 2);
}

TEST(HttpRetryTest, RetryAfterFormats) {
  const TimeMs now = 1445412480000;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {{"retry-after", "1.5"}}, ""}, now), 1500);
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {{"retry-after-ms", "250"}}, ""}, now), 250);
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {{"retry-after", "Wed, 21 Oct 2015 07:28:10 GMT"}}, ""}, now), 10'000);
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {{"retry-after", "soon"}}, ""}, now), -1);
  // Beyond an int64_t of milliseconds: held to a day, not converted out of range.
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {{"retry-after", "1e23"}}, ""}, now), 86'400'000);
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {{"retry-after-ms", "1e300"}}, ""}, now), 86'400'000);
  EXPECT_EQ(RetryAfterMs(HttpResponse{429, {}, ""}, now), -1);
  EXPECT_TRUE(IsRetryableHttpStatus(429));
  EXPECT_TRUE(IsRetryableHttpStatus(502));
  EXPECT_FALSE(IsRetryableHttpStatus(404));
}

}  // namespace
}  // namespace docpipe

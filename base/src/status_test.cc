#include "dala/base/status.h"

#include <gtest/gtest.h>

namespace dala {
namespace {

TEST(StatusTest, AReasonTravelsThroughContextUnchanged) {
  Status s(Status::Code::kPermissionDenied, "revoked_device", "this device was revoked");
  Status wrapped = s.WithContext("sync").WithContext("dala");
  EXPECT_EQ(wrapped.reason(), "revoked_device");
  EXPECT_EQ(wrapped.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(wrapped.message(), "dala: sync: this device was revoked");
}

TEST(StatusTest, AMessageThatLooksLikeACodeIsNotReadAsOne) {
  Status s = Status::InvalidArgument("revoked_device: but only in the text");
  EXPECT_EQ(s.reason(), "");
}

TEST(StatusTest, WithReasonNamesAFailureAndLeavesSuccessAlone) {
  Status named = Status::NotFound("no such form").WithReason("unknown_form");
  EXPECT_EQ(named.reason(), "unknown_form");
  EXPECT_EQ(named.message(), "no such form");
  EXPECT_TRUE(Status::Ok().WithReason("unknown_form").ok());
  EXPECT_EQ(Status::Ok().WithReason("unknown_form").reason(), "");
}

TEST(StatusTest, ToStringShowsTheReasonForLogs) {
  Status s(Status::Code::kUnauthenticated, "stale_request", "the clock is off");
  EXPECT_EQ(s.ToString(), "unauthenticated: the clock is off [stale_request]");
  EXPECT_EQ(Status::Ok().ToString(), "ok");
}

TEST(StatusTest, AResultCarriesTheReasonOfItsFailure) {
  Result<int> r = Status(Status::Code::kNotFound, "not_found", "no submission 1234");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "not_found");
  Result<int> good = 5;
  EXPECT_EQ(good.status().reason(), "");
}

}  // namespace
}  // namespace dala

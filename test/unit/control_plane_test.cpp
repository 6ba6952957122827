// control_plane_test.cpp — unit tests of the control plane's pure logic:
// token and password generation, SHA-256, plan limits, the rate limiter and
// the error body.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "control_plane/api_error.h"
#include "control_plane/plans.h"
#include "control_plane/rate_limiter.h"
#include "common/secrets.h"

using namespace shale;

TEST(ControlPlaneSecrets, TokensAreLongRandomAndDistinct)
{
    std::set<std::string> seen;
    for (int index = 0; index < 200; index++) {
        std::string token = new_api_token();
        ASSERT_EQ(token.size(), 4u + 64u);
        ASSERT_EQ(token.rfind("shl_", 0), 0u);
        ASSERT_EQ(token.find_first_not_of("0123456789abcdef", 4), std::string::npos);
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(ControlPlaneSecrets, PasswordsUseTheSafeAlphabet)
{
    std::set<char> used;
    for (int index = 0; index < 200; index++) {
        std::string password = new_password();
        ASSERT_EQ(password.size(), 24u);
        for (char c : password) {
            ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << password;
            ASSERT_EQ(std::string("0O1lI").find(c), std::string::npos) << "ambiguous character in " << password;
            used.insert(c);
        }
    }
    EXPECT_GT(used.size(), 50u);  // every one of the 57 characters turns up in 4,800 draws
}

TEST(ControlPlaneSecrets, Sha256MatchesKnownDigests)
{
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(new_id("db").size(), 3u + 16u);
}

TEST(ControlPlanePlans, LimitsFromThePricing)
{
    auto free_plan = find_plan("free");
    ASSERT_TRUE(free_plan);
    EXPECT_EQ(free_plan->max_databases, 1);
    EXPECT_EQ(free_plan->max_worker_groups, 2);
    EXPECT_EQ(free_plan->storage_gb, 10);
    EXPECT_EQ(find_plan("starter")->max_databases, 3);
    EXPECT_EQ(find_plan("starter")->max_worker_groups, 10);
    EXPECT_FALSE(find_plan("growth")->max_databases.has_value());
    EXPECT_EQ(find_plan("growth")->max_worker_groups, 50);
    EXPECT_FALSE(find_plan("platinum"));
}

TEST(ControlPlanePlans, EnterpriseTakesTheOrganizationsLimits)
{
    auto custom = find_plan("enterprise", nlohmann::json{{"databases", 7}, {"worker_groups", 20}, {"storage_gb", 2000}});
    ASSERT_TRUE(custom);
    EXPECT_EQ(custom->max_databases, 7);
    EXPECT_EQ(custom->max_worker_groups, 20);
    EXPECT_EQ(custom->storage_gb, 2000);
    // other plans ignore custom limits
    EXPECT_EQ(find_plan("free", nlohmann::json{{"databases", 7}})->max_databases, 1);
    auto json = plan_json(*find_plan("growth"));
    EXPECT_TRUE(json["limits"]["databases"].is_null());
}

TEST(ControlPlaneRateLimiter, BurstThenRefusalWithRetryAfter)
{
    RateLimiter limiter(2, 5);
    int retry_after = 0;
    for (int index = 0; index < 5; index++)
        EXPECT_TRUE(limiter.take("token:a", &retry_after)) << index;
    EXPECT_FALSE(limiter.take("token:a", &retry_after));
    EXPECT_GE(retry_after, 1);
    EXPECT_TRUE(limiter.take("token:b", &retry_after)) << "buckets are per key";
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_TRUE(limiter.take("token:a", &retry_after)) << "the bucket refills at 2 per second";
}

TEST(ControlPlaneErrors, BodyHasCodeMessageAndFieldWhenGiven)
{
    auto body = nlohmann::json::parse(api_error_body(422, "invalid_field", "bad name", "name"));
    EXPECT_EQ(body, (nlohmann::json{{"code", "invalid_field"}, {"message", "bad name"}, {"field", "name"}}));
    auto plain = nlohmann::json::parse(api_error_body(404, "", "gone"));
    EXPECT_EQ(plain, (nlohmann::json{{"code", "not_found"}, {"message", "gone"}}));
    EXPECT_EQ(code_for_status(429), "rate_limited");
}

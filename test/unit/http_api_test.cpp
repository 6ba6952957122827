// http_api_test.cpp — unit tests of shaled's HTTP API without a cluster: request
// target parsing, the Prometheus text format, and the answers that need no
// catalog (404, 405, 400, /metrics with the router unreachable). Requests that do
// need the catalog are covered by test/e2e/http_api.sh.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

#include "daemon/http_routes.h"
#include "daemon/metrics.h"

namespace {

using shale::HttpRequest;

// A router that refuses connections at once: port 1 on localhost.
shale::DaemonConfig unreachable_router_config()
{
    shale::DaemonConfig config;
    config.router_conninfo = "host=127.0.0.1 port=1 dbname=postgres user=postgres connect_timeout=1";
    return config;
}

TEST(ParseTarget, SplitsPathAndDecodesParameters)
{
    auto parsed = shale::parse_target("/v1/events?since=5&limit=1%30&note=a+b&flag");
    EXPECT_EQ(parsed.path, "/v1/events");
    EXPECT_EQ(parsed.query.at("since"), "5");
    EXPECT_EQ(parsed.query.at("limit"), "10");
    EXPECT_EQ(parsed.query.at("note"), "a b");
    EXPECT_EQ(parsed.query.at("flag"), "");
}

TEST(ParseTarget, KeepsMalformedEscapes)
{
    auto parsed = shale::parse_target("/a%zz%4?x=%");
    EXPECT_EQ(parsed.path, "/a%zz%4");
    EXPECT_EQ(parsed.query.at("x"), "%");
    EXPECT_TRUE(shale::parse_target("").path.empty());
}

TEST(Metrics, EscapesLabelValues)
{
    EXPECT_EQ(shale::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Metrics, RendersNodeFamiliesWithLabels)
{
    shale::MetricsInput input;
    input.active = true;
    input.pid = 42;
    input.router_reachable = true;
    shale::NodeView primary;
    primary.node_id = 2;
    primary.group_id = 1;
    primary.role = "primary";
    primary.state = "up";
    primary.reachable = true;
    primary.in_recovery = false;
    primary.check_latency_ms = 1.5;
    shale::NodeView replica = primary;
    replica.node_id = 3;
    replica.role = "replica";
    replica.reachable = false;
    replica.lag_bytes = 4096;
    input.nodes = {primary, replica};
    input.groups = {{1, "fenced"}};
    input.event_counts = {{"promoted", 2}, {"node_down", 5}};

    std::string text = shale::render_metrics(input);
    EXPECT_NE(text.find("shale_daemon_active 1\n"), std::string::npos);
    EXPECT_NE(text.find("shale_node_up{node_id=\"2\",group_id=\"1\",role=\"primary\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("shale_node_up{node_id=\"3\",group_id=\"1\",role=\"replica\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("shale_node_is_primary{node_id=\"3\",group_id=\"1\",role=\"replica\"} 0\n"),
              std::string::npos);
    EXPECT_NE(text.find("shale_replication_lag_bytes{node_id=\"3\",group_id=\"1\",role=\"replica\"} 4096\n"),
              std::string::npos);
    EXPECT_NE(text.find("shale_health_check_latency_seconds{node_id=\"2\",group_id=\"1\",role=\"primary\"} 0.0015\n"),
              std::string::npos);
    EXPECT_NE(text.find("shale_group_available{group_id=\"1\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("shale_failovers_total 2\n"), std::string::npos);
    EXPECT_NE(text.find("shale_events_total{kind=\"node_down\"} 5\n"), std::string::npos);

    // Every family is declared once, before its samples.
    std::istringstream lines(text);
    std::string line;
    std::map<std::string, int> declared;
    const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? [-+0-9.eE]+$)");
    while (std::getline(lines, line)) {
        std::smatch match;
        if (line.rfind("# TYPE ", 0) == 0) {
            declared[line.substr(7, line.find(' ', 7) - 7)]++;
        } else if (line.rfind("# HELP ", 0) != 0) {
            ASSERT_TRUE(std::regex_match(line, match, sample)) << line;
            EXPECT_EQ(declared.count(match[1].str()), 1u) << "undeclared family of " << line;
        }
    }
    for (const auto &[family, count] : declared)
        EXPECT_EQ(count, 1) << family;
}

TEST(Metrics, RendersQueryInsightsByRanOnOnly)
{
    shale::MetricsInput input;
    input.router_reachable = true;
    input.insights_snapshots = 3;
    input.insights_history_rows = 120;
    input.insights.read = true;
    input.insights.patterns = 7;
    input.insights.max_patterns = 5000;
    input.insights.by_ran_on["single-shard"] = {250, 5, 1500, 245};
    input.insights.by_ran_on["multi-shard"] = {30, 0, 300, 30};
    std::string text = shale::render_metrics(input);
    EXPECT_NE(text.find("shale_insights_snapshots_total 3\n"), std::string::npos);
    EXPECT_NE(text.find("shale_insights_history_rows 120\n"), std::string::npos);
    EXPECT_NE(text.find("shale_query_patterns 7\n"), std::string::npos);
    EXPECT_NE(text.find("shale_query_calls_total{ran_on=\"single-shard\"} 250\n"), std::string::npos);
    EXPECT_NE(text.find("shale_query_errors_total{ran_on=\"single-shard\"} 5\n"), std::string::npos);
    EXPECT_NE(text.find("shale_query_time_seconds_total{ran_on=\"multi-shard\"} 0.3\n"), std::string::npos);
    // no insights read (an old router): the query families are left out
    input.insights.read = false;
    EXPECT_EQ(shale::render_metrics(input).find("shale_query_calls_total"), std::string::npos);
}

TEST(Metrics, LeavesNodeFamiliesOutWhenTheRouterIsUnreachable)
{
    shale::MetricsInput input;
    input.router_reachable = false;
    shale::NodeView node;
    node.reachable = true;
    input.nodes = {node};
    std::string text = shale::render_metrics(input);
    EXPECT_NE(text.find("shale_router_reachable 0\n"), std::string::npos);
    EXPECT_EQ(text.find("shale_node_up"), std::string::npos);
    EXPECT_EQ(text.find("shale_failovers_total"), std::string::npos);
}

class RoutesWithoutRouter : public ::testing::Test {
protected:
    shale::DaemonConfig config_ = unreachable_router_config();
    shale::DaemonStatus status_;
    std::atomic<bool> stop_{false};
    shale::ApiRoutes routes_{config_, status_, &stop_};
};

TEST_F(RoutesWithoutRouter, UnknownPathIs404Json)
{
    auto response = routes_.handle(HttpRequest{"GET", "/v2/nothing?x=1"});
    EXPECT_EQ(response.status, 404);
    auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["error"], "not found");
    EXPECT_EQ(body["path"], "/v2/nothing");
}

TEST_F(RoutesWithoutRouter, InvalidUtf8InPathStillGivesJson)
{
    auto response = routes_.handle(HttpRequest{"GET", "/%ff%fe"});
    EXPECT_EQ(response.status, 404);
    EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST_F(RoutesWithoutRouter, OtherMethodsAre405WithAllow)
{
    for (const char *method : {"POST", "PUT", "DELETE", "HEAD"}) {
        auto response = routes_.handle(HttpRequest{method, "/v1/nodes"});
        EXPECT_EQ(response.status, 405) << method;
        EXPECT_EQ(response.allow, "GET");
    }
}

TEST_F(RoutesWithoutRouter, BadEventParametersAre400)
{
    for (const char *target : {"/v1/events?since=-1", "/v1/events?since=1e3", "/v1/events?limit=0",
                               "/v1/events?limit=1001", "/v1/events?limit=", "/v1/events?colour=red",
                               "/v1/events?since=99999999999999999999"}) {
        EXPECT_EQ(routes_.handle(HttpRequest{"GET", target}).status, 400) << target;
    }
}

TEST_F(RoutesWithoutRouter, CatalogEndpointsAre503)
{
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/nodes"}).status, 503);
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/events"}).status, 503);
    auto cluster = routes_.handle(HttpRequest{"GET", "/v1/cluster/"});
    EXPECT_EQ(cluster.status, 503);
    auto body = nlohmann::json::parse(cluster.body);
    EXPECT_EQ(body["router_reachable"], false);
    EXPECT_EQ(body["router_uri"], "postgres://postgres@127.0.0.1:1/postgres");
}

TEST(RoutesUri, MultiHostConninfoBecomesAMultiHostUri)
{
    shale::DaemonConfig config;
    config.router_conninfo = "host=127.0.0.1,127.0.0.1 port=1,2 dbname=postgres user=postgres "
                             "target_session_attrs=read-write connect_timeout=1";
    shale::DaemonStatus status;
    std::atomic<bool> stop{false};
    shale::ApiRoutes routes(config, status, &stop);
    auto body = nlohmann::json::parse(routes.handle(HttpRequest{"GET", "/v1/cluster"}).body);
    EXPECT_EQ(body["router_uri"], "postgres://postgres@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write");
}

TEST_F(RoutesWithoutRouter, RefusesForeignHostsAndBrowserWrites)
{
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/none", "evil.example:8080"}).status, 403);
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/none", "localhost:9000"}).status, 404);
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/none", "[::1]:9000"}).status, 404);
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/none", ""}).status, 404);
    EXPECT_EQ(routes_.handle(HttpRequest{"POST", "/v1/nodes", "127.0.0.1:1", "http://evil.example"}).status, 403);
    EXPECT_EQ(routes_.handle(HttpRequest{"GET", "/v1/none", "127.0.0.1:1", "http://evil.example"}).status, 404);
}

TEST_F(RoutesWithoutRouter, MetricsStillAnswer)
{
    status_.set_active(true);
    auto response = routes_.handle(HttpRequest{"GET", "/metrics"});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type.rfind("text/plain", 0), 0u);
    EXPECT_NE(response.body.find("shale_daemon_active 1\n"), std::string::npos);
    EXPECT_NE(response.body.find("shale_router_reachable 0\n"), std::string::npos);
}

}  // namespace

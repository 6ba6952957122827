// deploy_executor.cpp — statements with lock_timeout and retries, steps with
// their states, and the undo of a failed deploy.
#include "control_plane/deploy_executor.h"

#include <chrono>
#include <stdexcept>
#include <thread>

namespace shale {

namespace {

using nlohmann::json;

// kLockTimeout bounds how long a DDL statement waits for its lock, and so how
// long application statements queue behind it; kMaxLockAttempts times it is retried.
constexpr const char *kLockTimeout = "300ms";
constexpr int kMaxLockAttempts = 100;

std::string now_iso()
{
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    int millis = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
    char text[40];
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char with_millis[48];
    std::snprintf(with_millis, sizeof with_millis, "%s.%03dZ", text, millis);
    return with_millis;
}

struct StatementError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string sqlstate_of(const PgResult &result)
{
    const char *state = result.get() ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    return state ? state : "";
}

// run_statement runs one statement; a lock time-out or deadlock is retried.
// Returns how many times it waited for a lock in vain.
int run_statement(const PgConnection &router, const json &statement)
{
    const std::string sql = statement["sql"].get<std::string>();
    const bool concurrently = statement.value("concurrently", false);
    for (int attempt = 1;; attempt++) {
        // CREATE INDEX CONCURRENTLY takes a lock that does not block writes, but waits for older
        // transactions: no time-out for it
        router.exec(std::string("SET lock_timeout = ") + (concurrently ? "0" : std::string("'") + kLockTimeout + "'"));
        PgResult result = router.exec(sql);
        if (result.ok())
            return attempt - 1;
        if (PQtransactionStatus(router.get()) != PQTRANS_IDLE)
            router.exec("ROLLBACK");
        std::string state = sqlstate_of(result);
        if ((state == "55P03" || state == "40P01") && attempt < kMaxLockAttempts) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50 * std::min(attempt, 10)));
            continue;
        }
        throw StatementError(result.error_message().empty() ? "the connection to the router was lost"
                                                            : result.error_message());
    }
}

void identify(const PgConnection &router, const std::string &request_id)
{
    // the protection trigger lets DDL through for a superuser session that names its deploy request
    PgResult set = router.exec("SET shale_deploy.request = '" + request_id + "'");
    if (!set.ok())
        throw std::runtime_error("cannot prepare the router connection: " + set.error_message());
    router.exec("SET statement_timeout = 0");
}

void trim(std::string &text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
}

// undo_step runs a step's revert statements; tolerant ignores every error
// (the step may have run only part of its statements). Returns the error, or "".
std::string undo_step(const PgConnection &router, json &step, bool tolerant)
{
    for (const auto &statement : step["revert"]) {
        try {
            run_statement(router, statement);
        } catch (const std::exception &error) {
            std::string message = error.what();
            trim(message);
            if (!tolerant && !statement.value("optional", false))
                return message;
            step["revert_notes"].push_back(statement["sql"].get<std::string>() + ": " + message);
        }
    }
    return "";
}

}  // namespace

DeployOutcome run_deploy(const PgConnection &router, json steps, const std::string &request_id,
                         const StepsProgress &on_progress)
{
    DeployOutcome outcome;
    identify(router, request_id);
    size_t failed_at = steps.size();
    for (size_t index = 0; index < steps.size(); index++) {
        json &step = steps[index];
        step["state"] = "running";
        step["started_at"] = now_iso();
        step["lock_retries"] = 0;
        on_progress(steps);
        try {
            for (const auto &statement : step["statements"])
                step["lock_retries"] = step["lock_retries"].get<int>() + run_statement(router, statement);
            step["state"] = "succeeded";
            step["finished_at"] = now_iso();
            on_progress(steps);
        } catch (const std::exception &error) {
            std::string message = error.what();
            trim(message);
            step["state"] = "failed";
            step["error"] = message;
            step["finished_at"] = now_iso();
            outcome.error = "step " + std::to_string(index + 1) + " (" + step["object"].get<std::string>() +
                            ") failed: " + message;
            undo_step(router, step, true);
            failed_at = index;
            on_progress(steps);
            break;
        }
    }
    if (failed_at == steps.size()) {
        outcome.succeeded = true;
        outcome.parent_state = "changed";
        outcome.steps = steps;
        return outcome;
    }
    std::vector<std::string> left;
    for (size_t index = failed_at; index-- > 0;) {
        std::string error = undo_step(router, steps[index], false);
        steps[index]["state"] = error.empty() ? "undone" : "undo_failed";
        if (!error.empty()) {
            steps[index]["error"] = error;
            left.push_back(std::to_string(index + 1) + " (" + steps[index]["object"].get<std::string>() + ")");
        }
        on_progress(steps);
    }
    if (left.empty()) {
        outcome.parent_state = "unchanged";
    } else {
        outcome.parent_state = "partly changed: steps still applied:";
        for (const auto &entry : left)
            outcome.parent_state += " " + entry;
    }
    outcome.steps = steps;
    return outcome;
}

DeployOutcome run_revert(const PgConnection &router, json steps, const std::string &request_id,
                         const StepsProgress &on_progress)
{
    DeployOutcome outcome;
    identify(router, request_id);
    std::vector<std::string> left;
    for (size_t index = steps.size(); index-- > 0;) {
        if (steps[index].value("state", "") != "succeeded")
            continue;
        steps[index]["revert_started_at"] = now_iso();
        std::string error = undo_step(router, steps[index], false);
        steps[index]["state"] = error.empty() ? "reverted" : "revert_failed";
        steps[index]["revert_finished_at"] = now_iso();
        if (!error.empty()) {
            steps[index]["error"] = error;
            left.push_back(std::to_string(index + 1) + " (" + steps[index]["object"].get<std::string>() + "): " + error);
        }
        on_progress(steps);
    }
    outcome.succeeded = left.empty();
    if (left.empty()) {
        outcome.parent_state = "reverted";
    } else {
        outcome.parent_state = "partly changed: steps not reverted:";
        for (const auto &entry : left)
            outcome.parent_state += " " + entry;
        outcome.error = outcome.parent_state;
    }
    outcome.steps = steps;
    return outcome;
}

int remove_kept_objects(const PgConnection &router, const json &kept, const std::string &request_id)
{
    identify(router, request_id);
    int removed = 0;
    for (const auto &object : kept) {
        std::string sql = object["kind"] == "table"
                              ? "DROP TABLE IF EXISTS " + object["hidden"].get<std::string>() + " CASCADE"
                              : "ALTER TABLE " + object["table"].get<std::string>() + " DROP COLUMN IF EXISTS " +
                                    object["hidden"].get<std::string>();
        run_statement(router, {{"sql", sql}, {"concurrently", false}});
        removed++;
    }
    return removed;
}

}  // namespace shale

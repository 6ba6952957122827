// operation_steps.h — an operation's steps and progress, kept in its row of
// control.operations as they change (the operation runner and the branch and
// deploy operations share it).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "control_plane/state_store.h"

namespace shale {

// OperationSteps keeps an operation's steps and progress in the state database.
class OperationSteps {
public:
    OperationSteps(StateStore &store, std::string id, nlohmann::json steps)
        : store_(store), id_(std::move(id)), steps_(std::move(steps))
    {
    }

    void begin(const std::string &name) { set(name, "running", ""); }
    void detail(const std::string &name, const std::string &text, double fraction)
    {
        for (auto &step : steps_)
            if (step["name"] == name)
                step["detail"] = text;
        fraction_ = fraction;
        save();
    }
    void done(const std::string &name) { set(name, "succeeded", ""); }
    void failed(const std::string &name, const std::string &error) { set(name, "failed", error); }
    // skip marks a step this run does not need (a schema branch makes no restore point)
    void skip(const std::string &name) { set(name, "skipped", ""); }
    std::string current() const
    {
        for (const auto &step : steps_)
            if (step["state"] == "running")
                return step["name"].get<std::string>();
        return "";
    }

private:
    void set(const std::string &name, const std::string &state, const std::string &error)
    {
        for (auto &step : steps_) {
            if (step["name"] != name)
                continue;
            step["state"] = state;
            std::string now = *store_.value("SELECT control.iso(now())");
            if (state == "running")
                step["started_at"] = now;
            else
                step["finished_at"] = now;
            if (!error.empty())
                step["error"] = error;
        }
        fraction_ = 0;
        save();
    }
    void save()
    {
        double completed = 0;
        for (const auto &step : steps_)
            if (step["state"] == "succeeded")
                completed += 1;
            else if (step["state"] == "running")
                completed += fraction_;
        int progress = steps_.empty() ? 0 : static_cast<int>(100 * completed / static_cast<double>(steps_.size()));
        store_.exec("UPDATE control.operations SET steps = $2::jsonb, progress = $3::int WHERE id = $1",
                    {id_, steps_.dump(), std::to_string(progress)});
    }

    StateStore &store_;
    std::string id_;
    nlohmann::json steps_;
    double fraction_ = 0;
};

}  // namespace shale

// storage_monitor.cpp — one round: read each ready database's size from its
// router, store it, warn once when it crosses 80 % of the plan's storage.
#include "control_plane/storage_monitor.h"

#include "common/cluster_layout.h"
#include "common/pg_connection.h"
#include "control_plane/plans.h"
#include "control_plane/state_store.h"

namespace shale {

void StorageMonitor::start()
{
    thread_ = std::thread([this]() {
        while (!stopping_) {
            try {
                measure_once();
            } catch (const std::exception &error) {
                logger_.warn(std::string("storage monitor: ") + error.what());
            }
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_for(lock, interval_, [this]() { return stopping_.load(); });
        }
    });
}

void StorageMonitor::stop()
{
    stopping_ = true;
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void StorageMonitor::measure_once()
{
    StateStore store(conninfo_);
    PgResult ready = store.exec("SELECT d.id, d.dir, d.plan, o.limits::text, coalesce(d.storage_bytes, 0) FROM "
                                "control.databases d JOIN control.organizations o ON o.id = d.organization_id "
                                "WHERE d.state = 'ready'");
    for (int row = 0; row < ready.rows() && !stopping_; row++) {
        auto layout = ClusterLayout::load(ready.value(row, 1));
        if (!layout)
            continue;
        PgConnection router = PgConnection::connect(layout->router_conninfo("shale_serve_storage"));
        if (!router.ok())
            continue;  // a database being restarted or failing over; the next round measures it
        auto bytes = router.query_value("SELECT (SELECT coalesce(sum(size_bytes), 0) FROM shale.shards) + "
                                        "pg_database_size(current_database())");
        if (!bytes)
            continue;
        store.exec("UPDATE control.databases SET storage_bytes = $2::bigint, storage_checked_at = now() "
                   "WHERE id = $1",
                   {ready.value(row, 0), *bytes});
        auto plan = find_plan(ready.value(row, 2), nlohmann::json::parse(ready.value(row, 3), nullptr, false));
        if (!plan || !plan->storage_gb)
            continue;
        const double limit = static_cast<double>(*plan->storage_gb) * 1024 * 1024 * 1024;
        const double before = std::stod(ready.value(row, 4)), now = std::stod(*bytes);
        if (now >= 0.8 * limit && before < 0.8 * limit)
            logger_.warn("database " + ready.value(row, 0) + " uses " + std::to_string(static_cast<long long>(now)) +
                         " bytes, over 80 % of the " + plan->name + " plan's " + std::to_string(*plan->storage_gb) +
                         " GB");
    }
}

}  // namespace shale

// backup_tasks.h — the backup tasks that both `shale backup|verify` and shaled's
// scheduler run: building the pgBackRest commands for every group, and after
// they finish, writing the outcome to DIR/backup/history.jsonl and failures (and
// finished backups) as events in shale.event.
#pragma once

#include <string>
#include <vector>

#include "common/backup_repository.h"
#include "common/cluster_layout.h"
#include "common/pg_connection.h"

namespace shale {

// backup_commands: one `pgbackrest backup --type=kind` per group.
std::vector<StanzaCommand> backup_commands(const ClusterLayout &layout, const std::string &kind,
                                           const BackupSchedule &schedule);
// verify_commands: one `pgbackrest verify` per group.
std::vector<StanzaCommand> verify_commands(const ClusterLayout &layout);
// stanza_create_commands: one `pgbackrest stanza-create` per group (offline:
// reads pg_control only, so it runs before the servers start).
std::vector<StanzaCommand> stanza_create_commands(const ClusterLayout &layout, bool offline);

// group_of_stanza maps "router" to 0 and "groupN" to N.
int group_of_stanza(const std::string &stanza);

// record_event inserts a row into shale.event on the router (best effort: a
// router that is down must not hide the failure from the log and history).
void record_event(const PgConnection *router, const std::string &kind, int group_id, const std::string &detail);

// record_backup_results writes one history entry per group and an event
// ('backup_finished' or 'backup_failed'); returns a description of the
// failures, empty when every group succeeded.
std::string record_backup_results(const ClusterLayout &layout, const std::string &kind,
                                  const std::vector<StanzaCommand> &finished, const PgConnection *router);
// record_verify_results does the same for verification ('verify_failed' events,
// one history entry per backup label with "valid" or "invalid").
std::string record_verify_results(const ClusterLayout &layout, const std::vector<StanzaCommand> &finished,
                                  const PgConnection *router);

}  // namespace shale

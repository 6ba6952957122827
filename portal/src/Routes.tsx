// Routes.tsx — which screen shows for which path.
import { match, usePath } from "./router";
import { DatabasesScreen } from "./screens/Databases";
import { CreateWizard } from "./screens/CreateWizard";
import { OverviewScreen } from "./screens/Overview";
import { ConnectScreen } from "./screens/Connect";
import { TablesScreen } from "./screens/Tables";
import { BackupsScreen } from "./screens/Backups";
import { OperationsScreen } from "./screens/Operations";
import { SettingsScreen } from "./screens/Settings";
import { MembersScreen } from "./screens/Members";
import { BranchesScreen } from "./screens/Branches";
import { DeployRequestsScreen } from "./screens/DeployRequests";
import { DeployRequestScreen } from "./screens/DeployRequest";
import { InsightsScreen } from "./screens/Insights";
import { Empty, Link } from "./components/ui";

export function Routes() {
  const path = usePath();
  if (path === "/" || path === "/databases") return <DatabasesScreen />;
  if (path === "/new") return <CreateWizard />;
  if (path === "/operations") return <OperationsScreen databaseId={null} />;
  if (path === "/members") return <MembersScreen />;
  const database = match("/databases/:id", path);
  if (database) return <OverviewScreen id={database.id} />;
  const request = match("/databases/:id/deploy-requests/:number", path);
  if (request) return <DeployRequestScreen id={request.id} number={request.number} />;
  const section = match("/databases/:id/:section", path);
  if (section) {
    const id = section.id;
    switch (section.section) {
      case "connect":
        return <ConnectScreen id={id} />;
      case "tables":
        return <TablesScreen id={id} />;
      case "backups":
        return <BackupsScreen id={id} />;
      case "operations":
        return <OperationsScreen databaseId={id} />;
      case "settings":
        return <SettingsScreen id={id} />;
      case "branches":
        return <BranchesScreen id={id} />;
      case "deploy-requests":
        return <DeployRequestsScreen id={id} />;
      case "insights":
        return <InsightsScreen id={id} />;
    }
  }
  return (
    <Empty title="No such page">
      <p>
        The address {path} is not a page of the portal. <Link to="/">Go to your databases</Link>.
      </p>
    </Empty>
  );
}

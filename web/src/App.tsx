import { Navigate, Route, Routes, useLocation } from "react-router";
import { useAuth } from "./auth/AuthContext";
import { Layout } from "./components/Layout";
import { ErrorAlert } from "./components/alerts";
import { Loading } from "./components/Loading";
import { SignIn } from "./pages/SignIn";
import { Overview } from "./pages/Overview";
import { ConnectionsPage } from "./pages/connections/Connections";
import { ConnectionNewPage } from "./pages/connections/ConnectionNew";
import { ConnectionDetailPage } from "./pages/connections/ConnectionDetail";
import { IntegrationsPage } from "./pages/integrations/Integrations";
import { IntegrationNewPage } from "./pages/integrations/IntegrationNew";
import { IntegrationDetailPage } from "./pages/integrations/IntegrationDetail";
import { UsersPage } from "./pages/settings/Users";
import { ApiKeysPage } from "./pages/settings/ApiKeys";
import { JobsPage } from "./pages/jobs/Jobs";
import { ReportsPage } from "./pages/reports/Reports";
import { RunDetailPage } from "./pages/reports/RunDetail";
import { LogsPage } from "./pages/logs/Logs";
import { QueuePage } from "./pages/queue/Queue";
import { NotFound } from "./pages/NotFound";

function RequireAuth() {
  const { status, loadError, retry } = useAuth();
  const location = useLocation();
  if (status === "signed_out") {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/signin" : `/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  if (status === "loading") {
    return (
      <div className="boot">
        {loadError ? (
          <>
            <ErrorAlert error={loadError} />
            <button type="button" className="btn btn-primary" onClick={retry}>
              Try again
            </button>
          </>
        ) : (
          <Loading label="Loading your organisation…" />
        )}
      </div>
    );
  }
  return <Layout />;
}

export function App() {
  return (
    <Routes>
      <Route path="/signin" element={<SignIn />} />
      <Route element={<RequireAuth />}>
        <Route index element={<Overview />} />
        <Route path="connections" element={<ConnectionsPage />} />
        <Route path="connections/new" element={<ConnectionNewPage />} />
        <Route path="connections/:id" element={<ConnectionDetailPage />} />
        <Route path="integrations" element={<IntegrationsPage />} />
        <Route path="integrations/new" element={<IntegrationNewPage />} />
        <Route path="integrations/:id" element={<IntegrationDetailPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="runs/:id" element={<RunDetailPage />} />
        <Route path="logs" element={<LogsPage />} />
        <Route path="queue" element={<QueuePage />} />
        <Route path="settings" element={<Navigate to="/settings/users" replace />} />
        <Route path="settings/users" element={<UsersPage />} />
        <Route path="settings/api-keys" element={<ApiKeysPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

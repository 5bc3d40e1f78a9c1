import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { ROLE } from "../lib/labels";
import { useCan } from "../lib/permissions";
import { ClockIcon, FlowIcon, HomeIcon, InboxIcon, KeyIcon, ListIcon, Logo, PlugIcon, ReportIcon, SignOutIcon, UsersIcon } from "./icons";
import "./Layout.css";

function NavItem({ to, icon, children, end, also }: { to: string; icon: React.ReactNode; children: React.ReactNode; end?: boolean; also?: string[] }) {
  // A run's page belongs to Reports.
  const { pathname } = useLocation();
  const alsoActive = also?.some((p) => pathname.startsWith(p)) ?? false;
  return (
    <li>
      <NavLink
        to={to}
        end={end}
        className={({ isActive }) => `nav-link ${isActive || alsoActive ? "active" : ""}`}
        aria-current={alsoActive ? "page" : undefined}
      >
        {icon}
        <span>{children}</span>
      </NavLink>
    </li>
  );
}

export function Layout() {
  const { me, signOut } = useAuth();
  const can = useCan();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const [signingOut, setSigningOut] = useState(false);
  const [navOpen, setNavOpen] = useState(false);

  // After client-side navigation, move focus to the page so keyboard and screen-reader users start there.
  const first = useRef(true);
  useEffect(() => {
    setNavOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className={`sidebar ${navOpen ? "open" : ""}`}>
        <div className="brand">
          <Logo />
          <span>Integration Hub</span>
          <button type="button" className="nav-toggle" aria-expanded={navOpen} aria-controls="main-nav" onClick={() => setNavOpen((o) => !o)}>
            Menu
          </button>
        </div>
        <nav id="main-nav" aria-label="Main">
          <ul>
            <NavItem to="/" end icon={<HomeIcon />}>
              Overview
            </NavItem>
            <NavItem to="/connections" icon={<PlugIcon />}>
              Connections
            </NavItem>
            <NavItem to="/integrations" icon={<FlowIcon />}>
              Integrations
            </NavItem>
            <NavItem to="/jobs" icon={<ClockIcon />}>
              Jobs
            </NavItem>
            <NavItem to="/reports" icon={<ReportIcon />} also={["/runs/"]}>
              Reports
            </NavItem>
            <NavItem to="/logs" icon={<ListIcon />}>
              Logs
            </NavItem>
            <NavItem to="/queue" icon={<InboxIcon />}>
              Queue
            </NavItem>
          </ul>
          {/* Users and API keys are the admins' alone: support would only meet a refusal there. */}
          {can("list_users") && (
            <>
              <p className="nav-section">Settings</p>
              <ul>
                <NavItem to="/settings/users" icon={<UsersIcon />}>
                  Users
                </NavItem>
                <NavItem to="/settings/api-keys" icon={<KeyIcon />}>
                  API keys
                </NavItem>
              </ul>
            </>
          )}
        </nav>
        {me && (
          <div className="account">
            <div className="account-org" title={`Times are shown in ${me.organisation.timezone}`}>
              <span className="account-org-name">{me.organisation.name}</span>
              <span className="account-tz">{me.organisation.timezone}</span>
            </div>
            <div className="account-user">
              <span className="account-name">{me.name}</span>
              <span className="account-email">{me.email}</span>
              <span className={`role-pill role-${me.role}`}>{ROLE[me.role]}</span>
            </div>
            <button
              type="button"
              className="btn btn-ghost signout"
              disabled={signingOut}
              onClick={async () => {
                setSigningOut(true);
                await signOut();
              }}
            >
              <SignOutIcon /> {signingOut ? "Signing out…" : "Sign out"}
            </button>
          </div>
        )}
      </aside>
      <main id="main" className="main" ref={mainRef} tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

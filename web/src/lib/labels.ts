// Words for the API's enums. Each table is typed by the generated schema: a value added to or removed from the
// OpenAPI document makes `tsc` fail here until it has a label.

import type { ConnectionStatus, DeactivationPolicy, IntegrationState, NewPersonTrigger, PersonField, Role, Schemas } from "../api/client";

type Labels<T extends string> = { readonly [K in T]: string };

export const CONNECTION_STATUS: Labels<ConnectionStatus> = {
  disconnected: "Disconnected",
  connected: "Connected",
  error: "Error",
};

export const INTEGRATION_STATE: Labels<IntegrationState> = {
  inactive: "Inactive",
  test: "Test",
  active: "Active",
};

export const INTEGRATION_STATE_HELP: Labels<IntegrationState> = {
  inactive: "Not running. Enable it to start syncing.",
  test: "Dry runs: everything is read and decided, nothing is written to the target.",
  active: "Live: changes are written to the target.",
};

export const INTEGRATION_KIND: Labels<Schemas["IntegrationKind"]> = {
  employees_to_users: "Employees → users",
};

export const PERSON_FIELD: Labels<PersonField> = {
  email: "Email",
  first_name: "First name",
  last_name: "Last name",
  job_title: "Job title",
  location: "Location",
  department: "Department",
  manager: "Manager",
  start_date: "Start date",
};

export const NEW_PERSON_TRIGGER: Labels<NewPersonTrigger> = {
  on_creation: "As soon as the person is created in the source",
  on_onboarding_complete: "When onboarding is complete",
  from_start_date: "From the person's start date",
};

export const DEACTIVATION_POLICY: Labels<DeactivationPolicy> = {
  on_termination: "As soon as the person is terminated",
  on_termination_date: "On the termination date",
  never: "Never deactivate",
};

export const ROLE: Labels<Role> = {
  admin: "Admin",
  support: "Support",
};

export const ROLE_HELP: Labels<Role> = {
  admin: "Sets up connections, credentials, integrations, users and API keys.",
  support: "Reads everything; cannot change connections, credentials or integrations.",
};

export const AUTH_KIND: Labels<Schemas["AuthKind"]> = {
  oauth2: "OAuth 2 sign-in",
  api_key: "API key",
  basic: "HTTP basic auth",
};

export const CONNECTOR_ROLE: Labels<Schemas["ConnectorRole"]> = {
  source: "Source",
  target: "Target",
};

/** The keys of a label table, in its order. */
export function keysOf<T extends string>(labels: Labels<T>): T[] {
  return Object.keys(labels) as T[];
}

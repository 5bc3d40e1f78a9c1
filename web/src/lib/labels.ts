// Words for the API's enums. Each table is typed by the generated schema: a value added to or removed from the
// OpenAPI document makes `tsc` fail here until it has a label.

import type {
  ConnectionStatus,
  Decision,
  DeactivationPolicy,
  InboundQueueStatus,
  IntegrationState,
  IntervalUnit,
  LogLevel,
  NewPersonTrigger,
  Outcome,
  PersonField,
  Role,
  RunStatus,
  RunTrigger,
  Schemas,
} from "../api/client";

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

/** Run statuses as the SPEC names them for people: `done` is COMPLETE and `failed` is ERROR. */
export const RUN_STATUS: Labels<RunStatus> = {
  queued: "Queued",
  in_progress: "In progress",
  done: "COMPLETE",
  partial: "Partial",
  retry: "Retrying",
  failed: "ERROR",
  cancelled: "Cancelled",
};

export const RUN_STATUS_HELP: Labels<RunStatus> = {
  queued: "Waiting for a worker to take it.",
  in_progress: "Reading, deciding and writing now.",
  done: "Finished: every record was handled.",
  partial: "Finished, but some records failed; they can be replayed.",
  retry: "Failed as a whole; it is tried again after a pause.",
  failed: "Failed as a whole and will not be tried again on its own: the source was unreachable or refused access.",
  cancelled: "Stopped by hand.",
};

export const RUN_TRIGGER: Labels<RunTrigger> = {
  scheduled: "Scheduled",
  manual: "Manual",
  webhook: "Webhook",
  retry: "Replay",
};

export const DECISION: Labels<Decision> = {
  create: "Create",
  update: "Update",
  deactivate: "Deactivate",
  skip: "Skip (unchanged)",
  filter: "Filtered out",
};

export const OUTCOME: Labels<Outcome> = {
  created: "Created",
  updated: "Updated",
  deactivated: "Deactivated",
  unchanged: "Unchanged",
  failed: "Failed",
  dry_run: "Dry run (not written)",
};

export const USER_FIELD: Labels<Schemas["UserField"]> = {
  first_name: "First name",
  last_name: "Last name",
  email: "Email",
  job_title: "Job title",
  location: "Location",
  department: "Department",
  manager_name: "Manager's name",
  manager_email: "Manager's email",
  manager: "Manager (link)",
  active: "Active",
};

export const INTERVAL_UNIT: Labels<IntervalUnit> = {
  minutes: "minutes",
  hours: "hours",
  days: "days",
};

export const LOG_LEVEL: Labels<LogLevel> = {
  debug: "Debug",
  info: "Info",
  warning: "Warning",
  error: "Error",
  critical: "Critical",
};

export const INBOUND_QUEUE_STATUS: Labels<InboundQueueStatus> = {
  pending: "Pending",
  processing: "Processing",
  done: "Done",
  failed: "Failed",
};

/** Look a value up in a label table; a value the app does not know yet is shown as it came. */
export function labelOf<T extends string>(labels: Labels<T>, value: string): string {
  return (labels as Record<string, string>)[value] ?? value;
}

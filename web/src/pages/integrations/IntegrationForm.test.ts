import { describe, expect, it } from "vitest";
import type { Integration } from "../../api/client";
import { DEFAULT_VALUES, settingsFromValues, validateIntegration, valuesFromIntegration } from "./IntegrationForm";

const filled = { ...DEFAULT_VALUES, name: "EH → LMS", source_connection_id: "s", target_connection_id: "t" };

describe("the integration form's webhook delay", () => {
  it("is a whole number of seconds from 0 to 3600", () => {
    expect(validateIntegration(filled)).toEqual({});
    expect(validateIntegration({ ...filled, webhook_delay_seconds: "0" })).toEqual({});
    expect(validateIntegration({ ...filled, webhook_delay_seconds: "3600" })).toEqual({});
    for (const bad of ["3601", "-1", "1.5", "", "ten"]) {
      expect(validateIntegration({ ...filled, webhook_delay_seconds: bad }), bad).toEqual({ "settings.webhook_delay_seconds": "must be a whole number of seconds from 0 to 3600" });
    }
  });

  it("is kept when the settings are saved (they are replaced as a whole)", () => {
    const i = { settings: { webhook_delay_seconds: 45 } } as Integration;
    const v = { ...valuesFromIntegration({ ...i, name: "x", kind: "employees_to_users", source_connection_id: "s", target_connection_id: "t" } as Integration) };
    expect(v.webhook_delay_seconds).toBe("45");
    expect(settingsFromValues(v).webhook_delay_seconds).toBe(45);
    expect(valuesFromIntegration({ ...i, settings: {} } as Integration).webhook_delay_seconds).toBe("10");
  });
});

import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The ihub binary serves dist/ at `/` and answers every non-/api path with index.html. In `npm run dev`, /api goes
// to a local server: http://127.0.0.1:8080 unless IHUB_API_URL says otherwise.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": { target: process.env.IHUB_API_URL ?? "http://127.0.0.1:8080", changeOrigin: false },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "node",
  },
});

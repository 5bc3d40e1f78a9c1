import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, call, session, type Me } from "../api/client";
import { ApiError, describeError, toApiError } from "../api/errors";
import { SESSION_KEY } from "./session";

type Status = "loading" | "signed_out" | "signed_in";

interface AuthValue {
  status: Status;
  me: Me | null;
  /** Why the user is on the sign-in page (session ended, signed out with a problem, …). */
  notice: string | null;
  /** A failure to load the profile other than an ended session (server down, …). */
  loadError: ApiError | null;
  isAdmin: boolean;
  timeZone: string;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  retry: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>(session.isSignedIn() ? "loading" : "signed_out");
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);

  const loadMe = useCallback(async () => {
    setLoadError(null);
    try {
      const m = await call(api.GET("/api/v1/me"));
      setMe(m);
      setStatus("signed_in");
    } catch (e) {
      const err = toApiError(e);
      if (err.status === 401 || !session.isSignedIn()) {
        setMe(null);
        setStatus("signed_out");
      } else {
        setLoadError(err);
      }
    }
  }, []);

  useEffect(() => {
    if (session.isSignedIn()) void loadMe();
  }, [loadMe]);

  useEffect(
    () =>
      session.onEnd((reason) => {
        setMe(null);
        setStatus("signed_out");
        if (reason === "expired") setNotice("Your session has ended. Please sign in again.");
      }),
    [],
  );

  // Another tab signed in or out: follow it.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key !== SESSION_KEY && e.key !== null) return;
      if (!session.isSignedIn()) {
        setMe(null);
        setStatus("signed_out");
        setNotice("You were signed out in another tab.");
      } else if (!me) {
        setStatus("loading");
        void loadMe();
      }
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [me, loadMe]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const pair = await call(api.POST("/api/v1/auth/login", { body: { email, password } }));
      session.accept(pair);
      setNotice(null);
      setStatus("loading");
      await loadMe();
    },
    [loadMe],
  );

  const signOut = useCallback(async () => {
    const current = session.current();
    let problem: string | null = null;
    if (current) {
      try {
        await call(api.POST("/api/v1/auth/logout", { body: { refresh_token: current.refreshToken } }));
      } catch (e) {
        problem = `Signed out on this device, but the server could not be told (${describeError(e)}).`;
      }
    }
    session.end("signed_out");
    setMe(null);
    setStatus("signed_out");
    setNotice(problem);
  }, []);

  const value = useMemo<AuthValue>(
    () => ({
      status,
      me,
      notice,
      loadError,
      isAdmin: me?.role === "admin",
      timeZone: me?.organisation.timezone || "UTC",
      signIn,
      signOut,
      retry: () => void loadMe(),
    }),
    [status, me, notice, loadError, signIn, signOut, loadMe],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}

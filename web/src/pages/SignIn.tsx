import { useRef, useState, type FormEvent } from "react";
import { Navigate, useLocation } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { mapFieldErrors, toApiError, type ApiError } from "../api/errors";
import { ErrorAlert, Notice } from "../components/alerts";
import { TextField, focusFirstInvalid } from "../components/fields";
import { Logo } from "../components/icons";
import { useTitle } from "../lib/hooks";
import { safeNext } from "../lib/nav";
import "./SignIn.css";

export function SignIn() {
  useTitle("Sign in");
  const { status, signIn, notice } = useAuth();
  const location = useLocation();
  const next = safeNext(new URLSearchParams(location.search).get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  if (status === "signed_in") return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!email.trim()) errs.email = "Enter your email address";
    else if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) errs.email = "This is not an email address";
    if (!password) errs.password = "Enter your password";
    setErrors(errs);
    setError(null);
    if (Object.keys(errs).length) {
      focusFirstInvalid(formRef.current);
      return;
    }
    setBusy(true);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      const apiErr = toApiError(err);
      setErrors(mapFieldErrors(apiErr.errors, ["email", "password"]).fields);
      setError(apiErr);
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin-page">
      <main className="signin-card" id="main">
        <div className="signin-brand">
          <Logo />
          <span>Integration Hub</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Keep people data in sync between your HR system and the tools that need it.</p>
        {notice && <Notice tone="info">{notice}</Notice>}
        {status === "loading" ? null : <ErrorAlert error={error} fieldsShown />}
        <form ref={formRef} onSubmit={submit} noValidate>
          <TextField path="email" label="Email" type="email" autoComplete="username" value={email} onChange={setEmail} required error={errors.email} autoFocus />
          <TextField path="password" label="Password" type="password" autoComplete="current-password" value={password} onChange={setPassword} required error={errors.password} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </main>
    </div>
  );
}

import { Link } from "react-router";
import { useTitle } from "../lib/hooks";
import { PageHeader } from "../components/PageHeader";

export function NotFound() {
  useTitle("Not found");
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is nothing at this address. Go to the <Link to="/">overview</Link>.
      </p>
    </>
  );
}
